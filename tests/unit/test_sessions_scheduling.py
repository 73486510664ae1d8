"""bot/services/sessions/scheduling.py against a real database: the start time, creating
(scope, kinds, fields), invitations and the change and cancellation notices, editing and
cancelling closed or cancelled sessions, and the lists."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import callbacks as cb
from bot.context import Services
from bot.errors import AccessDenied, InvalidInput, NotFound
from bot.i18n import use_locale
from bot.rules import sessions as rules
from bot.services.sessions import SessionOver
from tests.conftest import TIMEZONE, FakeBot, Organisation
from tests.unit.sessions_support import (
    START,
    actions,
    actor_for,
    admin,
    draft,
    new_session,
    session_row,
)


def _buttons(markup: object) -> list[str]:
    return [button.callback_data for row in markup.inline_keyboard for button in row]  # type: ignore[attr-defined]


def test_the_start_must_be_a_readable_future_time(services: Services, clock) -> None:
    assert services.sessions.parse_start("20/3 19:30") == START
    with pytest.raises(InvalidInput) as past:
        services.sessions.parse_start("01/03/2026 19:30")
    assert "already past" in past.value.message
    assert past.value.params["when"] == "19:30, 01/03/2026"
    with pytest.raises(InvalidInput):
        services.sessions.parse_start("tối thứ sáu")
    clock.moment = START  # exactly now is not the future
    with pytest.raises(InvalidInput):
        services.sessions.parse_start("20/3 19:30")


async def test_creating_outside_ones_scope_is_refused_and_audited(
    setup: Services, org: Organisation
) -> None:
    other = await actor_for(setup, "DV005")  # CB-BT2's secretary
    with pytest.raises(AccessDenied):
        await setup.sessions.create(other, draft(org, "CB-BT1"))
    member = await actor_for(setup, "DV002")  # no role at all
    with pytest.raises(AccessDenied):
        await setup.sessions.create(member, draft(org, "CB-BT1"))
    assert await actions(setup) == [
        ("session.create", "denied", "CB-BT1"),
        ("session.create", "denied", "CB-BT1"),
    ]
    async with setup.db.read() as store:
        assert await store.sessions.in_units([org.units["CB-BT1"].id]) == []


async def test_creating_checks_every_field_and_the_time(
    setup: Services, org: Organisation, clock
) -> None:
    secretary = await actor_for(setup, "DV001")
    for bad in (
        draft(org, "CB-BT1", topic="Họp"),  # shorter than 5 characters
        draft(org, "CB-BT1", topic="/session new"),  # a command, not a topic
        draft(org, "CB-BT1", place="x"),
        draft(org, "CB-BT1", starts_at=clock.now() - timedelta(minutes=1)),
        draft(org, "CB-BT1", "thematic", presenter="Nguyễn Văn Đức"),  # no lead-in
    ):
        with pytest.raises(InvalidInput):
            await setup.sessions.create(secretary, bad)
    with pytest.raises(NotFound):
        await setup.sessions.create(secretary, draft(org, "CB-BT1", unit_id=999_999))
    # A regular session keeps no presenter or lead-in even when given one.
    session, _ = await setup.sessions.create(
        secretary, draft(org, "CB-BT1", topic="  Sinh hoạt   tháng 3  ", presenter="Ai đó")
    )
    assert (session.topic, session.presenter, session.lead_in) == ("Sinh hoạt tháng 3", "", "")
    assert await actions(setup) == [("session.create", "ok", str(session.id))]


async def test_a_conference_only_where_there_are_units_below(
    setup: Services, org: Organisation
) -> None:
    regular, thematic = rules.Kind.REGULAR, rules.Kind.THEMATIC
    assert await setup.sessions.kinds_for(org.units["CB-BT1"].id) == [regular, thematic]
    assert await setup.sessions.kinds_for(org.units["QU-BT"].id) == [
        regular,
        thematic,
        rules.Kind.CONFERENCE,
    ]


async def test_invitations_reach_the_active_invitees_with_answer_buttons(
    setup: Services, org: Organisation, fake_bot: FakeBot
) -> None:
    # Saved and invited in one transaction: the invitations are queued with the session.
    session, _ = await new_session(setup, org, topic="Sinh hoạt <tháng 3> & học tập")
    # DV001 (bound by new_session) and DV002 have Telegram; DV003 and DV004 are listed only.
    assert sorted(m.chat_id for m in fake_bot.sent) == [700002, 710001]
    invitation = fake_bot.to(700002)[0]
    assert invitation.text.startswith("<b>Giấy mời</b> của Chi bộ Khu phố Đông Hưng")
    assert "Sinh hoạt &lt;tháng 3&gt; &amp; học tập" in invitation.text  # escaped
    assert _buttons(invitation.reply_markup) == [cb.RSVP_YES(session.id), cb.RSVP_NO(session.id)]


async def test_editing_checks_the_field_the_value_and_the_session(
    setup: Services, org: Organisation, clock, fake_bot: FakeBot
) -> None:
    session, secretary = await new_session(setup, org)
    with pytest.raises(InvalidInput):
        await setup.sessions.edit(secretary, session.id, "status", "closed")
    with pytest.raises(InvalidInput):
        await setup.sessions.edit(secretary, session.id, "place", "")
    with pytest.raises(InvalidInput):
        await setup.sessions.edit(secretary, session.id, "starts_at", clock.now())
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.edit(other, session.id, "place", "Phòng họp tầng 2")
    with pytest.raises(NotFound):
        await setup.sessions.edit(secretary, 999_999, "place", "Phòng họp tầng 2")
    edited = await setup.sessions.edit(secretary, session.id, "place", "  Phòng họp  tầng 2 ")
    assert edited.place == "Phòng họp tầng 2"
    # The change notice (queued with the change) carries the new details and the buttons.
    notice = fake_bot.to(700002)[-1]
    assert "<b>Thay đổi</b>" in notice.text and "Phòng họp tầng 2" in notice.text
    assert _buttons(notice.reply_markup) == [cb.RSVP_YES(session.id), cb.RSVP_NO(session.id)]
    assert [(a, o) for a, o, _ in await actions(setup)][-2:] == [
        ("session.edit", "denied"),
        ("session.edit", "ok"),
    ]


async def test_a_new_start_moves_an_open_check_in_window(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    clock.moment = START - timedelta(minutes=10)
    opened = await setup.sessions.open_checkin(secretary, session.id)
    later = datetime(2026, 3, 27, 19, 30, tzinfo=TIMEZONE)
    moved = await setup.sessions.edit(secretary, session.id, "starts_at", later)
    assert moved.checkin_code == opened.checkin_code
    assert (moved.checkin_opens, moved.checkin_closes) == rules.checkin_window(later)


async def test_closed_and_cancelled_sessions_refuse_changes(
    setup: Services, org: Organisation, clock, fake_bot: FakeBot
) -> None:
    session, secretary = await new_session(setup, org)
    second, _ = await new_session(setup, org, starts_at=START + timedelta(days=7))
    cancelled, told = await setup.sessions.cancel(secretary, second.id)
    assert cancelled.status == "cancelled"
    assert told == 2  # of DV001-DV004, the two with a Telegram account
    with pytest.raises(SessionOver) as again:
        await setup.sessions.cancel(secretary, second.id)
    assert "was cancelled" in again.value.message
    with pytest.raises(SessionOver):
        await setup.sessions.edit(secretary, second.id, "topic", "Một chủ đề khác")
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    with pytest.raises(SessionOver) as closed:
        await setup.sessions.edit(secretary, session.id, "topic", "Một chủ đề khác")
    assert "is closed" in closed.value.message
    with pytest.raises(SessionOver):
        await setup.sessions.cancel(secretary, session.id)
    assert (await session_row(setup, session.id)).topic == "Sinh hoạt chi bộ tháng 3"
    # The cancellation notice: the details, and no button to answer any more.
    notice = next(m for m in reversed(fake_bot.to(700002)) if "Hủy" in m.text)
    assert "<b>Hủy buổi sinh hoạt</b>" in notice.text and notice.reply_markup is None


async def test_lists_for_managers_and_for_members(
    setup: Services, org: Organisation, clock
) -> None:
    clock.moment = START - timedelta(days=60)  # sessions are created ahead of their time
    old, secretary = await new_session(setup, org, starts_at=START - timedelta(days=45))
    recent, _ = await new_session(setup, org, starts_at=START - timedelta(days=15))
    ahead, _ = await new_session(setup, org)
    gone, _ = await new_session(setup, org, starts_at=START + timedelta(days=3))
    other, _ = await new_session(setup, org, "CB-BT2")
    await setup.sessions.cancel(secretary, gone.id)
    clock.moment = START - timedelta(days=1)
    listed = [s.id for s, _ in await setup.sessions.list_managed(secretary)]
    assert old.id not in listed and other.id not in listed
    assert {recent.id, ahead.id, gone.id} == set(listed)
    # The committee above both cells sees both.
    committee = await actor_for(setup, "DV010")
    assert {other.id, ahead.id} <= {s.id for s, _ in await setup.sessions.list_managed(committee)}
    member = await actor_for(setup, "DV002")
    upcoming = await setup.sessions.upcoming_for_member(member)
    assert [s.id for s, _, _ in upcoming] == [ahead.id]  # neither past nor cancelled
    mine = await setup.sessions.my_sessions(member, past=timedelta(days=20))
    assert {s.id for s, _, _ in mine} == {recent.id, ahead.id}
    # An administrator without a member record has no sessions of their own.
    assert await setup.sessions.my_sessions(await admin(setup)) == []


async def test_notices_follow_each_members_language(
    setup: Services, org: Organisation, fake_bot: FakeBot
) -> None:
    async with setup.db.write() as store:
        member = await store.members.by_code("DV002")
        assert member is not None
        await store.members.set_language(member.id, "en")
    with use_locale("vi"):  # the language of whoever schedules it does not matter
        await new_session(setup, org)
    assert fake_bot.to(700002)[0].text.startswith("<b>Invitation</b> from")
    assert fake_bot.to(710001)[0].text.startswith("<b>Giấy mời</b>")


async def test_the_same_draft_saved_twice_makes_one_meeting(
    setup: Services, org: Organisation, fake_bot: FakeBot
) -> None:
    """The last step of /session new handled again after a crash (issue 13's drills): the
    draft's key finds the meeting saved the first time; nobody is invited twice."""
    first, secretary = await new_session(setup, org, request_key="k-1")
    sent = len(fake_bot.sent)
    again, invited = await setup.sessions.create(secretary, draft(org, "CB-BT1", request_key="k-1"))
    assert again.id == first.id and invited == 4
    assert len(fake_bot.sent) == sent
    other, _ = await setup.sessions.create(secretary, draft(org, "CB-BT1", request_key="k-2"))
    assert other.id != first.id
    async with setup.db.read() as store:
        assert len(await store.sessions.invitees(first.id)) == 4
