"""Importing the organisation tree and members, and granting roles."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import date

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.imports import ImportRejected, decode, plan_roster, validate_members, validate_units
from bot.rules.access import MANAGERS, Role
from storage import Database
from storage.db import Store
from storage.records import Member, Unit


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated


async def nearest_managers(store: Store, unit: Unit) -> list[Member]:
    """The secretaries and deputies of the unit, else of the nearest unit above that has any."""
    found = await store.roles.nearest_holders([unit], tuple(MANAGERS))
    return found[unit.id]


class OrganisationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def import_units(self, data: bytes, *, actor: str, source: str = "") -> ImportSummary:
        """Validate the whole file, then upsert by code in one transaction, or write nothing."""
        try:
            text = decode(data)
            async with self.db.write() as store:
                existing = await store.units.all()
                by_id = {u.id: u for u in existing}
                parents = {
                    u.code: by_id[u.parent_id].code if u.parent_id else None for u in existing
                }
                rows = validate_units(text, parents)
                known = {u.code: u for u in existing}
                created = updated = 0
                for row in rows:
                    parent_id = None
                    if row.parent_code:
                        parent_id = known[row.parent_code].id
                    before = known.get(row.code)
                    unit = await store.units.upsert(
                        row.code, row.name, row.kind, parent_id, row.org_name
                    )
                    if before is None:
                        created += 1
                    elif (before.name, before.kind, before.parent_id) != (
                        unit.name,
                        unit.kind,
                        unit.parent_id,
                    ):
                        updated += 1
                    known[row.code] = unit
                await store.units.rebuild_paths()
                summary = ImportSummary(len(rows), created, updated)
                await store.audit.record(
                    actor=actor,
                    action="units.import",
                    target=source,
                    detail={"rows": len(rows), "created": created, "updated": updated},
                )
            return summary
        except ImportRejected as rejected:
            await self._audit_rejected(actor, "units.import", source, rejected)
            raise

    async def import_members(self, data: bytes, *, actor: str, source: str = "") -> ImportSummary:
        """Check the whole file against one consistent read of the roster, then write the
        prepared change in one short transaction (the bot's own writes wait only that long),
        or write nothing."""
        try:
            text = decode(data)
            async with self.db.read() as store:
                units = {u.code: u.id for u in await store.units.all()}
                owners = await store.members.telegram_owners()
                roster = await store.members.roster()
            rows = await asyncio.to_thread(validate_members, text, units.__contains__, owners)
            change, created, updated = plan_roster(rows, roster, units)
            try:
                async with self.db.write() as store:
                    await store.members.apply_roster(change, self.clock.today())
                    await store.audit.record(
                        actor=actor,
                        action="members.import",
                        target=source,
                        detail={"rows": len(rows), "created": created, "updated": updated},
                    )
            except sqlite3.IntegrityError:
                # The bot linked an account or someone imported meanwhile: check again.
                raise Conflict(
                    N_(
                        "The members changed while the file was being checked. Nothing was "
                        "imported; please run the import again."
                    )
                ) from None
            return ImportSummary(len(rows), created, updated)
        except ImportRejected as rejected:
            await self._audit_rejected(actor, "members.import", source, rejected)
            raise

    async def _audit_rejected(
        self, actor: str, action: str, source: str, rejected: ImportRejected
    ) -> None:
        async with self.db.write() as store:
            await store.audit.record(
                actor=actor,
                action=action,
                target=source,
                outcome="error",
                detail={"problems": len(rejected.problems)},
            )

    async def end_membership(
        self, *, member_code: str, unit_code: str | None, on: date | None, actor: str
    ) -> int:
        """A member leaves one unit, or every unit: end-dated, never deleted, so past
        records stay true. Returns how many memberships were ended."""
        ended_on = on or self.clock.today()
        async with self.db.write() as store:
            member = await store.members.by_code(member_code)
            if member is None:
                raise NotFound(N_("No member has the code '{code}'."), code=member_code)
            current = await store.members.memberships(member.id)
            if unit_code is not None:
                current = [m for m in current if m.unit.code == unit_code]
                if not current:
                    raise NotFound(
                        N_("Member '{member}' is not in unit '{unit}'."),
                        member=member_code,
                        unit=unit_code,
                    )
            for membership in current:
                if ended_on < membership.started_on:
                    raise InvalidInput(
                        N_("The leaving date is before the member joined ({date})."),
                        date=membership.started_on.strftime("%d/%m/%Y"),
                    )
                await store.members.end_membership(membership.id, ended_on)
            await store.audit.record(
                actor=actor,
                action="membership.end",
                target=f"{member_code}@{unit_code or '*'}",
                detail={"ended": len(current), "on": ended_on.isoformat()},
            )
        return len(current)

    async def unlink_telegram(self, *, member_code: str, actor: str) -> bool:
        """Detach a Telegram account given to the wrong member; they redeem an invite again."""
        async with self.db.write() as store:
            member = await store.members.by_code(member_code)
            if member is None:
                raise NotFound(N_("No member has the code '{code}'."), code=member_code)
            changed = await store.members.unlink_telegram(member.id)
            await store.audit.record(
                actor=actor,
                action="member.unlink",
                target=member_code,
                detail={"telegram_id": member.telegram_id},
            )
        return changed

    async def set_role(
        self, *, member_code: str, role: str, unit_code: str, grant: bool, actor: str
    ) -> bool:
        """Grant or revoke; returns whether anything changed (repeating is harmless)."""
        try:
            role = Role(role).value
        except ValueError:
            raise InvalidInput(
                N_("Unknown role '{role}'. Use one of: {allowed}."),
                role=role,
                allowed=", ".join(r.value for r in Role),
            ) from None
        async with self.db.write() as store:
            member = await store.members.by_code(member_code)
            if member is None:
                raise NotFound(N_("No member has the code '{code}'."), code=member_code)
            unit = await store.units.by_code(unit_code)
            if unit is None:
                raise NotFound(N_("No unit has the code '{code}'."), code=unit_code)
            if grant:
                changed = await store.roles.grant(member.id, role, unit.id)
            else:
                changed = await store.roles.revoke(member.id, role, unit.id)
            await store.audit.record(
                actor=actor,
                action="role.grant" if grant else "role.revoke",
                target=f"{member_code}:{role}@{unit_code}",
                member_id=member.id,  # whose menu changes
                detail={"changed": changed},
            )
        return changed


async def role_changes_since(db: Database, after_id: int) -> tuple[int, list[int]]:
    """The Telegram ids of members whose roles changed (from the CLI or the bot) after audit
    row ``after_id``, and the last row seen: their command menus need refreshing."""
    async with db.read() as store:
        last, member_ids = await store.audit.members_touched(
            ("role.grant", "role.revoke"), after_id
        )
        members = await store.members.many(member_ids)
    return last, sorted({m.telegram_id for m in members.values() if m.telegram_id})
