"""The data of the committees' XLSX workbook (``/report export``, ``cadrebot report
--format xlsx``): one sheet per topic over a unit's subtree, read with one statement per
sheet (storage/report_workbook.py) and rendered by bot/render/report_workbook.py.

What each sheet holds:
- members: the subtree's members, each once, in their current primary unit, the exempt with
  their status;
- commitments and grades: every member's commitment of the campaign year (the period's
  year) and its year-end grading, "not filed" when there is none;
- attendance: per member, the meetings held (closed) in the period by the subtree's units,
  the invitations while exempt left out;
- sessions: every session of the subtree's units starting in the period;
- stories: the stories sent in the period that reached the subtree's members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.errors import AccessDenied
from bot.i18n import N_
from bot.rules.access import MONITORS, Actor, has_role_over
from bot.services.audit import audit
from bot.services.reports.model import Period
from storage import Database
from storage.db import Store
from storage.records import Campaign, Unit
from storage.report_workbook import (
    AttendanceRow,
    CommitmentRow,
    MemberRow,
    SessionRow,
    StoryRow,
    WorkbookRepository,
)

__all__ = [
    "AttendanceRow",
    "CommitmentRow",
    "MemberRow",
    "SessionRow",
    "StoryRow",
    "WorkbookData",
    "audit_export",
    "check_export",
    "export_workbook",
    "workbook_data",
]

DEFAULT_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # as bot.config's default


@dataclass(frozen=True)
class WorkbookData:
    """The rows of every sheet. Per-member topics are keyed by member id and shown in the
    members' order (by unit, then name); a member without a row there has nothing yet."""

    unit: Unit  # the top of the subtree
    period: Period
    campaign: Campaign | None  # the period's year's campaign, if there is one
    units: dict[int, Unit]  # the subtree's units by id
    members: list[MemberRow]
    commitments: dict[int, CommitmentRow]
    attendance: dict[int, AttendanceRow]
    sessions: list[SessionRow]
    stories: list[StoryRow]


def bounds(period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants the period's local days run between, the end exclusive."""
    since = datetime.combine(period.start, time(0), tzinfo=tz)
    return since, datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=tz)


async def workbook_data(
    store: Store, unit: Unit, period: Period, *, tz: tzinfo | None = None
) -> WorkbookData:
    """Every sheet's rows for ``unit`` and below, in six statements whatever the subtree's
    size. ``tz`` is the organisation's time zone (the configured one; Vietnam's by default),
    which turns the period's days into instants."""
    since, until = bounds(period, tz or DEFAULT_TIMEZONE)
    rows = WorkbookRepository(store.conn)
    campaign = await store.campaigns.by_year(period.year)
    units = {found.id: found for found in await store.units.subtree(unit)}
    members = await rows.members(unit.path)
    commitments = (
        {row.member_id: row for row in await rows.commitments(unit.path, campaign.id)}
        if campaign is not None
        else {}
    )
    attendance = {row.member_id: row for row in await rows.attendance(unit.path, since, until)}
    return WorkbookData(
        unit=unit,
        period=period,
        campaign=campaign,
        units=units,
        members=members,
        commitments=commitments,
        attendance=attendance,
        sessions=await rows.sessions(unit.path, since, until),
        stories=await rows.stories(unit.path, since, until),
    )


async def export_workbook(
    db: Database, actor: Actor | None, unit: Unit, period: Period, *, tz: tzinfo | None = None
) -> WorkbookData:
    """The workbook's data for someone who monitors ``unit`` (its secretary or deputy, a
    committee above it, an administrator; ``None``: the operator's CLI), audited. A refusal
    is audited too. The bot splits these steps: it checks and audits here and reads in the
    child process that writes the file (bot/builds/files.py)."""
    await check_export(db, actor, unit)
    async with db.read() as store:
        data = await workbook_data(store, unit, period, tz=tz)
    await audit_export(
        db, actor, unit, period, members=len(data.members), sessions=len(data.sessions)
    )
    return data


async def check_export(db: Database, actor: Actor | None, unit: Unit) -> None:
    """AccessDenied, audited, unless the person monitors ``unit`` (None: the CLI)."""
    if actor is not None and not has_role_over(actor, MONITORS, unit):
        async with db.write() as store:
            await audit(store, actor, "report.export", unit.code, outcome="denied")
        raise AccessDenied(
            N_(
                "Only the secretary, the deputy or a committee above {unit} can export its "
                "report. Ask for the report of your own unit."
            ),
            unit=unit.name,
        )


async def audit_export(
    db: Database, actor: Actor | None, unit: Unit, period: Period, *, members: int, sessions: int
) -> None:
    """The export, audited once its data was read."""
    async with db.write() as store:
        await audit(
            store,
            actor or "cli",
            "report.export",
            unit.code,
            period=period.label,
            members=members,
            sessions=sessions,
        )
