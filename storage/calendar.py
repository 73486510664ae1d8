"""The commemorative calendar: its days, the stories attached to a day's occurrence, and the
propaganda boards its reminders go to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member
from storage.units import chunked

_COLUMNS = (
    "id, seed_key, name_vi, name_en, kind, month, day, origin_year, unit_id, remind_days, "
    "created_by, created_at, updated_at, removed_at"
)
EDITABLE = frozenset({"name_vi", "name_en", "month", "day", "origin_year", "remind_days"})


@dataclass(frozen=True, slots=True)
class CalendarDay:
    id: int
    seed_key: str | None
    name_vi: str
    name_en: str
    kind: str  # bot.rules.calendar.DayKind
    month: int
    day: int
    origin_year: int | None
    unit_id: int | None  # None: the whole organisation
    remind_days: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None

    @property
    def organisation_wide(self) -> bool:
        return self.unit_id is None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A story attached to a day's occurrence, with what the calendar needs of the story."""

    day_id: int
    year: int
    story_id: int
    story_unit_id: int
    story_unit_path: str
    status: str
    send_at: datetime | None
    title: str


@dataclass(frozen=True, slots=True)
class BoardSeat:
    """A member holding the propaganda role on a unit (one row per grant)."""

    member: Member
    unit_id: int
    unit_path: str


def _day(row: aiosqlite.Row) -> CalendarDay:
    return CalendarDay(
        id=row["id"],
        seed_key=row["seed_key"],
        name_vi=row["name_vi"],
        name_en=row["name_en"],
        kind=row["kind"],
        month=row["month"],
        day=row["day"],
        origin_year=row["origin_year"],
        unit_id=row["unit_id"],
        remind_days=row["remind_days"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
        removed_at=from_db(row["removed_at"]),
    )


class CalendarRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Days -------------------------------------------------------------------------------------

    async def get(self, day_id: int) -> CalendarDay | None:
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM calendar_days WHERE id = ?", (day_id,)
        )
        row = await cursor.fetchone()
        return _day(row) if row else None

    async def active(self) -> list[CalendarDay]:
        """Every day not removed (a few dozen: the callers filter by scope)."""
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM calendar_days WHERE removed_at IS NULL ORDER BY month, day, id"
        )
        return [_day(row) for row in await cursor.fetchall()]

    async def create(
        self,
        *,
        name_vi: str,
        name_en: str,
        month: int,
        day: int,
        origin_year: int | None,
        unit_id: int | None,
        remind_days: int,
        created_by: int | None,
        now: datetime,
    ) -> CalendarDay:
        cursor = await self.conn.execute(
            "INSERT INTO calendar_days (name_vi, name_en, kind, month, day, origin_year, unit_id, "
            "remind_days, created_by, created_at, updated_at) "
            "VALUES (?, ?, 'solar', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name_vi,
                name_en,
                month,
                day,
                origin_year,
                unit_id,
                remind_days,
                created_by,
                to_db(now),
                to_db(now),
            ),
        )
        created = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert created is not None
        return created

    async def update(self, day_id: int, now: datetime, **fields: object) -> None:
        if not fields or not set(fields) <= EDITABLE:
            raise ValueError(f"cannot update {sorted(fields)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        await self.conn.execute(
            f"UPDATE calendar_days SET {sets}, updated_at = ? WHERE id = ? AND removed_at IS NULL",
            (*fields.values(), to_db(now), day_id),
        )

    async def remove(self, day_id: int, now: datetime) -> bool:
        cursor = await self.conn.execute(
            "UPDATE calendar_days SET removed_at = ?, updated_at = ? "
            "WHERE id = ? AND removed_at IS NULL",
            (to_db(now), to_db(now), day_id),
        )
        return cursor.rowcount > 0

    # Stories attached -------------------------------------------------------------------------

    async def attach(
        self, day_id: int, year: int, story_id: int, by: int | None, now: datetime
    ) -> bool:
        """True when new; attaching the same story twice changes nothing."""
        cursor = await self.conn.execute(
            "INSERT INTO calendar_stories (day_id, year, story_id, attached_by, attached_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (day_id, year, story_id, by, to_db(now)),
        )
        return cursor.rowcount > 0

    async def attachments(self, occurrences: Iterable[tuple[int, int]]) -> list[Attachment]:
        """The stories attached to these (day id, year) occurrences."""
        wanted = list(dict.fromkeys(occurrences))
        found: list[Attachment] = []
        for chunk in chunked(wanted, 400):
            pairs = " OR ".join("(c.day_id = ? AND c.year = ?)" for _ in chunk)
            cursor = await self.conn.execute(
                "SELECT c.day_id, c.year, s.id, s.unit_id, u.path, s.status, s.send_at, s.title "
                "FROM calendar_stories c JOIN stories s ON s.id = c.story_id "
                f"JOIN units u ON u.id = s.unit_id WHERE {pairs} ORDER BY c.attached_at, s.id",
                [value for pair in chunk for value in pair],
            )
            found += [
                Attachment(
                    day_id=row[0],
                    year=row[1],
                    story_id=row[2],
                    story_unit_id=row[3],
                    story_unit_path=row[4],
                    status=row[5],
                    send_at=from_db(row[6]),
                    title=row[7],
                )
                for row in await cursor.fetchall()
            ]
        return found

    # Who is reminded --------------------------------------------------------------------------

    async def board_seats(self, unit_ids: list[int] | None = None) -> list[BoardSeat]:
        """Active members holding the propaganda role: on any unit (``None``), or on one of
        ``unit_ids``; one row per grant."""
        where, params = "", ()
        if unit_ids is not None:
            if not unit_ids:
                return []
            where = f"AND r.unit_id IN ({','.join('?' * len(unit_ids))})"
            params = tuple(unit_ids)
        cursor = await self.conn.execute(
            f"SELECT r.unit_id AS seat_unit, u.path AS seat_path, {MEMBER_COLUMNS} "
            "FROM roles r JOIN members m ON m.id = r.member_id JOIN units u ON u.id = r.unit_id "
            "WHERE r.revoked_at IS NULL AND r.role = 'propaganda' "
            f"AND m.registration = 'active' {where} ORDER BY m.id, u.path",
            params,
        )
        return [
            BoardSeat(member_from_row(row), row["seat_unit"], row["seat_path"])
            for row in await cursor.fetchall()
        ]
