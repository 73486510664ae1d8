"""Rendering of data into what people read: DOCX documents, CSV/XLSX exports, the texts of
notices (and, later, PNG charts). Services return data; handlers and the CLI call these
builders (services only for the texts of the notices they send). Nothing here imports a
service or a handler."""
