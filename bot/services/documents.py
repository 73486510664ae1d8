"""What every printed document reads from the database: the issuing unit's letterhead (its
superior named as a Party organisation, the locality) and who signs for a unit.

The rules are in :mod:`bot.rules.organisation`; the documents are built in ``bot/render``.
"""

from __future__ import annotations

from bot.rules.names import sorted_by_name
from bot.rules.organisation import Letterhead, letterhead
from storage import Store
from storage.records import Unit


async def letterhead_of(store: Store, unit: Unit, locality: str | None) -> Letterhead:
    """The letterhead of a document ``unit`` issues; ``locality`` is the configured place
    (None: the locality of the unit's root)."""
    ancestors = await store.units.ancestors(unit)
    given = await store.units.org_names([unit.id, *(a.id for a in ancestors)])
    return letterhead(unit, ancestors, given, locality)


async def holder_name(store: Store, unit: Unit, role: str = "secretary") -> str:
    """The name of who holds ``role`` on ``unit`` now (the first in roster order when
    several do); "" when nobody does."""
    holders = await store.roles.holders([unit.id], (role,))
    members = await store.members.many(member_id for member_id, _, _ in holders)
    names = sorted_by_name(member.full_name for member in members.values())
    return names[0] if names else ""
