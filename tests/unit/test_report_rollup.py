"""The attendance roll-up (migration 0018, bot/services/reports/rollup.py) is a cache: the
reports give the same figures whether nothing, everything or part of it is rolled up, and
every change to what a session's kept counts came from (a corrected mark, a member moving,
a registration ending) takes that session out of it until it is rolled up again."""

from __future__ import annotations

import pytest

import storage.reports
from bot.context import Services
from bot.services.reports.model import Overview
from bot.services.reports.rollup import roll_up_attendance
from tests.conftest import Organisation
from tests.unit.report_support import Scenario, at, build

VIEWS = (
    ("admin", None, "Q1"),
    ("admin", None, None),
    ("DV010", None, None),
    ("admin", "CB-HL1", None),
)


@pytest.fixture
async def scenario(setup: Services, org: Organisation, clock) -> Scenario:
    return await build(setup, org, clock)


async def overviews(scenario: Scenario) -> list[Overview]:
    reports = scenario.services.reports
    return [
        await reports.overview(scenario.people[who], unit, reports.period(2026, part))
        for who, unit, part in VIEWS
    ]


async def rolled(scenario: Scenario) -> set[int]:
    async with scenario.services.db.read() as store:
        cursor = await store.conn.execute("SELECT session_id FROM attendance_rolled")
        return {row[0] for row in await cursor.fetchall()}


async def forget(scenario: Scenario) -> None:
    async with scenario.services.db.write() as store:
        await store.conn.execute("DELETE FROM attendance_rolled")
        await store.conn.execute("DELETE FROM attendance_rollup")


async def test_the_figures_are_the_same_rolled_up_or_not(scenario: Scenario, monkeypatch) -> None:
    live = await overviews(scenario)
    closed = {key: sid for key, sid in scenario.sessions.items() if key != "S5"}  # S5: open

    assert await roll_up_attendance(scenario.services.db, chunk=2) == len(closed)
    assert await rolled(scenario) == set(closed.values())
    assert await roll_up_attendance(scenario.services.db) == 0  # nothing left to do
    assert await overviews(scenario) == live

    # Part rolled up, the rest counted from the members instead of the sessions.
    async with scenario.services.db.write() as store:
        await store.conn.execute(
            "DELETE FROM attendance_rolled WHERE session_id = ?", (closed["S1"],)
        )
    monkeypatch.setattr(storage.reports, "LIVE_BY_SESSION", 0)
    assert await overviews(scenario) == live


async def test_a_changed_mark_takes_its_session_out_until_rolled_up_again(
    scenario: Scenario,
) -> None:
    services, org = scenario.services, scenario.org
    await roll_up_attendance(services.db)
    s2 = scenario.sessions["S2"]
    # Nothing in the bot changes a closed session's marks today; whatever does later, the
    # trigger sees it.
    async with services.db.write() as store:
        await store.conn.execute(
            "UPDATE session_invitees SET mark = 'present' WHERE session_id = ? AND member_id = ?",
            (s2, org.members["DV002"].id),
        )

    assert s2 not in await rolled(scenario)
    assert scenario.sessions["S1"] in await rolled(scenario)  # the others stay
    mixed = await overviews(scenario)
    await roll_up_attendance(services.db)
    again = await overviews(scenario)
    await forget(scenario)
    assert mixed == again == await overviews(scenario)


async def test_a_member_moving_or_leaving_takes_their_sessions_out(scenario: Scenario) -> None:
    services, org = scenario.services, scenario.org
    await roll_up_attendance(services.db)
    before = await overviews(scenario)
    async with services.db.write() as store:  # DV002 (invited to S1, S2, S3) moves
        assert await store.members.set_memberships(
            org.members["DV002"].id, org.units["CB-BT2"].id, [], at(4, 12).date()
        )
    gone = {scenario.sessions[key] for key in ("S1", "S2", "S3")}
    assert not gone & await rolled(scenario)
    assert scenario.sessions["S6"] in await rolled(scenario)
    moved = await overviews(scenario)
    assert moved != before  # DV002's meetings now count in CB-BT2

    async with services.db.write() as store:  # DV008 (invited to S6) no longer active
        await store.conn.execute(
            "UPDATE members SET registration = 'rejected' WHERE id = ?", (org.members["DV008"].id,)
        )
    assert scenario.sessions["S6"] not in await rolled(scenario)
    mixed = await overviews(scenario)
    await roll_up_attendance(services.db)
    again = await overviews(scenario)
    await forget(scenario)
    assert mixed == again == await overviews(scenario)
