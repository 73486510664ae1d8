"""Every typed date falls in the years 2000 to 2100 (the campaign years the schema allows):
years 0 and 9999 used to raise ValueError or OverflowError further down."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.i18n import use_locale
from bot.parsing import check_date, parse_date, parse_datetime
from bot.rules.sessions import parse_period

TODAY = date(2026, 3, 10)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    "text",
    ["9999", "0000", "1999", "2101", "Q1/0000", "Q4/9999", "1/0000", "12/9999",
     "31/12/9999-31/12/9999", "1/1/2026-1/1/9999", "01/01/0001-31/12/2026"],
)  # fmt: skip
def test_periods_outside_the_years_are_refused_saying_which_years(text: str) -> None:
    with use_locale("en"):
        with pytest.raises(InvalidInput) as refused:
            parse_period(text, TODAY)
        assert "outside the years 2000 to 2100" in refused.value.render()


@pytest.mark.parametrize("text", ["31/12/9999", "1/1/0026", "0000-01-01", "9999-12-31", "1/1/1999"])
def test_dates_outside_the_years_are_refused(text: str) -> None:
    with use_locale("vi"):
        with pytest.raises(InvalidInput) as refused:
            parse_date(text, default_year=2026)
        assert "từ 2000 đến 2100" in refused.value.render()


def test_a_session_at_the_end_of_year_9999_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_datetime("31/12/9999 23:30", tz=TZ, default_year=2026)
    moment = parse_datetime("31/12/2100 23:30", tz=TZ, default_year=2026)
    assert moment.year == 2100


def test_the_years_at_the_edges_are_accepted() -> None:
    assert parse_period("2000", TODAY) == (date(2000, 1, 1), date(2000, 12, 31))
    assert parse_period("Q4/2100", TODAY) == (date(2100, 10, 1), date(2100, 12, 31))
    assert parse_date("1/1/00", default_year=2026) == date(2000, 1, 1)
    assert check_date(date(2100, 12, 31)) == date(2100, 12, 31)
    with pytest.raises(InvalidInput):
        check_date(date(9999, 12, 31))
