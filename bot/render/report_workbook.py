"""The committees' workbook (XLSX): one sheet per topic (members, commitments, attendance,
sessions, stories, grades) over a unit's subtree, from bot/services/reports/workbook.py.

Headers and labels are in the current locale; dates are date cells, rates are numbers shown
as percentages. Every cell goes through bot/render/exports.py, so nobody's text is ever run
as a formula and control characters are stripped. The workbook is streamed row by row
(bot/render/xlsx.py): a city's hundred thousand members are never held as cells.
CPU work: the bot calls :func:`workbook` in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.i18n import N_, format_time, gettext, local_date
from bot.render.attendance import STATUS_NAMES
from bot.render.exports import add_sheet, column_widths, file_name, new_book
from bot.rules.commitments import MISSING_LABEL, STATUS_LABELS
from bot.rules.grading import GRADE_LABELS
from bot.rules.sessions import KIND_NAMES
from bot.rules.stories import TAG_LABELS

if TYPE_CHECKING:
    from datetime import date

    from bot.services.reports.workbook import WorkbookData
    from storage.report_workbook import MemberRow

RATE_FORMAT = "0%"
WIDTH_SAMPLE = 5000  # rows looked at to size the columns: enough to see the long names

SESSION_STATUS = {
    "scheduled": N_("Not held yet"),
    "closed": N_("Held"),
    "cancelled": N_("Cancelled"),
}
NOT_EXPECTED = N_("Not expected (exempt)")
NOT_GRADED = N_("Exempt from evaluation")


def _label(names: dict, key: str | None) -> str | None:
    """The translated label of a stored value; the value itself when unknown."""
    if key is None:
        return None
    found = names.get(key)
    return gettext(found) if found else key


def _day(moment: datetime | None) -> date | None:
    return local_date(moment) if moment is not None else None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _yes(flag: bool) -> str | None:
    return gettext("Yes") if flag else None


class _Sheets:
    """Each sheet as (title, header, a function giving its rows, the rate columns)."""

    def __init__(self, data: WorkbookData) -> None:
        self.data = data
        self.unit_names = {uid: unit.name for uid, unit in data.units.items()}
        self.unit_codes = {uid: unit.code for uid, unit in data.units.items()}
        self.statuses = {key: gettext(name) for key, name in STATUS_NAMES.items()}

    def _who(self, member: MemberRow) -> list[object]:
        return [
            self.unit_names.get(member.unit_id, ""),
            member.code,
            member.name,
            self.statuses.get(member.status, member.status),
        ]

    def members(self) -> Iterator[list[object]]:
        for member in self.data.members:
            yield [
                self.unit_codes.get(member.unit_id, ""),
                *self._who(member),
                member.position or None,  # an empty text is no cell at all: less to write
                member.work_unit or None,
                member.other_units or None,
            ]

    def commitments(self) -> Iterator[list[object]]:
        missing, not_expected = gettext(MISSING_LABEL), gettext(NOT_EXPECTED)
        statuses = {key: gettext(name) for key, name in STATUS_LABELS.items()}
        for member in self.data.members:
            row = self.data.commitments.get(member.id)
            if row is None:
                state = not_expected if member.status == "exempt" else missing
                yield [*self._who(member), state]
                continue
            yield [
                *self._who(member),
                statuses.get(row.status, row.status),
                row.version or None,
                row.first_submitted,
                row.last_submitted,
                _yes(row.late),
                _day(row.approved_at),
                row.actions,
            ]

    def attendance(self) -> Iterator[list[object]]:
        for member in self.data.members:
            row = self.data.attendance.get(member.id)
            if row is None:
                yield [*self._who(member), 0, 0, 0, 0, None]
                continue
            yield [
                *self._who(member),
                row.invited,
                row.present,
                row.excused,
                row.absent,
                _rate(row.present, row.invited),
            ]

    def sessions(self) -> Iterator[list[object]]:
        for row in self.data.sessions:
            held = row.status == "closed"
            yield [
                local_date(row.starts_at),
                format_time(row.starts_at),
                self.unit_codes.get(row.unit_id, ""),
                self.unit_names.get(row.unit_id, ""),
                _label(KIND_NAMES, row.kind),
                row.topic,
                _label(SESSION_STATUS, row.status),
                _yes(row.on_campaign),
                row.invited,
                row.present if held else None,
                row.excused if held else None,
                row.absent if held else None,
                _rate(row.present, row.invited) if held else None,
                _yes(row.minutes),
            ]

    def stories(self) -> Iterator[list[object]]:
        for row in self.data.stories:
            yield [
                _day(row.sent_at),
                row.title,
                _label(TAG_LABELS, row.tag),
                row.board,
                row.delivered,
                row.read,
                _rate(row.read, row.delivered),
            ]

    def grades(self) -> Iterator[list[object]]:
        exempt = gettext(NOT_GRADED)
        for member in self.data.members:
            row = self.data.commitments.get(member.id)
            if row is None or (row.grade is None and row.proposed_grade is None):
                self_review = _day(row.self_review_at) if row else None
                decided = exempt if member.status == "exempt" else ""
                yield [*self._who(member), self_review, None, None, decided or None]
                continue
            yield [
                *self._who(member),
                _day(row.self_review_at),
                _label(GRADE_LABELS, row.proposed_grade),
                row.proposed_points,
                _label(GRADE_LABELS, row.grade),
                row.points,
                _day(row.graded_at),
            ]

    def all(self) -> list[tuple[str, list[str], Callable[[], Iterator[list[object]]], set[int]]]:
        who = [gettext("Unit"), gettext("Member code"), gettext("Full name"), gettext("Status")]
        marks = [
            gettext("Present"),
            gettext("Absent with reason"),
            gettext("Absent without reason"),
            gettext("Attendance rate"),
        ]
        return [
            (
                gettext("Members"),
                [
                    gettext("Unit code"),
                    *who,
                    gettext("Position"),
                    gettext("Work unit"),
                    gettext("Also a member of"),
                ],
                self.members,
                set(),
            ),
            (
                gettext("Commitments"),
                [
                    *who,
                    gettext("Commitment"),
                    gettext("Version"),
                    gettext("First submitted"),
                    gettext("Last submitted"),
                    gettext("Late"),
                    gettext("Approved on"),
                    gettext("Actions"),
                ],
                self.commitments,
                set(),
            ),
            (
                gettext("Attendance"),
                [*who, gettext("Meetings invited to"), *marks],
                self.attendance,
                {8},
            ),
            (
                gettext("Sessions"),
                [
                    gettext("Date"),
                    gettext("Start time"),
                    gettext("Unit code"),
                    gettext("Unit"),
                    gettext("Kind"),
                    gettext("Topic"),
                    gettext("Status"),
                    gettext("On the campaign's topic"),
                    gettext("Invited"),
                    *marks,
                    gettext("Minutes"),
                ],
                self.sessions,
                {12},
            ),
            (
                gettext("Stories"),
                [
                    gettext("Sent on"),
                    gettext("Title"),
                    gettext("Tag"),
                    gettext("Written by"),
                    gettext("Delivered"),
                    gettext("Read and learned"),
                    gettext("Engagement rate"),
                ],
                self.stories,
                {6},
            ),
            (
                gettext("Grades"),
                [
                    *who,
                    gettext("Self-assessment"),
                    gettext("Proposed grade"),
                    gettext("Proposed points"),
                    gettext("Decided grade"),
                    gettext("Points"),
                    gettext("Decided on"),
                ],
                self.grades,
                set(),
            ),
        ]


def _sample(rows: Iterator[list[object]], limit: int) -> Iterator[Sequence[object]]:
    for index, row in enumerate(rows):
        if index >= limit:
            return
        yield row


def workbook(data: WorkbookData) -> bytes:
    """The XLSX file: six sheets, in the current locale."""
    book = new_book(creator="cadrebot", title=f"{data.unit.name} · {data.period.label}")
    for title, header, rows, rates in _Sheets(data).all():
        widths = column_widths(header, _sample(rows(), WIDTH_SAMPLE))
        formats = {index: RATE_FORMAT for index in rates}
        add_sheet(book, title, header, rows(), widths, formats)
    return book.save()


def workbook_file_name(data: WorkbookData) -> str:
    """``bao-cao-2026-h1-dang-uy-phuong-ninh-kieu.xlsx``: ASCII, never the unit's code."""
    return file_name("bao-cao", data.period.label.lower(), [data.unit.name], "xlsx")


def workbook_file(data: WorkbookData) -> tuple[str, bytes]:
    """The file's name and bytes."""
    return workbook_file_name(data), workbook(data)
