"""``cadrebot report --format xlsx|png``: the workbook (XLSX) and the chart (PNG) of a
unit's report, written where the operator says, in the configured language."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import EXIT_OK
from bot.rules.reports import period as _period
from tests.unit.test_cli import cli, cli_db, loaded  # noqa: F401 (fixtures)
from tests.unit.test_report_charts import png_size

pytestmark = pytest.mark.usefixtures("loaded")


def test_the_workbook_of_a_committee(cli, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "files" / "report.xlsx"
    code, stdout, stderr = cli(
        "report", "--unit", "QU-BT", "--year", "2026", "--half", "1",
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
        "report", "--unit", "NOWHERE", "--year", "2026", "--format", "xlsx",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2 and "NOWHERE" in stderr and not out.exists()
    code, _, stderr = cli(
        "report", "--unit", "QU-BT", "--year", "26", "--format", "png", "--out", str(out)
    )
    assert code == 2 and stderr.strip() and not out.exists()


def test_the_periods() -> None:
    assert (_period(2026).start, _period(2026).end, _period(2026).label) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "2026",
    )
    first, second = _period(2026, "H1"), _period(2026, "H2")
    assert (first.end, first.label) == (date(2026, 6, 30), "2026-H1")
    assert (second.start, second.label) == (date(2026, 7, 1), "2026-H2")


@pytest.mark.parametrize("chart", ["units", "trend"])
def test_the_chart_of_a_committee(cli, tmp_path: Path, chart: str) -> None:  # noqa: F811
    out = tmp_path / f"{chart}.png"
    code, _, stderr = cli(
        "report", "--unit", "TU-DEMO", "--year", "2026", "--format", "png",
        "--chart", chart, "--out", str(out),
    )  # fmt: skip
    assert code == EXIT_OK, stderr
    width, height = png_size(out.read_bytes())
    assert width <= 1200 and height <= 1400
