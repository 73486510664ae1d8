"""Tables out as CSV or XLSX, with Vietnamese text intact and nobody's text ever run as a
formula. Features supply the header and rows; values may be text, numbers, dates or None.

- **Formula injection.** A cell someone typed (an action, a reason, an imported name) may
  start like a formula: ``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``. In XLSX every text is
  written as a string cell (openpyxl would otherwise store a text starting with ``=`` as a
  formula, and one like ``#N/A`` as an error). In CSV, a text starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, as OWASP recommends.
- **Control characters** that XML cannot hold are stripped (:func:`bot.render.text.strip_control`),
  so one member's name cannot break a whole unit's file.
- **Dates** are date cells formatted ``DD/MM/YYYY`` in XLSX, and ``DD/MM/YYYY`` text in CSV.
- **Speed.** XLSX is streamed by :mod:`bot.render.xlsx` (what openpyxl's write-only mode
  writes, ten times faster), each row written once and never kept. Building a file is CPU
  work: the bot calls these in a worker thread (:func:`asyncio.to_thread`), never in the
  event loop.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.i18n import format_date, format_datetime
from bot.render.text import strip_control
from bot.render.xlsx import XlsxBook

FORMATS = ("csv", "xlsx")
MIME_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_NAME_MAX = 31  # Excel's limit
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
WIDTH_MAX = 60


def csv_cell(value: object) -> str | int | float:
    """A value as a CSV cell: text without control characters, neutralised when it would
    start a formula; dates as DD/MM/YYYY; numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    text = strip_control(str(value))
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Vietnamese text correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: no ``[]:*?/\\``, at most 31 characters."""
    title = " ".join(_SHEET_FORBIDDEN.sub(" ", strip_control(name)).split()).strip("'")
    return title[:SHEET_NAME_MAX].strip() or "Data"


def _width(value: object) -> int:
    """About how many characters wide a value shows (its longest line)."""
    if isinstance(value, date):
        return 16 if isinstance(value, datetime) else 10
    text = value if isinstance(value, str) else str(value)
    if "\n" in text:
        return max(len(line) for line in text.splitlines())
    return len(text)


def xlsx_text(value: object) -> str:
    """The text of an XLSX cell for a value that is not a number, a boolean or a date: a
    moment in local time, anything else as text without control characters. It is always
    written as a string cell, so a text starting with ``=`` is never run as a formula and
    one like ``#N/A`` is not an error (:mod:`bot.render.xlsx`)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    return strip_control(str(value))


def _capped_width(value: object) -> int:
    if type(value) is str and "\n" not in value:  # most cells: the short way
        return min(WIDTH_MAX, len(value))
    return min(WIDTH_MAX, _width(value))


def column_widths(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[int]:
    """How wide each column shows: its longest value, within bounds."""
    widths = [_width(h) for h in header]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            if value is not None:
                widths[index] = max(widths[index], min(WIDTH_MAX, _width(value)))
    return widths


def new_book(*, creator: str = "openpyxl", title: str = "") -> XlsxBook:
    """A workbook for :func:`add_sheet`; :meth:`XlsxBook.save` gives its bytes."""
    return XlsxBook(xlsx_text, strip_control, creator=creator, title=title)


def add_sheet(
    workbook: XlsxBook,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int] | None = None,
    number_formats: dict[int, str] | None = None,
) -> None:
    """One sheet of a workbook: a bold, frozen header row, the columns sized, the rows
    streamed as they come (each row written once, never kept). ``widths`` None: sized to
    every value (the rows are still read once). ``number_formats`` maps a column index to
    the format of its numbers (``"0%"`` for a rate)."""
    titles = [strip_control(str(value)) for value in header]
    if widths is None:
        start = [_width(value) for value in header]
        workbook.add_sheet(
            sheet_title(name), titles, rows, start, number_formats, measure=_capped_width
        )
    else:
        workbook.add_sheet(sheet_title(name), titles, rows, widths, number_formats)


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "Data") -> bytes:
    """One sheet: a bold, frozen header row, columns sized to their content. The rows are
    read once, as they come."""
    workbook = new_book()
    add_sheet(workbook, sheet, header, rows)
    return workbook.save()


def export_table(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "Data"
) -> bytes:
    """The table as a CSV or XLSX file. CPU work: call it in a worker thread from the bot."""
    if fmt == "csv":
        return to_csv(header, rows)
    if fmt == "xlsx":
        return to_xlsx(header, rows, sheet)
    raise ValueError(f"unknown export format {fmt!r}")


def slug(name: str, limit: int = 60) -> str:
    """An ASCII file-name part from a Vietnamese name: ``Chi bộ Khu vực 1`` →
    ``chi-bo-khu-vuc-1``; empty when nothing Latin is left."""
    text = strip_control(name).replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-")


def file_name(prefix: str, period: str, names: Sequence[str], fmt: str) -> str:
    """``{prefix}-{period}-{slug of the unit}.{fmt}``: ASCII, no path separators, no unit
    code. Several units: the first one's name and how many more (``-va-2-don-vi-khac``)."""
    parts = [prefix, period]
    first = slug(names[0]) if names else ""
    if first:
        parts.append(first)
    if len(names) > 1:
        parts.append(f"va-{len(names) - 1}-don-vi-khac")
    return "-".join(part for part in parts if part) + f".{fmt}"
