"""``cadrebot report-file``: the workbook (XLSX) and the chart (PNG) of a unit's report,
written where the operator says, in the configured language."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import EXIT_OK, build_parser
from bot.cli_reports import period_of
from bot.context import Services
from tests.unit.test_cli import cli, cli_db, loaded  # noqa: F401 (fixtures)
from tests.unit.test_report_charts import png_size

pytestmark = pytest.mark.usefixtures("loaded")


def test_the_workbook_of_a_committee(cli, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "files" / "report.xlsx"
    code, stdout, stderr = cli(
        "report-file", "--unit", "QU-BT", "--year", "2026", "--half", "1",
        "--format", "xlsx", "--out", str(out),
    )  # fmt: skip
    assert code == EXIT_OK, stderr
    assert stdout.startswith("bao-cao-2026-h1-quan-uy-ben-tre-xanh.xlsx: ")
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == [
        "Đảng viên",
        "Cam kết",
        "Điểm danh",
        "Buổi sinh hoạt",
        "Tin bài",
        "Xếp loại",
    ]
    members = list(book["Đảng viên"].iter_rows(min_row=2, values_only=True))
    # QU-BT itself (DV010), CB-BT1 (DV001-DV004), CB-BT2 (DV005-DV007): DV006 once.
    assert [row[2] for row in members] == [
        "DV010",
        "DV003",
        "DV002",
        "DV004",
        "DV001",
        "DV007",
        "DV005",
        "DV006",
    ]


def test_a_wrong_unit_or_year_is_a_usage_error(cli, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "report.xlsx"
    code, _, stderr = cli(
        "report-file", "--unit", "NOWHERE", "--year", "2026", "--format", "xlsx",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2 and "NOWHERE" in stderr and not out.exists()
    with pytest.raises(SystemExit) as bad:
        build_parser().parse_args(
            ["report-file", "--unit", "QU-BT", "--year", "26", "--format", "png", "--out", "x"]
        )
    assert bad.value.code == 2


def test_the_periods() -> None:
    assert period_of(2026) == period_of(2026, None)
    assert (period_of(2026).start, period_of(2026).end, period_of(2026).label) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "2026",
    )
    first, second = period_of(2026, 1), period_of(2026, 2)
    assert (first.end, first.label) == (date(2026, 6, 30), "2026-H1")
    assert (second.start, second.label) == (date(2026, 7, 1), "2026-H2")


@pytest.mark.parametrize("chart", ["units", "trend"])
def test_the_chart_of_a_committee(cli, tmp_path: Path, chart: str) -> None:  # noqa: F811
    if "reports" not in {field.name for field in dataclasses.fields(Services)}:
        pytest.skip("the report service (ReportService as services.reports) is not merged yet")
    out = tmp_path / f"{chart}.png"
    code, _, stderr = cli(
        "report-file", "--unit", "TU-DEMO", "--year", "2026", "--format", "png",
        "--chart", chart, "--out", str(out),
    )  # fmt: skip
    assert code == EXIT_OK, stderr
    width, height = png_size(out.read_bytes())
    assert width <= 1200 and height <= 1400


def test_the_chart_draws_what_the_report_service_gives(
    cli,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever service computes the overview, the CLI asks it for (None, unit, period)
    (no actor: the operator) and draws it; here a stand-in gives a hand-made one."""
    import bot.app
    from bot.services.reports.model import Figures, MonthAttendance, Overview

    asked: list[tuple] = []

    class Reports:
        async def overview(self, actor, unit, period):  # type: ignore[no-untyped-def]
            asked.append((actor, unit.code, period.label))
            rows = [Figures(unit, expected=4, filed=3, invited=8, present=6)]
            trend = [MonthAttendance(date(2026, m, 1), 8, 6) for m in (7, 8, 9)]
            return Overview(period, rows[0], rows, trend)

    build = bot.app.build_services

    def with_reports(*args, **kwargs):  # type: ignore[no-untyped-def]
        services = build(*args, **kwargs)
        services.reports = Reports()  # type: ignore[attr-defined]
        return services

    monkeypatch.setattr(bot.app, "build_services", with_reports)
    for chart in ("units", "trend"):
        out = tmp_path / f"{chart}.png"
        code, stdout, stderr = cli(
            "report-file", "--unit", "CB-BT1", "--year", "2026", "--half", "2",
            "--format", "png", "--chart", chart, "--out", str(out),
        )  # fmt: skip
        assert code == EXIT_OK, stderr
        assert stdout.startswith(f"{chart}.png: ")
        assert png_size(out.read_bytes())[0] <= 1200
    assert asked == [(None, "CB-BT1", "2026-H2")] * 2
