"""bot/services/sessions/attendance.py against a real database: answers (and when they are
refused), the check-in window and its code, late reports decided once, corrections, and
closing once, not before the start, with the derived marks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import callbacks as cb
from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.rules import sessions as rules
from bot.services.sessions import SessionOver
from tests.conftest import FakeBot, Organisation
from tests.unit.sessions_support import (
    START,
    actions,
    actor_for,
    admin,
    invitee,
    local_time,  # noqa: F401 (a fixture)
    new_session,
)

pytestmark = pytest.mark.usefixtures("local_time")


async def test_answers_are_refused_once_the_session_is_over(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    with pytest.raises(AccessDenied):  # the administrator has no member record to answer for
        await setup.sessions.rsvp(await admin(setup), session.id, True)
    with pytest.raises(InvalidInput):  # a reason of one letter
        await setup.sessions.rsvp(member, session.id, False, "x")
    with pytest.raises(NotFound):
        await setup.sessions.rsvp(member, 999_999, True)
    # Answers are taken until the end of the check-in window, two hours after the start.
    clock.moment = START + rules.CHECKIN_AFTER
    await setup.sessions.rsvp(member, session.id, True)
    clock.moment = START + rules.CHECKIN_AFTER + timedelta(minutes=1)
    with pytest.raises(Conflict) as late:
        await setup.sessions.rsvp(member, session.id, False, "ốm")
    assert "already taken place" in late.value.message
    assert (await invitee(setup, session.id, "DV002")).rsvp == "yes"
    await setup.sessions.close(secretary, session.id)
    with pytest.raises(SessionOver):
        await setup.sessions.rsvp(member, session.id, True)
    second, _ = await new_session(setup, org, starts_at=START + timedelta(days=7))
    await setup.sessions.cancel(secretary, second.id)
    with pytest.raises(SessionOver):
        await setup.sessions.rsvp(member, second.id, True)


async def test_a_new_reason_replaces_the_old_one(setup: Services, org: Organisation) -> None:
    session, _ = await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    await setup.sessions.rsvp(member, session.id, False, "  đi   công tác ")
    await setup.sessions.rsvp(member, session.id, False, "ốm")
    found = await invitee(setup, session.id, "DV002")
    assert (found.rsvp, found.rsvp_reason) == ("no", "ốm")
    await setup.sessions.rsvp(member, session.id, True)
    assert (await invitee(setup, session.id, "DV002")).rsvp == "yes"


async def test_check_in_opens_in_its_window_with_one_code(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.open_checkin(other, session.id)
    opened = await setup.sessions.open_checkin(secretary, session.id)  # early: prepared ahead
    assert opened.checkin_code is not None and len(opened.checkin_code) == 6
    assert (opened.checkin_opens, opened.checkin_closes) == rules.checkin_window(START)
    again = await setup.sessions.open_checkin(secretary, session.id)
    assert again.checkin_code == opened.checkin_code  # the code read out stays valid
    clock.moment = START + rules.CHECKIN_AFTER + timedelta(seconds=1)
    with pytest.raises(Conflict) as ended:
        await setup.sessions.open_checkin(secretary, session.id)
    assert ended.value.params["time"] == "21:30, 20/03/2026"
    assert [(a, o) for a, o, _ in await actions(setup)] == [
        ("session.create", "ok"),
        ("session.checkin", "denied"),  # the denial names the scope check that refused
        ("session.checkin.open", "ok"),
        ("session.checkin.open", "ok"),
    ]


async def test_checking_in_with_the_code(setup: Services, org: Organisation, clock) -> None:
    session, secretary = await new_session(setup, org)
    code = (await setup.sessions.open_checkin(secretary, session.id)).checkin_code
    assert code is not None
    member = await actor_for(setup, "DV002")
    with pytest.raises(InvalidInput):
        await setup.sessions.attend_code(member, "12345")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(NotFound):
        await setup.sessions.attend_code(member, wrong)
    clock.moment = START - rules.CHECKIN_BEFORE - timedelta(minutes=1)
    with pytest.raises(Conflict) as early:
        await setup.sessions.attend_code(member, code)
    assert "not opened yet" in early.value.message
    clock.moment = START - rules.CHECKIN_BEFORE
    first = await setup.sessions.attend_code(member, f"{code[:3]} {code[3:]}")
    assert (first.outcome, first.session.id) == ("checked_in", session.id)
    assert (await setup.sessions.attend_code(member, code)).outcome == "already"
    stranger = await actor_for(setup, "DV009")  # CB-HL1: not invited
    with pytest.raises(AccessDenied):
        await setup.sessions.attend_code(stranger, code)
    late = await actor_for(setup, "DV003")
    clock.moment = START + rules.CHECKIN_AFTER + timedelta(seconds=1)
    with pytest.raises(Conflict) as ended:  # after the window the code no longer counts
        await setup.sessions.attend_code(late, code)
    assert "has ended" in ended.value.message
    checked = await invitee(setup, session.id, "DV002")
    assert checked.checkin_via == "code" and checked.checked_in_at == START - rules.CHECKIN_BEFORE
    assert (await invitee(setup, session.id, "DV003")).checked_in_at is None


async def test_a_late_report_is_sent_to_the_secretary_and_decided_once(
    setup: Services, org: Organisation, clock, fake_bot: FakeBot
) -> None:
    session, secretary = await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    clock.moment = START - timedelta(hours=1)
    with pytest.raises(Conflict):  # before the start, without an opened check-in: too early
        await setup.sessions.attend_button(member, session.id)
    clock.moment = START + timedelta(days=1)
    reported = await setup.sessions.attend_button(member, session.id)
    assert reported.outcome == "reported"
    assert (await setup.sessions.attend_button(member, session.id)).outcome == "pending"
    request = fake_bot.to(710001)[-1]
    assert "Nguyễn Văn Đức" in request.text and "sau khi điểm danh đã đóng" in request.text
    data = [b.callback_data for row in request.reply_markup.inline_keyboard for b in row]
    member_id = member.member.id  # type: ignore[union-attr]
    assert data == [
        cb.LATE_DECIDE("ok", session.id, member_id),
        cb.LATE_DECIDE("no", session.id, member_id),
    ]
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.decide_late(other, session.id, member_id, True)
    absent = await actor_for(setup, "DV009")
    with pytest.raises(NotFound):  # not on this session's list
        await setup.sessions.decide_late(secretary, session.id, absent.member.id, True)  # type: ignore[union-attr]
    _, row = await setup.sessions.decide_late(secretary, session.id, member_id, True)
    assert (row.late_status, row.checkin_via) == ("confirmed", "late")
    assert "Bí thư đã xác nhận" in fake_bot.to(700002)[-1].text
    for approve in (True, False):
        with pytest.raises(Conflict) as twice:
            await setup.sessions.decide_late(secretary, session.id, member_id, approve)
        assert "already been decided" in twice.value.message
    assert ("session.late.confirm", "ok") in [(a, o) for a, o, _ in await actions(setup)]
    assert ("session.late.decide", "denied") in [(a, o) for a, o, _ in await actions(setup)]


async def test_a_rejected_late_report_is_told_and_counts_absent(
    setup: Services, org: Organisation, clock, fake_bot: FakeBot
) -> None:
    session, secretary = await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    clock.moment = START + timedelta(days=1)
    await setup.sessions.attend_button(member, session.id)
    member_id = member.member.id  # type: ignore[union-attr]
    _, row = await setup.sessions.decide_late(secretary, session.id, member_id, False)
    assert (row.late_status, row.checked_in_at) == ("rejected", None)
    assert "không xác nhận" in fake_bot.to(700002)[-1].text
    _, counts = await setup.sessions.close(secretary, session.id)
    assert counts.present == 0
    # Once closed, nothing about attendance changes any more.
    with pytest.raises(SessionOver):
        await setup.sessions.attend_button(member, session.id)


async def test_corrections_by_line_number(setup: Services, org: Organisation, clock) -> None:
    session, secretary = await new_session(setup, org)
    _, _, lines = await setup.sessions.attendance(secretary, session.id)
    assert [line.name for line in lines][-1] == "Phạm Quốc Việt"  # the exempt come last
    with pytest.raises(InvalidInput) as missing:
        await setup.sessions.correct(secretary, session.id, [rules.Change(9, rules.Mark.PRESENT)])
    assert missing.value.params == {"number": 9, "count": 4}
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.correct(other, session.id, [rules.Change(1, rules.Mark.PRESENT)])
    with pytest.raises(AccessDenied):
        await setup.sessions.attendance(other, session.id)
    corrected = await setup.sessions.correct(
        secretary, session.id, [rules.Change(2, rules.Mark.EXCUSED, "ốm")]
    )
    assert (corrected[1].mark, corrected[1].reason) == (rules.Mark.EXCUSED, "ốm")
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    with pytest.raises(SessionOver):
        await setup.sessions.correct(secretary, session.id, [rules.Change(1, rules.Mark.PRESENT)])


async def test_closing_once_after_the_start_writes_the_marks(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    await setup.sessions.rsvp(member, session.id, False, "đi công tác")
    clock.moment = START - timedelta(minutes=1)
    with pytest.raises(Conflict) as early:
        await setup.sessions.close(secretary, session.id)
    assert "has not started yet" in early.value.message
    other = await actor_for(setup, "DV005")
    clock.moment = START + timedelta(hours=3)
    with pytest.raises(AccessDenied):
        await setup.sessions.close(other, session.id)
    closed, counts = await setup.sessions.close(secretary, session.id)
    assert closed.status == "closed" and closed.closed_at == clock.now()
    assert (counts.total, counts.present, counts.excused, counts.absent, counts.exempt) == (
        3,
        0,
        1,
        2,
        1,
    )
    excused = await invitee(setup, session.id, "DV002")
    assert (excused.mark, excused.reason) == ("excused", "đi công tác")  # the RSVP's reason
    with pytest.raises(SessionOver):
        await setup.sessions.close(secretary, session.id)
    closes = [o for a, o, _ in await actions(setup) if a == "session.close"]
    assert closes == ["denied", "ok"]


async def test_in_the_window_the_button_does_not_check_anyone_in(
    setup: Services, org: Organisation, clock
) -> None:
    # The code read out in the room is the proof of presence: "I attended" while check-in is
    # open is refused with what to do instead; after the window it is a late report.
    session, secretary = await new_session(setup, org)
    await setup.sessions.open_checkin(secretary, session.id)
    member = await actor_for(setup, "DV002")
    clock.moment = START + timedelta(minutes=10)
    with pytest.raises(Conflict) as refused:
        await setup.sessions.attend_button(member, session.id)
    assert "/attend" in refused.value.message
    assert (await invitee(setup, session.id, "DV002")).checked_in_at is None
    clock.moment = START + rules.CHECKIN_AFTER + timedelta(minutes=1)
    assert (await setup.sessions.attend_button(member, session.id)).outcome == "reported"
    assert (await invitee(setup, session.id, "DV002")).checked_in_at is None


async def test_the_organiser_is_not_asked_to_tell_the_secretary(
    setup: Services, org: Organisation, fake_bot: FakeBot
) -> None:
    _, secretary = await new_session(setup, org)  # invitations queued with it
    by_chat = {message.chat_id: message for message in fake_bot.sent}
    own = by_chat[secretary.telegram_id]
    assert "người tổ chức" in own.text and own.reply_markup is None
    others = [m for chat, m in by_chat.items() if chat != secretary.telegram_id]
    assert others and all("báo cho bí thư" in m.text and m.reply_markup for m in others)
