"""Members and their memberships of units."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, datetime

import aiosqlite

from storage.clock import from_db, to_db, utcnow
from storage.records import Member, Membership, RosterChange, RosterEntry, Unit
from storage.units import chunked, unit_from_row

MEMBER_COLUMNS = (
    "m.id, m.code, m.full_name, m.status, m.position, m.is_head, m.language, m.telegram_id, "
    "m.registration, m.started_bot_at, m.blocked_at, m.work_unit"
)


def member_from_row(row: sqlite3.Row) -> Member:
    return Member(
        id=row["id"],
        code=row["code"],
        full_name=row["full_name"],
        status=row["status"],
        position=row["position"],
        is_head=bool(row["is_head"]),
        language=row["language"],
        telegram_id=row["telegram_id"],
        registration=row["registration"],
        started_bot_at=from_db(row["started_bot_at"]),
        blocked_at=from_db(row["blocked_at"]),
        work_unit=row["work_unit"],
    )


class MemberRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, where: str, params: tuple) -> Member | None:
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE {where}", params
        )
        row = await cursor.fetchone()
        return member_from_row(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        return await self._one("m.id = ?", (member_id,))

    async def many(self, member_ids: Iterable[int]) -> dict[int, Member]:
        """Members by id, fetched in a few queries rather than one per member."""
        found: dict[int, Member] = {}
        for chunk in chunked(list(dict.fromkeys(member_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id IN ({marks})", chunk
            )
            for row in await cursor.fetchall():
                found[row["id"]] = member_from_row(row)
        return found

    async def by_code(self, code: str) -> Member | None:
        return await self._one("m.code = ?", (code,))

    async def by_telegram_id(self, telegram_id: int) -> Member | None:
        return await self._one("m.telegram_id = ?", (telegram_id,))

    async def telegram_owners(self) -> dict[int, str | None]:
        """Telegram id → member code, for every linked member."""
        cursor = await self.conn.execute(
            "SELECT telegram_id, code FROM members WHERE telegram_id IS NOT NULL"
        )
        return {row[0]: row[1] for row in await cursor.fetchall()}

    async def upsert(
        self,
        *,
        code: str,
        full_name: str,
        status: str,
        position: str,
        is_head: bool,
        language: str | None,
        telegram_id: int | None,
    ) -> tuple[Member, bool]:
        """Insert or update by roster code. Returns the member and whether anything changed.

        An empty language or telegram id in the file keeps what the member already has, so a
        re-import never erases a preference chosen in the bot.
        """
        existing = await self.by_code(code)
        now = to_db(utcnow())
        if existing is None:
            cursor = await self.conn.execute(
                "INSERT INTO members (code, full_name, status, position, is_head, language, "
                "telegram_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (code, full_name, status, position, int(is_head), language, telegram_id, now, now),
            )
            member = await self.get(cursor.lastrowid)
            assert member is not None
            return member, True
        new_language = language or existing.language
        new_telegram = telegram_id if telegram_id is not None else existing.telegram_id
        if (
            existing.full_name == full_name
            and existing.status == status
            and existing.position == position
            and existing.is_head == is_head
            and existing.language == new_language
            and existing.telegram_id == new_telegram
        ):
            return existing, False
        await self.conn.execute(
            "UPDATE members SET full_name = ?, status = ?, position = ?, is_head = ?, "
            "language = ?, telegram_id = ?, updated_at = ? WHERE id = ?",
            (
                full_name,
                status,
                position,
                int(is_head),
                new_language,
                new_telegram,
                now,
                existing.id,
            ),
        )
        member = await self.get(existing.id)
        assert member is not None
        return member, True

    async def create_pending(
        self, *, full_name: str, telegram_id: int, language: str | None
    ) -> Member:
        now = to_db(utcnow())
        cursor = await self.conn.execute(
            "INSERT INTO members (full_name, status, language, telegram_id, registration, "
            "started_bot_at, created_at, updated_at) "
            "VALUES (?, 'official', ?, ?, 'pending', ?, ?, ?)",
            (full_name, language, telegram_id, now, now, now),
        )
        member = await self.get(cursor.lastrowid)
        assert member is not None
        return member

    async def set_registration(self, member_id: int, registration: str) -> None:
        clear_telegram = ", telegram_id = NULL" if registration == "rejected" else ""
        await self.conn.execute(
            f"UPDATE members SET registration = ?{clear_telegram}, updated_at = ? WHERE id = ?",
            (registration, to_db(utcnow()), member_id),
        )

    async def bind_telegram(self, member_id: int, telegram_id: int) -> None:
        now = to_db(utcnow())
        await self.conn.execute(
            "UPDATE members SET telegram_id = ?, started_bot_at = COALESCE(started_bot_at, ?), "
            "blocked_at = NULL, updated_at = ? WHERE id = ?",
            (telegram_id, now, now, member_id),
        )

    async def unlink_telegram(self, member_id: int) -> bool:
        cursor = await self.conn.execute(
            "UPDATE members SET telegram_id = NULL, started_bot_at = NULL, blocked_at = NULL, "
            "updated_at = ? WHERE id = ? AND telegram_id IS NOT NULL",
            (to_db(utcnow()), member_id),
        )
        return cursor.rowcount > 0

    async def set_language(self, member_id: int, language: str) -> None:
        await self.conn.execute(
            "UPDATE members SET language = ?, updated_at = ? WHERE id = ?",
            (language, to_db(utcnow()), member_id),
        )

    async def mark_started(self, telegram_id: int, at: datetime) -> bool:
        """Record that this person can be written to. True when something changed."""
        cursor = await self.conn.execute(
            "UPDATE members SET started_bot_at = COALESCE(started_bot_at, ?), blocked_at = NULL "
            "WHERE telegram_id = ? AND (started_bot_at IS NULL OR blocked_at IS NOT NULL)",
            (to_db(at), telegram_id),
        )
        return cursor.rowcount > 0

    async def mark_blocked(self, telegram_id: int, at: datetime) -> bool:
        cursor = await self.conn.execute(
            "UPDATE members SET blocked_at = ? WHERE telegram_id = ? AND blocked_at IS NULL",
            (to_db(at), telegram_id),
        )
        return cursor.rowcount > 0

    # Roster imports ----------------------------------------------------------------------

    async def roster(self) -> dict[str, RosterEntry]:
        """Every member with a roster code, with their open memberships: two queries."""
        cursor = await self.conn.execute(
            "SELECT id, code, full_name, status, position, is_head, language, telegram_id, "
            "work_unit FROM members WHERE code IS NOT NULL"
        )
        members = await cursor.fetchall()
        cursor = await self.conn.execute(
            "SELECT id, member_id, unit_id, is_primary FROM memberships WHERE ended_on IS NULL"
        )
        open_memberships: dict[int, dict[int, tuple[int, bool]]] = {}
        for row in await cursor.fetchall():
            open_memberships.setdefault(row[1], {})[row[2]] = (row[0], bool(row[3]))
        return {
            row["code"]: RosterEntry(
                id=row["id"],
                full_name=row["full_name"],
                status=row["status"],
                position=row["position"],
                is_head=bool(row["is_head"]),
                language=row["language"],
                telegram_id=row["telegram_id"],
                memberships=open_memberships.get(row["id"], {}),
                work_unit=row["work_unit"],
            )
            for row in members
        }

    async def apply_roster(self, change: RosterChange, today: date) -> None:
        """Write a prepared roster change with a handful of statements. A language or
        Telegram id left empty in the file keeps the stored one (COALESCE), even one set in
        the bot after the file was checked."""
        now = to_db(utcnow())
        await self.conn.executemany(
            "INSERT INTO members (code, full_name, status, position, is_head, language, "
            "telegram_id, work_unit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:4], int(row[4]), row[5], row[6], row[7], now, now) for row in change.new],
        )
        await self.conn.executemany(
            "UPDATE members SET full_name = ?, status = ?, position = ?, is_head = ?, "
            "language = COALESCE(?, language), telegram_id = COALESCE(?, telegram_id), "
            "work_unit = ?, updated_at = ? WHERE code = ?",
            [
                (*row[1:4], int(row[4]), row[5], row[6], row[7], now, row[0])
                for row in change.changed
            ],
        )
        await self.conn.executemany(
            "UPDATE memberships SET ended_on = ? WHERE id = ? AND ended_on IS NULL",
            [(today.isoformat(), membership_id) for membership_id in change.memberships_ended],
        )
        if change.memberships_added:
            cursor = await self.conn.execute("SELECT code, id FROM members WHERE code IS NOT NULL")
            ids = {row[0]: row[1] for row in await cursor.fetchall()}
            await self.conn.executemany(
                "INSERT INTO memberships (member_id, unit_id, is_primary, started_on) "
                "VALUES (?, ?, ?, ?)",
                [
                    (ids[code], unit_id, int(primary), today.isoformat())
                    for code, unit_id, primary in change.memberships_added
                ],
            )

    # Memberships -------------------------------------------------------------------------

    async def memberships(self, member_id: int, *, current_only: bool = True) -> list[Membership]:
        where = "AND ms.ended_on IS NULL" if current_only else ""
        cursor = await self.conn.execute(
            "SELECT ms.id AS ms_id, ms.member_id, ms.is_primary, ms.started_on, ms.ended_on, "
            "u.id, u.code, u.name, u.kind, u.parent_id, u.path "
            "FROM memberships ms JOIN units u ON u.id = ms.unit_id "
            f"WHERE ms.member_id = ? {where} ORDER BY ms.is_primary DESC, ms.started_on, ms.id",
            (member_id,),
        )
        return [
            Membership(
                id=row["ms_id"],
                member_id=row["member_id"],
                unit=unit_from_row(row),
                is_primary=bool(row["is_primary"]),
                started_on=date.fromisoformat(row["started_on"]),
                ended_on=date.fromisoformat(row["ended_on"]) if row["ended_on"] else None,
            )
            for row in await cursor.fetchall()
        ]

    async def primary_unit(self, member_id: int) -> Unit | None:
        for membership in await self.memberships(member_id):
            if membership.is_primary:
                return membership.unit
        return None

    async def set_memberships(
        self, member_id: int, primary_unit_id: int, extra_unit_ids: list[int], today: date
    ) -> bool:
        """Make the open memberships match; end-date the ones no longer listed."""
        wanted = {primary_unit_id: True, **{uid: False for uid in extra_unit_ids}}
        wanted[primary_unit_id] = True
        current = await self.memberships(member_id)
        changed = False
        for membership in current:
            keep = wanted.get(membership.unit.id)
            if keep is None or keep != membership.is_primary:
                await self.conn.execute(
                    "UPDATE memberships SET ended_on = ? WHERE id = ?",
                    (today.isoformat(), membership.id),
                )
                changed = True
            else:
                del wanted[membership.unit.id]
        # Insert the primary last so the one-primary index never sees two at once.
        for unit_id, is_primary in sorted(wanted.items(), key=lambda item: item[1]):
            await self.conn.execute(
                "INSERT INTO memberships (member_id, unit_id, is_primary, started_on) "
                "VALUES (?, ?, ?, ?)",
                (member_id, unit_id, int(is_primary), today.isoformat()),
            )
            changed = True
        return changed

    async def end_membership(self, membership_id: int, today: date) -> None:
        await self.conn.execute(
            "UPDATE memberships SET ended_on = ? WHERE id = ? AND ended_on IS NULL",
            (today.isoformat(), membership_id),
        )

    async def end_memberships(self, member_id: int, today: date) -> None:
        await self.conn.execute(
            "UPDATE memberships SET ended_on = ? WHERE member_id = ? AND ended_on IS NULL",
            (today.isoformat(), member_id),
        )

    async def in_units(self, unit_ids: list[int], *, active_only: bool = True) -> list[Member]:
        """Distinct current members of any of these units (one person counts once)."""
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        active = "AND m.registration = 'active'" if active_only else ""
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {MEMBER_COLUMNS} FROM members m "
            "JOIN memberships ms ON ms.member_id = m.id AND ms.ended_on IS NULL "
            f"WHERE ms.unit_id IN ({marks}) {active} ORDER BY m.full_name, m.id",
            unit_ids,
        )
        return [member_from_row(row) for row in await cursor.fetchall()]

    async def in_subtree_of_kind(self, unit: Unit, kind: str) -> list[Member]:
        """Active members of the units of one kind (mass-organisation branches, say) in the
        subtree, each once."""
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {MEMBER_COLUMNS} FROM members m "
            "JOIN memberships ms ON ms.member_id = m.id AND ms.ended_on IS NULL "
            "JOIN units u ON u.id = ms.unit_id "
            "WHERE u.path >= ? AND u.path < ? AND u.kind = ? AND m.registration = 'active' "
            "ORDER BY m.id",
            (unit.path, unit.path + "\uffff", kind),
        )
        return [member_from_row(row) for row in await cursor.fetchall()]

    async def primary_paths(self, member_ids: Iterable[int]) -> dict[int, str]:
        """Each member's current primary unit's path."""
        found: dict[int, str] = {}
        for chunk in chunked(list(dict.fromkeys(member_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                "SELECT ms.member_id, u.path FROM memberships ms JOIN units u ON u.id = ms.unit_id "
                f"WHERE ms.ended_on IS NULL AND ms.is_primary = 1 AND ms.member_id IN ({marks})",
                chunk,
            )
            found.update({row[0]: row[1] for row in await cursor.fetchall()})
        return found

    async def in_subtree(self, unit: Unit) -> list[Member]:
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {MEMBER_COLUMNS} FROM members m "
            "JOIN memberships ms ON ms.member_id = m.id AND ms.ended_on IS NULL "
            "JOIN units u ON u.id = ms.unit_id "
            "WHERE u.path >= ? AND u.path < ? AND m.registration = 'active' "
            "ORDER BY m.full_name, m.id",
            (unit.path, unit.path + "\uffff"),
        )
        return [member_from_row(row) for row in await cursor.fetchall()]
