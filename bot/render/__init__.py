"""Rendering of data into files people open: DOCX documents, CSV/XLSX exports (and, later,
PNG charts). Services return data; they call these builders, never the other way round."""
