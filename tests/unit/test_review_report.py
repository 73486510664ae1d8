"""The figures section of a committee's sơ kết / tổng kết (issue 12): the periods compared,
the figures against the period before, the grassroots organisations' grades against the 20%
rule, the DOCX read back, the scope, and the CLI. Built on report_support's organisation,
whose figures are worked out by hand (tests/unit/test_reports_service.py)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from bot.context import Services
from bot.errors import AccessDenied, InvalidInput
from bot.render.review_report import (
    build_review,
    percent,
    period_name,
    review_docx,
    review_file_name,
    signed,
)
from bot.rules import reports as report_rules
from bot.rules.review import change, previous_part, review_part
from bot.services.reports.review import review_report
from tests.conftest import Organisation
from tests.unit.report_support import Scenario, build


@pytest.fixture
async def scenario(setup: Services, org: Organisation, clock) -> Scenario:
    return await build(setup, org, clock)


def test_a_review_is_compared_with_the_period_before() -> None:
    assert review_part(None) is None and review_part(1) == "H1"
    assert previous_part(2026, None) == (2025, None)
    assert previous_part(2026, "H1") == (2025, "H2")
    assert previous_part(2026, "H2") == (2026, "H1")
    with pytest.raises(InvalidInput):
        review_part(3)
    assert change(0.5, 0.25) == 0.25 and change(None, 0.1) is None


def test_figures_as_vietnamese_documents_write_them() -> None:
    assert percent(0.875) == "87,5%" and percent(0.5) == "50%" and percent(None) == "—"
    assert signed(3) == "+3" and signed(-2) == "−2" and signed(0) == "0"
    assert signed(0.025, share=True) == "+2,5 điểm %"
    assert signed(None) == "—"
    assert period_name(report_rules.period(2026, "H1")) == "6 tháng đầu năm 2026"
    assert period_name(report_rules.period(2026)) == "năm 2026"


async def test_the_year_end_review_of_the_city_checks_the_20_percent_rule(
    scenario: Scenario,
) -> None:
    services = scenario.services
    report = await review_report(services.reports, None, "TU-DEMO", 2026, None, "Phù Sa")
    assert report.year_end and report.period.label == "2026"
    assert report.before.period.label == "2025"
    assert report.now.total.expected == 9 and report.before.total.expected == 0  # no 2025
    # The cells decide for themselves (their committees are not grassroots committees):
    # CB-BT1 has one "excellent" and no "good", above 20% of "good"; CB-HL1 one "good".
    tallies = {o.unit.code: o.tally for o in report.organisations}
    assert tallies["CB-BT1"].excellent == 1 and tallies["CB-BT1"].over_cap
    assert tallies["CB-HL1"].good == 1 and not tallies["CB-HL1"].over_cap
    assert "CB-BT2" not in tallies or tallies["CB-BT2"].total == 0

    document = Document(io.BytesIO(review_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text
    assert "Số liệu tổng kết năm 2026 việc học tập và làm theo tư tưởng" in text
    assert "so sánh với năm 2025" in text
    assert "[Phần cấp ủy viết: ưu điểm, hạn chế, nguyên nhân]" in text
    assert "vượt quá 20%" in text and "Chi bộ Khu phố Đông Hưng" in text
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["Đảng viên phải lập cam kết", "9", "0", "+9"] in cells
    grade_rows = [row for row in cells if row and row[0] == "Chi bộ Khu phố Đông Hưng"]
    assert any(row[-1] == "1/0 (vượt)" for row in grade_rows)
    assert review_file_name(report) == "tong-ket-2026-TU-DEMO.docx"


async def test_a_half_year_review_has_no_grades_and_compares_with_the_half_before(
    scenario: Scenario,
) -> None:
    services = scenario.services
    report = await review_report(services.reports, None, "QU-BT", 2026, 1, None)
    assert not report.year_end and report.organisations == []
    assert report.before.period.label == "2025-H2"
    doc = build_review(report)
    headings = [text for style, text in doc.blocks if style == "heading"]
    assert not any("xếp loại" in str(text).lower() for text in headings)
    assert doc.subtitle.startswith("Số liệu sơ kết 6 tháng đầu năm 2026")
    assert review_file_name(report) == "so-ket-2026-H1-QU-BT.docx"


async def test_a_cell_secretary_cannot_have_the_committees_review(scenario: Scenario) -> None:
    services = scenario.services
    secretary = scenario.people["DV001"]
    with pytest.raises(AccessDenied):
        await review_report(services.reports, secretary, "QU-BT", 2026, None, None)
    own = await review_report(services.reports, secretary, None, 2026, None, None)
    assert own.unit.code == "CB-BT1"


async def test_the_cli_writes_the_review(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    out = tmp_path / "tong-ket.docx"
    db_path = scenario.services.settings.db_path
    code = await _cli(main, db_path, "report", "review", "--unit", "QU-BT", "--year", "2026",
                      "--out", str(out))  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert Document(str(out)).paragraphs
    code = await _cli(main, db_path, "report", "review", "--unit", "NOPE", "--year", "2026")
    assert code == 2 and "Traceback" not in capsys.readouterr().err


async def _cli(main, db_path: Path, *argv: str) -> int:
    import asyncio
    import os

    os.environ["CADREBOT_DB"] = str(db_path)
    try:
        return await asyncio.to_thread(main, list(argv))
    finally:
        del os.environ["CADREBOT_DB"]


def test_dates_are_local_days() -> None:
    period = report_rules.period(2026, "H2")
    assert (period.start, period.end) == (date(2026, 7, 1), date(2026, 12, 31))
