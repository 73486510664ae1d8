"""bot/render/xlsx.py against openpyxl's write-only mode, which wrote the exports before it:
the same tables, read back with openpyxl, give the same sheets cell by cell (values, types,
number formats, the bold header), the same column widths, frozen header and properties."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.i18n import format_datetime
from bot.render.exports import WIDTH_MAX, add_sheet, column_widths, new_book, sheet_title
from bot.render.text import strip_control
from bot.render.xlsx import WIDTH_MIN

DATE_FORMAT = "DD/MM/YYYY"


def _reference_cell(sheet, value: object) -> object:  # type: ignore[no-untyped-def]
    """What exports.py appended to openpyxl's write-only sheet for one value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    text = strip_control(str(value))
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _reference(sheets: list[tuple[str, list[str], list[list[object]], dict[int, str]]]) -> bytes:
    """The workbook as exports.py wrote it with openpyxl (write-only), before this writer."""
    book = Workbook(write_only=True)
    book.properties.creator = "cadrebot"
    book.properties.title = "Đảng bộ · 2026"
    for name, header, rows, formats in sheets:
        sheet = book.create_sheet(sheet_title(name))
        for index, width in enumerate(column_widths(header, rows), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(WIDTH_MIN, width) + 2
        sheet.freeze_panes = "A2"
        titles = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=strip_control(str(value)))
            cell.data_type = "s"
            cell.font = Font(bold=True)
            titles.append(cell)
        sheet.append(titles)
        for row in rows:
            cells = [_reference_cell(sheet, value) for value in row]
            for index, fmt in formats.items():
                value = cells[index] if index < len(cells) else None
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = fmt
                    cells[index] = cell
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ours(sheets: list[tuple[str, list[str], list[list[object]], dict[int, str]]]) -> bytes:
    book = new_book(creator="cadrebot", title="Đảng bộ · 2026")
    for name, header, rows, formats in sheets:
        add_sheet(book, name, header, iter(rows), None, formats)  # widths measured on the way
    return book.save()


TEXTS = [
    "Nguyễn Văn An",
    '=HYPERLINK("http://evil.example")',
    "#N/A",
    "#DIV/0!",
    "  spaces around  ",
    "   ",
    "",
    "a & b < c > d \"quoted\" 'single'",
    "line one\nline two that is a good deal longer than the first",
    "carriage\r\nreturn",
    "tab\tinside",
    "control\x01\x1f\x7f characters",
    "x" * 80,
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "emoji 🇻🇳 and ưu tiên",
]


def _value(generator: random.Random) -> object:
    kind = generator.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return generator.randrange(-1000, 10**6)
    if kind == 2:
        return generator.random() * generator.choice([1, 100, 1e-9, 1e12])
    if kind == 3:
        return generator.choice([True, False])
    if kind == 4:
        return date(generator.randrange(1899, 2100), generator.randrange(1, 13), 28)
    if kind == 5:
        return datetime(2026, 5, generator.randrange(1, 28), 13, 45, tzinfo=UTC)
    return generator.choice(TEXTS)


def _read(content: bytes) -> dict[str, object]:
    book = load_workbook(io.BytesIO(content))
    found: dict[str, object] = {
        "titles": book.sheetnames,
        "creator": book.properties.creator,
        "title": book.properties.title,
    }
    for sheet in book.worksheets:
        found[sheet.title] = {
            "freeze": sheet.freeze_panes,
            "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
            "cells": [
                [(c.value, c.data_type, c.number_format, bool(c.font.b)) for c in row]
                for row in sheet.iter_rows()
            ],
        }
    return found


def test_the_streamed_workbook_reads_back_as_openpyxls_did() -> None:
    generator = random.Random(12)
    header = ["Mã", "Họ và tên", "=Nội dung", "Ngày", "Tỉ lệ", "Ghi chú\x02"]
    sheets = [
        (
            "Năm 2026",
            header,
            [[_value(generator) for _ in range(6)] for _ in range(400)],
            {4: "0%"},
        ),
        ("Sheet: two/ [x]", header[:3], [[generator.choice(TEXTS)] * 3 for _ in range(50)], {}),
        ("Empty", ["Only a header"], [], {}),
        (
            "Ragged",
            header,
            [[1], [], [None, "x", date(2026, 1, 1), None, 0.5, "y", "z"]],
            {4: "0.0%"},
        ),
    ]
    reference, ours = _read(_reference(sheets)), _read(_ours(sheets))
    assert ours == reference
    assert ours["Năm 2026"]["cells"][0][0] == ("Mã", "s", "General", True)  # type: ignore[index]


def test_a_width_never_passes_the_cap() -> None:
    content = _ours([("Data", ["A"], [["x" * 500]], {})])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.column_dimensions["A"].width == WIDTH_MAX + 2
