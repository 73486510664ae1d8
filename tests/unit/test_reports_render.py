"""bot/render/reports.py and ``cadrebot report``: the overview as people read it (Vietnamese
and English, Babel's percentages, "—" where there is nothing to count, hostile names
escaped), the CSV (formula-safe, read back cell by cell) and the command line."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.context import Services
from bot.i18n import use_locale
from bot.render import reports as render
from bot.render.text import has_control_characters
from bot.services.reports.model import Figures, MemberLine
from tests.conftest import Organisation
from tests.unit.report_support import Scenario, build


@pytest.fixture
async def scenario(setup: Services, org: Organisation, clock) -> Scenario:
    return await build(setup, org, clock)


async def test_the_overview_in_vietnamese(scenario: Scenario) -> None:
    reports = scenario.services.reports
    overview = await reports.overview(None, "QU-BT", reports.period(2026, "Q1"))
    with use_locale("vi"):
        lines = render.overview_lines(overview)
        legend = render.legend()
    text = "\n".join(lines)
    assert lines[0] == "<b>Báo cáo: Quận ủy Bến Tre Xanh</b> — quý I/2026"
    assert lines[1] == "Từ 01/01/2026 đến 31/03/2026"
    cb_bt1 = next(line for line in lines if "Đông Hưng" in line)
    assert cb_bt1 == (
        "<b>Chi bộ Khu phố Đông Hưng</b>: nộp cam kết 100% · dự họp 50% · thường kỳ 2/3 · "
        "chuyên đề 1/1 · học tập ✗ · tương tác 50% · xếp loại: HTXSNV 1; chưa xếp loại 1"
    )
    cb_bt2 = next(line for line in lines if "Ánh Dương" in line)
    assert "nộp cam kết 0%" in cb_bt2 and "chuyên đề 0/1" in cb_bt2
    assert "xếp loại: chưa xếp loại 3" in cb_bt2
    assert "Tổng cộng" in text and "học tập ✗ 0/2" in text
    assert "Đảng viên 7 · phải nộp cam kết 6 · đã nộp 2 (33%)" in text
    assert "Dự họp theo tháng: 01/2026 80% · 02/2026 67% · 03/2026 33%" in text
    assert "miễn sinh hoạt" in legend


async def test_the_overview_in_english_and_a_year_without_figures(scenario: Scenario) -> None:
    reports = scenario.services.reports
    overview = await reports.overview(None, "CB-BT2", reports.period(2025, "H2"))
    with use_locale("en"):
        lines = render.overview_lines(overview)
    assert lines[0] == "<b>Report: Chi bộ Trường Tiểu học Ánh Dương</b> — second half of 2025"
    total = lines[3]
    assert total.startswith("<b>Total</b> — <b>Chi bộ Trường Tiểu học Ánh Dương</b>: filed —")
    assert "attendance —" in total and "regular 0/6 · thematic 0/2" in total
    assert "study — · engagement — · grades: —" in total


async def test_member_lines(scenario: Scenario) -> None:
    reports = scenario.services.reports
    period = reports.period(2026, "Q1")
    unit, lines = await reports.members(None, "CB-BT1", period)
    with use_locale("vi"):
        text = render.members_lines(unit, period, lines)
        detail = render.member_detail(unit, period, lines[1])
    assert text[0] == "<b>Đảng viên của Chi bộ Khu phố Đông Hưng</b> — quý I/2026"
    assert text[1:] == [
        "1. Trần Thị Bích — cam kết: Đã nộp · dự họp 2/4 (50%) · xếp loại: —",
        "2. Nguyễn Văn Đức — cam kết: Đã duyệt · dự họp 2/4 (50%) · xếp loại: "
        "Hoàn thành xuất sắc nhiệm vụ",
        "3. Phạm Quốc Việt — Miễn sinh hoạt",
    ]
    assert detail[0] == "<b>Nguyễn Văn Đức</b> — Chi bộ Khu phố Đông Hưng"
    assert "Cam kết: Đã duyệt" in detail
    _, moved = await reports.members(None, "CB-HL1", period)
    with use_locale("vi"):
        assert "cam kết: Đã nộp (nộp muộn)" in render.member_line(1, moved[0])
        assert "cam kết: Chưa lập bản cam kết" in render.member_line(2, moved[1])


def test_hostile_names_are_escaped_in_html_and_kept_in_plain_text() -> None:
    from storage.records import Unit

    unit = Unit(1, "X", "<b>Chi bộ</b> & co", "cell", None, "/1/")
    figures = Figures(unit=unit, members=3, expected=3, filed=1)
    assert "&lt;b&gt;Chi bộ&lt;/b&gt; &amp; co" in render.figures_line(figures)
    assert render.figures_line(figures, html=False).startswith("<b>Chi bộ</b> & co:")
    line = MemberLine(1, "<i>Tên</i>", "official", None, False, 0, 0, None)
    assert "&lt;i&gt;Tên&lt;/i&gt;" in render.member_line(1, line)


async def test_the_csv_is_formula_safe_and_reads_back(scenario: Scenario) -> None:
    reports = scenario.services.reports
    overview = await reports.overview(None, "QU-BT", reports.period(2026, "Q1"))
    hostile = replace(overview.rows[0], unit=replace(overview.rows[0].unit, name="=HYPERLINK(1)"))
    overview = replace(overview, rows=[hostile, overview.rows[1]])
    with use_locale("vi"):
        name, data = render.overview_csv([overview])
    assert name == "bao-cao-2026-q1-quan-uy-ben-tre-xanh.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Đơn vị", "Mã", "Dòng", "Đảng viên"]
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert [row[1] for row in rows[1:]] == ["CB-BT1", "CB-BT2", "QU-BT"]
    total = dict(zip(rows[0], rows[3], strict=True))
    assert total["Dòng"] == "tổng"
    assert (total["Đảng viên"], total["Phải nộp cam kết"], total["Đã nộp"]) == ("7", "6", "2")
    assert total["Tỷ lệ nộp"] == "0.3333"
    assert total["Được mời"] == "17" and total["Có mặt"] == "9"
    assert total["Hoàn thành xuất sắc nhiệm vụ"] == "1" and total["Chưa xếp loại"] == "5"
    assert not any(has_control_characters(cell) for row in rows for cell in row)


async def test_the_command_line(
    scenario: Scenario, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DB", str(db_path))

    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    assert await cli("report", "--unit", "CB-BT1", "--year", "2026", "--quarter", "1") == 0
    out = capsys.readouterr().out
    assert out.startswith("Báo cáo: Chi bộ Khu phố Đông Hưng — quý I/2026\n")
    assert "<b>" not in out and "Chi bộ Khu phố Đông Hưng: nộp cam kết 100%" in out
    assert await cli("report", "--year", "2026", "--half", "1", "--format", "csv") == 0
    written = tmp_path / "bao-cao-2026-h1-thanh-uy-phu-sa-thu-nghiem.csv"
    assert written.exists() and str(written.name) in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(written.read_bytes().decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["QU-HL", "QU-BT", "TU-DEMO"]
    out_file = tmp_path / "out" / "q.csv"
    assert await cli("report", "--unit", "QU-HL", "--format", "csv", "--out", str(out_file)) == 0
    assert out_file.exists()
    capsys.readouterr()
    assert await cli("report", "--unit", "NOWHERE", "--year", "2026") == 2
    err = capsys.readouterr().err.strip()
    assert "NOWHERE" in err and len(err.splitlines()) == 1
    assert await cli("report", "--unit", "QU-BT", "--year", "1999") == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
