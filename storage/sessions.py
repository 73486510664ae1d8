"""Sessions, their invitees and attendance, minutes, bridge reports and study deadlines."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import aiosqlite

from storage.clock import from_db, to_db, utcnow


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    unit_id: int
    kind: str
    topic: str
    campaign_id: int | None
    starts_at: datetime
    place: str
    presenter: str
    lead_in: str
    status: str
    checkin_code: str | None
    checkin_opens: datetime | None
    checkin_closes: datetime | None
    created_by: int | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "scheduled"


@dataclass(frozen=True, slots=True)
class Invitee:
    session_id: int
    member_id: int
    unit_id: int
    full_name: str
    status: str
    rsvp: str | None
    rsvp_reason: str | None
    checked_in_at: datetime | None
    checkin_via: str | None
    late_reported_at: datetime | None
    late_status: str | None
    mark: str | None
    reason: str | None


class MemberAttendance(NamedTuple):
    """One member's attendance at one unit's closed sessions over a period, counted in SQL.
    A tuple: a city's quarter has some 360,000 of them, and tuples of plain values cost the
    garbage collector nothing once it has seen them."""

    unit_id: int  # the sessions' unit
    member_id: int
    present: int
    counted: int  # invitations counted (the exempt are not)
    first: int  # the first of those sessions: its rank among the period's, by start then id
    last: int  # the last of them, ranked the same way
    name: str  # the member's name on the last one's list


@dataclass(frozen=True, slots=True)
class Minutes:
    session_id: int
    chair: str
    minute_taker: str
    guests: str
    agenda: str
    speakers: tuple[tuple[str, str], ...]
    difficulties: str
    solutions: str
    conclusion: str
    recorded_at: datetime | None = None
    ends_at: datetime | None = None  # when the meeting ended; None in minutes recorded before


@dataclass(frozen=True, slots=True)
class BridgeReport:
    session_id: int
    unit_id: int
    present: int
    names: str
    reported_at: datetime


_SESSION = (
    "s.id, s.unit_id, s.kind, s.topic, s.campaign_id, s.starts_at, s.place, s.presenter, "
    "s.lead_in, s.status, s.checkin_code, s.checkin_opens, s.checkin_closes, s.created_by, "
    "s.closed_at"
)
_INVITEE = (
    "i.session_id, i.member_id, i.unit_id, i.full_name, i.status, i.rsvp, i.rsvp_reason, "
    "i.checked_in_at, i.checkin_via, i.late_reported_at, i.late_status, i.mark, i.reason"
)


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        unit_id=row["unit_id"],
        kind=row["kind"],
        topic=row["topic"],
        campaign_id=row["campaign_id"],
        starts_at=from_db(row["starts_at"]),  # type: ignore[arg-type]
        place=row["place"],
        presenter=row["presenter"],
        lead_in=row["lead_in"],
        status=row["status"],
        checkin_code=row["checkin_code"],
        checkin_opens=from_db(row["checkin_opens"]),
        checkin_closes=from_db(row["checkin_closes"]),
        created_by=row["created_by"],
        closed_at=from_db(row["closed_at"]),
    )


_INVITEE_FIELDS = (
    "session_id",
    "member_id",
    "unit_id",
    "full_name",
    "status",
    "rsvp",
    "rsvp_reason",
    "checked_in_at",
    "checkin_via",
    "late_reported_at",
    "late_status",
    "mark",
    "reason",
)
# In joins with sessions, the invitee's columns carry a prefix: both tables have a status
# and a unit_id.
_INVITEE_JOINED = ", ".join(f"i.{name} AS i_{name}" for name in _INVITEE_FIELDS)


def _invitee(row: sqlite3.Row, prefix: str = "") -> Invitee:
    def get(name: str) -> object:
        return row[f"{prefix}{name}"]

    return Invitee(
        session_id=get("session_id"),  # type: ignore[arg-type]
        member_id=get("member_id"),  # type: ignore[arg-type]
        unit_id=get("unit_id"),  # type: ignore[arg-type]
        full_name=get("full_name"),  # type: ignore[arg-type]
        status=get("status"),  # type: ignore[arg-type]
        rsvp=get("rsvp"),  # type: ignore[arg-type]
        rsvp_reason=get("rsvp_reason"),  # type: ignore[arg-type]
        checked_in_at=from_db(get("checked_in_at")),  # type: ignore[arg-type]
        checkin_via=get("checkin_via"),  # type: ignore[arg-type]
        late_reported_at=from_db(get("late_reported_at")),  # type: ignore[arg-type]
        late_status=get("late_status"),  # type: ignore[arg-type]
        mark=get("mark"),  # type: ignore[arg-type]
        reason=get("reason"),  # type: ignore[arg-type]
    )


def _attendance(_: sqlite3.Cursor, row: tuple) -> MemberAttendance:
    return MemberAttendance(*row)


_EDITABLE = frozenset({"topic", "campaign_id", "starts_at", "place", "presenter", "lead_in"})


class SessionRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Sessions ---------------------------------------------------------------------------

    async def create(
        self,
        *,
        unit_id: int,
        kind: str,
        topic: str,
        campaign_id: int | None,
        starts_at: datetime,
        place: str,
        presenter: str,
        lead_in: str,
        created_by: int | None,
        request_key: str | None = None,
    ) -> Session:
        now = to_db(utcnow())
        cursor = await self.conn.execute(
            "INSERT INTO sessions (unit_id, kind, topic, campaign_id, starts_at, place, "
            "presenter, lead_in, created_by, created_at, updated_at, request_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                unit_id,
                kind,
                topic,
                campaign_id,
                to_db(starts_at),
                place,
                presenter,
                lead_in,
                created_by,
                now,
                now,
                request_key,
            ),
        )
        session = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert session is not None
        return session

    async def by_request_key(self, request_key: str) -> tuple[Session, int] | None:
        """The meeting saved from this draft, and how many were invited to it."""
        cursor = await self.conn.execute(
            "SELECT id FROM sessions WHERE request_key = ?", (request_key,)
        )
        row = await cursor.fetchone()
        session = await self.get(row[0]) if row else None
        if session is None:
            return None
        cursor = await self.conn.execute(
            "SELECT COUNT(*) FROM session_invitees WHERE session_id = ?", (session.id,)
        )
        (invited,) = await cursor.fetchone()  # type: ignore[misc]
        return session, invited

    async def get(self, session_id: int) -> Session | None:
        cursor = await self.conn.execute(
            f"SELECT {_SESSION} FROM sessions s WHERE s.id = ?", (session_id,)
        )
        row = await cursor.fetchone()
        return _session(row) if row else None

    async def by_open_code(self, code: str) -> Session | None:
        cursor = await self.conn.execute(
            f"SELECT {_SESSION} FROM sessions s WHERE s.checkin_code = ? "
            "AND s.status = 'scheduled'",
            (code,),
        )
        row = await cursor.fetchone()
        return _session(row) if row else None

    async def code_in_use(self, code: str) -> bool:
        return await self.by_open_code(code) is not None

    async def update(self, session_id: int, **fields: object) -> Session:
        unknown = set(fields) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values = [to_db(v) if isinstance(v, datetime) else v for v in fields.values()]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self.conn.execute(
            f"UPDATE sessions SET {assignments}, updated_at = ? WHERE id = ?",
            (*values, to_db(utcnow()), session_id),
        )
        session = await self.get(session_id)
        assert session is not None
        return session

    async def open_checkin(
        self, session_id: int, code: str, opens: datetime, closes: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE sessions SET checkin_code = ?, checkin_opens = ?, checkin_closes = ?, "
            "updated_at = ? WHERE id = ?",
            (code, to_db(opens), to_db(closes), to_db(utcnow()), session_id),
        )

    async def set_status(self, session_id: int, status: str, at: datetime) -> bool:
        """Move a scheduled session to 'closed' or 'cancelled'; False when it was not open."""
        column = "closed_at" if status == "closed" else "cancelled_at"
        cursor = await self.conn.execute(
            f"UPDATE sessions SET status = ?, {column} = ?, updated_at = ? "
            "WHERE id = ? AND status = 'scheduled'",
            (status, to_db(at), to_db(utcnow()), session_id),
        )
        return cursor.rowcount > 0

    async def in_units(
        self,
        unit_ids: Sequence[int],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[Session]:
        if not unit_ids:
            return []
        where = [f"s.unit_id IN ({','.join('?' * len(unit_ids))})"]
        params: list[object] = list(unit_ids)
        if since is not None:
            where.append("s.starts_at >= ?")
            params.append(to_db(since))
        if until is not None:
            where.append("s.starts_at < ?")
            params.append(to_db(until))
        if statuses:
            where.append(f"s.status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        cursor = await self.conn.execute(
            f"SELECT {_SESSION} FROM sessions s WHERE {' AND '.join(where)} "
            "ORDER BY s.starts_at, s.id",
            params,
        )
        return [_session(row) for row in await cursor.fetchall()]

    async def for_member(
        self, member_id: int, *, since: datetime, until: datetime | None = None
    ) -> list[tuple[Session, Invitee]]:
        params: list[object] = [member_id, to_db(since)]
        upper = ""
        if until is not None:
            upper = "AND s.starts_at < ?"
            params.append(to_db(until))
        cursor = await self.conn.execute(
            f"SELECT {_SESSION}, {_INVITEE_JOINED} FROM sessions s "
            "JOIN session_invitees i ON i.session_id = s.id "
            f"WHERE i.member_id = ? AND s.starts_at >= ? {upper} AND s.status != 'cancelled' "
            "ORDER BY s.starts_at, s.id",
            params,
        )
        return [(_session(row), _invitee(row, "i_")) for row in await cursor.fetchall()]

    # Invitees ---------------------------------------------------------------------------

    async def add_invitees(
        self, session_id: int, rows: Sequence[tuple[int, int, str, str]]
    ) -> None:
        """(member id, unit id, full name, status) for each invitee."""
        await self.conn.executemany(
            "INSERT OR IGNORE INTO session_invitees (session_id, member_id, unit_id, full_name, "
            "status) VALUES (?, ?, ?, ?, ?)",
            [(session_id, *row) for row in rows],
        )

    async def invitees(self, session_id: int) -> list[Invitee]:
        cursor = await self.conn.execute(
            f"SELECT {_INVITEE} FROM session_invitees i WHERE i.session_id = ? "
            "ORDER BY i.full_name COLLATE NOCASE, i.member_id",
            (session_id,),
        )
        return [_invitee(row) for row in await cursor.fetchall()]

    async def invitee(self, session_id: int, member_id: int) -> Invitee | None:
        cursor = await self.conn.execute(
            f"SELECT {_INVITEE} FROM session_invitees i WHERE i.session_id = ? AND i.member_id = ?",
            (session_id, member_id),
        )
        row = await cursor.fetchone()
        return _invitee(row) if row else None

    async def set_rsvp(
        self, session_id: int, member_id: int, answer: str, reason: str | None, at: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE session_invitees SET rsvp = ?, rsvp_reason = ?, rsvp_at = ? "
            "WHERE session_id = ? AND member_id = ?",
            (answer, reason, to_db(at), session_id, member_id),
        )

    async def check_in(self, session_id: int, member_id: int, at: datetime, via: str) -> bool:
        """Record a check-in once; False when the member had already checked in."""
        cursor = await self.conn.execute(
            "UPDATE session_invitees SET checked_in_at = ?, checkin_via = ? "
            "WHERE session_id = ? AND member_id = ? AND checked_in_at IS NULL",
            (to_db(at), via, session_id, member_id),
        )
        return cursor.rowcount > 0

    async def report_late(self, session_id: int, member_id: int, at: datetime) -> bool:
        cursor = await self.conn.execute(
            "UPDATE session_invitees SET late_reported_at = ?, late_status = 'pending' "
            "WHERE session_id = ? AND member_id = ? AND checked_in_at IS NULL "
            "AND (late_status IS NULL OR late_status = 'rejected')",
            (to_db(at), session_id, member_id),
        )
        return cursor.rowcount > 0

    async def decide_late(self, session_id: int, member_id: int, status: str) -> bool:
        cursor = await self.conn.execute(
            "UPDATE session_invitees SET late_status = ? "
            "WHERE session_id = ? AND member_id = ? AND late_status = 'pending'",
            (status, session_id, member_id),
        )
        return cursor.rowcount > 0

    async def set_marks(self, session_id: int, marks: Sequence[tuple[int, str, str]]) -> None:
        """(member id, mark, reason) for each corrected or finalised line."""
        await self.conn.executemany(
            "UPDATE session_invitees SET mark = ?, reason = ? "
            "WHERE session_id = ? AND member_id = ?",
            [(mark, reason or None, session_id, member_id) for member_id, mark, reason in marks],
        )

    async def member_marks(
        self, unit_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[tuple[Session, Invitee]]:
        """Closed sessions of these units in the period, with every invitee's final mark."""
        if not unit_ids:
            return []
        cursor = await self.conn.execute(
            f"SELECT {_SESSION}, {_INVITEE_JOINED} FROM sessions s "
            "JOIN session_invitees i ON i.session_id = s.id "
            f"WHERE s.unit_id IN ({','.join('?' * len(unit_ids))}) AND s.status = 'closed' "
            "AND s.starts_at >= ? AND s.starts_at < ? "
            "ORDER BY s.starts_at, s.id, i.full_name COLLATE NOCASE",
            (*unit_ids, to_db(since), to_db(until)),
        )
        return [(_session(row), _invitee(row, "i_")) for row in await cursor.fetchall()]

    async def attendance_by_member(
        self, unit_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[MemberAttendance]:
        """Per unit and invited member, their marks at the unit's closed sessions of the
        period, aggregated in SQL: what :meth:`member_marks` gives row by row, without an
        object per row. Exempt invitees are not counted; a missing mark is an absence."""
        if not unit_ids:
            return []
        # Each session's rank in start order (then id: as member_marks orders them), made once
        # per session; in ``last`` the rank, zero-padded, comes before the name on that list.
        cursor = await self.conn.execute(
            "WITH held AS MATERIALIZED (SELECT id, unit_id, rank, printf('%010d', rank) AS kt "
            "FROM (SELECT id, unit_id, ROW_NUMBER() OVER (ORDER BY starts_at, id) AS rank "
            f"FROM sessions WHERE unit_id IN ({','.join('?' * len(unit_ids))}) "
            "AND status = 'closed' AND starts_at >= ? AND starts_at < ?)) "
            "SELECT unit_id, member_id, present, counted, first, "
            "CAST(substr(last, 1, 10) AS INTEGER), substr(last, 11) "
            "FROM (SELECT h.unit_id, i.member_id, "
            "SUM(CASE WHEN i.status != 'exempt' AND i.mark = 'present' THEN 1 ELSE 0 END) "
            "AS present, SUM(CASE WHEN i.status != 'exempt' THEN 1 ELSE 0 END) AS counted, "
            "MIN(h.rank) AS first, MAX(h.kt || i.full_name) AS last "
            "FROM held h JOIN session_invitees i ON i.session_id = h.id "
            "GROUP BY h.unit_id, i.member_id)",
            (*unit_ids, to_db(since), to_db(until)),
        )
        cursor.row_factory = _attendance  # plain tuples: no sqlite3.Row per line
        return await cursor.fetchall()  # type: ignore[return-value]

    # Minutes ----------------------------------------------------------------------------

    async def minutes(self, session_id: int) -> Minutes | None:
        cursor = await self.conn.execute(
            "SELECT * FROM session_minutes WHERE session_id = ?", (session_id,)
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return Minutes(
            session_id=row["session_id"],
            chair=row["chair"],
            minute_taker=row["minute_taker"],
            guests=row["guests"],
            agenda=row["agenda"],
            speakers=tuple((name, text) for name, text in json.loads(row["speakers"])),
            difficulties=row["difficulties"],
            solutions=row["solutions"],
            conclusion=row["conclusion"],
            recorded_at=from_db(row["recorded_at"]),
            ends_at=from_db(row["ends_at"]),
        )

    async def save_minutes(self, minutes: Minutes, recorded_by: int | None) -> None:
        await self.conn.execute(
            "INSERT INTO session_minutes (session_id, chair, minute_taker, guests, agenda, "
            "speakers, difficulties, solutions, conclusion, recorded_by, recorded_at, ends_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET chair = excluded.chair, "
            "minute_taker = excluded.minute_taker, guests = excluded.guests, "
            "agenda = excluded.agenda, speakers = excluded.speakers, "
            "difficulties = excluded.difficulties, solutions = excluded.solutions, "
            "conclusion = excluded.conclusion, recorded_by = excluded.recorded_by, "
            "recorded_at = excluded.recorded_at, ends_at = excluded.ends_at",
            (
                minutes.session_id,
                minutes.chair,
                minutes.minute_taker,
                minutes.guests,
                minutes.agenda,
                json.dumps([list(s) for s in minutes.speakers], ensure_ascii=False),
                minutes.difficulties,
                minutes.solutions,
                minutes.conclusion,
                recorded_by,
                to_db(utcnow()),
                to_db(minutes.ends_at),
            ),
        )

    # Bridge points ----------------------------------------------------------------------

    async def save_bridge_report(
        self, session_id: int, unit_id: int, present: int, names: str, by: int | None
    ) -> None:
        await self.conn.execute(
            "INSERT INTO session_bridge_reports (session_id, unit_id, present, names, "
            "reported_by, reported_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(session_id, unit_id) DO UPDATE SET present = excluded.present, "
            "names = excluded.names, reported_by = excluded.reported_by, "
            "reported_at = excluded.reported_at",
            (session_id, unit_id, present, names, by, to_db(utcnow())),
        )

    async def bridge_reports(self, session_id: int) -> list[BridgeReport]:
        cursor = await self.conn.execute(
            "SELECT session_id, unit_id, present, names, reported_at "
            "FROM session_bridge_reports WHERE session_id = ?",
            (session_id,),
        )
        return [
            BridgeReport(
                row["session_id"],
                row["unit_id"],
                row["present"],
                row["names"],
                from_db(row["reported_at"]),  # type: ignore[arg-type]
            )
            for row in await cursor.fetchall()
        ]

    # Study deadlines --------------------------------------------------------------------

    async def set_study_deadline(
        self, campaign_id: int, unit_id: int, deadline: date, by: str
    ) -> None:
        await self.conn.execute(
            "INSERT INTO study_deadlines (campaign_id, unit_id, deadline, set_by, set_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(campaign_id, unit_id) DO UPDATE SET "
            "deadline = excluded.deadline, set_by = excluded.set_by, set_at = excluded.set_at",
            (campaign_id, unit_id, deadline.isoformat(), by, to_db(utcnow())),
        )

    async def study_deadlines(self, campaign_id: int) -> dict[int, date]:
        cursor = await self.conn.execute(
            "SELECT unit_id, deadline FROM study_deadlines WHERE campaign_id = ?", (campaign_id,)
        )
        return {row[0]: date.fromisoformat(row[1]) for row in await cursor.fetchall()}

    async def campaign_sessions(self, campaign_id: int) -> list[Session]:
        cursor = await self.conn.execute(
            f"SELECT {_SESSION} FROM sessions s WHERE s.campaign_id = ? AND s.status = 'closed' "
            "ORDER BY s.starts_at",
            (campaign_id,),
        )
        return [_session(row) for row in await cursor.fetchall()]
