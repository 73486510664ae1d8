"""Invite-only registration: who someone is, redeeming codes, join requests, reachability."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound, Term
from bot.i18n import N_
from bot.invites import invite_problem, new_code, normalise_code
from bot.render.text import utf16_len
from bot.rules.access import MANAGERS, MONITORS, Actor, has_role_over, scope_units
from bot.rules.names import sorted_by_name
from bot.services.audit import actor_label, audit
from bot.services.notifications import NotificationService, Priority, Recipient
from bot.services.organisation import nearest_managers
from storage import Database, Store
from storage.records import Invite, JoinRequest, Member, Unit

log = logging.getLogger(__name__)

NAME_MIN, NAME_MAX = 4, 100


class Redeemed(StrEnum):
    BOUND = "bound"  # a personal invite: the account now belongs to the member
    NEEDS_NAME = "needs_name"  # a unit invite: ask the full name next


@dataclass(frozen=True)
class RedeemResult:
    outcome: Redeemed
    invite: Invite
    member: Member | None = None
    unit: Unit | None = None


@dataclass(frozen=True)
class UnreachedMember:
    member: Member
    unit: Unit
    invite: Invite | None  # None: already linked, only needs to start the bot
    blocked: bool


def clean_full_name(text: str) -> str:
    """Collapse spaces and check the length; raises InvalidInput with what to do instead."""
    name = " ".join(text.split())
    if not NAME_MIN <= utf16_len(name) <= NAME_MAX or not any(ch.isalpha() for ch in name):
        raise InvalidInput(
            N_(
                "Please send your full name as written in the roster, {low} to {high} "
                "characters, for example: Trần Thị Bích."
            ),
            low=NAME_MIN,
            high=NAME_MAX,
        )
    if name.startswith("/"):
        raise InvalidInput(N_("Please send your full name, not a command."))
    return name


class RegistrationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        admin_ids: frozenset[int],
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications
        self.admin_ids = admin_ids

    # Who is this? ------------------------------------------------------------------------

    async def administrators(self) -> list[int]:
        """Telegram ids of every administrator: from the settings and by role."""
        async with self.db.read() as store:
            by_role = await store.roles.telegram_ids_of("admin")
        return sorted(set(self.admin_ids) | set(by_role))

    async def identify(self, telegram_id: int) -> Actor:
        async with self.db.read() as store:
            return await self._actor(store, telegram_id)

    async def _actor(self, store: Store, telegram_id: int) -> Actor:
        is_admin = telegram_id in self.admin_ids
        member = await store.members.by_telegram_id(telegram_id)
        if member is None or member.registration == "rejected":
            return Actor(telegram_id, is_config_admin=is_admin)
        if member.registration == "pending":
            return Actor(telegram_id, member=member, is_config_admin=is_admin, pending=True)
        grants = tuple(await store.roles.for_member(member.id))
        units = tuple(m.unit for m in await store.members.memberships(member.id))
        return Actor(telegram_id, member, grants, is_admin, units=units)

    async def note_private_contact(self, actor: Actor) -> None:
        """Someone wrote to the bot in private: they can be written to from now on."""
        member = actor.member
        if member is None or (member.started_bot_at and member.blocked_at is None):
            return
        async with self.db.write() as store:
            await store.members.mark_started(actor.telegram_id, self.clock.now())

    async def note_blocked(self, telegram_id: int, blocked: bool) -> None:
        async with self.db.write() as store:
            if blocked:
                await store.members.mark_blocked(telegram_id, self.clock.now())
            else:
                await store.members.mark_started(telegram_id, self.clock.now())

    async def set_language(self, actor: Actor, language: str) -> None:
        if actor.member is None:
            return
        async with self.db.write() as store:
            await store.members.set_language(actor.member.id, language)

    # Invites -----------------------------------------------------------------------------

    async def redeem(self, code: str, telegram_id: int) -> RedeemResult:
        """Use an invite code. A personal invite binds the account at once."""
        code = normalise_code(code)
        today = self.clock.today()
        async with self.db.write() as store:
            current = await store.members.by_telegram_id(telegram_id)
            if current is not None and current.registration == "active":
                raise Conflict(
                    N_(
                        "Comrade {name}, you are already registered. Send /help to see "
                        "what you can do."
                    ),
                    name=current.full_name,
                )
            if current is not None and current.registration == "pending":
                raise Conflict(
                    N_(
                        "Your request to join is waiting for the secretary's approval. "
                        "You will get a message when it is decided."
                    )
                )
            invite = await store.invites.by_code(code)
            self._check(invite, today)
            assert invite is not None
            if invite.unit_id is not None:
                unit = await store.units.get(invite.unit_id)
                return RedeemResult(Redeemed.NEEDS_NAME, invite, unit=unit)
            member = await store.members.get(invite.member_id)  # type: ignore[arg-type]
            assert member is not None
            if member.telegram_id is not None and member.telegram_id != telegram_id:
                raise Conflict(
                    N_(
                        "This invite belongs to a member who is already registered from "
                        "another Telegram account. Please ask your cell secretary."
                    )
                )
            if not await store.invites.use(invite.id):
                raise Conflict(
                    N_(
                        "This invite code has already been used. Please ask your cell "
                        "secretary for a new one."
                    )
                )
            await store.members.bind_telegram(member.id, telegram_id)
            await store.audit.record(
                actor=f"tg:{telegram_id}",
                member_id=member.id,
                action="invite.redeem",
                target=invite.code,
            )
            member = await store.members.get(member.id)
        return RedeemResult(Redeemed.BOUND, invite, member=member)

    def _check(self, invite: Invite | None, today: date) -> None:
        problem = invite_problem(invite, today)
        if problem is not None:
            expires = invite.expires_on.strftime("%d/%m/%Y") if invite and invite.expires_on else ""
            raise InvalidInput(problem, date=expires)

    async def create_invite(
        self,
        *,
        by: str,
        member_code: str | None = None,
        unit_code: str | None = None,
        uses: int = 1,
        expires_on: date | None = None,
        actor: Actor | None = None,
    ) -> Invite:
        """A personal (member) or unit invite. ``actor`` is checked for scope when given."""
        if (member_code is None) == (unit_code is None):
            raise InvalidInput(N_("Give either a member code or a unit code."))
        if uses < 1 or uses > 1000:
            raise InvalidInput(N_("The number of uses must be between 1 and 1000."))
        if member_code is not None and uses != 1:
            raise InvalidInput(N_("A personal invite can be used once."))
        if expires_on is not None and expires_on < self.clock.today():
            raise InvalidInput(N_("The expiry date is in the past."))
        async with self.db.write() as store:
            member = unit = None
            if member_code is not None:
                member = await store.members.by_code(member_code)
                if member is None:
                    raise NotFound(N_("No member has the code '{code}'."), code=member_code)
                units = [m.unit for m in await store.members.memberships(member.id)]
                if actor is not None and not any(has_role_over(actor, MANAGERS, u) for u in units):
                    raise AccessDenied(N_("This member is not in a unit you manage."))
            else:
                unit = await store.units.by_code(unit_code or "")
                if unit is None:
                    raise NotFound(N_("No unit has the code '{code}'."), code=unit_code)
                if actor is not None and not has_role_over(actor, MANAGERS, unit):
                    raise AccessDenied(N_("You do not manage this unit."))
            invite = await self._new_invite(
                store,
                member_id=member.id if member else None,
                unit_id=unit.id if unit else None,
                uses=uses,
                expires_on=expires_on,
                by=by,
            )
            await store.audit.record(
                actor=by,
                action="invite.create",
                target=invite.code,
                member_id=actor.member.id if actor and actor.member else None,
                detail={"member": member_code, "unit": unit_code, "uses": uses},
            )
        return invite

    async def _new_invite(
        self,
        store: Store,
        *,
        member_id: int | None,
        unit_id: int | None,
        uses: int,
        expires_on: date | None,
        by: str,
    ) -> Invite:
        for _ in range(10):
            code = new_code()
            if await store.invites.by_code(code) is None:
                return await store.invites.create(
                    code=code,
                    member_id=member_id,
                    unit_id=unit_id,
                    max_uses=uses,
                    expires_on=expires_on,
                    created_by=by,
                )
        raise RuntimeError("could not find a free invite code")

    # Unit invites and join requests -------------------------------------------------------

    async def request_join(
        self, code: str, telegram_id: int, full_name: str, language: str | None
    ) -> JoinRequest:
        full_name = clean_full_name(full_name)
        today = self.clock.today()
        async with self.db.write() as store:
            if await store.members.by_telegram_id(telegram_id) is not None:
                raise Conflict(N_("You have already sent a request or are registered."))
            invite = await store.invites.by_code(normalise_code(code))
            self._check(invite, today)
            assert invite is not None and invite.unit_id is not None
            if not await store.invites.use(invite.id):
                raise Conflict(
                    N_(
                        "This invite code has already been used. Please ask your cell "
                        "secretary for a new one."
                    )
                )
            member = await store.members.create_pending(
                full_name=full_name, telegram_id=telegram_id, language=language
            )
            await store.members.set_memberships(member.id, invite.unit_id, [], today)
            request = await store.invites.create_request(
                member_id=member.id,
                unit_id=invite.unit_id,
                invite_id=invite.id,
                telegram_id=telegram_id,
                full_name=full_name,
            )
            await store.audit.record(
                actor=f"tg:{telegram_id}",
                member_id=member.id,
                action="join.request",
                target=invite.code,
                detail={"request": request.id},
            )
            unit = await store.units.get(invite.unit_id)
            assert unit is not None
            managers = await nearest_managers(store, unit)
            if not managers:
                log.warning(
                    "join request %s: unit %s has no secretary to approve", request.id, unit.code
                )
            await self.notifications.queue(
                store,
                kind="alert",
                template="join.request",
                to=managers,
                params={"unit_name": unit.name, "full_name": full_name, "request_id": request.id},
                dedup=f"join:{request.id}:request",
                priority=Priority.ALERT,
            )
        return request

    async def pending_requests(self, actor: Actor) -> list[tuple[JoinRequest, Unit]]:
        async with self.db.read() as store:
            if actor.is_admin:
                units = await store.units.all()
            else:
                units = []
                for top in scope_units(actor, MANAGERS):
                    units.extend(await store.units.subtree(top))
            by_id = {u.id: u for u in units}
            requests = await store.invites.pending_requests(list(by_id))
        return [(r, by_id[r.unit_id]) for r in requests]

    async def decide(self, request_id: int, approve: bool, actor: Actor) -> JoinRequest:
        """Approve or reject once; a second decision raises Conflict saying what happened."""
        today = self.clock.today()
        async with self.db.read() as store:
            request = await store.invites.get_request(request_id)
            if request is None:
                raise NotFound(N_("This request no longer exists."))
            unit = await store.units.get(request.unit_id)
        assert unit is not None
        if not has_role_over(actor, MANAGERS, unit):
            async with self.db.write() as store:
                await audit(store, actor, "join.decide", request_id, outcome="denied")
            raise AccessDenied(
                N_("Only the secretary of {unit} can decide this request."), unit=unit.name
            )
        async with self.db.write() as store:
            # Read again inside the transaction: another secretary may have decided meanwhile.
            request = await store.invites.get_request(request_id)
            assert request is not None
            if request.status != "pending":
                raise Conflict(
                    N_("This request was already {decision}."),
                    decision=Term(
                        N_("approved") if request.status == "approved" else N_("rejected")
                    ),
                )
            decider = actor.member.id if actor.member else None
            status = "approved" if approve else "rejected"
            await store.invites.decide(request_id, status, decider)  # type: ignore[arg-type]
            if approve:
                await store.members.set_registration(request.member_id, "active")
            else:
                await store.members.set_registration(request.member_id, "rejected")
                await store.members.end_memberships(request.member_id, today)
            await audit(
                store, actor, f"join.{status}", request_id, member_id=decider, unit=unit.code
            )
            request = await store.invites.get_request(request_id)
            assert request is not None
            # The rejected person's account is unbound: reach them by the id on the request.
            await self.notifications.queue(
                store,
                kind="answer",
                template="join.decision",
                to=[Recipient(request.telegram_id, request.member_id)],
                params={"unit_name": unit.name, "approved": approve},
                dedup=f"join:{request_id}:decision",
                priority=Priority.ANSWER,
            )
        return request

    # Reachability --------------------------------------------------------------------------

    async def unreached(self, actor: Actor) -> list[UnreachedMember]:
        """Members in the actor's units who have not started the bot, or blocked it. Those
        not yet linked get a personal invite to forward (an open one is reused)."""
        today = self.clock.today()
        result = []
        async with self.db.write() as store:
            tops = (
                [u for u in await store.units.all() if u.parent_id is None]
                if actor.is_admin and not actor.grants
                else scope_units(actor, MONITORS)
            )
            seen: set[int] = set()
            for top in tops:
                for unit in await store.units.subtree(top):
                    in_unit = await store.members.in_units([unit.id])
                    for member in sorted_by_name(in_unit, lambda m: m.full_name):
                        if member.id in seen or member.reachable:
                            continue
                        seen.add(member.id)
                        if member.telegram_id is not None:
                            # Already linked (imported with a Telegram id, or blocked the
                            # bot): a code would be refused; they only need to press Start.
                            result.append(
                                UnreachedMember(member, unit, None, member.blocked_at is not None)
                            )
                            continue
                        invite = await store.invites.open_for_member(member.id, today)
                        if invite is None:
                            invite = await self._new_invite(
                                store,
                                member_id=member.id,
                                unit_id=None,
                                uses=1,
                                expires_on=None,
                                by=actor_label(actor),
                            )
                        result.append(
                            UnreachedMember(member, unit, invite, member.blocked_at is not None)
                        )
        return result
