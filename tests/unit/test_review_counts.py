"""The review's grades per grassroots organisation, counted in SQL
(:func:`bot.services.reports.review.organisations`), against the Python counting it replaced
(each member placed with ``placements``, then counted): the same organisations with the same
tallies, for every unit of an organisation built to hold every awkward case. Exempt and
temporarily attached members, people in several units, members who moved (ended
memberships), members without a primary membership or with none open, pending
registrations, grassroots committees nested in one another, party groups, and grades of
another year."""

from __future__ import annotations

import random

from bot.context import Services
from bot.rules.grading import Tally
from bot.services.commitments.grading_state import placements
from bot.services.reports.review import Organisation, organisations
from storage.db import Store
from storage.records import Unit

NOW = "2026-06-01T00:00:00Z"
GRADES = [None, "excellent", "good", "good", "fulfilled", "not_fulfilled"]


async def _python_counting(store: Store, unit: Unit, year: int) -> list[Organisation]:
    """organisations() as it was: every member of the subtree placed, then counted."""
    campaign = await store.campaigns.by_year(year)
    if campaign is None:
        return []
    members = await store.members.in_subtree(unit)
    placed = await placements(store, members)
    commitments = await store.commitments.in_subtree(campaign.id, unit.path)
    grades = {c.member_id: c.grade for c in commitments}
    by_decider: dict[int, tuple[Unit, list[str | None]]] = {}
    for member in members:
        placement = placed.get(member.id)
        if placement is None or not placement.graded or placement.decider is None:
            continue
        decider = placement.decider
        if not decider.path.startswith(unit.path):
            continue
        by_decider.setdefault(decider.id, (decider, []))[1].append(grades.get(member.id))
    return [
        Organisation(decider, Tally.of(found))
        for decider, found in sorted(by_decider.values(), key=lambda item: item[0].path)
    ]


# The tree: (code, kind, parent code).
TREE = [
    ("TU", "city_committee", None),
    ("Q1", "committee", "TU"),
    ("Q2", "committee", "TU"),
    ("P1", "grassroots_committee", "Q1"),  # decides for its cells
    ("P1A", "grassroots_committee", "P1"),  # a partial committee: P1 decides for it
    ("C1", "cell", "P1"),
    ("C2", "cell", "P1"),
    ("C3", "cell", "P1A"),
    ("G1", "party_group", "C3"),
    ("C4", "cell", "Q1"),  # a grassroots cell: decides itself
    ("P2", "grassroots_committee", "Q2"),
    ("C5", "cell", "P2"),
    ("G2", "party_group", "C5"),
    ("C6", "cell", "Q2"),
    ("G3", "party_group", "C6"),
    ("M1", "mass_org_branch", "Q2"),
]


async def _build(services: Services, seed: int) -> dict[str, Unit]:
    generator = random.Random(seed)
    await services.campaigns.create(
        year=2025, topic="Tinh thần trách nhiệm năm trước", actor="test"
    )
    await services.campaigns.create(
        year=2026, topic="Tinh thần trách nhiệm, năng động, sáng tạo", actor="test"
    )
    async with services.db.write() as store:
        conn = store.conn
        ids: dict[str, int] = {}
        for number, (code, kind, parent) in enumerate(TREE, start=1):
            path = (await _path(conn, ids[parent]) if parent else "/") + f"{number}/"
            await conn.execute(
                "INSERT INTO units (id, code, name, kind, parent_id, path, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (number, code, f"Đơn vị {code}", kind, ids.get(parent or ""), path, NOW, NOW),
            )
            ids[code] = number
        cursor = await conn.execute("SELECT id, year FROM campaigns")
        campaigns = {year: campaign_id for campaign_id, year in await cursor.fetchall()}
        units = list(ids.values())
        for member_id in range(1, 161):
            status = generator.choice(["official"] * 4 + ["probationary", "temporary", "exempt"])
            registration = "pending" if generator.random() < 0.05 else "active"
            await conn.execute(
                "INSERT INTO members (id, code, full_name, status, registration, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (member_id, f"DV{member_id:03d}", f"Người {member_id}", status, registration,
                 NOW, NOW),
            )  # fmt: skip
            chosen = generator.sample(units, generator.choice([0, 1, 1, 2, 2, 3]))
            has_primary = generator.random() > 0.08
            for index, unit_id in enumerate(chosen):
                day = f"2025-{generator.randrange(1, 13):02d}-01"  # ties are ordered by id
                await conn.execute(
                    "INSERT INTO memberships (member_id, unit_id, is_primary, started_on) "
                    "VALUES (?, ?, ?, ?)",
                    (member_id, unit_id, int(index == 0 and has_primary), day),
                )
            if generator.random() < 0.3:  # moved: a membership that has ended
                gone = generator.choice(units)
                if gone not in chosen:
                    await conn.execute(
                        "INSERT INTO memberships (member_id, unit_id, is_primary, started_on, "
                        "ended_on) VALUES (?, ?, 1, '2024-01-01', '2025-01-01')",
                        (member_id, gone),
                    )
            for year, campaign_id in campaigns.items():
                if generator.random() < 0.85:
                    grade = generator.choice(GRADES) if year == 2026 else "excellent"
                    await conn.execute(
                        "INSERT INTO commitments (member_id, campaign_id, status, grade, "
                        "created_at, updated_at) VALUES (?, ?, 'approved', ?, ?, ?)",
                        (member_id, campaign_id, grade, NOW, NOW),
                    )
    async with services.db.read() as store:
        return {unit.code: unit for unit in await store.units.all()}


async def _path(conn, unit_id: int) -> str:  # type: ignore[no-untyped-def]
    cursor = await conn.execute("SELECT path FROM units WHERE id = ?", (unit_id,))
    (path,) = await cursor.fetchone()
    return path


async def test_sql_counts_match_the_python_counting_for_every_unit(services: Services) -> None:
    units = await _build(services, seed=5)
    async with services.db.read() as store:
        for code, unit in units.items():
            counted = await organisations(store, unit, 2026)
            assert counted == await _python_counting(store, unit, 2026), code
        city = await organisations(store, units["TU"], 2026)
        # The organisation holds what it is built for: deciding committees and cells, some
        # with grades, and members left out (exempt) so that totals are below the roster.
        assert {o.unit.code for o in city} >= {"P1", "C4", "P2", "C6"}
        assert "P1A" not in {o.unit.code for o in city}  # decided by P1 above it
        assert sum(o.tally.total for o in city) > 30
        assert await organisations(store, units["TU"], 2030) == []  # no such campaign


async def test_the_counts_match_on_other_draws(services: Services) -> None:
    units = await _build(services, seed=11)
    async with services.db.read() as store:
        for code, unit in units.items():
            assert await organisations(store, unit, 2026) == await _python_counting(
                store, unit, 2026
            ), code
