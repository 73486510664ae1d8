"""The reminder engine's messages (bot/render/reminder_notices.py, templates
``reminder.<kind>``): every kind renders in vi and en from the contract's parameters, fully
translated, escaped, with the button of its action; escalation lists stay readable and
within Telegram's limit however long."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import bot.delivery  # noqa: F401  (registers the templates)
from bot import callbacks as cb
from bot import i18n
from bot.commands import BY_NAME, SHORTCUTS
from bot.delivery.notices import session_params
from bot.delivery.templates import TEMPLATES, render
from bot.i18n import use_locale
from bot.render import reminder_notices, session_notices
from bot.render.text import MAX_MESSAGE, visible_len
from bot.rules.reminder_kinds import CATALOGUE, ReminderKind
from fake_telegram.html import parse_html
from storage.records import Unit
from storage.sessions import Session
from tests.conftest import TIMEZONE

HOSTILE = "Trần <b>&</b> Thị Bích"
ESCAPED = "Trần &lt;b&gt;&amp;&lt;/b&gt; Thị Bích"
CELL = Unit(4, "CB-1", "Chi bộ <b>&", "cell", 2, "/1/2/4/")
STARTS = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)  # 19:30 in Ho Chi Minh City


@pytest.fixture(autouse=True)
def _local_time(_restore_i18n: None) -> None:
    i18n.configure("vi", TIMEZONE)


def _session(status: str = "scheduled") -> Session:
    return Session(
        id=12,
        unit_id=CELL.id,
        kind="regular",
        topic="Sinh hoạt chi bộ tháng 3 <b>&",
        campaign_id=None,
        starts_at=STARTS,
        place="Hội trường khu vực 1",
        presenter="",
        lead_in="",
        status=status,
        checkin_code=None,
        checkin_opens=None,
        checkin_closes=None,
        created_by=1,
        closed_at=None,
    )


def _people(count: int, *, leaders: set[int] = frozenset(), unreachable: set[int] = frozenset()):
    return [
        {"name": f"Đảng viên số {n}", "leader": n in leaders, "reachable": n not in unreachable}
        for n in range(count)
    ]


# Realistic parameters for every kind, as the engine queues them (the contract's keys).
PARAMS: dict[ReminderKind, dict[str, Any]] = {
    ReminderKind.COMMITMENT_DUE: {
        "year": 2026,
        "deadline": "2026-03-31",
        "days": 7,
        "started": False,
    },
    ReminderKind.COMMITMENT_MISSING: {
        "year": 2026,
        "deadline": "2026-03-31",
        "days": 1,
        "unit": CELL.name,
        "expected": 14,
        "missing": [
            {"name": HOSTILE, "leader": True, "reachable": True},
            {"name": "Lê Hoàng Cường", "leader": False, "reachable": False},
        ],
    },
    ReminderKind.COMMITMENT_SUMMARY: {
        "year": 2026,
        "deadline": "2026-03-31",
        "unit": "Đảng ủy phường <Ninh Kiều>",
        "expected": 21,
        "filed": 18,
        "rows": [
            {"unit": CELL.name, "expected": 14, "filed": 12, "missing": 2},
            {"unit": "Chi bộ Khu vực 2", "expected": 7, "filed": 6, "missing": 1},
        ],
        "leaders": [{"name": HOSTILE, "unit": CELL.name, "reachable": False}],
    },
    ReminderKind.COMMITMENT_RETURNED: {
        "year": 2026,
        "deadline": "2026-03-31",
        "returned_on": "2026-03-20",
    },
    ReminderKind.SESSION_SOON: session_params(_session(), CELL),
    ReminderKind.SESSION_HOUR: session_params(_session(), CELL),
    ReminderKind.SESSION_CHECKIN: session_params(_session(), CELL),
    ReminderKind.SESSION_CLOSE: {**session_params(_session(), CELL), "minutes": False},
    ReminderKind.CADENCE_REGULAR: {"unit": CELL.name, "unit_id": 4, "year": 2026, "month": 3},
    ReminderKind.CADENCE_THEMATIC: {"unit": CELL.name, "unit_id": 4, "year": 2026, "quarter": 1},
    ReminderKind.STUDY_DUE: {"unit": CELL.name, "unit_id": 4, "deadline": "2026-04-30", "days": 7},
    ReminderKind.STUDY_LIST: {
        "unit": "Đảng ủy phường Ninh Kiều",
        "deadline": "2026-04-30",
        "days": 7,
        "units": [CELL.name, "Chi bộ Khu vực 2"],
    },
    ReminderKind.REVIEW_OPENS: {"year": 2026, "opens": "2026-11-15", "closes": "2026-12-31"},
    ReminderKind.REVIEW_SELF: {"year": 2026, "closes": "2026-12-31"},
    ReminderKind.REVIEW_GRADE: {
        "year": 2026,
        "closes": "2026-12-31",
        "days": 7,
        "unit": CELL.name,
        "ungraded": 5,
    },
}
KINDS = [kind for kind in CATALOGUE if kind is not ReminderKind.CALENDAR_DAY]


def _go(name: str, number: int | None = None) -> Callable[[str], bool]:
    def check(data: str) -> bool:
        if not cb.GO.matches(data):
            return False
        shortcut, value = cb.GO.parse(data)
        return shortcut == name and (number is None or value == number)

    return check


# Each action of the catalogue, and the button data that carries it out.
ACTIONS: dict[str, Callable[[str], bool]] = {
    "commitment.file": _go("commit"),
    "commitment.monitor": _go("commitments", 2026),
    "session.answer": lambda data: data in (cb.RSVP_YES(12), cb.RSVP_NO(12)),
    # SHOW is the secretary's view: an invitee is shown their own meetings (/sessions).
    "session.show": _go("sessions"),
    "session.checkin": lambda data: data == cb.ATTENDED(12),
    "session.close": _go("session_close", 12),
    "session.create": _go("session_new"),
    "study.show": _go("session_report"),
    "review.self": _go("review"),
    "review.grade": _go("grade", 2026),
}


def _render(kind: ReminderKind, params: dict[str, Any], locale: str) -> tuple[str, list]:
    with use_locale(locale):
        text, rows = render(f"reminder.{kind}", params)
    return text, [button for row in rows or [] for button in row]


def test_every_kind_but_the_calendar_has_a_template() -> None:
    missing = [str(kind) for kind in CATALOGUE if f"reminder.{kind}" not in TEMPLATES]
    assert missing == ["calendar.day"]  # it keeps calendar.reminder
    assert "calendar.reminder" in TEMPLATES
    assert set(PARAMS) == set(KINDS)


def test_every_action_has_a_button() -> None:
    actions = {CATALOGUE[kind].action for kind in KINDS}
    assert actions <= set(ACTIONS)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_each_kind_renders_escaped_with_the_button_of_its_action(
    kind: ReminderKind, locale: str
) -> None:
    text, buttons = _render(kind, PARAMS[kind], locale)
    parse_html(text)  # Telegram would accept the HTML
    assert "<b>&" not in text and "<Ninh" not in text  # people's text is escaped
    assert 0 < visible_len(text) < 1000  # short
    assert buttons, "every reminder carries the button of its action"
    labels = [label for label, _ in buttons]
    assert all(label.strip() for label in labels)
    check = ACTIONS[CATALOGUE[kind].action]
    assert all(check(data) for _, data in buttons), buttons
    for _, data in buttons:  # a real button of bot/callbacks.py
        assert [b.name for b in cb.BUTTONS if b.matches(data)], data


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_vietnamese_is_complete(kind: ReminderKind, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message the Vietnamese rendering asks for has its translation."""
    untranslated: list[str] = []

    def checked(message: str) -> str:
        translated = i18n.gettext(message)
        if translated == message and any(ch.isalpha() for ch in message):
            untranslated.append(message)
        return translated

    for module in (reminder_notices, session_notices):
        monkeypatch.setattr(module, "gettext", checked)
    vi_text, vi_buttons = _render(kind, PARAMS[kind], "vi")
    assert untranslated == []
    en_text, en_buttons = _render(kind, PARAMS[kind], "en")
    assert vi_text != en_text
    assert [label for label, _ in vi_buttons] != [label for label, _ in en_buttons]


def test_names_are_escaped_in_the_lists() -> None:
    text, _ = _render(
        ReminderKind.COMMITMENT_MISSING, PARAMS[ReminderKind.COMMITMENT_MISSING], "vi"
    )
    assert ESCAPED in text and "Chi bộ &lt;b&gt;&amp;" in text
    text, _ = _render(
        ReminderKind.COMMITMENT_SUMMARY, PARAMS[ReminderKind.COMMITMENT_SUMMARY], "vi"
    )
    assert ESCAPED in text and "Đảng ủy phường &lt;Ninh Kiều&gt;" in text
    text, _ = _render(ReminderKind.SESSION_SOON, PARAMS[ReminderKind.SESSION_SOON], "vi")
    assert "Sinh hoạt chi bộ tháng 3 &lt;b&gt;&amp;" in text


def test_a_500_name_list_is_capped_leaders_first_and_unreachable_marked() -> None:
    people = _people(500, leaders={7, 250, 499}, unreachable={7, 3, 400})
    params = {**PARAMS[ReminderKind.COMMITMENT_MISSING], "expected": 600, "missing": people}
    for locale in ("vi", "en"):
        text, _ = _render(ReminderKind.COMMITMENT_MISSING, params, locale)
        parse_html(text)
        assert visible_len(text) < MAX_MESSAGE
    text, _ = _render(ReminderKind.COMMITMENT_MISSING, params, "vi")
    lines = text.splitlines()
    assert "500/600 đồng chí chưa nộp" in lines[0]
    numbered = [line for line in lines if re.match(r"\d+\. ", line)]
    assert len(numbered) == reminder_notices.LISTED
    # The three leaders first, starred, in the engine's order; then the others in theirs.
    assert numbered[:3] == [
        "1. ★ <b>Đảng viên số 7</b> — <i>chưa dùng bot — cần báo trực tiếp</i>",
        "2. ★ <b>Đảng viên số 250</b>",
        "3. ★ <b>Đảng viên số 499</b>",
    ]
    assert numbered[3] == "4. <b>Đảng viên số 0</b>"
    assert numbered[6] == "7. <b>Đảng viên số 3</b> — <i>chưa dùng bot — cần báo trực tiếp</i>"
    assert "★" not in "".join(numbered[3:])
    assert "… và 470 đồng chí khác." in lines
    assert "★ cấp ủy viên hoặc người đứng đầu cơ quan, đơn vị" in lines
    # Counted over the whole list, not only the part shown.
    assert "3 đồng chí chưa dùng bot — cần báo trực tiếp." in lines


def test_long_names_are_cut_and_the_list_stays_under_the_limit() -> None:
    long_name = "Nguyễn " * 200  # a roster can hold anything
    people = [{"name": long_name, "leader": True, "reachable": False} for _ in range(500)]
    params = {**PARAMS[ReminderKind.COMMITMENT_MISSING], "missing": people}
    text, _ = _render(ReminderKind.COMMITMENT_MISSING, params, "vi")
    assert visible_len(text) < MAX_MESSAGE
    assert "Nguyễn Nguyễn" in text and "…" in text


def test_the_summary_caps_units_and_leaders() -> None:
    rows = [
        {"unit": f"Chi bộ số {n}", "expected": 20, "filed": 15, "missing": 5} for n in range(500)
    ]
    leaders = [
        {"name": f"Bí thư số {n}", "unit": f"Chi bộ số {n}", "reachable": n % 2 == 0}
        for n in range(500)
    ]
    params = {**PARAMS[ReminderKind.COMMITMENT_SUMMARY], "rows": rows, "leaders": leaders}
    for locale in ("vi", "en"):
        text, _ = _render(ReminderKind.COMMITMENT_SUMMARY, params, locale)
        parse_html(text)
        assert visible_len(text) < MAX_MESSAGE
    text, _ = _render(ReminderKind.COMMITMENT_SUMMARY, params, "vi")
    assert "1. Chi bộ số 0: đã nộp 15/20, chưa nộp 5" in text
    assert "… và 470 đơn vị khác." in text
    assert "<b>Cấp ủy viên, người đứng đầu chưa nộp</b> (500)" in text
    assert "1. <b>Bí thư số 0</b> — Chi bộ số 0" in text
    assert "2. <b>Bí thư số 1</b> — Chi bộ số 1 — <i>chưa dùng bot" in text
    assert "… và 470 đồng chí khác." in text
    assert "250 đồng chí chưa dùng bot" in text
    assert "★" not in text  # every one of them is a leader: no star needed


def test_the_study_list_is_capped() -> None:
    params = {
        **PARAMS[ReminderKind.STUDY_LIST],
        "units": [f"Chi bộ <{n}>" for n in range(500)],
    }
    text, _ = _render(ReminderKind.STUDY_LIST, params, "vi")
    assert visible_len(text) < MAX_MESSAGE
    assert "500 đơn vị chưa hoàn thành" in text and "1. Chi bộ &lt;0&gt;" in text
    assert "… và 470 đơn vị khác." in text


@pytest.mark.parametrize(
    ("days", "vi", "en"),
    [(7, "31/03/2026 (còn 7 ngày)", "31/03/2026 (in 7 days)"),
     (1, "31/03/2026 (ngày mai)", "31/03/2026 (tomorrow)"),
     (0, "31/03/2026 (hôm nay)", "31/03/2026 (today)")],
)  # fmt: skip
def test_days_left(days: int, vi: str, en: str) -> None:
    params = {**PARAMS[ReminderKind.COMMITMENT_DUE], "days": days}
    assert vi in _render(ReminderKind.COMMITMENT_DUE, params, "vi")[0]
    assert en in _render(ReminderKind.COMMITMENT_DUE, params, "en")[0]


def test_a_started_commitment_is_to_be_continued() -> None:
    params = {**PARAMS[ReminderKind.COMMITMENT_DUE], "started": True}
    text, buttons = _render(ReminderKind.COMMITMENT_DUE, params, "vi")
    assert "đã bắt đầu lập bản cam kết nhưng chưa nộp" in text
    assert buttons == [("Tiếp tục lập bản cam kết", cb.GO("commit", 0))]
    text, buttons = _render(ReminderKind.COMMITMENT_DUE, PARAMS[ReminderKind.COMMITMENT_DUE], "vi")
    assert "Đồng chí chưa lập bản cam kết" in text
    assert buttons == [("Lập bản cam kết", cb.GO("commit", 0))]


def test_session_reminders_show_the_sessions_facts() -> None:
    for kind in (ReminderKind.SESSION_SOON, ReminderKind.SESSION_HOUR):
        text, _ = _render(kind, PARAMS[kind], "vi")
        assert "Thời gian: 19:30, 20/03/2026" in text and "Địa điểm: Hội trường khu vực 1" in text
        assert "buổi số 12" in text and "Chi bộ &lt;b&gt;&amp;" in text
    text, buttons = _render(
        ReminderKind.SESSION_CHECKIN, PARAMS[ReminderKind.SESSION_CHECKIN], "vi"
    )
    assert "/attend" in text and buttons == [("Điểm danh", cb.ATTENDED(12))]


def test_the_close_reminder_asks_for_what_is_left() -> None:
    kind = ReminderKind.SESSION_CLOSE
    text, buttons = _render(kind, PARAMS[kind], "vi")
    assert "chưa kết thúc" in text
    assert buttons == [("Kết thúc buổi sinh hoạt", cb.GO("session_close", 12))]
    closed = {**session_params(_session("closed"), CELL), "minutes": False}
    text, buttons = _render(kind, closed, "vi")
    assert "Chưa ghi biên bản" in text
    assert buttons == [("Ghi biên bản", cb.GO("session_minutes", 12))]


def test_quarters_and_months_as_people_write_them() -> None:
    kind = ReminderKind.CADENCE_THEMATIC
    assert "sinh hoạt chuyên đề quý I/2026" in _render(kind, PARAMS[kind], "vi")[0]
    assert "Q1/2026" in _render(kind, PARAMS[kind], "en")[0]
    kind = ReminderKind.CADENCE_REGULAR
    assert "sinh hoạt chi bộ thường kỳ tháng 03/2026" in _render(kind, PARAMS[kind], "vi")[0]


def test_every_shortcut_stands_for_a_command_of_the_table() -> None:
    assert set(cb.GO.slots[0].choices) == set(SHORTCUTS)
    for name, shortcut in SHORTCUTS.items():
        assert shortcut.command in BY_NAME, name
    assert SHORTCUTS["session_close"].args(12) == ["close", "12"]
    assert SHORTCUTS["commitments"].args(2026) == ["2026"]
    assert SHORTCUTS["commit"].args(0) == []
