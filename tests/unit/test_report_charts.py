"""The report charts: valid PNGs of a bounded size, Vietnamese glyphs drawn from the font that
ships with matplotlib (a missing glyph fails the test), hostile unit names drawn as plain text,
an empty report drawn as "no figures yet", many units capped, nothing left behind."""

from __future__ import annotations

import gc
import io
import logging
import struct
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import pytest

from bot import i18n
from bot.render import report_charts
from bot.render.report_charts import (
    FONT,
    MAX_BARS,
    label,
    overview_chart,
    percent,
    period_title,
    trend_chart,
)
from bot.services.reports.model import Figures, MonthAttendance, Overview, Period
from storage.records import Unit

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VIETNAMESE = "Đảng ủy phường Ninh Kiều: Chi bộ Ấp Mỹ Khánh, Trường Ượ Ửu Ỹ ỵ Ặ ặ Ễ Ộ Ờ Ự"
H1 = Period(2026, date(2026, 1, 1), date(2026, 6, 30), "2026-H1")


def _unit(number: int, name: str, kind: str = "cell") -> Unit:
    return Unit(number, f"U{number}", name, kind, 1, f"/1/{number}/")


def _overview(count: int, name: str = "Chi bộ Khu vực {n}", months: int = 6) -> Overview:
    rows = [
        Figures(
            _unit(n + 2, name.format(n=n)),
            members=20,
            expected=20,
            filed=(n * 7) % 21,
            invited=40,
            present=(n * 13) % 41,
        )
        for n in range(count)
    ]
    total = Figures(
        _unit(1, "Đảng ủy phường Ninh Kiều", "committee"),
        expected=20 * count,
        filed=sum(r.filed for r in rows),
        invited=40 * count,
        present=sum(r.present for r in rows),
    )
    trend = [MonthAttendance(date(2026, m, 1), 30, 30 - 2 * m) for m in range(1, months + 1)]
    return Overview(H1, total, rows, trend)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def _valid(data: bytes, max_width: int = 1200, max_height: int = 1400) -> tuple[int, int]:
    width, height = png_size(data)
    assert 300 <= width <= max_width and 200 <= height <= max_height
    from PIL import Image  # Pillow comes with matplotlib

    with Image.open(io.BytesIO(data)) as image:
        image.verify()  # the whole stream, CRCs included
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (width, height)
        assert image.format == "PNG"
    return width, height


@pytest.fixture
def strict_glyphs(caplog: pytest.LogCaptureFixture):
    """Every warning is an error (matplotlib warns "Glyph ... missing from font(s)"), and
    matplotlib's own log must stay silent (font fallbacks are logged, not warned)."""
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")], caplog.text


def test_the_font_ships_with_matplotlib_and_has_the_vietnamese_glyphs() -> None:
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = Path(font_manager.findfont(FONT, fallback_to_default=False))
    assert path.is_relative_to(Path(matplotlib.get_data_path()))  # not a system font
    font = FT2Font(str(path))
    for char in sorted(set(VIETNAMESE.replace(" ", ""))):
        assert font.get_char_index(ord(char)), f"{char!r} is missing from {path.name}"


def test_the_overview_chart_is_a_png_of_bounded_size(strict_glyphs: None) -> None:
    width, height = _valid(overview_chart(_overview(8)))
    assert width == 1200 and height < width


def test_vietnamese_names_render_without_a_missing_glyph(strict_glyphs: None) -> None:
    overview = _overview(5, name=VIETNAMESE + " {n}")
    _valid(overview_chart(overview))
    _valid(trend_chart(overview))
    with i18n.use_locale("vi"):  # the titles in Vietnamese too
        _valid(overview_chart(overview))
        _valid(trend_chart(overview))


def test_hostile_unit_names_are_drawn_as_plain_text(strict_glyphs: None) -> None:
    # As mathtext, "$\frac{$" would raise; markup and control characters are just text.
    overview = _overview(3, name="<b>&amp; $\\frac{{$ Đ\x07 {n}</b>")
    _valid(overview_chart(overview))
    _valid(trend_chart(overview))
    assert label("<b>&\x07 $x$") == "<b>& $x$"


def test_an_empty_overview_is_a_clear_no_data_image(strict_glyphs: None) -> None:
    empty = Overview(H1, Figures(_unit(1, "Chi bộ Khu vực 1")), [], [])
    for chart in (overview_chart(empty), trend_chart(empty)):
        width, height = _valid(chart)
        assert (width, height) == (800, 260)  # the "no figures" card, not an empty frame
    months_without_meetings = Overview(
        H1, empty.total, [], [MonthAttendance(date(2026, 1, 1), 0, 0)]
    )
    assert png_size(trend_chart(months_without_meetings)) == (800, 260)


def test_a_cell_is_drawn_as_its_own_bar(strict_glyphs: None) -> None:
    cell = Figures(_unit(5, "Chi bộ Khu vực 1"), expected=9, filed=9, invited=18, present=15)
    chart = overview_chart(Overview(H1, cell, [], []))
    assert png_size(chart)[0] == 1200


def test_many_units_are_capped_and_the_figure_stays_small(strict_glyphs: None) -> None:
    few, many = _overview(MAX_BARS), _overview(150)
    assert png_size(overview_chart(many)) == png_size(overview_chart(few))
    _valid(overview_chart(many))
    _valid(trend_chart(_overview(150, months=12)))


def test_the_trend_leaves_months_without_meetings_blank(strict_glyphs: None) -> None:
    overview = _overview(3)
    trend = list(overview.trend)
    trend[2] = MonthAttendance(date(2026, 3, 1), 0, 0)
    _valid(trend_chart(Overview(H1, overview.total, overview.rows, trend)))


def test_percentages_are_rounded_down_and_periods_named() -> None:
    assert percent(0.996) == "99%" and percent(1.0) == "100%" and percent(0.29) == "29%"
    with i18n.use_locale("en"):
        assert period_title(H1) == "First half of 2026"
        assert period_title(Period(2026, date(2026, 1, 1), date(2026, 12, 31), "2026")) == (
            "Year 2026"
        )
        assert period_title(Period(2026, date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")) == (
            "Quarter 3/2026"
        )
    with i18n.use_locale("vi"):
        assert period_title(H1) == "6 tháng đầu năm 2026"
        assert period_title(Period(2026, date(2026, 5, 1), date(2026, 5, 31), "2026-05")) == (
            "Tháng 5/2026"
        )


def test_long_names_lose_their_middle() -> None:
    name = "Chi bộ Trường Trung học cơ sở Nguyễn Văn Trỗi số 12"
    shown = label(name)
    assert len(shown) <= report_charts.LABEL_MAX
    assert shown.startswith("Chi bộ Trường") and shown.endswith("số 12") and "…" in shown


def test_charts_leave_nothing_behind() -> None:
    from matplotlib.figure import Figure

    overview = _overview(30)
    for _ in range(5):
        overview_chart(overview)
        trend_chart(overview)
    gc.collect()
    alive = [obj for obj in gc.get_objects() if isinstance(obj, Figure)]
    assert not alive, f"{len(alive)} figures outlived their chart"
    assert "matplotlib.pyplot" not in sys.modules  # no global figure registry in play


def test_matplotlib_is_not_imported_until_a_chart_is_drawn() -> None:
    code = (
        "import sys, bot.app, bot.render.report_charts, handlers.reports.files_send, bot.cli; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at start'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
