"""/reminders: what is coming for one person over the next days, and muting.

The list is worked out from the same pure plans the engine uses (``service.plan``,
``rules.review_weeks``, ``sources.commit_offsets``), not read from the outbox, which holds
only the next half hour. It reads one person's own records, and for a secretary or a
committee member the units they answer for: never the whole organisation. It says what the
engine will send if nothing changes; filing a commitment or declining a meeting removes the
reminders it lists.

Muting (a member's choice, for the mutable kinds only) takes effect at once: the engine
leaves muted kinds out when it queues, the rows already queued are withdrawn here, and the
last look at send time (:mod:`.checks`) drops any that slipped through. Unmuting queues
again what falls due within the engine's lead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import AccessDenied, InvalidInput
from bot.i18n import N_
from bot.rules import reminders as rules
from bot.rules import upcoming as decide
from bot.rules.access import Actor
from bot.rules.reminder_kinds import MUTABLE, ReminderKind
from bot.services.audit import audit
from bot.services.reminders import duties, sources
from bot.services.reminders.engine import LEAD, Due, Window, template_of
from bot.services.reminders.subjects import Found, Subject
from storage.db import Store
from storage.records import Campaign, Member

if TYPE_CHECKING:
    from bot.services.reminders.engine import ReminderService

DAYS = 30  # how far ahead /reminders looks

__all__ = ["DAYS", "Subject", "Upcoming", "mute_choices", "set_muted", "upcoming"]


@dataclass(frozen=True)
class Upcoming:
    """One reminder coming for the person: its kind, when it will be sent (after quiet
    hours and holidays), what it is about, whether they may mute it and whether they did."""

    kind: ReminderKind
    send_at: datetime
    subject: Subject
    mutable: bool
    muted: bool


def _member(actor: Actor) -> Member:
    if actor.member is None or not actor.is_registered:
        raise AccessDenied(
            N_(
                "Reminders go to registered members only. Please ask your cell secretary for "
                "an invite code."
            )
        )
    return actor.member


# What is coming ---------------------------------------------------------------------------------


async def upcoming(service: ReminderService, actor: Actor, days: int = DAYS) -> list[Upcoming]:
    """The reminders coming for this person in the next ``days`` days, in time order: their
    own (commitment, meetings, the year-end review) and, for a secretary or a committee
    member, the duties of the units they answer for. Muted kinds are listed, marked."""
    member = _member(actor)
    now = service.clock.now()
    until = now + timedelta(days=max(days, 0))
    async with service.db.read() as store:
        muted = (await store.reminders.muted([member.id])).get(member.id, set())
        campaigns = await store.campaigns.all()
        found = await _own(service, store, member, campaigns, now, until)
        found += await _sessions(service, store, member, now, until)
        found += await duties.collect(service, store, actor, campaigns, now, until)
    entries = [
        Upcoming(
            kind=f.kind,
            send_at=f.send_at,
            subject=f.subject,
            mutable=f.kind in MUTABLE,
            muted=f.kind in MUTABLE and f.kind.value in muted,
        )
        for f in found
    ]
    return sorted(entries, key=lambda e: decide.sort_key(e.kind, e.send_at))


async def _own(
    service: ReminderService,
    store: Store,
    member: Member,
    campaigns: list[Campaign],
    since: datetime,
    until: datetime,
) -> list[Found]:
    """The member's commitment and year-end review, campaign by campaign."""
    from bot.services.reminders.sources import commit_offsets

    found: list[Found] = []
    for campaign in campaigns:
        standing = await store.reminders.standing(campaign.id, member.id)
        if standing is None:
            continue
        deadline = campaign.commit_deadline
        for kind in decide.commitment_kinds(standing.expected, standing.status):
            if kind is ReminderKind.COMMITMENT_DUE:
                plans = service.plan(kind, deadline, commit_offsets(campaign))
            elif standing.returned_at is not None:
                plans = service.plan(kind, standing.returned_at)
            else:
                continue
            subject = Subject(year=campaign.year, on=deadline)
            found += _within(plans, since, until, subject)
        opens, closes = campaign.review_opens, campaign.review_closes
        for kind in decide.review_kinds(
            standing.expected, member.status, standing.filed, standing.self_assessed
        ):
            if kind is ReminderKind.REVIEW_OPENS:
                plans = service.plan(kind, opens)
            else:
                weeks = rules.review_weeks(opens, closes)
                plans = [p for week in weeks for p in service.plan(kind, week)]
            subject = Subject(year=campaign.year, on=opens, until=closes)
            found += _within(plans, since, until, subject)
    return found


async def _sessions(
    service: ReminderService, store: Store, member: Member, since: datetime, until: datetime
) -> list[Found]:
    """The meetings the member is invited to and has not declined."""
    start, end = decide.session_span(since, until)
    found: list[Found] = []
    for session, invitee in await store.sessions.for_member(member.id, since=start, until=end):
        kinds = decide.invitee_kinds(
            session.status, invitee.rsvp, invitee.checked_in_at is not None, member.status
        )
        subject = Subject.of_session(session)
        for kind in kinds:
            found += _within(service.plan(kind, session.starts_at), since, until, subject)
    return found


def _within(
    plans: list[rules.Planned], since: datetime, until: datetime, subject: Subject
) -> list[Found]:
    return [Found(p.kind, p.send_at, subject) for p in decide.in_period(plans, since, until)]


# Muting -----------------------------------------------------------------------------------------


async def mute_choices(service: ReminderService, actor: Actor) -> list[tuple[ReminderKind, bool]]:
    """The kinds this member may mute, each with whether it is muted now."""
    member = _member(actor)
    async with service.db.read() as store:
        muted = (await store.reminders.muted([member.id])).get(member.id, set())
    return [(kind, kind.value in muted) for kind in decide.mutable_for(member.status)]


async def set_muted(service: ReminderService, actor: Actor, kind: str, muted: bool) -> bool:
    """Mute or unmute one kind for this member; True when that changed something, False when
    it was already so. Only the mutable kinds: a mandatory one is refused."""
    member = _member(actor)
    if not decide.is_mutable(kind):
        raise InvalidInput(
            N_(
                "This reminder cannot be muted: deadlines, check-in and the duties of "
                "secretaries and committees are always reminded. You may mute the meeting "
                "notices (a day and an hour before) and the weekly self-assessment reminder."
            )
        )
    chosen = ReminderKind(kind)
    now = service.clock.now()
    async with service.db.write() as store:
        current = (await store.reminders.muted([member.id])).get(member.id, set())
        if (chosen.value in current) == muted:
            return False
        await store.reminders.set_muted(member.id, chosen.value, muted, now)
        if muted:
            changed = await store.reminders.withdraw_member_template(member.id, template_of(chosen))
        else:
            changed = await _queue_again(service, store, member.id, chosen, now)
        await audit(
            store,
            actor,
            "reminder.mute" if muted else "reminder.unmute",
            chosen.value,
            **({"withdrawn": changed} if muted else {"queued": changed}),
        )
    return True


async def _queue_again(
    service: ReminderService, store: Store, member_id: int, kind: ReminderKind, now: datetime
) -> int:
    """After unmuting: what falls due within the engine's lead for this member, which the
    sweep has already passed over while it was muted (the keys keep anything sent from
    going twice)."""
    from bot.services.reminders import sources

    member = await store.members.get(member_id)
    if member is None:
        return 0
    window = Window(now, now + LEAD, now)
    dues: list[Due] = []
    if kind in decide.INVITEE_KINDS:
        start, end = decide.session_span(window.since, window.until)
        rows = await store.sessions.for_member(member.id, since=start, until=end)
        every = await sources.session_dues(service, store, window, [s for s, _ in rows])
        dues = [due for due in every if due.kind is kind]
    elif kind is ReminderKind.REVIEW_SELF:
        dues = await _review_dues(service, store, member, window)
    queued = 0
    for due in dues:
        mine = [p for p in due.to if isinstance(p, Member) and p.id == member.id]
        if mine:
            queued += await service.queue(store, replace(due, to=mine), now)
    return queued


async def _review_dues(
    service: ReminderService, store: Store, member: Member, window: Window
) -> list[Due]:
    """The weekly self-assessment reminder, for this member only (as the sweep's review
    source words it)."""
    found: list[Due] = []
    for campaign in await store.campaigns.all():
        standing = await store.reminders.standing(campaign.id, member.id)
        if standing is None or ReminderKind.REVIEW_SELF not in decide.review_kinds(
            standing.expected, member.status, standing.filed, standing.self_assessed
        ):
            continue
        opens, closes = campaign.review_opens, campaign.review_closes
        params = sources.review_params(campaign)
        for week in rules.review_weeks(opens, closes):
            for planned in service.plan(ReminderKind.REVIEW_SELF, week):
                if window.holds(planned.send_at):
                    found.append(Due(planned, ("campaign", campaign.id), week, [member], params))
    return found
