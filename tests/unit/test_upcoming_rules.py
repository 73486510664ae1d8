"""bot/rules/upcoming.py: which reminders /reminders lists for whom, pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import callbacks as cb
from bot.rules import upcoming as decide
from bot.rules.reminder_kinds import MUTABLE
from bot.rules.reminder_kinds import ReminderKind as K
from bot.rules.reminders import Planned

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, month: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("expected", "status", "kinds"),
    [
        (True, None, [K.COMMITMENT_DUE]),
        (True, "draft", [K.COMMITMENT_DUE]),
        (True, "returned", [K.COMMITMENT_DUE, K.COMMITMENT_RETURNED]),
        (True, "submitted", []),
        (True, "approved", []),
        (False, None, []),  # exempt, or in no unit: not expected to file
        (False, "returned", [K.COMMITMENT_RETURNED]),
    ],
)
def test_commitment_reminders_follow_the_commitments_state(
    expected: bool, status: str | None, kinds: list[K]
) -> None:
    assert decide.commitment_kinds(expected, status) == kinds


def test_an_invitee_is_reminded_until_declining_or_checking_in() -> None:
    every = [K.SESSION_SOON, K.SESSION_HOUR, K.SESSION_CHECKIN]
    assert decide.invitee_kinds("scheduled", None, False, "official") == every
    assert decide.invitee_kinds("scheduled", "yes", False, "probationary") == every
    assert decide.invitee_kinds("scheduled", "no", False, "official") == []
    assert decide.invitee_kinds("scheduled", None, True, "official") == every[:2]
    assert decide.invitee_kinds("closed", None, False, "official") == []
    assert decide.invitee_kinds("cancelled", "yes", False, "official") == []
    assert decide.invitee_kinds("scheduled", "yes", False, "exempt") == []


def test_the_year_end_review_reminders() -> None:
    both = [K.REVIEW_OPENS, K.REVIEW_SELF]
    assert decide.review_kinds(True, "official", True, False) == both
    assert decide.review_kinds(True, "official", True, True) == [K.REVIEW_OPENS]
    assert decide.review_kinds(True, "official", False, False) == [K.REVIEW_OPENS]
    assert decide.review_kinds(False, "exempt", True, False) == []
    assert decide.review_kinds(True, "exempt", True, False) == []


def test_a_session_is_to_close_until_closed_with_minutes() -> None:
    assert decide.session_close_due("scheduled", False)
    assert decide.session_close_due("closed", False)
    assert decide.session_close_due("scheduled", True)
    assert not decide.session_close_due("closed", True)
    assert not decide.session_close_due("cancelled", False)


def test_a_units_duty_goes_to_its_nearest_holders() -> None:
    assert decide.held_by(7, [3, 7])
    assert not decide.held_by(7, [])
    assert not decide.held_by(7, [3])


def test_the_period_excludes_its_start_and_includes_its_end() -> None:
    plans = [Planned(K.COMMITMENT_DUE, f"o{day}", at(day, 3), at(day, 3)) for day in (10, 11, 12)]
    found = decide.in_period(plans, at(10, 3), at(12, 3))
    assert [p.send_at for p in found] == [at(11, 3), at(12, 3)]


def test_the_cadence_of_a_cell_over_some_months() -> None:
    # March and April without a regular session; a thematic one in April covers Q2.
    held = [("regular", date(2026, 5, 5)), ("thematic", date(2026, 4, 9))]
    found = decide.cadence_anchors("cell", date(2026, 3, 10), date(2026, 5, 31), held)
    assert found == [
        (K.CADENCE_REGULAR, date(2026, 3, 20)),
        (K.CADENCE_REGULAR, date(2026, 4, 20)),
    ]
    # Without the thematic one, the quarter's reminder falls on 1 May.
    found = decide.cadence_anchors("cell", date(2026, 5, 1), date(2026, 5, 31), held[:1])
    assert found == [(K.CADENCE_THEMATIC, date(2026, 5, 1))]
    # A committee or a mass-organisation branch follows no cadence.
    assert decide.cadence_anchors("committee", date(2026, 3, 1), date(2026, 5, 31), []) == []
    assert decide.cadence_anchors("mass_org_branch", date(2026, 3, 1), date(2026, 5, 31), []) == []


def test_the_quarters_a_cadence_check_must_see() -> None:
    assert decide.quarters_span(date(2026, 3, 10), date(2026, 4, 9)) == (
        date(2026, 1, 1),
        date(2026, 7, 1),
    )
    assert decide.quarters_span(date(2026, 11, 20), date(2026, 12, 20)) == (
        date(2026, 10, 1),
        date(2027, 1, 1),
    )


def test_the_sessions_whose_reminders_can_fall_in_a_period() -> None:
    assert decide.session_span(at(10, 3), at(20, 3)) == (at(10, 3), at(21, 3))


def test_what_a_member_may_mute() -> None:
    assert decide.mutable_for("official") == [K.SESSION_SOON, K.SESSION_HOUR, K.REVIEW_SELF]
    assert decide.mutable_for("exempt") == []  # they get none of these anyway
    assert set(decide.mutable_for("temporary")) == MUTABLE
    assert decide.is_mutable("session.soon")
    assert not decide.is_mutable("session.checkin")
    assert not decide.is_mutable("commitment.due")
    assert not decide.is_mutable("nonsense")


def test_the_mute_button_names_a_mutable_kind_only() -> None:
    for kind in MUTABLE:
        code = decide.button_code(kind)
        assert decide.from_button_code(code) is kind
        assert cb.REMINDER_MUTE.parse(cb.REMINDER_MUTE(code, "off")) == (code, "off")
    assert decide.from_button_code("no_such") is None
    with pytest.raises(ValueError):
        cb.REMINDER_MUTE("commitment_due", "off")  # a mandatory kind has no button


def test_the_list_is_in_time_then_catalogue_order() -> None:
    keys = [
        decide.sort_key(K.SESSION_CHECKIN, at(20, 3, 19)),
        decide.sort_key(K.COMMITMENT_DUE, at(20, 3, 19)),
        decide.sort_key(K.CADENCE_REGULAR, at(20, 3, 8)),
    ]
    assert sorted(keys) == [keys[2], keys[1], keys[0]]
