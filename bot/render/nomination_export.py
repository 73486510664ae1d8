"""The yearly commendation list ("Biểu dương, khen thưởng") of a unit as a CSV or XLSX file:
one row per approved nomination, from the data the nomination service returns, labels in the
current locale. Named after the unit and the year (``nguoi-tot-viec-tot-2026-....xlsx``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import gettext, local_date
from bot.render.exports import export_table, file_name

if TYPE_CHECKING:
    from bot.services.nominations import CommendationList


def commendation_table(found: CommendationList) -> tuple[list[str], list[list[object]]]:
    header = [
        gettext("Nomination"),
        gettext("Person"),
        gettext("Their unit or workplace"),
        gettext("The good deed"),
        gettext("Where (unit)"),
        gettext("Nominated by"),
        gettext("Date nominated"),
        gettext("Decided by"),
        gettext("Date approved"),
        gettext("Story sent"),
    ]
    rows: list[list[object]] = [
        [
            row.id,
            row.nominee,
            row.nominee_info,
            row.deed,
            row.unit_name,
            row.nominator_name,
            local_date(row.created_at),
            row.decided_by_name or "",
            local_date(row.decided_at) if row.decided_at else "",
            gettext("yes") if found.story_sent.get(row.id) else gettext("no"),
        ]
        for row in found.rows
    ]
    return header, rows


def commendation_file(found: CommendationList, fmt: str) -> tuple[str, bytes]:
    """The file's name and bytes. CPU work: call it in a worker thread from the bot."""
    header, rows = commendation_table(found)
    data = export_table(fmt, header, rows, sheet=gettext("Commendations"))
    return file_name("nguoi-tot-viec-tot", str(found.year), [found.unit.name], fmt), data
