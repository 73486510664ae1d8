"""The figures section of a committee's mid-year or year-end review (sơ kết, tổng kết) for
the level above: the period's figures against the previous period's, per unit below, with
the nominations and, at year end, the grades of each grassroots organisation below checked
against the 20% rule. Data only; bot/render/review_report.py writes the DOCX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from bot.rules import review as rules
from bot.rules.access import Actor
from bot.rules.grading import (
    EXEMPT,
    OFFICIAL_KINDS,
    TEMPORARY,
    Grade,
    Tally,
    deciding_unit,
)
from bot.rules.organisation import Letterhead
from bot.rules.reports import bounds
from bot.rules.reports import period as period_of
from bot.services.documents import holder_name, letterhead_of
from bot.services.reports.model import Overview, Period
from bot.services.reports.service import ReportService
from storage.db import Store
from storage.records import Unit


@dataclass(frozen=True)
class Organisation:
    """One grassroots organisation below: the grades decided there this year."""

    unit: Unit
    tally: Tally


@dataclass(frozen=True)
class Nominations:
    submitted: int = 0  # good deeds nominated in the period
    approved: int = 0  # of those, approved


@dataclass(frozen=True)
class ReviewReport:
    unit: Unit
    letterhead: Letterhead
    signer: str  # the unit's secretary, "" when nobody holds the role
    dated: date  # the document's own date: the day it is made
    now: Overview
    before: Overview
    nominations: Nominations
    nominations_before: Nominations
    organisations: list[Organisation]  # year-end only: empty for a half-year review

    @property
    def period(self) -> Period:
        return self.now.period

    @property
    def year_end(self) -> bool:
        return self.now.period.label == str(self.now.period.year)


async def nominations(store: Store, unit: Unit, period: Period, tz: tzinfo) -> Nominations:
    since, until = bounds(period, tz)
    submitted, approved = await store.nominations.counts_in_subtree(unit.path, since, until)
    return Nominations(submitted, approved)


async def organisations(store: Store, unit: Unit, year: int) -> list[Organisation]:
    """The grassroots organisations deciding grades in the subtree, with their tallies of
    the year's decided grades (the exempt are not graded, not counted).

    Counted in SQL per official unit and grade (a few thousand rows for a city, not a row
    per member); the deciding level is worked out once per official unit. The same figures
    as placing each member (:func:`bot.services.commitments.grading_state.placements`):
    tests/unit/test_review_counts.py compares the two."""
    campaign = await store.campaigns.by_year(year)
    if campaign is None:
        return []
    counted = await store.grading.grades_by_official_unit(
        campaign.id,
        unit.path,
        temporary=TEMPORARY,
        official_kinds=OFFICIAL_KINDS,
        not_graded=EXEMPT,
    )
    officials = {unit_id for unit_id, _, _ in counted}
    by_id = await store.units.many(
        {i for official in (await store.units.many(officials)).values() for i in official.chain_ids}
    )
    deciders: dict[int, Unit | None] = {}
    for official_id in officials:
        official = by_id.get(official_id)
        chain = [by_id[i] for i in official.chain_ids if i in by_id] if official else []
        decider = deciding_unit(chain) if chain else None
        deciders[official_id] = decider if decider and unit.contains(decider) else None
    grades: dict[int, dict[str, int]] = {}
    found: dict[int, Unit] = {}
    for official_id, grade, count in counted:
        decider = deciders[official_id]
        if decider is None:
            continue
        found[decider.id] = decider
        tally = grades.setdefault(decider.id, {})
        if grade is not None:
            tally[grade] = tally.get(grade, 0) + count
    return [
        Organisation(decider, Tally(*(grades[decider.id].get(g, 0) for g in Grade)))
        for decider in sorted(found.values(), key=lambda u: u.path)
    ]


async def review_top(
    reports: ReportService, actor: Actor | None, unit: str | int | None, year: int, half: int | None
) -> Unit:
    """The unit whose review :func:`review_report` would make for ``actor``, the periods
    checked: the bot decides here who may, then builds the review in a child process as the
    CLI would (actor None) for that unit (bot/builds/files.py)."""
    part = rules.review_part(half)
    period_of(year, part)
    period_of(*rules.previous_part(year, part))
    return await reports.top(actor, unit)


async def review_report(
    reports: ReportService,
    actor: Actor | None,
    unit: str | int | None,
    year: int,
    half: int | None,
    locality: str | None,
) -> ReviewReport:
    """The review of ``unit`` (None: the first of the person's scope) for ``year`` (or its
    ``half``), for whoever may see its report; ``locality`` is the configured place."""
    part = rules.review_part(half)
    period = period_of(year, part)
    before_year, before_part = rules.previous_part(year, part)
    now = await reports.overview(actor, unit, period)
    before = await reports.overview(actor, now.total.unit.id, period_of(before_year, before_part))
    top = now.total.unit
    async with reports.db.read() as store:
        head = await letterhead_of(store, top, locality)
        signer = await holder_name(store, top)
        counted = await nominations(store, top, period, reports.clock.tz)
        counted_before = await nominations(store, top, before.period, reports.clock.tz)
        graded = await organisations(store, top, year) if part is None else []
    return ReviewReport(
        top, head, signer, reports.clock.today(), now, before, counted, counted_before, graded
    )
