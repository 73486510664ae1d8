"""bot/render/reminder_views.py: /reminders as people read it, in Vietnamese and English."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot import callbacks as cb
from bot import i18n
from bot.i18n import use_locale
from bot.render import reminder_views as views
from bot.render.text import MAX_MESSAGE, split_html, utf16_len
from bot.rules.reminder_kinds import CATALOGUE
from bot.rules.reminder_kinds import ReminderKind as K
from bot.services.reminders.subjects import Subject
from bot.services.reminders.upcoming import Upcoming
from tests.conftest import TIMEZONE

WHEN = datetime(2026, 3, 19, 19, 30, tzinfo=TIMEZONE)
SESSION = Subject(
    session_id=12,
    session_kind="regular",
    topic="Tháng 3 <b>&</b>",
    starts_at=datetime(2026, 3, 20, 19, 30, tzinfo=TIMEZONE),
)
DUTY = Subject(
    year=2026,
    on=date(2026, 3, 31),
    units=("Chi bộ <A>", "Chi bộ B", "Chi bộ C", "Chi bộ D", "Chi bộ E"),
    count=7,
)


@pytest.fixture(autouse=True)
def _local_time(_restore_i18n: None) -> None:
    i18n.configure("vi", TIMEZONE)


def entry(kind: K, subject: Subject, *, muted: bool = False) -> Upcoming:
    return Upcoming(kind, WHEN, subject, mutable=muted, muted=muted)


def test_each_line_says_when_and_what_escaped() -> None:
    with use_locale("vi"):
        line = views.entry_line(entry(K.SESSION_SOON, SESSION))
        assert line == (
            "• 19:30, 19/03/2026 — Trước 1 ngày: Sinh hoạt chi bộ thường kỳ "
            "“Tháng 3 &lt;b&gt;&amp;&lt;/b&gt;”, lúc 19:30, 20/03/2026"
        )
        muted = views.entry_line(entry(K.SESSION_HOUR, SESSION, muted=True))
        assert muted.endswith("<i>(đã tắt)</i>")
        missing = views.entry_line(entry(K.COMMITMENT_MISSING, DUTY))
        assert "Chi bộ &lt;A&gt;, Chi bộ B, Chi bộ C (+2): 7 đồng chí chưa nộp" in missing
        assert "(hạn 31/03/2026)" in missing
        thematic = views.describe(K.CADENCE_THEMATIC, Subject(on=date(2026, 5, 1), units=("X",)))
        assert thematic == "X: chưa có lịch sinh hoạt chuyên đề quý II/2026"
        regular = views.describe(K.CADENCE_REGULAR, Subject(on=date(2026, 3, 20), units=("X",)))
        assert regular == "X: chưa có lịch sinh hoạt chi bộ thường kỳ tháng 03/2026"
    with use_locale("en"):
        line = views.entry_line(entry(K.COMMITMENT_DUE, DUTY))
        assert line == "• 19:30, 19/03/2026 — Your commitment for 2026: due by 31/03/2026"
        thematic = views.describe(K.CADENCE_THEMATIC, Subject(on=date(2026, 5, 1), units=("X",)))
        assert thematic == "X: no thematic meeting scheduled for Q2/2026"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_kind_the_list_can_hold_is_worded(locale: str) -> None:
    review = Subject(year=2026, on=date(2026, 12, 1), until=date(2026, 12, 31))
    with use_locale(locale):
        for kind in CATALOGUE:
            if kind is K.CALENDAR_DAY:  # the propaganda board's: /calendar shows those
                continue
            subject = SESSION if kind.value.startswith("session") else DUTY
            if kind in (K.REVIEW_OPENS, K.REVIEW_SELF):
                subject = review
            text = views.describe(kind, subject)
            assert kind.value not in text and "{" not in text and "None" not in text, text


def test_the_overview_an_empty_list_and_the_buttons() -> None:
    with use_locale("vi"):
        empty = views.overview([], [], 30)
        assert empty[0] == "Trong 30 ngày tới, đồng chí không có nhắc việc nào."
        assert "hạn nộp bản cam kết" in empty[1]
        assert "không thể tắt" in empty[-1]
        choices = [(K.SESSION_SOON, True), (K.SESSION_HOUR, False), (K.REVIEW_SELF, False)]
        lines = views.overview([entry(K.SESSION_SOON, SESSION, muted=True)], choices, 30)
        assert lines[0] == "<b>Nhắc việc của đồng chí trong 30 ngày tới</b>"
        assert lines[-1].startswith("Đồng chí có thể tắt hoặc bật lại")
        rows = views.mute_rows(choices)
        assert [row[0][0] for row in rows] == [
            "Bật lại nhắc: sinh hoạt, trước 1 ngày",
            "Tắt nhắc: sinh hoạt, trước 1 giờ",
            "Tắt nhắc: tự đánh giá hằng tuần",
        ]
        assert [cb.REMINDER_MUTE.parse(row[0][1]) for row in rows] == [
            ("session_soon", "on"),
            ("session_hour", "off"),
            ("review_self", "off"),
        ]
        assert views.toggled(K.SESSION_SOON, True, False) == (
            "Nhắc việc này đã tắt từ trước: sinh hoạt, trước 1 ngày."
        )


def test_a_long_list_is_cut_and_splits_into_messages_telegram_accepts() -> None:
    long_unit = Subject(year=2026, on=date(2026, 3, 31), units=("Chi bộ " + "Ấp " * 400,))
    entries = [
        Upcoming(K.STUDY_DUE, WHEN + timedelta(hours=i), long_unit, False, False)
        for i in range(200)
    ]
    with use_locale("vi"):
        lines = views.overview(entries, [], 30)
        assert sum(line.startswith("• ") for line in lines) == views.SHOWN
        assert "… và 120 nhắc việc khác." in lines
        messages = split_html(lines)
    assert len(messages) > 1
    assert all(utf16_len(message) <= MAX_MESSAGE for message in messages)
