"""Commitments, their working copy of actions and their frozen versions. SQL only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import aiosqlite

from storage.clock import to_db, utcnow
from storage.commitment_records import (
    _C,
    _FROZEN,
    _SUBTREE_MEMBERS,
    _V,
    _WORKING,
    ActionRecord,
    CommitmentRecord,
    GradeRecord,
    RosterEntry,
    VersionRecord,
    _action,
    _commitment,
    _day,
    _subtree,
    _version,
    grade_from_row,
)
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member, Unit
from storage.units import chunked, unit_from_row


class CommitmentRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Commitments -------------------------------------------------------------------------

    async def get(self, commitment_id: int) -> CommitmentRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c WHERE c.id = ?", (commitment_id,)
        )
        row = await cursor.fetchone()
        return _commitment(row) if row else None

    async def find(self, member_id: int, campaign_id: int) -> CommitmentRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c WHERE c.member_id = ? AND c.campaign_id = ?",
            (member_id, campaign_id),
        )
        row = await cursor.fetchone()
        return _commitment(row) if row else None

    async def for_member(self, member_id: int) -> list[CommitmentRecord]:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c JOIN campaigns k ON k.id = c.campaign_id "
            "WHERE c.member_id = ? ORDER BY k.year DESC",
            (member_id,),
        )
        return [_commitment(row) for row in await cursor.fetchall()]

    async def create(
        self, member_id: int, campaign_id: int, unit_id: int | None
    ) -> CommitmentRecord:
        now = to_db(utcnow())
        cursor = await self.conn.execute(
            "INSERT INTO commitments (member_id, campaign_id, filed_unit_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(member_id, campaign_id) DO NOTHING",
            (member_id, campaign_id, unit_id, now, now),
        )
        del cursor
        found = await self.find(member_id, campaign_id)
        assert found is not None
        return found

    async def set_status(
        self, commitment_id: int, status: str, *, expect: str | tuple[str, ...], **extra: object
    ) -> bool:
        """A conditional update: only when the status is still one of ``expect``.

        Returns False when someone else changed it first (nothing is written then).
        """
        expected = (expect,) if isinstance(expect, str) else expect
        columns = ", ".join(f"{name} = ?" for name in extra)
        sets = f"status = ?, updated_at = ?{', ' + columns if columns else ''}"
        marks = ",".join("?" * len(expected))
        cursor = await self.conn.execute(
            f"UPDATE commitments SET {sets} WHERE id = ? AND status IN ({marks})",
            (status, to_db(utcnow()), *extra.values(), commitment_id, *expected),
        )
        return cursor.rowcount == 1

    async def touch(self, commitment_id: int) -> None:
        await self.conn.execute(
            "UPDATE commitments SET updated_at = ? WHERE id = ?", (to_db(utcnow()), commitment_id)
        )

    async def grades(self, commitment_id: int) -> list[GradeRecord]:
        """Every grade given to this commitment, the first first."""
        cursor = await self.conn.execute(
            "SELECT id, commitment_id, revision, grade, points, comment, graded_by, "
            "graded_by_name, graded_at, proposal_id, decided_unit_id FROM commitment_grades "
            "WHERE commitment_id = ? "
            "ORDER BY revision",
            (commitment_id,),
        )
        return [grade_from_row(row) for row in await cursor.fetchall()]

    async def mark_self_reviewed(self, commitment_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE commitments SET self_review_at = COALESCE(self_review_at, ?), updated_at = ? "
            "WHERE id = ?",
            (to_db(at), to_db(utcnow()), commitment_id),
        )

    # Scope queries -----------------------------------------------------------------------

    async def in_subtree(
        self, campaign_id: int, path: str | None, statuses: tuple[str, ...] | None = None
    ) -> list[CommitmentRecord]:
        """Commitments of members whose CURRENT primary unit lies in the subtree at ``path``
        (every unit when ``path`` is None)."""
        where, params = _subtree(path)
        params = [campaign_id, *params]
        if statuses:
            where += f" AND c.status IN ({','.join('?' * len(statuses))})"
            params += list(statuses)
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM {_SUBTREE_MEMBERS}"
            "CROSS JOIN commitments c ON c.member_id = ms.member_id AND c.campaign_id = ? "
            f"JOIN members m ON m.id = c.member_id WHERE 1{where} "
            "ORDER BY u.path, m.full_name, c.id",
            params,
        )
        return [_commitment(row) for row in await cursor.fetchall()]

    async def primary_members_in_subtree(self, path: str | None) -> list[tuple[Member, Unit]]:
        """Active members by their current primary unit in the subtree at ``path`` (every
        unit when None), with that unit: by unit path, then name. One query, each unit's
        record shared by its members."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, u.id AS u_id, u.code AS u_code, u.name AS u_name, "
            "u.kind AS u_kind, u.parent_id AS u_parent_id, u.path AS u_path "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            f"WHERE m.registration = 'active'{where} ORDER BY u.path, m.full_name, m.id",
            params,
        )
        units: dict[int, Unit] = {}
        found = []
        for row in await cursor.fetchall():
            unit = units.get(row["u_id"])
            if unit is None:
                unit = units[row["u_id"]] = unit_from_row(row, "u_")
            found.append((member_from_row(row), unit))
        return found

    async def roster_in_subtree(self, campaign_id: int, path: str | None) -> list[RosterEntry]:
        """Active members by their current primary unit in the subtree at ``path`` (every
        unit when None), each with their commitment for the campaign if any: one query, by
        unit path, then name (what primary_members_in_subtree and in_subtree give, slim)."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            "SELECT m.id, m.code, m.full_name, m.status, u.path, u.name, c.id, c.status, "
            "c.last_version, c.approved_version, c.late, c.grade, c.points "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE m.registration = 'active'{where} ORDER BY u.path, m.full_name, m.id",
            [campaign_id, *params],
        )
        shared: dict[str, str] = {}  # a unit's path and name once, for all its members
        found = []
        while rows := await cursor.fetchmany(5000):  # never a city's rows all at once
            found += [
                RosterEntry(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    shared.setdefault(row[4], row[4]),
                    shared.setdefault(row[5], row[5]),
                    row[6],
                    row[7],
                    row[8] or 0,
                    row[9],
                    bool(row[10]),
                    row[11],
                    row[12],
                )
                for row in rows
            ]
        return found

    async def progress_in_subtree(
        self, campaign_id: int, path: str | None
    ) -> list[tuple[Unit, dict[str, int]]]:
        """Per unit of the subtree at ``path`` (every unit when None) with members expected
        to file (active, not exempt) by their current primary unit: how many are expected,
        how many have no commitment (``missing``), how many count in each status and how
        many filed late. Counted in SQL; units without anyone expected are left out.

        A draft revising an approved commitment counts as approved, as
        :func:`bot.rules.commitments.monitoring_bucket` says."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path, COUNT(*) AS expected, "
            "SUM(c.member_id IS NULL) AS missing, SUM(c.bucket = 'draft') AS draft, "
            "SUM(c.bucket = 'submitted') AS submitted, SUM(c.bucket = 'approved') AS approved, "
            "SUM(c.bucket = 'returned') AS returned, SUM(COALESCE(c.late, 0)) AS late "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            "LEFT JOIN (SELECT member_id, late, CASE WHEN status = 'draft' "
            "AND COALESCE(approved_version, 0) != 0 THEN 'approved' ELSE status END AS bucket "
            "FROM commitments WHERE campaign_id = ?) c ON c.member_id = m.id "
            f"WHERE m.registration = 'active' AND m.status != 'exempt'{where} "
            "GROUP BY u.path ORDER BY u.path",
            [campaign_id, *params],
        )
        names = ("expected", "missing", "draft", "submitted", "approved", "returned", "late")
        return [
            (unit_from_row(row), {name: row[name] for name in names})
            for row in await cursor.fetchall()
        ]

    async def missing_in_subtree(
        self, campaign_id: int, path: str | None
    ) -> list[tuple[int, str, str]]:
        """(unit id, unit path, full name) of the members expected to file in the subtree
        at ``path`` who have not started a commitment, by unit path and name."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            f"SELECT u.id, u.path, m.full_name FROM {_SUBTREE_MEMBERS}"
            "CROSS JOIN members m ON m.id = ms.member_id "
            "WHERE m.registration = 'active' AND m.status != 'exempt' AND NOT EXISTS "
            "(SELECT 1 FROM commitments c WHERE c.member_id = m.id AND c.campaign_id = ?)"
            f"{where} ORDER BY u.path, m.full_name, m.id",
            [campaign_id, *params],
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def shown_actions(
        self, records: Iterable[CommitmentRecord | RosterEntry]
    ) -> dict[int, tuple[int | None, list[ActionRecord]]]:
        """For each commitment, the number of the version a view shows (the approved one,
        else the latest; None for the working copy of one never submitted) and its actions
        in order: what ``CommitmentBase._view`` gives, for many commitments in a few queries."""
        wanted: dict[int, int] = {}  # commitment → the version number to show
        working: list[int] = []
        for record in records:
            if record.last_version == 0:
                working.append(record.id)
            else:
                wanted[record.id] = record.approved_version or record.last_version
        found: dict[int, tuple[int | None, list[ActionRecord]]] = {}
        version_of: dict[int, tuple[int, int]] = {}  # version id → (commitment, number)
        for chunk in chunked(list(wanted)):
            cursor = await self.conn.execute(
                "SELECT id, commitment_id, number FROM commitment_versions "
                f"WHERE commitment_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for version_id, commitment_id, number in await cursor.fetchall():
                if wanted[commitment_id] == number:
                    version_of[version_id] = (commitment_id, number)
                    found[commitment_id] = (number, [])
        for chunk in chunked(list(version_of)):
            cursor = await self.conn.execute(
                f"{_FROZEN} WHERE version_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY version_id, position, id",
                chunk,
            )
            for row in await cursor.fetchall():
                found[version_of[row["version_id"]][0]][1].append(_action(row, "version_id"))
        # A version missing (never, but as the view does): the working copy instead.
        working += [commitment_id for commitment_id in wanted if commitment_id not in found]
        for commitment_id in working:
            found[commitment_id] = (None, [])
        for chunk in chunked(working):
            cursor = await self.conn.execute(
                f"{_WORKING} WHERE commitment_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY commitment_id, position, id",
                chunk,
            )
            for row in await cursor.fetchall():
                found[row["commitment_id"]][1].append(_action(row, "commitment_id"))
        return found

    # Working copy ------------------------------------------------------------------------

    async def actions(self, commitment_id: int) -> list[ActionRecord]:
        cursor = await self.conn.execute(
            f"{_WORKING} WHERE commitment_id = ? ORDER BY position, id",
            (commitment_id,),
        )
        return [_action(row, "commitment_id") for row in await cursor.fetchall()]

    async def action(self, action_id: int) -> ActionRecord | None:
        cursor = await self.conn.execute(
            f"{_WORKING} WHERE id = ?",
            (action_id,),
        )
        row = await cursor.fetchone()
        return _action(row, "commitment_id") if row else None

    async def add_action(
        self, commitment_id: int, heading: str, text: str, target: date | None
    ) -> ActionRecord:
        cursor = await self.conn.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM commitment_actions WHERE commitment_id = ?",
            (commitment_id,),
        )
        position = (await cursor.fetchone())[0]
        cursor = await self.conn.execute(
            "INSERT INTO commitment_actions (commitment_id, heading, position, text, target_date) "
            "VALUES (?, ?, ?, ?, ?)",
            (commitment_id, heading, position, text, _day(target)),
        )
        await self.touch(commitment_id)
        found = await self.action(cursor.lastrowid)  # type: ignore[arg-type]
        assert found is not None
        return found

    async def update_action(
        self, action_id: int, *, text: str | None = None, target: date | bool | None = False
    ) -> None:
        """Change the text and/or the target date (``target=None`` clears it)."""
        if text is not None:
            await self.conn.execute(
                "UPDATE commitment_actions SET text = ? WHERE id = ?", (text, action_id)
            )
        if target is not False:
            await self.conn.execute(
                "UPDATE commitment_actions SET target_date = ? WHERE id = ?",
                (_day(target) if isinstance(target, date) else None, action_id),
            )

    async def delete_action(self, action_id: int) -> bool:
        cursor = await self.conn.execute(
            "DELETE FROM commitment_actions WHERE id = ?", (action_id,)
        )
        return cursor.rowcount == 1

    # Versions ----------------------------------------------------------------------------

    async def freeze_version(
        self,
        commitment: CommitmentRecord,
        *,
        unit_id: int | None,
        at: datetime,
        on: date,
        late: bool,
    ) -> VersionRecord:
        """Copy the working actions into version ``last_version + 1``."""
        number = commitment.last_version + 1
        cursor = await self.conn.execute(
            "INSERT INTO commitment_versions (commitment_id, number, unit_id, submitted_at, "
            "submitted_on, late) VALUES (?, ?, ?, ?, ?, ?)",
            (commitment.id, number, unit_id, to_db(at), on.isoformat(), int(late)),
        )
        version_id = cursor.lastrowid
        await self.conn.execute(
            "INSERT INTO commitment_version_actions (version_id, heading, position, text, "
            "target_date) SELECT ?, heading, position, text, target_date "
            "FROM commitment_actions WHERE commitment_id = ? ORDER BY position, id",
            (version_id, commitment.id),
        )
        found = await self.version(commitment.id, number)
        assert found is not None
        return found

    async def version(self, commitment_id: int, number: int) -> VersionRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_V} FROM commitment_versions WHERE commitment_id = ? AND number = ?",
            (commitment_id, number),
        )
        row = await cursor.fetchone()
        return _version(row) if row else None

    async def versions(self, commitment_id: int) -> list[VersionRecord]:
        cursor = await self.conn.execute(
            f"SELECT {_V} FROM commitment_versions WHERE commitment_id = ? ORDER BY number",
            (commitment_id,),
        )
        return [_version(row) for row in await cursor.fetchall()]

    async def decide_version(
        self,
        version_id: int,
        decision: str,
        *,
        by: int | None,
        by_name: str,
        at: datetime,
        comment: str | None,
    ) -> bool:
        cursor = await self.conn.execute(
            "UPDATE commitment_versions SET decision = ?, decided_by = ?, decided_by_name = ?, "
            "decided_at = ?, comment = ? WHERE id = ? AND decision = 'pending'",
            (decision, by, by_name, to_db(at), comment, version_id),
        )
        return cursor.rowcount == 1

    async def version_actions(self, version_id: int) -> list[ActionRecord]:
        cursor = await self.conn.execute(
            f"{_FROZEN} WHERE version_id = ? ORDER BY position, id",
            (version_id,),
        )
        return [_action(row, "version_id") for row in await cursor.fetchall()]

    async def version_action(self, action_id: int) -> ActionRecord | None:
        cursor = await self.conn.execute(
            f"{_FROZEN} WHERE id = ?",
            (action_id,),
        )
        row = await cursor.fetchone()
        return _action(row, "version_id") if row else None

    async def rate_action(
        self,
        action_id: int,
        *,
        rating: str | None = None,
        evidence: str | None = None,
        at: datetime,
    ) -> None:
        if rating is not None:
            await self.conn.execute(
                "UPDATE commitment_version_actions SET self_rating = ?, rated_at = ? WHERE id = ?",
                (rating, to_db(at), action_id),
            )
        if evidence is not None:
            await self.conn.execute(
                "UPDATE commitment_version_actions SET evidence = ?, rated_at = ? WHERE id = ?",
                (evidence, to_db(at), action_id),
            )
