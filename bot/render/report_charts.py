"""The committees' report as charts (PNG, sent with sendPhoto): per child unit, the share of
members who filed their commitment and the attendance rate, as horizontal bars against their
targets; and the month-by-month attendance of the period as a line.

- **Backend and font.** matplotlib is imported only when a chart is drawn (the bot starts,
  and most tests run, without paying for it). Figures are built with the object API on an
  explicit Agg canvas, never through pyplot: nothing is registered globally, so nothing
  outlives the call. The font is DejaVu Sans, which ships inside matplotlib and has every
  Vietnamese glyph ("Đảng ủy", "Ượ"); see ``tests/unit/test_report_charts.py``.
- **Hostile names.** A unit name is drawn as plain text: no mathtext (``$...$``), control
  characters stripped, long names shortened.
- **Size.** 1200 px wide at most. Beyond :data:`MAX_BARS` units a panel shows the lowest
  ones, the units that need attention, and says so under the chart.
- **Threads.** CPU work: the bot calls these in a worker thread. matplotlib's font and text
  caches are not made for concurrent drawing, so one lock serialises the drawing itself.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.i18n import gettext
from bot.render.text import strip_control

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bot.services.reports.model import Overview, Period

# The targets drawn on the bars: every expected member files a commitment; and the share of
# invited members (the exempt left out) present at the meetings held. The plan sets no
# number for attendance; 90% is the line committees commonly hold cells to.
COMMITMENT_TARGET = 1.0
ATTENDANCE_TARGET = 0.9

MAX_BARS = 25  # per panel; a committee with more child units sees its lowest ones
LABEL_MAX = 34  # characters of a unit's name on the axis
DPI = 100
WIDTH_IN = 12.0  # 1200 px
FONT = "DejaVu Sans"  # ships with matplotlib: no system font needed
BELOW, REACHED, NO_DATA, TARGET = "#d9822b", "#2e7d32", "#9e9e9e", "#c62828"
PNG_MIME = "image/png"

_lock = threading.Lock()


def _canvas(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (matplotlib imported here, on first use)."""
    import matplotlib

    matplotlib.use("Agg")  # whatever MPLBACKEND says; pyplot is never used anyway
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [FONT],
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.fonttype": "none",
        }
    )


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    figure.clear()  # drop the artists now rather than at the next collection
    return buffer.getvalue()


def label(name: str, limit: int = LABEL_MAX) -> str:
    """A name as drawn: one line, no control characters, at most ``limit`` characters. A
    longer one loses its middle, not its end: sibling units often differ only there
    ("Chi bộ Khu vực 1", "Chi bộ Khu vực 12")."""
    text = " ".join(strip_control(name).split())
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - tail - 1].rstrip() + "…" + text[-tail:].lstrip()


def percent(rate: float) -> str:
    """``87%``, rounded down: a unit at 99.6% has not reached 100%."""
    return f"{math.floor(rate * 100 + 1e-9)}%"


def period_title(period: Period) -> str:
    """The period in words: ``Năm 2026``, ``6 tháng đầu năm 2026``, ``Quý 3/2026``,
    ``Tháng 5/2026``; other periods as their two dates."""
    head, _, tail = period.label.partition("-")
    if not tail:
        return gettext("Year {year}").format(year=period.year)
    if tail in ("H1", "H2"):
        text = gettext("First half of {year}") if tail == "H1" else gettext("Second half of {year}")
        return text.format(year=period.year)
    if tail.startswith("Q") and tail[1:].isdigit():
        return gettext("Quarter {quarter}/{year}").format(quarter=int(tail[1:]), year=head)
    if tail.isdigit():
        return gettext("Month {month}/{year}").format(month=int(tail), year=head)
    return f"{period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}"


def _title(overview: Overview) -> str:
    return f"{label(overview.total.unit.name, 80)} · {period_title(overview.period)}"


# The bars ---------------------------------------------------------------------------------


def overview_chart(overview: Overview) -> bytes:
    """Two panels side by side, commitments filed and attendance, one bar per child unit
    (the unit itself when it has none), the lowest first, with the target line."""
    units = overview.rows or [overview.total]
    panels = [
        (
            gettext("Commitments filed (target {target})").format(
                target=percent(COMMITMENT_TARGET)
            ),
            [(unit.unit.name, unit.filed_rate) for unit in units],
            COMMITMENT_TARGET,
        ),
        (
            gettext("Attendance (target {target})").format(target=percent(ATTENDANCE_TARGET)),
            [(unit.unit.name, unit.attendance_rate) for unit in units],
            ATTENDANCE_TARGET,
        ),
    ]
    if all(rate is None for _, bars, _ in panels for _, rate in bars):
        return no_data_chart(_title(overview))
    shown = min(len(units), MAX_BARS)
    with _lock, _style():
        figure = _canvas(WIDTH_IN, max(3.6, 1.5 + 0.3 * shown))
        axes = figure.subplots(1, 2)
        for ax, (heading, bars, target) in zip(axes, panels, strict=True):
            _bars(ax, heading, bars, target)
        figure.suptitle(_title(overview), fontweight="bold", parse_math=False)
        if len(units) > MAX_BARS:
            figure.supxlabel(
                gettext("The {shown} lowest of {total} units are shown.").format(
                    shown=MAX_BARS, total=len(units)
                ),
                fontsize=9,
                color="#555555",
                parse_math=False,
            )
        return _png(figure)


def _bars(ax: Axes, heading: str, bars: Sequence[tuple[str, float | None]], target: float) -> None:
    from matplotlib.ticker import PercentFormatter

    # The lowest first (what needs attention), units without figures last.
    ordered = sorted(bars, key=lambda bar: (bar[1] is None, bar[1] or 0.0, bar[0]))[:MAX_BARS]
    positions = range(len(ordered))
    values = [rate or 0.0 for _, rate in ordered]
    colours = [
        NO_DATA if rate is None else REACHED if rate >= target - 1e-9 else BELOW
        for _, rate in ordered
    ]
    ax.barh(positions, values, color=colours, height=0.7)
    ax.set_yticks(
        list(positions), [label(name) for name, _ in ordered], parse_math=False, fontsize=9
    )
    ax.invert_yaxis()  # the first (lowest) at the top
    top = max([1.0, *values])
    ax.set_xlim(0, top * 1.14)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.axvline(target, color=TARGET, linestyle="--", linewidth=1.2)
    for position, (_, rate) in zip(positions, ordered, strict=True):
        text = gettext("no data") if rate is None else percent(rate)
        ax.text(
            (rate or 0.0) + top * 0.01,
            position,
            text,
            va="center",
            fontsize=8,
            color=NO_DATA if rate is None else "#222222",
            parse_math=False,
        )
    ax.set_title(heading, loc="left", parse_math=False)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)


# The trend --------------------------------------------------------------------------------


def trend_chart(overview: Overview) -> bytes:
    """The attendance rate month by month over the period, with the target line; a month
    without meetings held is a gap, not a zero."""
    months = overview.trend
    if not any(month.rate is not None for month in months):
        return no_data_chart(_title(overview))
    with _lock, _style():
        from matplotlib.ticker import PercentFormatter

        figure = _canvas(min(WIDTH_IN, 4.0 + 0.6 * len(months)), 4.8)
        ax = figure.subplots()
        positions = list(range(len(months)))
        values = [math.nan if month.rate is None else month.rate for month in months]
        ax.plot(positions, values, marker="o", color="#1565c0", linewidth=2)
        for position, month in zip(positions, months, strict=True):
            if month.rate is not None:
                ax.annotate(
                    percent(month.rate),
                    (position, month.rate),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                )
        ax.axhline(ATTENDANCE_TARGET, color=TARGET, linestyle="--", linewidth=1.2)
        ax.set_xticks(positions, [f"{month.month:%m/%Y}" for month in months], fontsize=9)
        ax.set_xlim(-0.5, len(months) - 0.5)
        ax.set_ylim(0, 1.1)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.set_title(
            gettext("Attendance by month (target {target})").format(
                target=percent(ATTENDANCE_TARGET)
            ),
            loc="left",
        )
        figure.suptitle(_title(overview), fontweight="bold", parse_math=False)
        missing = sum(month.rate is None for month in months)
        if missing:
            figure.supxlabel(
                gettext("Months without meetings held are left blank: {count}.").format(
                    count=missing
                ),
                fontsize=9,
                color="#555555",
            )
        return _png(figure)


def no_data_chart(title: str) -> bytes:
    """A small image saying there is nothing to draw yet, rather than an empty frame."""
    with _lock, _style():
        figure = _canvas(8.0, 2.6)
        figure.text(0.5, 0.68, label(title, 90), ha="center", fontweight="bold", parse_math=False)
        figure.text(
            0.5,
            0.38,
            gettext("No figures for this period yet."),
            ha="center",
            fontsize=12,
            color="#555555",
        )
        return _png(figure)
