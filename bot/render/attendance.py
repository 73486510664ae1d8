"""The attendance register as a table (one row per session and invitee), and as a CSV or
XLSX file, from the data the session service returns. Labels are in the current locale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import N_, format_datetime, gettext
from bot.render.exports import export_table
from bot.rules import sessions as rules

if TYPE_CHECKING:
    from bot.services.sessions import AttendanceExport
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
            entry.session.id,
            format_datetime(entry.session.starts_at),
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


def attendance_file(export: AttendanceExport) -> tuple[str, bytes]:
    """The file's name and bytes, in the format the export was asked in."""
    header, rows = attendance_table(export)
    name = (
        f"attendance-{export.unit.code}-{export.start.isoformat()}-{export.end.isoformat()}"
        f".{export.fmt}"
    )
    return name, export_table(export.fmt, header, rows, sheet=gettext("Attendance"))
