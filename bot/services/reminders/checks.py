"""The last look before a reminder goes: rows queued up to a lead ahead may have lost their
reason since (the commitment was filed, the invitee declined or checked in, the session was
closed with its minutes, the member self-assessed), or the member has muted their kind since.
The sender drops those."""

from __future__ import annotations

from collections import defaultdict

from bot.rules.reminder_kinds import MUTABLE, ReminderKind
from bot.rules.reminders import parse_key
from storage.db import Store
from storage.outbox import OutboxRow

FILED = (ReminderKind.COMMITMENT_DUE, ReminderKind.COMMITMENT_RETURNED)
INVITED = (ReminderKind.SESSION_SOON, ReminderKind.SESSION_HOUR, ReminderKind.SESSION_CHECKIN)


async def lapsed(store: Store, rows: list[OutboxRow]) -> set[int]:
    """The ids of these reminder rows that no longer have a reason to go."""
    by_kind: dict[ReminderKind, list[tuple[OutboxRow, int]]] = defaultdict(list)
    for row in rows:
        parsed = parse_key(row.dedup_key or "")
        if parsed is not None and row.member_id is not None:
            by_kind[parsed[2]].append((row, parsed[1]))
    gone: set[int] = set()
    for kind, found in by_kind.items():
        if kind in FILED:
            gone |= await _filed(store, found)
        elif kind in INVITED or kind is ReminderKind.SESSION_CLOSE:
            gone |= await _session(store, kind, found)
        elif kind is ReminderKind.REVIEW_SELF:
            gone |= await _assessed(store, found)
    mutable = [(row, k) for k, found in by_kind.items() if k in MUTABLE for row, _ in found]
    gone |= await _muted(store, mutable)
    return gone


async def _muted(store: Store, rows: list[tuple[OutboxRow, ReminderKind]]) -> set[int]:
    """Rows of a kind their member muted after they were queued (muting withdraws them; this
    catches a row claimed in between)."""
    if not rows:
        return set()
    muted = await store.reminders.muted({row.member_id for row, _ in rows if row.member_id})
    return {row.id for row, kind in rows if kind.value in muted.get(row.member_id or 0, set())}


async def _filed(store: Store, found: list[tuple[OutboxRow, int]]) -> set[int]:
    gone: set[int] = set()
    for campaign_id in {subject for _, subject in found}:
        rows = [row for row, subject in found if subject == campaign_id]
        done = await store.reminders.submitted_members(
            campaign_id, [row.member_id for row in rows if row.member_id is not None]
        )
        gone |= {row.id for row in rows if row.member_id in done}
    return gone


async def _assessed(store: Store, found: list[tuple[OutboxRow, int]]) -> set[int]:
    gone: set[int] = set()
    for campaign_id in {subject for _, subject in found}:
        rows = [row for row, subject in found if subject == campaign_id]
        done = await store.reminders.self_assessed(
            campaign_id, [row.member_id for row in rows if row.member_id is not None]
        )
        gone |= {row.id for row in rows if row.member_id in done}
    return gone


async def _session(
    store: Store, kind: ReminderKind, found: list[tuple[OutboxRow, int]]
) -> set[int]:
    gone: set[int] = set()
    for row, session_id in found:
        session = await store.sessions.get(session_id)
        if session is None or session.status == "cancelled":
            gone.add(row.id)
            continue
        if kind is ReminderKind.SESSION_CLOSE:
            if session.status == "closed" and await store.sessions.minutes(session_id):
                gone.add(row.id)
            continue
        if session.status != "scheduled":
            gone.add(row.id)
            continue
        assert row.member_id is not None
        invitee = await store.sessions.invitee(session_id, row.member_id)
        declined = invitee is None or invitee.rsvp == "no"
        checked_in = invitee is not None and invitee.checked_in_at is not None
        if declined or (kind is ReminderKind.SESSION_CHECKIN and checked_in):
            gone.add(row.id)
    return gone
