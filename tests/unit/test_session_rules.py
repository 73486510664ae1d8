"""The pure session rules: windows, codes, marks, the summary line, bulk edits, rates,
the meeting cadence, the study cascade, free-text fields, the numbered list, report periods
and the speakers of the minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.i18n import use_locale
from bot.rules import sessions as rules
from bot.rules.minutes import meeting_end, parse_speakers
from bot.rules.sessions import parse_period
from storage.sessions import Invitee

START = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)


def test_checkin_window_is_30_minutes_before_to_2_hours_after() -> None:
    opens, closes = rules.checkin_window(START)
    assert opens == START - timedelta(minutes=30)
    assert closes == START + timedelta(hours=2)
    assert rules.window_state(opens - timedelta(seconds=1), opens, closes) is rules.Window.EARLY
    assert rules.window_state(opens, opens, closes) is rules.Window.OPEN
    assert rules.window_state(closes, opens, closes) is rules.Window.OPEN
    assert rules.window_state(closes + timedelta(seconds=1), opens, closes) is rules.Window.CLOSED


def test_codes_are_six_digits_and_normalise() -> None:
    code = rules.new_checkin_code()
    assert len(code) == 6 and code.isdigit()
    assert rules.normalise_checkin_code(" 482 913 ") == "482913"
    assert rules.normalise_checkin_code("482-913") == "482913"
    assert rules.format_code("482913") == "482 913"
    for bad in ("48291", "4829130", "ABCDEF", ""):
        with pytest.raises(InvalidInput):
            rules.normalise_checkin_code(bad)


def test_derive_mark_prefers_correction_then_checkin_then_reason() -> None:
    base = {"rsvp": None, "rsvp_reason": None, "mark": None, "reason": None}
    assert rules.derive_mark(checked_in=True, **base) == (rules.Mark.PRESENT, "")
    assert rules.derive_mark(checked_in=False, **base) == (rules.Mark.ABSENT, "")
    declined = {**base, "rsvp": "no", "rsvp_reason": "ốm"}
    assert rules.derive_mark(checked_in=False, **declined) == (rules.Mark.EXCUSED, "ốm")
    corrected = {**base, "mark": "excused", "reason": "công tác"}
    assert rules.derive_mark(checked_in=True, **corrected) == (rules.Mark.EXCUSED, "công tác")


def _lines() -> list[rules.Line]:
    marks = [rules.Mark.PRESENT] * 9 + [rules.Mark.EXCUSED] * 2 + [rules.Mark.ABSENT]
    lines = [
        rules.Line(n, n, f"Người {n}", "official", mark, "ốm" if mark is rules.Mark.EXCUSED else "")
        for n, mark in enumerate(marks, start=1)
    ]
    lines.append(rules.Line(13, 13, "Người 13", "exempt", rules.Mark.ABSENT))
    return lines


def test_summary_line_reads_like_the_paper_list_and_leaves_out_the_exempt() -> None:
    counts = rules.count_lines(_lines())
    assert (counts.total, counts.present, counts.excused, counts.absent) == (12, 9, 2, 1)
    assert counts.exempt == 1
    with use_locale("vi"):
        line = rules.summary_line(counts)
        assert line.startswith("Sĩ số 12 · Có mặt 9 · Vắng có lý do 2 · Vắng không lý do 1")
        assert "Miễn sinh hoạt 1" in line
        assert rules.format_line(_lines()[9]) == "10. Người 10 — 🟡 Vắng có lý do: ốm"
    with use_locale("en"):
        assert rules.summary_line(counts).startswith("Headcount 12 · Present 9")


def test_an_exempt_member_is_listed_as_exempt_never_as_absent() -> None:
    exempt = _lines()[12]
    with use_locale("vi"):
        assert rules.format_line(exempt) == "13. Người 13 — ➖ Miễn sinh hoạt"
        # An exempt member who declined with a reason is still just exempt.
        declined = rules.Line(13, 13, "Người 13", "exempt", rules.Mark.EXCUSED, "ốm")
        assert rules.format_line(declined) == "13. Người 13 — ➖ Miễn sinh hoạt"
        came = rules.Line(13, 13, "Người 13", "exempt", rules.Mark.PRESENT)
        assert rules.format_line(came) == "13. Người 13 — ✅ Có mặt (miễn sinh hoạt)"
    with use_locale("en"):
        assert rules.format_line(exempt) == "13. Người 13 — ➖ Exempt from meetings"
    # The line's button: exempt ↔ present; anyone else cycles through the three marks.
    assert (exempt.icon, exempt.next_mark) == ("➖", rules.Mark.PRESENT)
    assert (came.icon, came.next_mark) == ("✅", rules.Mark.ABSENT)
    assert (declined.icon, declined.next_mark) == ("➖", rules.Mark.PRESENT)
    assert [line.next_mark for line in _lines()[8:12]] == [
        rules.Mark.EXCUSED,
        rules.Mark.ABSENT,
        rules.Mark.ABSENT,
        rules.Mark.PRESENT,
    ]
    # Present or not, an exempt member counts in no total and no rate.
    counts = rules.count_lines([*_lines()[:12], came])
    assert (counts.total, counts.present, counts.exempt) == (12, 9, 1)


def test_bulk_edits_by_number() -> None:
    changes = rules.parse_bulk("3 V ốm\n5 P; 6 K\n7 c\n8 V", 12)
    assert changes == [
        rules.Change(3, rules.Mark.EXCUSED, "ốm"),
        rules.Change(5, rules.Mark.EXCUSED, ""),
        rules.Change(6, rules.Mark.ABSENT, ""),
        rules.Change(7, rules.Mark.PRESENT, ""),
        rules.Change(8, rules.Mark.ABSENT, ""),
    ]
    assert [c.number for c in rules.parse_bulk("2,4 C; 9-11 K", 12)] == [2, 4, 9, 10, 11]
    updated = rules.apply_changes(_lines(), rules.parse_bulk("12 P đi viện", 13))
    assert updated[11].mark is rules.Mark.EXCUSED and updated[11].reason == "đi viện"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("13 C", "no line 13"), ("0 C", "no line 0"), ("3 Z", "not a mark"), ("ba V", "could not")],
)
def test_bulk_edit_errors_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught, use_locale("en"):
        rules.parse_bulk(text, 12)
    with use_locale("en"):
        assert fragment in caught.value.render()


def test_rates_leave_out_exempt_members() -> None:
    pairs = [("official", rules.Mark.PRESENT), ("official", rules.Mark.ABSENT)]
    pairs.append(("exempt", rules.Mark.ABSENT))
    assert rules.attendance_rate(pairs) == (1, 2, 0.5)
    assert rules.attendance_rate([("exempt", rules.Mark.PRESENT)]) == (0, 0, None)
    assert rules.format_rate(0.75) == "75%" and rules.format_rate(None) == "—"


def test_cadence_one_regular_a_month_one_thematic_a_quarter() -> None:
    held = [("regular", date(2026, 1, 5)), ("thematic", date(2026, 2, 10))]
    held.append(("regular", date(2026, 3, 3)))
    result = rules.cadence(held, date(2026, 1, 1), date(2026, 6, 30), today=date(2026, 5, 15))
    assert result.missing_months == [(2026, 2), (2026, 4)]  # May is not over yet
    assert result.missing_quarters == []  # Q2 is not over yet
    late = rules.cadence(held, date(2026, 1, 1), date(2026, 6, 30), today=date(2026, 7, 2))
    assert late.missing_quarters == [(2026, 2)]
    conference_only = rules.cadence(
        [("conference", date(2026, 1, 9))], date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 1)
    )
    assert conference_only.missing_months == [(2026, 1)]


def test_study_cascade_leaves_and_parents() -> None:
    deadline = date(2026, 3, 31)
    units = [
        rules.StudyUnit(1, None, deadline, ()),
        rules.StudyUnit(2, 1, deadline, ()),
        rules.StudyUnit(3, 2, deadline, (date(2026, 3, 20),)),
        rules.StudyUnit(4, 2, deadline, (date(2026, 4, 2),)),  # after the deadline
        rules.StudyUnit(5, 1, date(2026, 3, 15), (date(2026, 3, 14),)),
    ]
    states = rules.study_states(units)
    assert states[3].done and states[3].done_on == date(2026, 3, 20)
    assert not states[4].done
    assert not states[2].done and (states[2].leaves_done, states[2].leaves_total) == (1, 2)
    assert states[5].done
    assert (states[1].leaves_done, states[1].leaves_total) == (2, 3)
    assert rules.effective_deadline([1, 2, 4], {2: date(2026, 3, 15)}, deadline) == date(
        2026, 3, 15
    )
    assert rules.effective_deadline([1, 5], {}, deadline) == deadline


def test_periods() -> None:
    today = date(2026, 5, 15)
    assert parse_period(None, today) == (date(2026, 4, 1), today)
    assert parse_period("3/2026", today) == (date(2026, 3, 1), date(2026, 3, 31))
    assert parse_period("Q1/2026", today) == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("2026", today) == (date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("1/1/2026-15/2/2026", today) == (date(2026, 1, 1), date(2026, 2, 15))
    with pytest.raises(InvalidInput):
        parse_period("soon", today)


def test_speakers_are_read_one_per_line() -> None:
    assert parse_speakers("Trần Thị Bích: Đồng ý\n- Lê Văn C: Cần thêm tài liệu") == [
        ("Trần Thị Bích", "Đồng ý"),
        ("Lê Văn C", "Cần thêm tài liệu"),
    ]
    with pytest.raises(InvalidInput):
        parse_speakers("no colon here")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (date(2026, 4, 1), date(2026, 5, 15))),  # nothing: this quarter so far
        ("   ", (date(2026, 4, 1), date(2026, 5, 15))),
        ("q4", (date(2026, 10, 1), date(2026, 12, 31))),  # any case, this year by default
        ("Q2-2025", (date(2025, 4, 1), date(2025, 6, 30))),
        ("Q1 / 2024", (date(2024, 1, 1), date(2024, 3, 31))),  # spaces are ignored
        ("2/2024", (date(2024, 2, 1), date(2024, 2, 29))),  # a leap year's February
        ("12-2026", (date(2026, 12, 1), date(2026, 12, 31))),  # December: the year's end
        ("1/12/2025 - 31/1/2026", (date(2025, 12, 1), date(2026, 1, 31))),  # across years
        ("1/3-31/3", (date(2026, 3, 1), date(2026, 3, 31))),  # days without a year: this one
    ],
)
def test_period_forms(text: str, expected: tuple[date, date]) -> None:
    assert parse_period(text, date(2026, 5, 15)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Q5",
        "Q0/2026",
        "13/2026",
        "0/2026",
        "2026-03-01",  # one ISO date is a day, not a period
        "2026-01-01-2026-03-31",  # ISO on both sides cannot be split at "-"
        "31/3/2026-1/1/2026",  # the end before the start
        "31/2/2026-1/3/2026",  # no 31 February
        "tháng này",
        "x" * 500,
    ],
)
def test_period_mistakes_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(text, date(2026, 5, 15))
    assert len(refused.value.render()) < 400  # a long paste is not repeated whole


def test_free_text_fields() -> None:
    assert rules.check_field("topic", "  Sinh hoạt   chi bộ  ") == "Sinh hoạt chi bộ"
    kept = "Dòng một\n  Dòng hai"  # several lines keep their breaks (a lead-in)
    assert rules.check_field("lead_in", kept) == kept
    for field, text in (
        ("topic", "Họp"),  # under 5 characters
        ("topic", "x" * 501),
        ("place", "x"),
        ("presenter", "An"),
        ("lead_in", "Ngắn"),
        ("topic", "/session new"),  # a command sent by mistake, not a topic
    ):
        with pytest.raises(InvalidInput):
            rules.check_field(field, text)
    with pytest.raises(InvalidInput) as short:
        rules.check_field("presenter", "An")
    with use_locale("vi"):  # the field is named in the reader's language
        assert short.value.render() == "Họ tên người trình bày phải từ 4 đến 100 ký tự."
    assert set(rules.FIELDS) < set(rules.EDITABLE)  # the start is edited but not free text


def _row(member_id: int, status: str = "official", **extra: object) -> Invitee:
    fields: dict = dict.fromkeys(
        ("rsvp", "rsvp_reason", "checked_in_at", "checkin_via", "late_reported_at"), None
    )
    fields.update(late_status=None, mark=None, reason=None)
    fields.update(extra)
    return Invitee(1, member_id, 1, f"Member {member_id}", status, **fields)


def test_the_numbered_list_puts_the_exempt_last_and_derives_marks() -> None:
    lines = rules.lines_of(
        [
            _row(1, "exempt"),
            _row(2, checked_in_at=START),
            _row(3, rsvp="no", rsvp_reason="ốm"),
            _row(4, rsvp="no"),  # declined without a reason: absent without reason
            _row(5, checked_in_at=START, mark="absent"),  # the secretary's word is final
        ]
    )
    assert [(line.number, line.member_id) for line in lines] == [
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
        (5, 1),
    ]
    assert [line.mark for line in lines] == [
        rules.Mark.PRESENT,
        rules.Mark.EXCUSED,
        rules.Mark.ABSENT,
        rules.Mark.ABSENT,
        rules.Mark.ABSENT,
    ]
    assert lines[1].reason == "ốm" and lines[4].exempt
    counts = rules.count_lines(lines)
    assert (counts.total, counts.present, counts.exempt) == (4, 1, 1)


def test_speakers_edge_cases() -> None:
    assert parse_speakers("\n  • An:  rất   đồng ý \n\n") == [("An", "rất đồng ý")]
    # Only the first colon separates: an opinion may hold a time.
    assert parse_speakers("Bình: họp lúc 19:30") == [("Bình", "họp lúc 19:30")]
    for text in ("", "   \n ", ": no name", "Cường:", "x" * 101 + ": quá dài"):
        with pytest.raises(InvalidInput):
            parse_speakers(text)


def test_the_end_of_a_meeting_is_a_later_time_the_same_local_day() -> None:
    start = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)  # 19:30 in Ho Chi Minh City
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    end = meeting_end(start, time(21, 15), tz)
    assert end == datetime(2026, 3, 20, 21, 15, tzinfo=tz)
    for earlier in (time(19, 30), time(8, 0)):
        with pytest.raises(InvalidInput) as caught, use_locale("en"):
            meeting_end(start, earlier, tz)
        with use_locale("en"):
            assert "started at 19:30" in caught.value.render()
            assert "for example 21:30" in caught.value.render()
