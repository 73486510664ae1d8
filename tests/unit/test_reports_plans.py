"""The report queries' plans (EXPLAIN QUERY PLAN): every subtree query is driven by the
units' path index, then goes member by member through indexes; none scans the sessions,
the invitations, the outbox or the members whole (what made the old reports cost the same
for a cell as for the city). docs/reports.md shows the same plans on a city-sized database.
"""

from __future__ import annotations

from datetime import datetime

import storage.reports
from bot.context import Services
from bot.services.reports.rollup import roll_up_attendance
from storage.reports import ReportRepository
from tests.conftest import TIMEZONE, Organisation
from tests.unit.report_support import build


class Recording:
    """A connection that records the plan of each statement before running it."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.conn = conn
        self.plans: list[tuple[str, list[str]]] = []

    async def execute(self, sql: str, params: object = ()):  # type: ignore[no-untyped-def]
        cursor = await self.conn.execute("EXPLAIN QUERY PLAN " + sql, params)
        self.plans.append((sql, [row[3] for row in await cursor.fetchall()]))
        return await self.conn.execute(sql, params)


async def test_subtree_queries_start_from_the_path_index(
    setup: Services, org: Organisation, clock
) -> None:
    scenario = await build(setup, org, clock)
    since = datetime(2026, 1, 1, tzinfo=TIMEZONE)
    until = datetime(2027, 1, 1, tzinfo=TIMEZONE)
    top = org.units["QU-BT"]
    await roll_up_attendance(setup.db, chunk=2)  # all but what the test un-rolls below
    async with setup.db.write() as store:
        await store.conn.execute(
            "DELETE FROM attendance_rolled WHERE session_id = ?", (scenario.sessions["S2"],)
        )
    async with setup.db.read() as store:
        recording = Recording(store.conn)
        reports = ReportRepository(recording)  # type: ignore[arg-type]
        await reports.units(top.path)
        await reports.member_counts(top.path, 1)
        await reports.attendance(top.path, since, until)
        await reports.held(top.path, since, until, 1)
        await reports.stories(top.path, since, until)
        subtree_queries = len(recording.plans)
        await reports.member_rows(org.units["CB-BT1"].id, 1)
        await reports.member_rows(0, 1, member_id=scenario.member_id("DV002"))
        await reports.member_attendance([scenario.member_id("DV002")], since, until)
    by_unit = [plan for sql, plan in recording.plans[:subtree_queries] if "FROM units u" in sql]
    assert len(by_unit) == 5  # units, member_counts, the kept attendance, held, stories
    for plan in by_unit:
        assert "USING" in plan[0] and "INDEX units_path (path>? AND path<?)" in plan[0], plan
    # The sessions not rolled up: counted, then counted live, from the closed sessions of the
    # period and their own invitations.
    by_session = [plan for sql, plan in recording.plans if sql.startswith("SELECT ms.unit_id")]
    assert len(by_session) == 1
    for sql, plan in recording.plans:
        assert not [step for step in plan if step.startswith("SCAN")], (sql, plan)
        if "FROM sessions s" in sql and "attendance_rolled" in sql:
            assert "INDEX sessions_closed (starts_at>? AND starts_at<?)" in plan[0], plan
        if "FROM units u" in sql and "session_invitees" in sql:
            assert any("COVERING INDEX session_invitees_member" in step for step in plan), plan
        if "FROM units u" in sql and "outbox" in sql:
            assert any("COVERING INDEX outbox_story_member" in step for step in plan), plan


async def test_many_sessions_not_rolled_up_are_counted_from_the_members(
    setup: Services, org: Organisation, clock, monkeypatch
) -> None:
    """A database not rolled up yet (just upgraded): counted member by member, through the
    covering index, whatever the number of sessions."""
    await build(setup, org, clock)
    monkeypatch.setattr(storage.reports, "LIVE_BY_SESSION", 0)
    since = datetime(2026, 1, 1, tzinfo=TIMEZONE)
    until = datetime(2027, 1, 1, tzinfo=TIMEZONE)
    async with setup.db.read() as store:
        recording = Recording(store.conn)
        await ReportRepository(recording).attendance(  # type: ignore[arg-type]
            org.units["QU-BT"].path, since, until
        )
    (sql, plan) = recording.plans[-1]
    assert "session_invitees" in sql and "units_path" in plan[0], plan
    assert any("COVERING INDEX session_invitees_member" in step for step in plan), plan
    assert not [step for step in plan if step.startswith("SCAN")], plan
