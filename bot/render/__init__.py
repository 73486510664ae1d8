"""Rendering of data into what people read: DOCX documents, CSV/XLSX exports, the text of
notices (and, later, PNG charts). Services return data; handlers, the CLI and, for notices,
the sending of a notification call these builders with it. A builder never calls a service
and never sends anything."""
