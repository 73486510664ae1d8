"""The report paths as they were before issue 12, kept verbatim (as functions over the same
services and stores) so that bench/reports.py measures before and after in the same run, and
tests/unit/test_report_paths.py checks the new code gives the same output on a generated
organisation. Nothing in the bot imports this.

- ``period_report``: SessionService.period_report, filtering every session and every
  invitee row again for each unit (an object per invitee row);
- ``in_subtree``: CommitmentRepository.in_subtree, whose plan lets the campaign's index
  drive (every commitment of the campaign read, whatever the subtree);
- ``progress`` and ``export``: CommitmentService.progress and .export over the roster as it
  was loaded (``_roster``), the export building each commitment's view with several queries
  per member;
- ``to_xlsx``: bot.render.exports.to_xlsx, copying every row before writing, in openpyxl's
  write-only mode (``openpyxl_sheet``: exports.add_sheet as it was, before bot/render/xlsx.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.i18n import format_datetime, gettext
from bot.render.exports import column_widths, sheet_title
from bot.render.text import strip_control
from bot.render.xlsx import DATE_FORMAT, WIDTH_MIN
from bot.rules import sessions as rules
from bot.rules.access import Actor
from bot.rules.commitments import (
    HEADING_LABELS,
    MISSING_LABEL,
    RATING_LABELS,
    STATUS_LABELS,
    Rating,
    headings_for,
    monitoring_bucket,
)
from bot.rules.grading import GRADE_LABELS, Grade
from bot.rules.names import name_key
from bot.services.commitments import CommitmentService, CommitmentTable, UnitProgress
from bot.services.sessions import SessionService
from bot.services.sessions.reports import MemberRate, PeriodReport, UnitReport
from storage import Store
from storage.commitments import _C, CommitmentRecord, _commitment
from storage.records import Campaign, Member, Unit

_PRIMARY = (
    "JOIN memberships ms ON ms.member_id = {member} AND ms.ended_on IS NULL "
    "AND ms.is_primary = 1 JOIN units u ON u.id = ms.unit_id "
)


def _subtree(path: str | None) -> tuple[str, list[object]]:
    if path is None:
        return "", []
    return " AND u.path >= ? AND u.path < ?", [path, path + "\uffff"]


# Sessions: the period report -------------------------------------------------------------------


async def period_report(
    self: SessionService, actor: Actor | None, start: date, end: date, unit_code: str | None = None
) -> PeriodReport:
    since, until = self._bounds(start, end)
    async with self._read() as store:
        if unit_code:
            top = await self._unit_by_code(store, unit_code)
            if actor is not None:
                await self._manage(store, actor, top, "report")
            units = await store.units.subtree(top)
        else:
            assert actor is not None
            units = await self._managed_subtrees(store, actor)
        by_id = {u.id: u for u in units}
        marks = await store.sessions.member_marks(list(by_id), since, until)
        held = await store.sessions.in_units(
            list(by_id), since=since, until=until, statuses=["closed"]
        )
    reports = []
    for unit in sorted(units, key=lambda u: u.path):
        sessions = [s for s in held if s.unit_id == unit.id]
        pairs = [
            (i.status, rules.Mark(i.mark or "absent")) for s, i in marks if s.unit_id == unit.id
        ]
        present, counted, _ = rules.attendance_rate(pairs)
        cadence = (
            rules.cadence(
                [(s.kind, s.starts_at.astimezone(self.tz).date()) for s in sessions],
                start,
                end,
                self.clock.today(),
            )
            if rules.follows_cadence(unit.kind)
            else None
        )
        reports.append(UnitReport(unit, sessions, present, counted, cadence))
    members: dict[tuple[int, int], list[tuple[str, rules.Mark]]] = {}
    names: dict[int, str] = {}
    for session, invitee in marks:
        key = (invitee.member_id, session.unit_id)
        names[invitee.member_id] = invitee.full_name
        members.setdefault(key, []).append((invitee.status, rules.Mark(invitee.mark or "absent")))
    rates = []
    for (member_id, unit_id), pairs in members.items():
        present, counted, _ = rules.attendance_rate(pairs)
        if counted:  # the exempt have no rate at all
            rates.append(MemberRate(names[member_id], by_id[unit_id], present, counted))
    rates.sort(key=lambda r: (r.unit.path, r.name))
    return PeriodReport(start, end, reports, rates)


# Commitments: the subtree query, progress and the export ----------------------------------------


async def in_subtree(
    store: Store, campaign_id: int, path: str | None, statuses: tuple[str, ...] | None = None
) -> list[CommitmentRecord]:
    where, params = _subtree(path)
    params = [campaign_id, *params]
    if statuses:
        where += f" AND c.status IN ({','.join('?' * len(statuses))})"
        params += list(statuses)
    cursor = await store.conn.execute(
        f"SELECT {_C} FROM commitments c {_PRIMARY.format(member='c.member_id')}"
        f"JOIN members m ON m.id = c.member_id WHERE c.campaign_id = ?{where} "
        "ORDER BY u.path, m.full_name, c.id",
        params,
    )
    return [_commitment(row) for row in await cursor.fetchall()]


async def grading_candidates(
    store: Store, campaign_id: int, path: str | None
) -> list[CommitmentRecord]:
    """GradingRepository.candidates as it was: the campaign's index drives as well."""
    where, params = "", []
    if path is not None:
        where, params = " AND u.path >= ? AND u.path < ?", [path, path + "\uffff"]
    cursor = await store.conn.execute(
        f"SELECT DISTINCT {_C} FROM commitments c "
        "JOIN members m ON m.id = c.member_id "
        "JOIN memberships ms ON ms.member_id = c.member_id AND ms.ended_on IS NULL "
        "JOIN units u ON u.id = ms.unit_id "
        f"WHERE c.campaign_id = ? AND (ms.is_primary = 1 OR m.status = 'temporary'){where} "
        "ORDER BY c.id",
        [campaign_id, *params],
    )
    return [_commitment(row) for row in await cursor.fetchall()]


async def primary_members_in_subtree(store: Store, path: str | None) -> list[tuple[int, int]]:
    where, params = _subtree(path)
    cursor = await store.conn.execute(
        "SELECT m.id AS member_id, u.id AS unit_id FROM members m "
        f"{_PRIMARY.format(member='m.id')}"
        f"WHERE m.registration = 'active'{where} ORDER BY u.path, m.full_name, m.id",
        params,
    )
    return [(row["member_id"], row["unit_id"]) for row in await cursor.fetchall()]


async def _roster(
    store: Store, campaign: Campaign, paths: list[str | None]
) -> list[tuple[Member, Unit, CommitmentRecord | None]]:
    seen: set[int] = set()
    roster = []
    for path in paths:
        records = {r.member_id: r for r in await in_subtree(store, campaign.id, path)}
        pairs = [
            (member_id, unit_id)
            for member_id, unit_id in await primary_members_in_subtree(store, path)
            if member_id not in seen
        ]
        members = await store.members.many(m for m, _ in pairs)
        units = await store.units.many(u for _, u in pairs)
        for member_id, unit_id in pairs:
            seen.add(member_id)
            roster.append((members[member_id], units[unit_id], records.get(member_id)))
    return sorted(roster, key=lambda entry: (entry[1].path, name_key(entry[0].full_name)))


async def progress(
    self: CommitmentService,
    actor: Actor | None,
    year: int | None = None,
    unit_code: str | None = None,
) -> tuple[Campaign, list[UnitProgress]]:
    counts: dict[int, dict] = {}
    units: dict[int, Unit] = {}
    async with self.db.read() as store:
        campaign = await self._campaign(store, year)
        paths = await self._paths(store, actor, unit_code=unit_code)
        for member, unit, record in await _roster(store, campaign, paths):
            if member.status == "exempt":
                continue
            units[unit.id] = unit
            row = counts.setdefault(unit.id, {"expected": 0, "missing_names": []})
            row["expected"] += 1
            if record is None:
                row["missing"] = row.get("missing", 0) + 1
                row["missing_names"].append(member.full_name)
                continue
            bucket = monitoring_bucket(record.status, record.approved_version)
            row[bucket.value] = row.get(bucket.value, 0) + 1
            if record.late:
                row["late"] = row.get("late", 0) + 1
    progress = [
        UnitProgress(
            unit=units[unit_id],
            expected=row["expected"],
            draft=row.get("draft", 0),
            submitted=row.get("submitted", 0),
            approved=row.get("approved", 0),
            returned=row.get("returned", 0),
            missing=row.get("missing", 0),
            late=row.get("late", 0),
            missing_names=row["missing_names"],
        )
        for unit_id, row in sorted(counts.items(), key=lambda item: units[item[0]].path)
    ]
    return campaign, progress


async def export(
    self: CommitmentService,
    *,
    year: int | None = None,
    unit_code: str | None = None,
    unit_id: int | None = None,
    actor: Actor | None = None,
) -> CommitmentTable:
    header = [
        gettext("Year"),
        gettext("Member code"),
        gettext("Member"),
        gettext("Unit"),
        gettext("Heading"),
        gettext("No."),
        gettext("Action"),
        gettext("Target date"),
        gettext("Status"),
        gettext("Late"),
        gettext("Version"),
        gettext("Self-rating"),
        gettext("Evidence"),
        gettext("Grade"),
        gettext("Points"),
    ]
    rows: list[list[object]] = []
    async with self.db.read() as store:
        campaign = await self._campaign(store, year)
        unit = await self._unit(store, actor, unit_code, unit_id)
        paths = [unit.path] if unit else await self._paths(store, actor)
        for member, unit_of, record in await _roster(store, campaign, paths):
            rows += await _export_rows(self, store, campaign, member, unit_of, record)
        tops = [unit] if unit else await self._tops(store, actor, paths)
    return CommitmentTable(campaign.year, tops, header, rows)


async def _export_rows(
    self: CommitmentService,
    store: Store,
    campaign: Campaign,
    member: Member,
    unit: Unit,
    record: CommitmentRecord | None,
) -> list[list[object]]:
    base: list[object] = [campaign.year, member.code or "", member.full_name, unit.name]
    if record is None:
        if member.status == "exempt":
            return []
        return [[*base, "", "", "", "", gettext(MISSING_LABEL), *[""] * 6]]
    view = await self._view(store, record, working=record.last_version == 0)
    status = gettext(STATUS_LABELS[monitoring_bucket(record.status, record.approved_version)])
    grade = gettext(GRADE_LABELS[Grade(record.grade)]) if record.grade else ""
    number = view.version.number if view.version else ""
    if not view.actions:
        return [[*base, "", "", "", "", status, *[""] * 6]]
    rows: list[list[object]] = []
    for heading in headings_for(True):
        actions = [a for a in view.actions if a.heading == heading]
        for counter, action in enumerate(actions, start=1):
            rows.append(
                [
                    *base,
                    gettext(HEADING_LABELS[heading]),
                    counter,
                    action.text,
                    action.target_date,
                    status,
                    gettext("Yes") if record.late else "",
                    number,
                    gettext(RATING_LABELS[Rating(action.self_rating)])
                    if action.self_rating
                    else "",
                    action.evidence or "",
                    grade,
                    record.points if record.points is not None else "",
                ]
            )
    return rows


# The XLSX writer --------------------------------------------------------------------------------


def _openpyxl_cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """What exports.py appended to openpyxl's write-only sheet for one value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)  # a moment is shown in local time, as text
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    text = strip_control(str(value))
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # a string, never a formula or an error
        return cell
    return text


def openpyxl_sheet(
    workbook: Workbook,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
    number_formats: dict[int, str] | None = None,
) -> None:
    """exports.add_sheet as it was: one sheet of openpyxl's write-only workbook."""
    worksheet = workbook.create_sheet(sheet_title(name))
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = max(WIDTH_MIN, width) + 2
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    titles = []
    for value in header:
        cell = WriteOnlyCell(worksheet, value=strip_control(str(value)))
        cell.data_type = "s"
        cell.font = bold
        titles.append(cell)
    worksheet.append(titles)
    formats = number_formats or {}
    for row in rows:
        cells = [_openpyxl_cell(worksheet, value) for value in row]
        for index, fmt in formats.items():
            value = cells[index] if index < len(cells) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell = WriteOnlyCell(worksheet, value=value)
                cell.number_format = fmt
                cells[index] = cell
        worksheet.append(cells)


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "Data") -> bytes:
    rows = [list(row) for row in rows]
    workbook = Workbook(write_only=True)
    openpyxl_sheet(workbook, sheet, header, rows, column_widths(header, rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
