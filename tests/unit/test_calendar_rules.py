"""bot/rules/calendar.py: when a day falls (Giỗ Tổ Hùng Vương from the holidays package's
lunar tables), the anniversary wording, the reminder time, and what a board types."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.rules import calendar as rules

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2025, date(2025, 4, 7)), (2026, date(2026, 4, 26)), (2027, date(2027, 4, 16))],
)
def test_hung_kings_day_is_the_tenth_of_the_third_lunar_month(year: int, expected: date) -> None:
    assert rules.hung_kings_day(year) == expected
    assert rules.occurrence_in("lunar", 3, 10, year) == expected


def test_the_observed_day_off_is_not_the_day() -> None:
    # In 2026 the day falls on a Sunday; the Monday off is "(observed)".
    assert rules.hung_kings_day(2026) == date(2026, 4, 26)


def test_next_occurrence_of_the_lunar_day_crosses_the_year() -> None:
    assert rules.next_occurrence("lunar", 3, 10, date(2025, 4, 7)) == date(2025, 4, 7)
    assert rules.next_occurrence("lunar", 3, 10, date(2025, 4, 8)) == date(2026, 4, 26)
    assert rules.next_occurrence("lunar", 3, 10, date(2026, 12, 31)) == date(2027, 4, 16)


def test_next_occurrence_of_a_solar_day() -> None:
    assert rules.next_occurrence("solar", 2, 3, date(2026, 1, 20)) == date(2026, 2, 3)
    assert rules.next_occurrence("solar", 2, 3, date(2026, 2, 3)) == date(2026, 2, 3)
    assert rules.next_occurrence("solar", 2, 3, date(2026, 2, 4)) == date(2027, 2, 3)
    assert rules.next_occurrence("solar", 12, 22, date(2026, 12, 23)) == date(2027, 12, 22)
    # 29 February falls on the 28th in a common year, so it is never skipped.
    assert rules.next_occurrence("solar", 2, 29, date(2026, 1, 1)) == date(2026, 2, 28)
    assert rules.next_occurrence("solar", 2, 29, date(2027, 3, 1)) == date(2028, 2, 29)


def test_anniversary_count_and_wording() -> None:
    assert rules.anniversary(1930, 2026) == 96
    assert rules.anniversary(None, 2026) is None
    assert rules.anniversary(2026, 2026) is None
    name = "Ngày thành lập Đảng Cộng sản Việt Nam"
    assert rules.anniversary_text(name, 96, "vi") == f"96 năm {name}"
    assert (
        rules.anniversary_text("Party Founding Day", 96, "en")
        == "Party Founding Day (96th anniversary)"
    )
    assert rules.anniversary_text("Giỗ Tổ Hùng Vương", None, "vi") == "Giỗ Tổ Hùng Vương"
    assert [rules.ordinal_en(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
        "112th",
    ]  # fmt: skip
    assert rules.is_round(80) and not rules.is_round(96) and not rules.is_round(None)


def test_the_name_in_the_reader_language() -> None:
    assert rules.day_name("Ngày Quốc khánh", "National Day", "en") == "National Day"
    assert rules.day_name("Ngày Quốc khánh", "National Day", "vi") == "Ngày Quốc khánh"
    assert rules.day_name("Ngày Quốc khánh", "", "en") == "Ngày Quốc khánh"


def test_reminder_at_eight_in_the_morning_local_time() -> None:
    at = rules.reminder_at(date(2026, 2, 3), 7, TZ)
    assert at == datetime(2026, 1, 27, 8, 0, tzinfo=TZ)
    assert rules.reminder_at(date(2026, 1, 3), 7, TZ) == datetime(2025, 12, 27, 8, 0, tzinfo=TZ)
    assert rules.reminder_at(date(2026, 2, 3), 0, TZ).date() == date(2026, 2, 3)


def test_what_a_board_types() -> None:
    assert rules.parse_day_month("03/02") == (3, 2)
    assert rules.parse_day_month(" 3-2 ") == (3, 2)
    assert rules.parse_day_month("29.2") == (29, 2)
    for bad in ("31/04", "0/1", "1/13", "abc", "²/2", "1/2/2026", ""):
        with pytest.raises(InvalidInput):
            rules.parse_day_month(bad)
    assert rules.clean_name("  Ngày   truyền thống  ") == "Ngày truyền thống"
    assert rules.clean_name("-", required=False) == ""
    for bad in ("ab", "x" * 151, "Ngày\u0007"):
        with pytest.raises(InvalidInput):
            rules.clean_name(bad)
    assert rules.check_origin_year(1930, 2026) == 1930
    assert rules.check_origin_year(None, 2026) is None
    for bad in (999, 2027):
        with pytest.raises(InvalidInput):
            rules.check_origin_year(bad, 2026)
    assert rules.check_remind_days(0) == 0 and rules.check_remind_days(60) == 60
    for bad in (-1, 61):
        with pytest.raises(InvalidInput):
            rules.check_remind_days(bad)
