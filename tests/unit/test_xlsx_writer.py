"""bot/render/xlsx.py against openpyxl's write-only mode, which wrote the exports before it
(bench/before.py keeps that code): the same tables give the same sheets and styles to the
byte, and read back with openpyxl the same cells (values, types, number formats, the bold
header), column widths, frozen header and properties."""

from __future__ import annotations

import io
import random
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from bot.render.exports import WIDTH_MAX, add_sheet, column_widths, new_book

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import before  # the code as it was


def _reference(sheets: list[tuple[str, list[str], list[list[object]], dict[int, str]]]) -> bytes:
    """The workbook as exports.py wrote it with openpyxl (write-only), before this writer."""
    book = Workbook(write_only=True)
    book.properties.creator = "cadrebot"
    book.properties.title = "Đảng bộ · 2026"
    for name, header, rows, formats in sheets:
        before.openpyxl_sheet(book, name, header, rows, column_widths(header, rows), formats)
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
    old, new = _reference(sheets), _ours(sheets)
    reference, ours = _read(old), _read(new)
    assert ours == reference
    parts = [zipfile.ZipFile(io.BytesIO(content)) for content in (old, new)]
    for name in parts[0].namelist():  # all but the properties: another application, a time
        if not name.startswith("docProps/"):
            assert parts[1].read(name) == parts[0].read(name), name
    assert ours["Năm 2026"]["cells"][0][0] == ("Mã", "s", "General", True)  # type: ignore[index]


def test_a_width_never_passes_the_cap() -> None:
    content = _ours([("Data", ["A"], [["x" * 500]], {})])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.column_dimensions["A"].width == WIDTH_MAX + 2
