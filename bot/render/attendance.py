"""The attendance register as a table (one row per session and invitee), and as a CSV or
XLSX file, from the data the session service returns. Labels are in the current locale.

A session is shown as its date and topic, its date as a date cell; the file is named after
the unit and the period (``diem-danh-2026-q1-chi-bo-khu-vuc-1.xlsx``), never its code."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.i18n import N_, format_date, format_time, gettext, local_date
from bot.render.exports import export_table, file_name
from bot.rules import sessions as rules

if TYPE_CHECKING:
    from bot.services.sessions import AttendanceEntry, AttendanceExport
    from storage.sessions import Invitee

STATUS_NAMES = {
    "official": N_("Full member"),
    "probationary": N_("Probationary member"),
    "temporary": N_("Temporarily attached"),
    "exempt": N_("Exempt from meetings"),
}


def attendance_label(invitee: Invitee) -> str:
    """The register's mark; an exempt member who did not come is "exempt", not "absent"."""
    mark = rules.Mark(invitee.mark or "absent")
    if invitee.status == "exempt" and mark is not rules.Mark.PRESENT:
        exempt = STATUS_NAMES[invitee.status]  # a variable: the extractor must not see a literal
        return gettext(exempt)
    return gettext(rules.MARK_NAMES[mark])


def attendance_table(export: AttendanceExport) -> tuple[list[str], list[list[object]]]:
    """The header and the rows, in the current locale."""
    header = [
        gettext("Session"),
        gettext("Date"),
        gettext("Start time"),
        gettext("Unit"),
        gettext("Kind"),
        gettext("Topic"),
        gettext("Member code"),
        gettext("Full name"),
        gettext("Status"),
        gettext("Attendance"),
        gettext("Reason"),
    ]
    rows: list[list[object]] = [
        [
            session_label(entry),
            local_date(entry.session.starts_at),
            format_time(entry.session.starts_at),
            entry.unit.name,
            gettext(rules.KIND_NAMES[rules.Kind(entry.session.kind)]),
            entry.session.topic,
            entry.member_code,
            entry.invitee.full_name,
            gettext(STATUS_NAMES.get(entry.invitee.status, entry.invitee.status)),
            attendance_label(entry.invitee),
            entry.invitee.reason or "",
        ]
        for entry in export.entries
    ]
    return header, rows


def session_label(entry: AttendanceEntry) -> str:
    """What a reader recognises a meeting by: its date and its topic."""
    return f"{format_date(entry.session.starts_at)} – {entry.session.topic}"


def period_label(start: date, end: date) -> str:
    """``2026``, ``2026-q1``, ``2026-03`` for a whole year, quarter or month; else both
    days, ``2026-03-05-2026-04-20``."""
    if start.day == 1 and end == rules.month_end(end.year, end.month) and start.year == end.year:
        months = end.month - start.month + 1
        if months == 12:
            return str(start.year)
        if months == 3 and start.month % 3 == 1:
            return f"{start.year}-q{start.month // 3 + 1}"
        if months == 1:
            return f"{start.year}-{start.month:02d}"
    return f"{start.isoformat()}-{end.isoformat()}"


def attendance_file_name(export: AttendanceExport) -> str:
    """``diem-danh-{period}-{unit name as ASCII}.{fmt}``: safe, whatever the unit's code."""
    period = period_label(export.start, export.end)
    return file_name("diem-danh", period, [export.unit.name], export.fmt)


def attendance_file(export: AttendanceExport) -> tuple[str, bytes]:
    """The file's name and bytes, in the format the export was asked in. CPU work: the bot
    calls it in a worker thread."""
    header, rows = attendance_table(export)
    sheet = gettext("Attendance")
    return attendance_file_name(export), export_table(export.fmt, header, rows, sheet=sheet)
