"""bot/rules/reports.py: report periods and their codes, the meeting rule as held against
due, the months of the trend, the order of units."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.rules import reports as rules
from bot.rules.sessions import cadence
from bot.services.reports.model import Period


@pytest.mark.parametrize(
    ("part", "start", "end", "label"),
    [
        (None, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("H1", date(2026, 1, 1), date(2026, 6, 30), "2026-H1"),
        ("h2", date(2026, 7, 1), date(2026, 12, 31), "2026-H2"),
        ("Q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (" q2 ", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        ("Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("M02", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("m2", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("M12", date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("y", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_periods(part: str | None, start: date, end: date, label: str) -> None:
    period = rules.period(2026, part)
    assert period == Period(2026, start, end, label)


def test_a_leap_february() -> None:
    assert rules.period(2028, "M02").end == date(2028, 2, 29)


@pytest.mark.parametrize("part", ["H3", "Q0", "Q5", "M00", "M13", "2026", "quý 1", "H", "-1"])
def test_anything_else_is_refused_plainly(part: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.period(2026, part)
    assert "H1" in refused.value.render()


@pytest.mark.parametrize("year", [1999, 2101, 0, -5])
def test_years_out_of_range(year: int) -> None:
    with pytest.raises(InvalidInput):
        rules.period(year)


def test_codes_go_both_ways() -> None:
    for part in (None, *rules.PARTS):
        period = rules.period(2026, part)
        code = rules.part_code(period)
        assert code in rules.PART_CODES
        assert rules.from_code(2026, code) == period
        assert rules.part_of(period) == part


def test_bounds_are_local_days() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    since, until = rules.bounds(rules.period(2026, "Q1"), tz)
    assert since == datetime(2026, 1, 1, tzinfo=tz)
    assert until == datetime(2026, 4, 1, tzinfo=tz)
    assert until - since == timedelta(days=90)


def test_trend_months_stop_at_today() -> None:
    year = rules.period(2026)
    assert rules.trend_months(year, date(2026, 3, 10)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert rules.trend_months(rules.period(2026, "Q3"), date(2026, 3, 10)) == []
    assert len(rules.trend_months(rules.period(2025), date(2026, 3, 10))) == 12


def test_held_against_due() -> None:
    """Jan held twice, Feb none, Mar none yet (current month); a thematic in Q1."""
    held = [
        ("regular", date(2026, 1, 5)),
        ("regular", date(2026, 1, 25)),  # two in one month never make up for another
        ("thematic", date(2026, 2, 10)),
    ]
    found = cadence(held, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 10))
    assert rules.held_and_due(found) == (1, 2, 1, 1)
    # The current month counts once its meeting is held.
    held.append(("regular", date(2026, 3, 2)))
    found = cadence(held, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 10))
    assert rules.held_and_due(found) == (2, 3, 1, 1)
    # A period all in the past: everything is due.
    found = cadence([], date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 10))
    assert rules.held_and_due(found) == (0, 12, 0, 4)


def test_units_sort_by_vietnamese_letters_and_numbers() -> None:
    names = ["Chi bộ Khu vực 10", "Chi bộ Ấp Mỹ Khánh", "Chi bộ Khu vực 2", "Chi bộ Đông Hưng"]
    assert sorted(names, key=rules.unit_key) == [
        "Chi bộ Ấp Mỹ Khánh",
        "Chi bộ Đông Hưng",
        "Chi bộ Khu vực 2",
        "Chi bộ Khu vực 10",
    ]
