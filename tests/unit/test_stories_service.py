"""bot/services/stories.py against a real database: who may write, the audience (each person
once, only below the board's unit), sending now and at a time, editing and cancelling a
scheduled story, "read and learned" once, and the figures per unit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import callbacks as cb
from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import use_locale
from bot.render import story_views
from bot.rules.stories import Audience, AudienceKind
from storage.clock import to_db
from tests.conftest import DATA_DIR, FakeBot, load_organisation
from tests.unit.sessions_support import actor_for, admin

BODY = "Đồng chí <b>Nguyễn Văn A</b> giúp đỡ bà con vùng lũ suốt ba tháng."
# Telegram ids for everyone who will receive a story (DV002 has 700002 in the roster).
IDS = {f"DV{n:03d}": 720000 + n for n in range(1, 13)} | {"DV002": 700002}

UNITS = (DATA_DIR / "org_units.csv").read_bytes() + (
    "CD-BT1,Chi đoàn Khu phố Đông Hưng,mass_org_branch,QU-BT\n".encode()
)
MEMBERS = (DATA_DIR / "org_members.csv").read_bytes() + (
    "DV011,Lâm Thị Mai,CD-BT1,official,Đoàn viên,false,,\n"
    "DV012,Châu Văn Tài,CD-BT1;CB-BT1,official,Bí thư chi đoàn,false,,\n"
).encode()


@pytest.fixture
async def board(services: Services, fake_bot: FakeBot) -> Services:
    """The organisation with a youth-union branch under QU-BT, every member on Telegram, and
    two boards: DV010 on QU-BT, DV008 on QU-HL; DV001 and DV005 are cell secretaries."""
    await load_organisation(services, UNITS, MEMBERS)
    for code, role, unit in (
        ("DV010", "propaganda", "QU-BT"),
        ("DV008", "propaganda", "QU-HL"),
        ("DV001", "secretary", "CB-BT1"),
        ("DV005", "secretary", "CB-BT2"),
    ):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    for code, telegram_id in IDS.items():
        if code != "DV004":  # DV004 never started the bot
            await actor_for(services, code, telegram_id)
    return services


async def _units(services: Services, *codes: str) -> tuple[int, ...]:
    async with services.db.read() as store:
        return tuple([(await store.units.by_code(code)).id for code in codes])  # type: ignore[union-attr]


async def _draft(services: Services, by: str = "DV010", unit: str = "QU-BT", **extra: object):
    actor = await actor_for(services, by, IDS[by])
    (unit_id,) = await _units(services, unit)
    fields: dict = {"title": "Tấm gương vượt lũ", "body": BODY, "tag": "model"} | extra
    return await services.stories.create_draft(actor, unit_id=unit_id, **fields), actor


def _story_chats(bot: FakeBot) -> list[int]:
    return sorted(m.chat_id for m in bot.sent if "Tấm gương" in m.text or "Bài" in m.text)


async def test_only_the_board_writes_and_only_below_its_unit(board: Services) -> None:
    member = await actor_for(board, "DV002", IDS["DV002"])
    (qu_bt,) = await _units(board, "QU-BT")
    with pytest.raises(AccessDenied):
        await board.stories.create_draft(
            member, unit_id=qu_bt, title="Tiêu đề", body=BODY, tag="model"
        )
    secretary = await actor_for(board, "DV001", IDS["DV001"])
    with pytest.raises(AccessDenied):  # a secretary is not the board
        await board.stories.create_draft(
            secretary, unit_id=qu_bt, title="Tiêu đề", body=BODY, tag="model"
        )
    other_board = await actor_for(board, "DV008", IDS["DV008"])  # QU-HL's board
    with pytest.raises(AccessDenied):
        await board.stories.create_draft(
            other_board, unit_id=qu_bt, title="Tiêu đề", body=BODY, tag="model"
        )
    # QU-BT's board cannot aim a story at QU-HL's cell either.
    hl1 = await _units(board, "CB-HL1")
    with pytest.raises(AccessDenied):
        await _draft(board, audience=Audience(AudienceKind.UNITS, hl1))
    story, actor = await _draft(board)
    assert story.status == "draft"
    with pytest.raises(AccessDenied):
        await board.stories.send_now(other_board, story.id)
    assert [s.id for s in await board.stories.list(actor)] == [story.id]
    assert await board.stories.list(other_board) == []
    root_admin = await admin(board)
    assert [s.id for s in await board.stories.list(root_admin)] == [story.id]


async def test_bad_text_is_refused_before_anything_is_written(board: Services) -> None:
    with pytest.raises(InvalidInput):
        await _draft(board, title="A")
    with pytest.raises(InvalidInput):
        await _draft(board, body="ngắn")
    with pytest.raises(InvalidInput):
        await _draft(board, body=BODY + "\x07")
    with pytest.raises(InvalidInput):
        await _draft(board, audience=Audience(AudienceKind.UNITS, ()))
    with pytest.raises(InvalidInput):
        await _draft(board, audience=Audience(AudienceKind.ROLE, (), "chairman"))
    actor = await actor_for(board, "DV010", IDS["DV010"])
    assert await board.stories.list(actor) == []


async def test_two_chosen_units_reach_each_member_once(board: Services, fake_bot: FakeBot) -> None:
    chosen = await _units(board, "CB-BT2", "CB-HL1")
    with pytest.raises(AccessDenied):  # CB-HL1 is outside QU-BT: the root's board may
        await _draft(board, audience=Audience(AudienceKind.UNITS, chosen))
    story, actor = await _draft(
        board, "DV010", "QU-BT", audience=Audience(AudienceKind.UNITS, chosen[:1])
    )
    # DV005, DV006 (also in CB-HL1) and DV007 are CB-BT2's members.
    assert await board.stories.count_recipients(actor, story.id) == (3, 3)
    sent = await board.stories.send_now(actor, story.id)
    assert sent.status == "sent" and sent.recipients == 3
    assert _story_chats(fake_bot) == sorted(IDS[c] for c in ("DV005", "DV006", "DV007"))
    message = fake_bot.to(IDS["DV006"])[-1]
    assert message.text.startswith("🌟 <i>")
    assert "<b>Nguyễn Văn A</b>" in message.text
    button = message.reply_markup.inline_keyboard[0][0]
    assert button.callback_data == cb.STORY_READ(story.id)
    with pytest.raises(Conflict):  # sent: no second sending, no edit
        await board.stories.send_now(actor, story.id)
    with pytest.raises(Conflict):
        await board.stories.edit(actor, story.id, title="Tiêu đề mới")


async def test_overlapping_units_from_the_root_board_count_each_person_once(
    board: Services, fake_bot: FakeBot
) -> None:
    await board.organisation.set_role(
        member_code="DV009", role="propaganda", unit_code="TU-DEMO", grant=True, actor="test"
    )
    chosen = await _units(board, "QU-BT", "CB-BT2", "CB-HL1")
    story, actor = await _draft(
        board, "DV009", "TU-DEMO", audience=Audience(AudienceKind.UNITS, chosen)
    )
    await board.stories.send_now(actor, story.id)
    chats = _story_chats(fake_bot)
    assert len(chats) == len(set(chats))
    # Everyone below QU-BT and in CB-HL1 but DV004 (not on Telegram); DV006 once.
    expected = {c for c in IDS if c != "DV004"}
    assert set(chats) == {IDS[c] for c in expected}


async def test_role_and_mass_organisation_audiences(board: Services, fake_bot: FakeBot) -> None:
    story, actor = await _draft(board, audience=Audience(AudienceKind.ROLE, (), "secretary"))
    await board.stories.send_now(actor, story.id)
    assert _story_chats(fake_bot) == sorted([IDS["DV001"], IDS["DV005"]])
    fake_bot.sent.clear()
    story, actor = await _draft(
        board, title="Bài cho đoàn viên", audience=Audience(AudienceKind.MASS_ORG)
    )
    await board.stories.send_now(actor, story.id)
    assert _story_chats(fake_bot) == sorted([IDS["DV011"], IDS["DV012"]])


async def test_a_scheduled_story_waits_for_its_time_and_can_be_edited_or_withdrawn(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    story, actor = await _draft(
        board, audience=Audience(AudienceKind.UNITS, await _units(board, "CB-BT1"))
    )
    with pytest.raises(InvalidInput):
        await board.stories.schedule(actor, story.id, clock.now() - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="a year ahead"):  # as the refusal says
        await board.stories.schedule(actor, story.id, clock.now() + timedelta(days=367))
    at = clock.now() + timedelta(days=2)
    scheduled = await board.stories.schedule(actor, story.id, at)
    assert scheduled.status == "scheduled" and scheduled.send_at == at
    assert _story_chats(fake_bot) == []  # not yet
    # A new text is what goes out at the time.
    await board.stories.edit(actor, story.id, title="Bài mới: tấm gương vượt lũ")
    # A new audience is queued again, at the same time.
    await board.stories.edit(
        actor, story.id, audience=Audience(AudienceKind.UNITS, await _units(board, "CB-BT2"))
    )
    clock.moment = at + timedelta(seconds=1)
    await board.db.deliver()  # type: ignore[attr-defined]
    assert _story_chats(fake_bot) == sorted(IDS[c] for c in ("DV005", "DV006", "DV007"))
    assert all("Bài mới" in fake_bot.to(IDS[c])[-1].text for c in ("DV005", "DV006", "DV007"))
    assert board.stories.status(await _get(board, actor, story.id)) == "sent"
    with pytest.raises(Conflict):  # its time has come: too late to withdraw
        await board.stories.cancel(actor, story.id)


async def test_a_cancelled_story_sends_nothing_and_is_a_draft_again(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    story, actor = await _draft(board)
    at = clock.now() + timedelta(hours=3)
    await board.stories.schedule(actor, story.id, at)
    with pytest.raises(Conflict):
        await board.stories.cancel(actor, (await _draft(board))[0].id)  # a draft: nothing to cancel
    cancelled = await board.stories.cancel(actor, story.id)
    assert cancelled.status == "draft"
    clock.moment = at + timedelta(hours=1)
    await board.db.deliver()  # type: ignore[attr-defined]
    assert _story_chats(fake_bot) == []
    assert await board.stories.release_due() == []  # nothing to release: it is a draft
    assert cancelled.batch_id is None and await _story_rows(board) == []


async def _get(services: Services, actor, story_id: int):
    story, _ = await services.stories.get(actor, story_id)
    return story


async def test_read_and_learned_counts_once_and_only_for_recipients(
    board: Services, fake_bot: FakeBot
) -> None:
    story, actor = await _draft(
        board, audience=Audience(AudienceKind.UNITS, await _units(board, "CB-BT1"))
    )
    await board.stories.send_now(actor, story.id)
    reader = await actor_for(board, "DV002", IDS["DV002"])
    assert await board.stories.mark_read(reader, story.id) is True
    assert await board.stories.mark_read(reader, story.id) is False
    outsider = await actor_for(board, "DV009", IDS["DV009"])  # CB-HL1: not sent to
    with pytest.raises(NotFound):
        await board.stories.mark_read(outsider, story.id)
    with pytest.raises(NotFound):
        await board.stories.open_received(outsider, story.id)
    assert (await board.stories.open_received(reader, story.id)).id == story.id
    assert [s.id for s in await board.stories.received(reader)] == [story.id]
    assert await board.stories.received(outsider) == []


async def test_figures_per_child_unit_most_engaged_first(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    fake_bot.fail_for[IDS["DV007"]] = _blocked()
    story, actor = await _draft(board)  # everyone below QU-BT
    await board.stories.send_now(actor, story.id)
    for code in ("DV005", "DV006"):  # CB-BT2: 2 of its 2 delivered read
        await board.stories.mark_read(await actor_for(board, code, IDS[code]), story.id)
    await board.stories.mark_read(await actor_for(board, "DV002", IDS["DV002"]), story.id)
    stats = await board.stories.stats(actor, story.id)
    # QU-BT: DV010; CB-BT1: DV001-3 (+DV012, primary in CD-BT1); CB-BT2: DV005-7; CD-BT1.
    total = stats.total
    assert (total.recipients, total.delivered, total.blocked, total.read) == (9, 8, 1, 3)
    by_code = {group.unit.code: group for group in stats.units}
    assert by_code["CB-BT2"].recipients == 3 and by_code["CB-BT2"].blocked == 1
    assert by_code["CB-BT2"].rate == 1.0
    assert by_code["CB-BT1"].read == 1 and by_code["CB-BT1"].delivered == 3
    assert stats.units[0].unit.code == "CB-BT2"
    assert [g.rate or 0 for g in stats.units] == sorted(
        (g.rate or 0 for g in stats.units), reverse=True
    )
    # The reports' view: the last 30 days, per child unit of QU-BT.
    now = clock.now()
    qu_bt = await _qu_bt(board)
    month = await board.stories.engagement(
        qu_bt, now - timedelta(days=30), now + timedelta(seconds=1)
    )
    engagement = {group.unit.code: (group.delivered, group.read) for group in month}
    assert engagement["CB-BT2"] == (2, 2) and engagement["CB-BT1"] == (3, 1)
    assert (
        await board.stories.engagement(
            await _qu_bt(board), now + timedelta(days=1), now + timedelta(days=31)
        )
        == []
    )


async def _qu_bt(services: Services):
    async with services.db.read() as store:
        return await store.units.by_code("QU-BT")


def _blocked() -> Exception:
    from telegram.error import Forbidden

    return Forbidden("Forbidden: bot was blocked by the user")


async def test_public_channels_get_the_text_without_the_button(
    board: Services, fake_bot: FakeBot
) -> None:
    await board.stories.set_channel(
        chat_id=-1001234, title="Học tập và làm theo Bác", add=True, actor="admin"
    )
    story, actor = await _draft(
        board, to_channels=True, audience=Audience(AudienceKind.ROLE, (), "secretary")
    )
    await board.stories.send_now(actor, story.id)
    channel = fake_bot.to(-1001234)
    assert len(channel) == 1 and channel[0].reply_markup is None
    assert "Tấm gương vượt lũ" in channel[0].text
    stats = await board.stories.stats(actor, story.id)
    assert stats.total.recipients == 2  # the channel is not a member


async def _story_rows(services: Services) -> list[tuple]:
    """(chat id, not before) of every story copy queued, whatever became of it."""
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT chat_id, not_before FROM outbox WHERE kind = 'story' ORDER BY chat_id"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def _move(services: Services, code: str, unit: str) -> None:
    """The member now belongs to ``unit`` alone (left the others)."""
    async with services.db.write() as store:
        member = await store.members.by_code(code)
        target = await store.units.by_code(unit)
        assert member is not None and target is not None
        await store.members.set_memberships(member.id, target.id, [], services.clock.today())


async def test_a_scheduled_story_is_released_once_at_its_time_to_the_audience_then(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    cb_bt1 = await _units(board, "CB-BT1")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, cb_bt1))
    at = clock.now() + timedelta(days=300)
    scheduled = await board.stories.schedule(actor, story.id, at)
    # Nothing is queued when scheduling; the figure is the estimate (DV001-3 and DV012;
    # DV004 is not on Telegram).
    assert scheduled.status == "scheduled" and scheduled.batch_id is None
    assert scheduled.recipients == 4
    assert await _story_rows(board) == []
    clock.moment = at - timedelta(seconds=1)
    assert await board.stories.release_due() == []  # not yet
    # Meanwhile DV002 leaves CB-BT1 and DV005 joins it.
    await _move(board, "DV002", "CB-HL1")
    await _move(board, "DV005", "CB-BT1")
    clock.moment = at + timedelta(seconds=5)
    # Two releases at once: the story is queued by one of them only.
    first, second = await asyncio.gather(board.stories.release_due(), board.stories.release_due())
    assert len(first) + len(second) == 1
    released = (first or second)[0]
    assert released.status == "sent" and released.batch_id is not None
    assert released.recipients == 4
    rows = await _story_rows(board)
    now_in = ("DV001", "DV003", "DV005", "DV012")
    assert [chat for chat, _ in rows] == sorted(IDS[c] for c in now_in)
    assert {not_before for _, not_before in rows} == {to_db(at)}
    assert await board.stories.release_due() == []  # once only
    await board.db.deliver()  # type: ignore[attr-defined]
    assert _story_chats(fake_bot) == sorted(IDS[c] for c in now_in)
    assert (await board.stories.stats(actor, story.id)).total.delivered == 4
    with pytest.raises(Conflict):  # released: no withdrawing, no edit
        await board.stories.cancel(actor, story.id)
    with pytest.raises(Conflict):
        await board.stories.edit(actor, story.id, title="Tiêu đề mới hơn")


async def test_a_story_past_its_time_is_sent_for_the_board_before_and_after_its_release(
    board: Services, clock
) -> None:
    story, actor = await _draft(board)
    at = clock.now() + timedelta(hours=1)
    await board.stories.schedule(actor, story.id, at)
    clock.moment = at + timedelta(seconds=10)  # due, the job not run yet
    waiting = await _get(board, actor, story.id)
    assert board.stories.status(waiting) == "sent" and waiting.batch_id is None
    stats = await board.stories.stats(actor, story.id)
    assert stats.total.recipients == 0 and stats.units == []
    with use_locale("en"):
        lines = story_views.stats_lines(stats, board.stories.status(waiting))
    assert "It is going out now" in lines[-1], lines
    with pytest.raises(Conflict):
        await board.stories.cancel(actor, story.id)
    await board.stories.release_due()
    assert board.stories.status(await _get(board, actor, story.id)) == "sent"
    assert (await board.stories.stats(actor, story.id)).total.recipients == 9


async def test_a_story_whose_audience_emptied_before_its_time_goes_back_to_the_drafts(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    cb_bt2 = await _units(board, "CB-BT2")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, cb_bt2))
    at = clock.now() + timedelta(days=1)
    await board.stories.schedule(actor, story.id, at)
    for code in ("DV005", "DV006", "DV007"):
        await _move(board, code, "CB-HL1")
    clock.moment = at + timedelta(seconds=1)
    (back,) = await board.stories.release_due()
    assert back.status == "draft" and back.batch_id is None
    await board.db.deliver()  # type: ignore[attr-defined]
    told = fake_bot.to(IDS["DV010"])  # who scheduled it
    assert len(told) == 1 and f"/story edit {story.id}" in told[0].text
    assert await _story_rows(board) == []
    assert await board.stories.release_due() == []


async def test_nobody_to_receive_is_refused_before_sending_or_scheduling(
    board: Services, clock
) -> None:
    # No deputy secretary anywhere in QU-BT: an empty audience.
    story, actor = await _draft(board, audience=Audience(AudienceKind.ROLE, (), "deputy"))
    with pytest.raises(Conflict, match="edit"):
        await board.stories.send_now(actor, story.id)
    with pytest.raises(Conflict, match="edit"):
        await board.stories.schedule(actor, story.id, clock.now() + timedelta(days=1))
    # Members, but none of them on Telegram: not now; at a time, perhaps by then.
    async with board.db.write() as store:
        for code in ("DV001", "DV002", "DV003", "DV012"):
            member = await store.members.by_code(code)
            assert member is not None
            await store.members.unlink_telegram(member.id)
    cb_bt1 = await _units(board, "CB-BT1")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, cb_bt1))
    with pytest.raises(Conflict, match="edit"):
        await board.stories.send_now(actor, story.id)
    assert (await _get(board, actor, story.id)).status == "draft"
    scheduled = await board.stories.schedule(actor, story.id, clock.now() + timedelta(days=1))
    assert scheduled.status == "scheduled" and scheduled.recipients == 0
    # A scheduled story's audience cannot be emptied either.
    with pytest.raises(InvalidInput, match="another audience"):
        await board.stories.edit(
            actor, story.id, audience=Audience(AudienceKind.ROLE, (), "deputy")
        )


async def test_a_story_queued_at_scheduling_the_old_way_is_released_anew_once_edited(
    board: Services, fake_bot: FakeBot, clock
) -> None:
    cb_bt2 = await _units(board, "CB-BT2")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, cb_bt2))
    at = clock.now() + timedelta(days=1)
    await board.stories.schedule(actor, story.id, at)
    async with board.db.write() as store:  # as stories were scheduled before the release
        unit = await store.units.get(story.unit_id)
        assert unit is not None
        to = await board.stories._copies(store, story, unit)
        batch_id, queued = await board.stories._queue(store, story, to, at, None)
        await store.stories.released(story.id, batch_id, queued)
    assert await board.stories.release_due() == []  # it has its batch
    await board.stories.edit(actor, story.id, title="Bài đã sửa: tấm gương vượt lũ")
    edited = await _get(board, actor, story.id)
    assert edited.batch_id is None and edited.status == "scheduled"
    clock.moment = at + timedelta(seconds=1)
    await board.db.deliver()  # type: ignore[attr-defined]
    for code in ("DV005", "DV006", "DV007"):
        copies = fake_bot.to(IDS[code])
        assert len(copies) == 1 and "Bài đã sửa" in copies[0].text, code
