"""The benchmark's generator (bench/generate.py) at a tiny size, and the report paths issue 12
made set-based, checked against the code as it was (kept in bench/before.py) on the
generated organisation: the same period report, the same progress, the same subtree rows,
the same export table, CSV bytes and XLSX sheet."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import sys
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import build_services
from bot.clock import FixedClock
from bot.config import load_settings
from bot.context import Services
from bot.i18n import use_locale
from bot.render.commitment_export import commitments_file
from bot.render.exports import to_xlsx
from storage.commitments import CommitmentRepository
from storage.grading import GradingRepository

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import before
from city import TZ, YEAR, build_city
from city_year import NOW

MEMBERS, UNITS, STORIES = 400, 20, 12
PERIODS = [(date(YEAR, 1, 1), date(YEAR, 3, 31)), (date(YEAR, 1, 1), date(YEAR, 12, 31))]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "city.sqlite3"
    city = asyncio.run(
        build_city(path, members=MEMBERS, units=UNITS, seed=3, year=True, stories=STORIES)
    )
    assert city.members == MEMBERS and city.units == UNITS
    return path


@pytest.fixture
async def city(generated: Path) -> AsyncIterator[Services]:
    services = build_services(
        load_settings(env_file=None, CADREBOT_DB=str(generated)), clock=FixedClock(TZ, NOW)
    )
    await services.db.connect()
    try:
        yield services
    finally:
        await services.db.close()


def _query(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_generated_city_holds_together(generated: Path) -> None:
    assert _query(generated, "PRAGMA foreign_key_check") == []
    assert _query(generated, "PRAGMA integrity_check") == [("ok",)]
    assert _query(generated, "SELECT COUNT(*) FROM members") == [(MEMBERS,)]
    assert _query(generated, "SELECT COUNT(*) FROM units") == [(UNITS,)]
    # Four levels: city, district, ward committee, cell.
    depth = "LENGTH(path) - LENGTH(REPLACE(path, '/', '')) - 1"
    kinds = dict(_query(generated, f"SELECT kind, MAX({depth}) FROM units GROUP BY kind"))
    assert kinds == {"city_committee": 1, "committee": 2, "grassroots_committee": 3, "cell": 4}
    # Every member has exactly one open primary membership; some moved during the year.
    assert _query(
        generated,
        "SELECT COUNT(*) FROM members m WHERE (SELECT COUNT(*) FROM memberships ms "
        "WHERE ms.member_id = m.id AND ms.is_primary = 1 AND ms.ended_on IS NULL) != 1",
    ) == [(0,)]
    assert _query(generated, "SELECT COUNT(*) > 0 FROM memberships WHERE ended_on IS NOT NULL")[
        0
    ] == (1,)
    # Twelve months of sessions, each kind, closed ones with every mark.
    months = _query(generated, "SELECT COUNT(DISTINCT substr(starts_at, 1, 7)) FROM sessions")
    assert months[0][0] >= 12
    assert {k for (k,) in _query(generated, "SELECT DISTINCT kind FROM sessions")} == {
        "regular",
        "thematic",
        "conference",
    }
    marks = {m for (m,) in _query(generated, "SELECT DISTINCT mark FROM session_invitees")}
    assert marks == {"present", "excused", "absent", None}
    assert _query(
        generated,
        "SELECT COUNT(*) FROM session_invitees i JOIN sessions s ON s.id = i.session_id "
        "WHERE s.status = 'closed' AND i.mark IS NULL",
    ) == [(0,)]
    # Commitments in every status, versions decided both ways, self-ratings and grades.
    statuses = {s for (s,) in _query(generated, "SELECT DISTINCT status FROM commitments")}
    assert statuses == {"draft", "submitted", "returned", "approved"}
    decisions = {d for (d,) in _query(generated, "SELECT decision FROM commitment_versions")}
    assert decisions == {"pending", "approved", "returned"}
    rated = "SELECT COUNT(*) FROM commitment_version_actions WHERE self_rating IS NOT NULL"
    assert _query(generated, rated)[0][0] > 0
    assert _query(
        generated,
        "SELECT COUNT(*) FROM commitments c JOIN commitment_grades g ON g.commitment_id = c.id "
        "AND g.revision = c.grade_revision WHERE c.grade != g.grade",
    ) == [(0,)]
    assert _query(generated, "SELECT COUNT(*) > 0 FROM commitment_grades") == [(1,)]
    # The stories went out through the outbox, and were read.
    sent = "SELECT COUNT(*), COUNT(batch_id) FROM stories WHERE status = 'sent'"
    assert _query(generated, sent) == [(STORIES, STORIES)]
    assert _query(
        generated, "SELECT COUNT(*) FROM outbox WHERE kind = 'story' AND status != 'sent'"
    ) == [(0,)]
    assert _query(generated, "SELECT COUNT(*) > 0 FROM story_reads") == [(1,)]
    assert _query(generated, "SELECT COUNT(*) > 0 FROM nominations") == [(1,)]


async def _paths(services: Services) -> list[tuple[str, str]]:
    async with services.db.read() as store:
        units = await store.units.all()
    kinds = ("city_committee", "committee", "grassroots_committee", "cell")
    return [(u.code, u.path) for kind in kinds for u in units if u.kind == kind][:6]


async def test_the_period_report_is_as_before(city: Services) -> None:
    for code, _ in await _paths(city):
        for start, end in PERIODS:
            old = await before.period_report(city.sessions, None, start, end, unit_code=code)
            new = await city.sessions.period_report(None, start, end, unit_code=code)
            assert new == old, (code, start, end)
    assert new.members and any(u.counted for u in new.units)


async def test_the_commitments_views_are_as_before(city: Services) -> None:
    for code, path in await _paths(city):
        assert await city.commitments.progress(None, YEAR, unit_code=code) == (
            await before.progress(city.commitments, None, YEAR, code)
        )
        async with city.db.read() as store:
            (campaign,) = await store.campaigns.all()
            assert await store.commitments.in_subtree(campaign.id, path) == (
                await before.in_subtree(store, campaign.id, path)
            )
            statuses = ("submitted", "returned")
            assert await store.commitments.in_subtree(campaign.id, path, statuses) == (
                await before.in_subtree(store, campaign.id, path, statuses)
            )
            assert await store.grading.candidates(campaign.id, path) == (
                await before.grading_candidates(store, campaign.id, path)
            )
    async with city.db.read() as store:
        assert await store.commitments.in_subtree(campaign.id, None) == (
            await before.in_subtree(store, campaign.id, None)
        )


async def test_the_export_is_byte_for_byte_as_before(city: Services) -> None:
    with use_locale("vi"):
        old = await before.export(city.commitments, year=YEAR, unit_code="TP")
        new = await city.commitments.export(year=YEAR, unit_code="TP")
    assert (new.header, new.rows, new.units) == (old.header, old.rows, old.units)
    assert len(new.rows) > MEMBERS  # one row per action
    assert commitments_file(new, "csv") == commitments_file(old, "csv")
    # The workbook's sheet is the same to the byte (the file's own creation time differs).
    sheets = []
    for data in (
        to_xlsx(new.header, new.rows, new.sheet),
        before.to_xlsx(old.header, old.rows, old.sheet),
    ):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            sheets.append(
                {n: book.read(n) for n in book.namelist() if not n.startswith("docProps/")}
            )
    assert sheets[0] == sheets[1]


class Recording:
    """A connection that records the plan of each statement before running it."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.conn = conn
        self.plans: list[tuple[str, list[str]]] = []

    async def execute(self, sql: str, params: object = ()):  # type: ignore[no-untyped-def]
        cursor = await self.conn.execute("EXPLAIN QUERY PLAN " + sql, params)
        self.plans.append((sql, [row[3] for row in await cursor.fetchall()]))
        return await self.conn.execute(sql, params)


async def test_the_subtree_drives_the_commitment_queries(city: Services) -> None:
    """Each starts from the units' path index, never from the campaign's index (which read
    every commitment of the campaign, whatever the subtree)."""
    (_, cell), *_ = [p for p in await _paths(city) if p[1].count("/") == 5]
    async with city.db.read() as store:
        (campaign,) = await store.campaigns.all()
        recording = Recording(store.conn)
        commitments = CommitmentRepository(recording)  # type: ignore[arg-type]
        await commitments.in_subtree(campaign.id, cell)
        await commitments.in_subtree(campaign.id, cell, ("submitted",))
        await commitments.primary_members_in_subtree(cell)
        await commitments.progress_in_subtree(campaign.id, cell)
        await commitments.missing_in_subtree(campaign.id, cell)
        await GradingRepository(recording).candidates(campaign.id, cell)  # type: ignore[arg-type]
    assert len(recording.plans) == 6
    for sql, plan in recording.plans:
        assert "INDEX units_path (path>? AND path<?)" in plan[0], (sql, plan)
        assert not [step for step in plan if "commitments_campaign_status" in step], plan
        assert not [step for step in plan if step.startswith("SCAN")], plan
