"""bot/rules/reminders.py and bot/rules/reminder_kinds.py: the catalogue, quiet hours and
public holidays (Tết from the holidays package), grace windows, the plans of deadlines and
sessions, the meeting cadence, the year-end weeks, leaders first and the dedup keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.rules import reminders as rules
from bot.rules.reminder_kinds import (
    CATALOGUE,
    MUTABLE,
    URGENT,
    ReminderKind,
    reminds,
    spec_of,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "reminders.md"


def local(*parts: int, tz: ZoneInfo = TZ) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


def no_holidays(day: date) -> bool:
    return False


# The catalogue --------------------------------------------------------------------------------


def test_every_kind_has_a_spec_and_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind in ReminderKind:
        assert CATALOGUE[kind].kind is kind
        assert f"`{kind.value}`" in text, kind


def test_day_based_kinds_have_whole_day_offsets() -> None:
    for spec in CATALOGUE.values():
        if spec.at is not None:
            assert all(offset % timedelta(days=1) == timedelta(0) for offset in spec.offsets)
        assert spec.grace > timedelta(0)


def test_only_the_session_hour_and_check_in_are_urgent() -> None:
    assert {ReminderKind.SESSION_HOUR, ReminderKind.SESSION_CHECKIN} == URGENT


def test_only_session_notices_and_the_weekly_review_may_be_muted() -> None:
    assert {
        ReminderKind.SESSION_SOON,
        ReminderKind.SESSION_HOUR,
        ReminderKind.REVIEW_SELF,
    } == MUTABLE


def test_exempt_members_get_no_session_or_review_reminders() -> None:
    assert not reminds(ReminderKind.SESSION_SOON, "exempt")
    assert not reminds(ReminderKind.SESSION_CHECKIN, "exempt")
    assert not reminds(ReminderKind.REVIEW_SELF, "exempt")
    assert reminds(ReminderKind.SESSION_SOON, "official")
    assert reminds(ReminderKind.COMMITMENT_DUE, "exempt")


def test_a_muted_kind_is_skipped_only_when_it_may_be_muted() -> None:
    muted = {ReminderKind.SESSION_SOON, ReminderKind.COMMITMENT_DUE}
    assert not reminds(ReminderKind.SESSION_SOON, "official", muted)
    assert reminds(ReminderKind.COMMITMENT_DUE, "official", muted)  # mandatory
    assert reminds(ReminderKind.SESSION_HOUR, "official", muted)


def test_spec_of_reads_the_kind_by_name() -> None:
    assert spec_of("session.hour").urgent
    with pytest.raises(ValueError):
        spec_of("session.never")


# Quiet hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(6, 59), True),
        (time(7, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_span_midnight(moment: time, expected: bool) -> None:
    assert rules.in_quiet_hours(moment) is expected


def test_quiet_hours_within_a_day_and_none() -> None:
    noon = (time(12, 0), time(13, 30))
    assert rules.in_quiet_hours(time(12, 30), noon)
    assert not rules.in_quiet_hours(time(13, 30), noon)
    assert not rules.in_quiet_hours(time(23, 0), noon)
    assert not rules.in_quiet_hours(time(3, 0), (time(0, 0), time(0, 0)))


def test_an_evening_reminder_waits_until_the_next_morning() -> None:
    deferred = rules.defer_for_quiet_hours(local(2026, 3, 10, 22, 30), TZ, holidays=no_holidays)
    assert deferred == local(2026, 3, 11, 7, 0)


def test_the_deferral_crosses_the_month_and_the_year() -> None:
    end_of_march = local(2026, 3, 31, 21, 0)
    assert rules.defer_for_quiet_hours(end_of_march, TZ, holidays=no_holidays) == local(
        2026, 4, 1, 7, 0
    )
    new_year = local(2025, 12, 31, 23, 0)
    # 1 January is a public holiday too: the 2nd, at 07:00.
    assert rules.defer_for_quiet_hours(new_year, TZ) == local(2026, 1, 2, 7, 0)


def test_a_reminder_after_midnight_waits_until_that_morning() -> None:
    deferred = rules.defer_for_quiet_hours(local(2026, 3, 11, 2, 15), TZ, holidays=no_holidays)
    assert deferred == local(2026, 3, 11, 7, 0)


def test_an_allowed_moment_is_left_alone() -> None:
    for moment in (local(2026, 3, 11, 7, 0), local(2026, 3, 11, 20, 59)):
        assert rules.defer_for_quiet_hours(moment, TZ, holidays=no_holidays) == moment


def test_the_moment_is_read_in_the_organisations_time_zone() -> None:
    # 15:00 UTC is 22:00 in Viet Nam.
    utc = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    deferred = rules.defer_for_quiet_hours(utc, TZ, holidays=no_holidays)
    assert deferred == local(2026, 3, 11, 7, 0)
    assert deferred.utcoffset() == timedelta(hours=7)


def test_configured_quiet_hours() -> None:
    late = (time(22, 0), time(6, 0))
    moment = local(2026, 3, 10, 21, 30)
    assert rules.defer_for_quiet_hours(moment, TZ, late, holidays=no_holidays) == moment
    assert rules.defer_for_quiet_hours(
        local(2026, 3, 10, 22, 0), TZ, late, holidays=no_holidays
    ) == local(2026, 3, 11, 6, 0)
    noon = (time(12, 0), time(13, 30))
    assert rules.defer_for_quiet_hours(
        local(2026, 3, 10, 12, 5), TZ, noon, holidays=no_holidays
    ) == local(2026, 3, 10, 13, 30)


def test_a_time_zone_with_daylight_saving() -> None:
    # Berlin moves to summer time in the night of 28 to 29 March 2026.
    deferred = rules.defer_for_quiet_hours(
        local(2026, 3, 28, 22, 0, tz=BERLIN), BERLIN, holidays=no_holidays
    )
    assert deferred == local(2026, 3, 29, 7, 0, tz=BERLIN)
    assert deferred.utcoffset() == timedelta(hours=2)
    assert deferred.astimezone(UTC) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        rules.defer_for_quiet_hours(datetime(2026, 3, 10, 22, 0), TZ)


# Public holidays ------------------------------------------------------------------------------


def test_vietnamese_public_holidays_come_from_the_holidays_package() -> None:
    for day in (date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 10), date(2026, 9, 2)):
        assert rules.is_public_holiday(day), day
    assert rules.is_public_holiday(date(2026, 4, 27))  # Giỗ Tổ's day off in lieu
    for day in (date(2027, 2, 11), date(2026, 3, 31), date(2026, 9, 3)):
        assert not rules.is_public_holiday(day), day


def test_tet_2027_pushes_a_reminder_to_the_next_working_morning() -> None:
    # Tết 2027 runs from 4 to 10 February.
    assert rules.defer_for_quiet_hours(local(2027, 2, 6, 10, 0), TZ) == local(2027, 2, 11, 7, 0)


def test_the_evening_before_tet_waits_past_all_of_it() -> None:
    assert rules.defer_for_quiet_hours(local(2027, 2, 3, 22, 0), TZ) == local(2027, 2, 11, 7, 0)


def test_the_last_holiday_evening_waits_for_the_next_morning() -> None:
    assert rules.defer_for_quiet_hours(local(2027, 2, 10, 23, 0), TZ) == local(2027, 2, 11, 7, 0)


def test_national_day_and_its_day_off() -> None:
    assert rules.defer_for_quiet_hours(local(2026, 8, 31, 9, 0), TZ) == local(2026, 9, 3, 7, 0)


def test_another_holiday_calendar_may_be_given() -> None:
    def mondays(day: date) -> bool:
        return day.weekday() == 0

    monday = local(2026, 3, 9, 10, 0)
    assert rules.defer_for_quiet_hours(monday, TZ, holidays=mondays) == local(2026, 3, 10, 7, 0)


def test_a_holiday_with_quiet_hours_within_the_day_resumes_at_seven() -> None:
    noon = (time(12, 0), time(13, 30))
    assert rules.defer_for_quiet_hours(local(2027, 2, 10, 15, 0), TZ, noon) == local(
        2027, 2, 11, 7, 0
    )


# Grace windows ------------------------------------------------------------------------------


def test_stale_only_after_the_grace_window() -> None:
    due = local(2026, 4, 10, 18, 0)
    hour = ReminderKind.SESSION_HOUR
    assert not rules.is_stale(hour, due, due - timedelta(hours=5))
    assert not rules.is_stale(hour, due, due + timedelta(minutes=59))
    assert not rules.is_stale(hour, due, due + timedelta(hours=1))
    assert rules.is_stale(hour, due, due + timedelta(hours=1, seconds=1))
    commitment = ReminderKind.COMMITMENT_DUE
    assert not rules.is_stale(commitment, due, due + timedelta(days=2))
    assert rules.is_stale(commitment, due, due + timedelta(days=2, seconds=1))
    assert not rules.is_stale("session.close", due, due + timedelta(days=6))


# Plans: commitment deadlines ------------------------------------------------------------------


def test_commitment_offsets_for_the_31st_of_march_2026() -> None:
    assert rules.commitment_offsets(date(2026, 3, 31), TZ) == [
        local(2026, 3, 17, 8, 0),
        local(2026, 3, 24, 8, 0),
        local(2026, 3, 28, 8, 0),
        local(2026, 3, 30, 8, 0),
    ]


def test_commitment_offsets_may_be_set_per_campaign() -> None:
    assert rules.commitment_offsets(date(2026, 3, 31), TZ, days_before=(10, 2)) == [
        local(2026, 3, 21, 8, 0),
        local(2026, 3, 29, 8, 0),
    ]


def test_commitment_reminders_around_tet() -> None:
    # Deadline 12/02/2027: 14 days before is fine; 7 days before (5 Feb) would wait six
    # days, past its grace, and is dropped; 3 days before (9 Feb) waits to the 11th, where
    # the 1-day reminder falls too: one reminder that day, the nearer one.
    planned = rules.plan(ReminderKind.COMMITMENT_DUE, date(2027, 2, 12), TZ)
    assert [p.send_at for p in planned] == [local(2027, 1, 29, 8, 0), local(2027, 2, 11, 8, 0)]
    assert planned[-1].occurrence == "2027-02-12-1d"


def test_no_deadline_reminder_after_the_deadline() -> None:
    # Deadline 9/02/2027, in Tết: the 3- and 1-day reminders could only go after it.
    assert rules.commitment_offsets(date(2027, 2, 9), TZ) == [
        local(2027, 1, 26, 8, 0),
        local(2027, 2, 2, 8, 0),
    ]


def test_the_committee_summary_comes_the_morning_after_the_deadline() -> None:
    (summary,) = rules.plan(ReminderKind.COMMITMENT_SUMMARY, date(2026, 3, 31), TZ)
    assert summary.send_at == local(2026, 4, 1, 8, 0)


def test_secretaries_get_the_missing_list_seven_and_one_day_before() -> None:
    planned = rules.plan(ReminderKind.COMMITMENT_MISSING, date(2026, 3, 31), TZ)
    assert [p.send_at for p in planned] == [local(2026, 3, 24, 8, 0), local(2026, 3, 30, 8, 0)]


def test_a_returned_commitment_is_reminded_three_days_later() -> None:
    returned = local(2026, 3, 2, 22, 30)
    (planned,) = rules.plan(ReminderKind.COMMITMENT_RETURNED, returned, TZ)
    assert planned.due == local(2026, 3, 5, 22, 30)
    assert planned.send_at == local(2026, 3, 6, 7, 0)


def test_a_plan_refuses_the_wrong_kind_of_anchor() -> None:
    with pytest.raises(ValueError):
        rules.plan(ReminderKind.COMMITMENT_DUE, local(2026, 3, 31, 0, 0), TZ)
    with pytest.raises(ValueError):
        rules.plan(ReminderKind.SESSION_HOUR, date(2026, 3, 31), TZ)


# Plans: sessions --------------------------------------------------------------------------------


def test_session_offsets() -> None:
    planned = rules.session_plan(local(2026, 4, 10, 19, 0), TZ)
    assert [(p.kind, p.send_at) for p in planned] == [
        (ReminderKind.SESSION_SOON, local(2026, 4, 9, 19, 0)),
        (ReminderKind.SESSION_HOUR, local(2026, 4, 10, 18, 0)),
        (ReminderKind.SESSION_CHECKIN, local(2026, 4, 10, 19, 0)),
        (ReminderKind.SESSION_CLOSE, local(2026, 4, 11, 19, 0)),
    ]


def test_urgent_session_reminders_ignore_quiet_hours() -> None:
    planned = {p.kind: p for p in rules.session_plan(local(2026, 4, 10, 6, 30), TZ)}
    assert planned[ReminderKind.SESSION_HOUR].send_at == local(2026, 4, 10, 5, 30)
    assert planned[ReminderKind.SESSION_CHECKIN].send_at == local(2026, 4, 10, 6, 30)
    # The day-before notice is not urgent: 06:30 is quiet, it goes at 07:00.
    assert planned[ReminderKind.SESSION_SOON].send_at == local(2026, 4, 9, 7, 0)


def test_urgent_session_reminders_ignore_holidays() -> None:
    starts = local(2027, 2, 6, 9, 0)  # the first day of Tết 2027
    planned = {p.kind: p for p in rules.session_plan(starts, TZ)}
    assert planned[ReminderKind.SESSION_HOUR].send_at == local(2027, 2, 6, 8, 0)
    assert planned[ReminderKind.SESSION_CHECKIN].send_at == starts
    # The day before is a holiday too: deferred past the start, so dropped.
    assert ReminderKind.SESSION_SOON not in planned
    # The secretary's "close it" waits for the first working morning, within its week.
    assert planned[ReminderKind.SESSION_CLOSE].send_at == local(2027, 2, 11, 7, 0)


def test_a_moved_session_gets_new_occurrences() -> None:
    before = rules.session_plan(local(2026, 4, 10, 19, 0), TZ)
    after = rules.session_plan(local(2026, 4, 12, 19, 0), TZ)
    assert not {p.occurrence for p in before} & {p.occurrence for p in after}
    assert len({p.occurrence for p in before}) == len(before)


# The meeting cadence ------------------------------------------------------------------------------


def test_regular_cadence_reminds_on_the_20th_without_a_regular_session() -> None:
    assert rules.regular_due("cell", 2026, 3, []) == date(2026, 3, 20)
    assert rules.regular_due("party_group", 2026, 3, []) == date(2026, 3, 20)
    # One scheduled later in the month is enough.
    assert rules.regular_due("cell", 2026, 3, [("regular", date(2026, 3, 28))]) is None


def test_regular_cadence_counts_only_a_regular_session_of_that_month() -> None:
    others = [
        ("thematic", date(2026, 3, 10)),
        ("conference", date(2026, 3, 12)),
        ("regular", date(2026, 2, 28)),
        ("regular", date(2026, 4, 1)),
        ("regular", date(2025, 3, 15)),
    ]
    assert rules.regular_due("cell", 2026, 3, others) == date(2026, 3, 20)
    assert rules.regular_due("cell", 2026, 12, [("regular", date(2025, 12, 5))]) == date(
        2026, 12, 20
    )


def test_committees_and_mass_organisations_have_no_cadence_reminder() -> None:
    assert rules.regular_due("grassroots_committee", 2026, 3, []) is None
    assert rules.regular_due("mass_org_branch", 2026, 3, []) is None
    assert rules.thematic_due("committee", 2026, 1, []) is None


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [(1, date(2026, 2, 1)), (2, date(2026, 5, 1)), (3, date(2026, 8, 1)), (4, date(2026, 11, 1))],
)
def test_thematic_cadence_reminds_in_the_quarters_second_month(
    quarter: int, expected: date
) -> None:
    assert rules.thematic_due("cell", 2026, quarter, []) == expected


def test_thematic_cadence_counts_only_a_thematic_session_of_that_quarter() -> None:
    assert rules.thematic_due("cell", 2026, 1, [("thematic", date(2026, 3, 31))]) is None
    assert rules.thematic_due("cell", 2026, 4, [("thematic", date(2026, 12, 1))]) is None
    others = [
        ("regular", date(2026, 2, 10)),
        ("thematic", date(2026, 4, 1)),
        ("thematic", date(2025, 12, 31)),
        ("thematic", date(2027, 1, 15)),
    ]
    assert rules.thematic_due("cell", 2026, 1, others) == date(2026, 2, 1)
    with pytest.raises(ValueError):
        rules.thematic_due("cell", 2026, 5, [])


def test_a_cadence_reminder_on_tet_waits_within_its_grace() -> None:
    # 20/02/2026 is the fourth day of Tết 2026: the next morning.
    (planned,) = rules.plan(ReminderKind.CADENCE_REGULAR, date(2026, 2, 20), TZ)
    assert planned.send_at == local(2026, 2, 21, 7, 0)


def test_cadence_periods_name_the_month_and_the_quarter() -> None:
    assert rules.cadence_period(ReminderKind.CADENCE_REGULAR, date(2026, 3, 20)) == "2026-03"
    assert rules.cadence_period(ReminderKind.CADENCE_THEMATIC, date(2026, 11, 1)) == "2026-Q4"
    with pytest.raises(ValueError):
        rules.cadence_period(ReminderKind.STUDY_DUE, date(2026, 3, 20))


# The year-end review ----------------------------------------------------------------------------


def test_weekly_self_assessment_reminders_within_the_window() -> None:
    assert rules.review_weeks(date(2026, 12, 1), date(2026, 12, 31)) == [
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2026, 12, 29),
    ]
    assert rules.review_weeks(date(2026, 12, 1), date(2026, 12, 15)) == [
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]
    assert rules.review_weeks(date(2026, 12, 1), date(2026, 12, 7)) == []


def test_secretaries_are_reminded_to_grade_before_the_window_closes() -> None:
    planned = rules.plan(ReminderKind.REVIEW_GRADE, date(2026, 12, 31), TZ)
    assert [p.send_at for p in planned] == [local(2026, 12, 24, 8, 0), local(2026, 12, 30, 8, 0)]


# The calendar, folded in --------------------------------------------------------------------------


def test_the_calendars_reminder_keeps_its_time_and_key() -> None:
    (planned,) = rules.calendar_plan(date(2026, 9, 2), 7, TZ)
    assert planned.send_at == local(2026, 8, 26, 8, 0)
    assert rules.calendar_plan(date(2026, 9, 2), 0, TZ) == []
    assert rules.calendar_dedup(4, 2026) == "calendar:4:2026"


def test_a_calendar_reminder_deferred_past_its_day_is_dropped() -> None:
    # 1 September 2026 is a holiday, and 2 September the day itself.
    assert rules.calendar_plan(date(2026, 9, 2), 1, TZ) == []


# Leaders first ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Someone:
    id: int
    is_head: bool = False


def test_heads_and_committee_members_come_first_in_a_stable_order() -> None:
    people = [Someone(1), Someone(2, True), Someone(3), Someone(4), Someone(5, True), Someone(6)]
    ordered = rules.leaders_first(people, committee={4})
    assert [p.id for p in ordered] == [2, 4, 5, 1, 3, 6]
    assert rules.leaders_first([]) == []
    assert [p.id for p in rules.leaders_first(people)] == [2, 5, 1, 3, 4, 6]


def test_leaders_first_keeps_an_already_ordered_list() -> None:
    people = [Someone(9, True), Someone(3)]
    assert rules.leaders_first(people) == people


# Dedup keys -------------------------------------------------------------------------------------


def test_dedup_keys_are_distinct_per_occurrence_kind_subject_and_recipient() -> None:
    deadline = date(2026, 3, 31)
    planned = rules.plan(ReminderKind.COMMITMENT_DUE, deadline, TZ)
    keys = {rules.dedup_key(p.kind, "campaign", 3, p.occurrence) for p in planned}
    assert len(keys) == 4
    key = rules.dedup_key(ReminderKind.COMMITMENT_DUE, "campaign", 3, "2026-03-31-7d")
    assert key == "rem:campaign:3:commitment.due:2026-03-31-7d"
    assert key != rules.dedup_key(ReminderKind.COMMITMENT_DUE, "campaign", 4, "2026-03-31-7d")
    assert key != rules.dedup_key(ReminderKind.COMMITMENT_MISSING, "campaign", 3, "2026-03-31-7d")
    full = rules.dedup_key(ReminderKind.COMMITMENT_DUE, "campaign", 3, "2026-03-31-7d", 777)
    assert full == f"{key}:777"


def test_a_subjects_prefix_holds_its_keys_and_no_other_subjects() -> None:
    prefix = rules.subject_prefix("session", 1)
    planned = rules.session_plan(local(2026, 4, 10, 19, 0), TZ)
    keys = [rules.dedup_key(p.kind, "session", 1, p.occurrence) for p in planned]
    assert all(key.startswith(prefix) for key in keys)
    assert len(set(keys)) == len(planned)
    other = rules.dedup_key(ReminderKind.SESSION_HOUR, "session", 12, planned[1].occurrence)
    assert not other.startswith(prefix)


@pytest.mark.parametrize(
    ("subject", "subject_id", "occurrence"),
    [("sess:ion", 1, "x"), ("", 1, "x"), ("session", "1 2", "x"), ("session", 1, "a:b")],
)
def test_dedup_key_parts_cannot_be_ambiguous(
    subject: str, subject_id: int | str, occurrence: str
) -> None:
    with pytest.raises(ValueError):
        rules.dedup_key(ReminderKind.SESSION_HOUR, subject, subject_id, occurrence)


def test_dedup_keys_refuse_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        rules.dedup_key("session.never", "session", 1, "x")
