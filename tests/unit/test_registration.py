"""RegistrationService and NotificationService: invites, join requests, reachability.

A FakeBot (tests/conftest.py) stands in for Telegram and records what would be sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.context import Services
from bot.delivery.templates import template
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import gettext, use_locale
from bot.rules.access import Actor
from bot.services.registration import Redeemed, clean_full_name
from storage.clock import to_db

SEC_BT1, SEC_HL1, SEC_QU_BT = 800001, 800008, 800010
ADMIN_ID = 900001
NEWCOMER = 555001


async def bind(services: Services, member_code: str, telegram_id: int) -> Actor:
    """Give a roster member a Telegram account, the way the bot does: a personal invite."""
    invite = await services.registration.create_invite(by="cli", member_code=member_code)
    result = await services.registration.redeem(invite.code, telegram_id)
    assert result.outcome is Redeemed.BOUND
    return await services.registration.identify(telegram_id)


async def grant(services: Services, member_code: str, role: str, unit_code: str) -> None:
    await services.organisation.set_role(
        member_code=member_code, role=role, unit_code=unit_code, grant=True, actor="cli"
    )


@pytest.fixture
async def people(services: Services, org, fake_bot) -> dict[str, Actor]:
    """Secretaries of CB-BT1 (DV001), CB-HL1 (DV008) and the committee QU-BT (DV010),
    each bound to a Telegram account; and the config admin."""
    await grant(services, "DV001", "secretary", "CB-BT1")
    await grant(services, "DV008", "secretary", "CB-HL1")
    await grant(services, "DV010", "secretary", "QU-BT")
    return {
        "sec_bt1": await bind(services, "DV001", SEC_BT1),
        "sec_hl1": await bind(services, "DV008", SEC_HL1),
        "sec_qu_bt": await bind(services, "DV010", SEC_QU_BT),
        "admin": await services.registration.identify(ADMIN_ID),
    }


async def invite_uses(services: Services, code: str) -> int:
    async with services.db.read() as store:
        invite = await store.invites.by_code(code)
    assert invite is not None
    return invite.uses


def rendered(error: Exception, locale: str = "en") -> str:
    with use_locale(locale):
        return error.render()  # type: ignore[attr-defined]


# Identifying people -----------------------------------------------------------------------


async def test_identify(services: Services, people) -> None:
    secretary = people["sec_bt1"]
    assert secretary.is_registered and not secretary.is_admin
    assert secretary.member is not None and secretary.member.code == "DV001"
    assert [g.role for g in secretary.grants] == ["secretary"]
    assert [u.code for u in secretary.units] == ["CB-BT1"]
    stranger = await services.registration.identify(123)
    assert stranger.member is None and not stranger.is_registered
    admin = people["admin"]
    assert admin.is_config_admin and admin.is_admin and admin.member is None


# Personal invites -------------------------------------------------------------------------


async def test_redeem_personal_invite_binds_the_account(services: Services, org, clock) -> None:
    registration = services.registration
    invite = await registration.create_invite(by="cli", member_code="DV003")
    assert invite.member_id == org.members["DV003"].id and invite.unit_id is None
    assert (invite.max_uses, invite.uses) == (1, 0)
    typed = f" {invite.code[:4].lower()}-{invite.code[4:].lower()} "
    result = await registration.redeem(typed, 777003)
    assert result.outcome is Redeemed.BOUND
    assert result.member is not None
    assert (result.member.code, result.member.telegram_id) == ("DV003", 777003)
    assert result.member.started_bot_at is not None and result.member.reachable
    assert await invite_uses(services, invite.code) == 1
    actor = await registration.identify(777003)
    assert actor.is_registered and actor.member.code == "DV003"  # type: ignore[union-attr]
    async with services.db.read() as store:
        (entry,) = await store.audit.recent(action="invite.redeem")
    assert (entry.actor, entry.target, entry.member_id) == (
        "tg:777003",
        invite.code,
        invite.member_id,
    )


async def test_second_redeem_by_someone_else_is_refused(services: Services, org) -> None:
    registration = services.registration
    invite = await registration.create_invite(by="cli", member_code="DV003")
    await registration.redeem(invite.code, 777003)
    with pytest.raises(InvalidInput) as caught:
        await registration.redeem(invite.code, 777999)
    assert "already been used" in rendered(caught.value)
    assert rendered(caught.value, "vi").startswith("Mã mời đã được sử dụng")
    async with services.db.read() as store:
        member = await store.members.by_code("DV003")
        assert await store.members.by_telegram_id(777999) is None
    assert member is not None and member.telegram_id == 777003
    assert await invite_uses(services, invite.code) == 1


async def test_redeeming_again_when_registered_is_a_conflict(services: Services, org) -> None:
    registration = services.registration
    await bind(services, "DV003", 777003)
    other = await registration.create_invite(by="cli", member_code="DV004")
    with pytest.raises(Conflict) as caught:
        await registration.redeem(other.code, 777003)
    assert "Lê Hoàng Yến" in rendered(caught.value)
    assert await invite_uses(services, other.code) == 0


async def test_personal_invite_of_a_member_bound_elsewhere(services: Services, org) -> None:
    registration = services.registration
    invite = await registration.create_invite(by="cli", member_code="DV002")  # has 700002
    with pytest.raises(Conflict) as caught:
        await registration.redeem(invite.code, 700999)
    assert "another Telegram account" in rendered(caught.value)
    assert await invite_uses(services, invite.code) == 0
    # The roster's own id already identifies them: no invite needed.
    owner = await registration.identify(700002)
    assert owner.is_registered and owner.member.code == "DV002"  # type: ignore[union-attr]
    with pytest.raises(Conflict) as caught:
        await registration.redeem(invite.code, 700002)
    assert "already registered" in rendered(caught.value)


async def test_unknown_expired_and_revoked_codes(services: Services, org, clock) -> None:
    registration = services.registration
    with pytest.raises(InvalidInput) as caught:
        await registration.redeem("ZZZZ9999", 1)
    assert "not valid" in rendered(caught.value)

    expiring = await registration.create_invite(
        by="cli", unit_code="CB-BT1", uses=5, expires_on=clock.today()
    )
    result = await registration.redeem(expiring.code, 2)  # still fine on its last day
    assert result.outcome is Redeemed.NEEDS_NAME
    clock.moment += timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        await registration.redeem(expiring.code, 2)
    assert "expired on 10/03/2026" in rendered(caught.value)
    assert "hết hạn ngày 10/03/2026" in rendered(caught.value, "vi")

    revoked = await registration.create_invite(by="cli", member_code="DV005")
    async with services.db.write() as store:
        await store.conn.execute(
            "UPDATE invites SET revoked_at = ? WHERE id = ?",
            (to_db(datetime.now(UTC)), revoked.id),
        )
    with pytest.raises(InvalidInput) as caught:
        await registration.redeem(revoked.code, 3)
    assert "withdrawn" in rendered(caught.value)


async def test_create_invite_checks_its_input(services: Services, org, clock) -> None:
    create = services.registration.create_invite
    cases = [
        ({}, InvalidInput, "either a member code or a unit code"),
        ({"member_code": "DV001", "unit_code": "CB-BT1"}, InvalidInput, "either"),
        ({"unit_code": "CB-BT1", "uses": 0}, InvalidInput, "between 1 and 1000"),
        ({"unit_code": "CB-BT1", "uses": 1001}, InvalidInput, "between 1 and 1000"),
        ({"member_code": "DV001", "uses": 2}, InvalidInput, "used once"),
        (
            {"unit_code": "CB-BT1", "expires_on": clock.today() - timedelta(days=1)},
            InvalidInput,
            "in the past",
        ),
        ({"member_code": "NOPE"}, NotFound, "No member has the code 'NOPE'."),
        ({"unit_code": "NOPE"}, NotFound, "No unit has the code 'NOPE'."),
    ]
    for kwargs, error, fragment in cases:
        with pytest.raises(error) as caught:
            await create(by="cli", **kwargs)
        assert fragment in rendered(caught.value), kwargs
    async with services.db.read() as store:
        cursor = await store.conn.execute("SELECT COUNT(*) FROM invites")
        assert (await cursor.fetchone())[0] == 0


async def test_create_invite_is_scoped_to_the_units_one_manages(services: Services, people) -> None:
    create = services.registration.create_invite
    outsider = people["sec_hl1"]
    with pytest.raises(AccessDenied):
        await create(by="tg:800008", member_code="DV003", actor=outsider)
    with pytest.raises(AccessDenied):
        await create(by="tg:800008", unit_code="CB-BT1", uses=5, actor=outsider)
    # DV006 is also in CB-HL1: the secretary of CB-HL1 may invite them.
    invite = await create(by="tg:800008", member_code="DV006", actor=outsider)
    assert invite.member_id is not None
    own = await create(by="tg:800001", unit_code="CB-BT1", uses=5, actor=people["sec_bt1"])
    assert own.max_uses == 5
    below = await create(by="tg:800010", member_code="DV003", actor=people["sec_qu_bt"])
    assert below.member_id is not None
    with pytest.raises(AccessDenied):
        await create(by="tg:800001", member_code="DV010", actor=people["sec_bt1"])  # parent
    async with services.db.read() as store:
        created = await store.audit.recent(action="invite.create")
    last = created[0]
    assert (last.actor, last.target, last.member_id) == (
        "tg:800010",
        below.code,
        people["sec_qu_bt"].member.id,  # type: ignore[union-attr]
    )
    assert last.detail == {"member": "DV003", "unit": None, "uses": 1}


# Unit invites and join requests -------------------------------------------------------------


@pytest.fixture
async def join_request(services: Services, people, fake_bot):
    invite = await services.registration.create_invite(
        by="tg:800001", unit_code="CB-BT1", uses=5, actor=people["sec_bt1"]
    )
    result = await services.registration.redeem(invite.code, NEWCOMER)
    assert result.outcome is Redeemed.NEEDS_NAME
    request = await services.registration.request_join(
        invite.code, NEWCOMER, "  Lâm   Mỹ  Hạnh ", "en"
    )
    return invite, request


async def test_unit_invite_asks_for_a_name_and_binds_nothing(services: Services, people) -> None:
    registration = services.registration
    invite = await registration.create_invite(by="cli", unit_code="CB-BT1", uses=5)
    assert invite.member_id is None and invite.max_uses == 5 and invite.unit_id is not None
    result = await registration.redeem(invite.code, NEWCOMER)
    assert result.outcome is Redeemed.NEEDS_NAME
    assert result.unit is not None and result.unit.code == "CB-BT1"
    assert result.member is None
    assert await invite_uses(services, invite.code) == 0
    assert not (await registration.identify(NEWCOMER)).is_registered


async def test_request_join_creates_a_pending_member(
    services: Services, people, join_request, fake_bot, org
) -> None:
    invite, request = join_request
    assert request.status == "pending"
    assert request.full_name == "Lâm Mỹ Hạnh"
    assert request.unit_id == org.units["CB-BT1"].id
    assert await invite_uses(services, invite.code) == 1
    actor = await services.registration.identify(NEWCOMER)
    assert actor.pending and not actor.is_registered
    assert actor.member is not None
    assert (actor.member.registration, actor.member.code) == ("pending", None)
    assert actor.member.language == "en"
    async with services.db.read() as store:
        memberships = await store.members.memberships(actor.member.id)
        (entry,) = await store.audit.recent(action="join.request")
    assert [m.unit.code for m in memberships] == ["CB-BT1"]
    assert entry.detail == {"request": request.id}
    # The cell's secretary is alerted, in Vietnamese, with the two decision buttons.
    (alert,) = fake_bot.to(SEC_BT1)
    assert "Lâm Mỹ Hạnh" in alert.text and "Chi bộ Khu phố Đông Hưng" in alert.text
    with use_locale("vi"):
        assert gettext("Approve") == "Duyệt"
    assert isinstance(alert.reply_markup, InlineKeyboardMarkup)
    buttons = [b for row in alert.reply_markup.inline_keyboard for b in row]
    with use_locale("vi"):
        labels = (gettext("Approve"), gettext("Reject"))
    assert labels[1] != "Reject"
    assert [(b.text, b.callback_data) for b in buttons] == [
        (labels[0], f"join:approve:{request.id}"),
        (labels[1], f"join:reject:{request.id}"),
    ]
    assert fake_bot.to(SEC_HL1) == []


async def test_request_join_twice_is_a_conflict(services: Services, join_request) -> None:
    invite, _ = join_request
    with pytest.raises(Conflict):
        await services.registration.request_join(invite.code, NEWCOMER, "Lâm Mỹ Hạnh", "en")
    with pytest.raises(Conflict) as caught:
        await services.registration.redeem(invite.code, NEWCOMER)
    assert "waiting for the secretary" in rendered(caught.value)
    assert await invite_uses(services, invite.code) == 1


async def test_request_join_refuses_bad_names(services: Services, people) -> None:
    invite = await services.registration.create_invite(by="cli", unit_code="CB-BT1", uses=5)
    for name in ("Hà", "12345", "/start abc", "x" * 101):
        with pytest.raises(InvalidInput):
            await services.registration.request_join(invite.code, NEWCOMER, name, None)
    assert await invite_uses(services, invite.code) == 0


async def test_join_request_alerts_the_nearest_manager_above(
    services: Services, people, fake_bot
) -> None:
    # CB-BT2 has no secretary of its own: the committee's secretary is asked.
    invite = await services.registration.create_invite(by="cli", unit_code="CB-BT2", uses=2)
    request = await services.registration.request_join(invite.code, NEWCOMER, "Lâm Mỹ Hạnh", None)
    assert [m.chat_id for m in fake_bot.sent] == [SEC_QU_BT]
    assert f"join:approve:{request.id}" in str(fake_bot.sent[0].reply_markup.to_dict())


async def test_approve_once_only(services: Services, people, join_request, fake_bot) -> None:
    _, request = join_request
    decided = await services.registration.decide(request.id, True, people["sec_bt1"])
    assert decided.status == "approved"
    assert decided.decided_by == people["sec_bt1"].member.id  # type: ignore[union-attr]
    actor = await services.registration.identify(NEWCOMER)
    assert actor.is_registered and [u.code for u in actor.units] == ["CB-BT1"]
    (message,) = fake_bot.to(NEWCOMER)
    assert "has been approved" in message.text  # in the newcomer's language, English
    for approve in (True, False):
        with use_locale("en"), pytest.raises(Conflict) as caught:
            await services.registration.decide(request.id, approve, people["sec_bt1"])
        assert rendered(caught.value) == "This request was already approved."
    with use_locale("vi"), pytest.raises(Conflict) as caught:
        await services.registration.decide(request.id, True, people["sec_bt1"])
    assert rendered(caught.value, "vi") == "Yêu cầu này đã được duyệt."
    assert (await services.registration.identify(NEWCOMER)).is_registered
    async with services.db.read() as store:
        approved = await store.audit.recent(action="join.approved")
    assert [e.target for e in approved] == [str(request.id)]


async def test_reject_once_only(services: Services, people, join_request, fake_bot, clock) -> None:
    invite, request = join_request
    decided = await services.registration.decide(request.id, False, people["sec_bt1"])
    assert decided.status == "rejected"
    with use_locale("en"), pytest.raises(Conflict) as caught:
        await services.registration.decide(request.id, True, people["sec_bt1"])
    assert rendered(caught.value) == "This request was already rejected."
    (message,) = fake_bot.to(NEWCOMER)
    assert "was not approved" in message.text
    async with services.db.read() as store:
        member = await store.members.get(request.member_id)
        current = await store.members.memberships(request.member_id)
        history = await store.members.memberships(request.member_id, current_only=False)
    assert member is not None
    assert (member.registration, member.telegram_id) == ("rejected", None)
    assert current == [] and [m.ended_on for m in history] == [clock.today()]
    stranger = await services.registration.identify(NEWCOMER)
    assert not stranger.pending and stranger.member is None
    # They may try again with an invite that still has uses.
    again = await services.registration.request_join(invite.code, NEWCOMER, "Lâm Mỹ Hạnh", "vi")
    assert again.id != request.id and again.status == "pending"


async def test_a_manager_above_and_the_config_admin_may_decide(
    services: Services, people, join_request
) -> None:
    _, request = join_request
    decided = await services.registration.decide(request.id, True, people["sec_qu_bt"])
    assert decided.status == "approved"
    invite = await services.registration.create_invite(by="cli", unit_code="CB-HL1", uses=2)
    other = await services.registration.request_join(invite.code, 555002, "Mai Văn Tân", None)
    assert (await services.registration.decide(other.id, False, people["admin"])).status == (
        "rejected"
    )


async def test_secretary_of_another_cell_is_denied(
    services: Services, people, join_request, fake_bot
) -> None:
    _, request = join_request
    sent_before = len(fake_bot.sent)
    with pytest.raises(AccessDenied) as caught:
        await services.registration.decide(request.id, True, people["sec_hl1"])
    assert "Chi bộ Khu phố Đông Hưng" in rendered(caught.value)
    async with services.db.read() as store:
        stored = await store.invites.get_request(request.id)
    assert stored is not None and stored.status == "pending"
    assert len(fake_bot.sent) == sent_before
    assert (await services.registration.identify(NEWCOMER)).pending


async def test_denied_decision_is_audited(services: Services, people, join_request) -> None:
    _, request = join_request
    with pytest.raises(AccessDenied):
        await services.registration.decide(request.id, True, people["sec_hl1"])
    async with services.db.read() as store:
        entries = await store.audit.recent(action="join.decide")
    assert [(e.actor, e.outcome, e.target) for e in entries] == [
        (f"tg:{SEC_HL1}", "denied", str(request.id))
    ]


async def test_conflict_renders_wholly_in_the_locale_it_is_shown_in(
    services: Services, people, join_request
) -> None:
    _, request = join_request
    await services.registration.decide(request.id, True, people["sec_bt1"])
    with use_locale("vi"), pytest.raises(Conflict) as caught:
        await services.registration.decide(request.id, True, people["sec_bt1"])
    assert rendered(caught.value, "en") == "This request was already approved."


async def test_deciding_an_unknown_request(services: Services, people) -> None:
    with pytest.raises(NotFound):
        await services.registration.decide(9999, True, people["sec_bt1"])


async def test_pending_requests_are_scoped(services: Services, people, join_request) -> None:
    _, request = join_request
    listed = await services.registration.pending_requests(people["sec_bt1"])
    assert [(r.id, u.code) for r, u in listed] == [(request.id, "CB-BT1")]
    assert [r.id for r, _ in await services.registration.pending_requests(people["sec_qu_bt"])] == [
        request.id
    ]
    assert await services.registration.pending_requests(people["sec_hl1"]) == []
    assert len(await services.registration.pending_requests(people["admin"])) == 1


# Reachability ---------------------------------------------------------------------------------


async def test_unreached_lists_members_without_telegram_each_with_an_invite(
    services: Services, people, org
) -> None:
    first = await services.registration.unreached(people["sec_qu_bt"])
    codes = [u.member.code for u in first]
    # QU-BT's subtree: DV001 and DV010 are bound; DV002 has an id but never started the bot.
    assert sorted(codes) == ["DV002", "DV003", "DV004", "DV005", "DV006", "DV007"]
    assert len(codes) == len(set(codes))
    for item in first:
        assert not item.blocked
        if item.member.code == "DV002":
            # Already linked by the roster: a code would be refused, they only press Start.
            assert item.invite is None
            continue
        assert item.invite.member_id == item.member.id
        assert item.invite.uses == 0 and item.invite.revoked_at is None
    first = [u for u in first if u.invite is not None]
    assert {u.member.code: u.unit.code for u in first}["DV006"] == "CB-BT2"
    second = await services.registration.unreached(people["sec_qu_bt"])
    assert {u.member.code: u.invite.code for u in second if u.invite} == {
        u.member.code: u.invite.code for u in first
    }
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT COUNT(*) FROM invites WHERE member_id IS NOT NULL"
        )
        # Three used invites from binding the secretaries, plus one per unreached member.
        assert (await cursor.fetchone())[0] == 3 + len(first)


async def test_unreached_scope(services: Services, people) -> None:
    cell = await services.registration.unreached(people["sec_hl1"])
    assert sorted(u.member.code for u in cell) == ["DV006", "DV009"]
    everyone = await services.registration.unreached(people["admin"])
    assert sorted(u.member.code for u in everyone) == [
        "DV002",
        "DV003",
        "DV004",
        "DV005",
        "DV006",
        "DV007",
        "DV009",
    ]


async def test_unreached_member_redeems_the_listed_invite(services: Services, people) -> None:
    listed = {u.member.code: u for u in await services.registration.unreached(people["sec_bt1"])}
    result = await services.registration.redeem(listed["DV003"].invite.code, 777003)
    assert result.outcome is Redeemed.BOUND
    after = {u.member.code for u in await services.registration.unreached(people["sec_bt1"])}
    assert "DV003" not in after
    # DV002's id came with the roster: writing to the bot once is enough.
    await services.registration.note_private_contact(await services.registration.identify(700002))
    after = {u.member.code for u in await services.registration.unreached(people["sec_bt1"])}
    assert after == {"DV004"}


async def test_blocked_member_is_marked_and_listed_again(
    services: Services, people, fake_bot, clock
) -> None:
    async with services.db.read() as store:
        bich = await store.members.by_code("DV001")
    assert bich is not None and bich.reachable
    fake_bot.fail_for[SEC_BT1] = Forbidden("Forbidden: bot was blocked by the user")
    assert await _notify(services, [bich]) == 1
    assert fake_bot.sent == []
    async with services.db.read() as store:
        blocked = await store.members.by_code("DV001")
    assert blocked is not None and blocked.blocked_at == clock.now()
    assert not blocked.reachable
    listed = {u.member.code: u for u in await services.registration.unreached(people["sec_bt1"])}
    assert listed["DV001"].blocked is True
    assert listed["DV001"].invite is None  # still linked: unblocking the bot is all it takes
    # Unblocking (a private message, or my_chat_member) makes them reachable again.
    await services.registration.note_blocked(SEC_BT1, False)
    async with services.db.read() as store:
        unblocked = await store.members.by_code("DV001")
    assert unblocked is not None and unblocked.reachable


async def test_note_private_contact_marks_started(services: Services, org, clock) -> None:
    actor = await services.registration.identify(700002)  # DV002: id from the roster
    assert actor.member is not None and not actor.member.reachable
    await services.registration.note_private_contact(actor)
    async with services.db.read() as store:
        member = await store.members.by_telegram_id(700002)
    assert member is not None and member.started_bot_at == clock.now() and member.reachable
    await services.registration.note_private_contact(await services.registration.identify(1))


async def test_set_language(services: Services, people) -> None:
    await services.registration.set_language(people["sec_bt1"], "en")
    again = await services.registration.identify(SEC_BT1)
    assert again.member is not None and again.member.language == "en"
    await services.registration.set_language(people["admin"], "en")  # no member: nothing


# Notifications: queued in the caller's transaction, delivered by the sender ------------------


@template("test.approve")
def _approve(params: dict) -> tuple[str, None]:
    return gettext("Approve"), None


async def _notify(services: Services, members: list) -> int:
    async with services.db.write() as store:
        return await services.notifications.queue(
            store, kind="test", template="test.approve", to=members
        )


async def test_notify_speaks_the_members_language(services: Services, org, fake_bot) -> None:
    english = await bind(services, "DV003", 777003)  # language en in the roster
    vietnamese = await bind(services, "DV009", 777009)  # language vi
    assert await _notify(services, [english.member]) == 1
    assert await _notify(services, [vietnamese.member]) == 1
    assert [(m.chat_id, m.text, m.reply_markup) for m in fake_bot.sent] == [
        (777003, "Approve", None),
        (777009, "Duyệt", None),
    ]


async def test_a_member_without_telegram_is_not_queued(services: Services, org, fake_bot) -> None:
    assert await _notify(services, [org.members["DV003"]]) == 0
    assert fake_bot.sent == []


async def test_a_rate_limited_message_waits_and_is_sent_later(
    services: Services, org, fake_bot, clock
) -> None:
    fake_bot.fail_once[700002] = [RetryAfter(timedelta(seconds=0))]
    await _notify(services, [org.members["DV002"]])
    assert [m.chat_id for m in fake_bot.sent] == [700002]  # after the pause, once
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
    assert member is not None and member.blocked_at is None


async def test_other_telegram_errors_do_not_mark_blocked(services: Services, org, fake_bot) -> None:
    fake_bot.fail_for[700002] = NetworkError("connection reset")
    await _notify(services, [org.members["DV002"]])
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
        cursor = await store.conn.execute("SELECT status, attempts FROM outbox")
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert member is not None and member.blocked_at is None
    assert rows == [("queued", 1)]  # back-off: tried again later, up to the limit


async def test_a_blocked_member_is_skipped_the_others_reached(
    services: Services, org, fake_bot
) -> None:
    fake_bot.fail_for[700002] = Forbidden("Forbidden: bot was blocked by the user")
    await bind(services, "DV009", 777009)
    async with services.db.read() as store:
        members = [await store.members.by_code(code) for code in ("DV002", "DV003", "DV009")]
    assert await _notify(services, members) == 2  # DV003 has no Telegram account
    assert [m.chat_id for m in fake_bot.sent] == [777009]


# Names ------------------------------------------------------------------------------------------


def test_clean_full_name() -> None:
    assert clean_full_name("  Trần   Thị\tBích \n") == "Trần Thị Bích"
    for bad in ("", "Hà", "1234 5678", "x" * 101, "/start ABCD"):
        with pytest.raises(InvalidInput):
            clean_full_name(bad)
    assert clean_full_name("Lý A") == "Lý A"
