"""The committees' reports as text (the bot's /report, ``cadrebot report``) and as a CSV
table, in the current locale. Functions of the report's data only (bot.services.reports
.model): no Telegram, no database.

``html=True`` gives Telegram HTML (names escaped, headings bold); ``html=False`` plain text
for the terminal. Percentages go through Babel; a figure with nothing to count is "—".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import N_, format_date, format_number, format_percent, gettext
from bot.render.exports import export_table, file_name
from bot.render.session_notices import quarter_label
from bot.rules import reports as rules
from bot.rules.commitments import LATE_LABEL, MISSING_LABEL, STATUS_LABELS, Status
from bot.rules.grading import GRADE_LABELS, Grade
from bot.services.reports.model import GRADES, Figures, MemberLine, Overview, Period
from storage.records import Unit

NOTHING = "—"
DONE, NOT_DONE = "✓", "✗"
# The grades as report tables abbreviate them (HTXSNV, HTTNV, HTNV, KHTNV in Vietnamese).
GRADE_COUNTS = {
    "excellent": N_("excellent {count}"),
    "good": N_("good {count}"),
    "fulfilled": N_("fulfilled {count}"),
    "not_fulfilled": N_("not fulfilled {count}"),
}
MEMBER_STATUSES = {
    "official": N_("Full member"),
    "probationary": N_("Probationary member"),
    "temporary": N_("Temporarily attached"),
    "exempt": N_("Exempt from meetings"),
}


def _text(value: str, html: bool) -> str:
    return escape(value, quote=False) if html else value


def _bold(value: str, html: bool) -> str:
    return f"<b>{value}</b>" if html else value


def period_title(period: Period) -> str:
    """ "năm 2026", "6 tháng đầu năm 2026", "quý I/2026", "tháng 5/2026"."""
    part = rules.part_of(period)
    if part is None:
        return gettext("year {year}").format(year=period.year)
    if part == "H1":
        return gettext("first half of {year}").format(year=period.year)
    if part == "H2":
        return gettext("second half of {year}").format(year=period.year)
    if part.startswith("Q"):
        return quarter_label(period.year, int(part[1]))
    return gettext("month {month}/{year}").format(month=int(part[1:]), year=period.year)


def ratio(held: int, due: int) -> str:
    """ "2/3"; "—" when nothing was due or held."""
    return f"{held}/{due}" if due or held else NOTHING


def study_mark(figures: Figures) -> str:
    """✓ when every unit of the subtree has studied; ✗ with how many have, else; "—" when
    no unit is in the cascade (no campaign that year)."""
    if not figures.study_units:
        return NOTHING
    if figures.study_done == figures.study_units:
        return DONE
    if figures.study_units == 1:
        return NOT_DONE
    return f"{NOT_DONE} {figures.study_done}/{figures.study_units}"


def grades_summary(figures: Figures) -> str:
    """ "HTXSNV 1, HTTNV 3; chưa xếp loại 2": the decided grades given, then those still
    to grade; "—" when nobody is expected."""
    if not figures.expected:
        return NOTHING
    parts = [
        gettext(GRADE_COUNTS[grade]).format(count=figures.grades.get(grade, 0))
        for grade in GRADES
        if figures.grades.get(grade, 0)
    ]
    text = ", ".join(parts)
    if figures.ungraded:
        ungraded = gettext("not graded {count}").format(count=figures.ungraded)
        text = f"{text}; {ungraded}" if text else ungraded
    return text


def figures_line(figures: Figures, *, html: bool = True) -> str:
    """One unit's row: filed %, attendance %, regular and thematic meetings held/due, study,
    engagement %, grades."""
    return gettext(
        "{name}: filed {filed} · attendance {attendance} · regular {regular} · thematic "
        "{thematic} · study {study} · engagement {engagement} · grades: {grades}"
    ).format(
        name=_bold(_text(figures.unit.name, html), html),
        filed=format_percent(figures.filed_rate),
        attendance=format_percent(figures.attendance_rate),
        regular=ratio(figures.regular_held, figures.regular_due),
        thematic=ratio(figures.thematic_held, figures.thematic_due),
        study=study_mark(figures),
        engagement=format_percent(figures.engagement_rate),
        grades=grades_summary(figures),
    )


def totals_lines(figures: Figures, *, html: bool = True) -> list[str]:
    """The total of the unit, spelled out."""
    return [
        _bold(gettext("Total"), html) + " — " + figures_line(figures, html=html),
        gettext(
            "Members {members} · expected to file {expected} · filed {filed} ({filed_rate}) · "
            "approved {approved} ({approved_rate}) · late {late}"
        ).format(
            members=format_number(figures.members),
            expected=format_number(figures.expected),
            filed=format_number(figures.filed),
            filed_rate=format_percent(figures.filed_rate),
            approved=format_number(figures.approved),
            approved_rate=format_percent(figures.approved_rate),
            late=format_number(figures.late),
        ),
        gettext(
            "Meetings: present {present} of {invited} invited ({rate}) · stories: "
            "{read} of {delivered} read and learned ({engagement})"
        ).format(
            present=format_number(figures.present),
            invited=format_number(figures.invited),
            rate=format_percent(figures.attendance_rate),
            read=format_number(figures.stories_read),
            delivered=format_number(figures.stories_delivered),
            engagement=format_percent(figures.engagement_rate),
        ),
    ]


def trend_line(overview: Overview) -> str:
    """ "By month: 01/2026 85% · 02/2026 90% · 03/2026 —"; "" without months."""
    if not overview.trend:
        return ""
    months = " · ".join(
        f"{month.month:%m/%Y} {format_percent(month.rate)}" for month in overview.trend
    )
    return gettext("Attendance by month: {months}").format(months=months)


def header_lines(overview: Overview, *, html: bool = True) -> list[str]:
    unit = overview.total.unit
    return [
        _bold(
            gettext("Report: {unit}").format(unit=_text(unit.name, html)),
            html,
        )
        + " — "
        + period_title(overview.period),
        gettext("From {start} to {end}").format(
            start=format_date(overview.period.start), end=format_date(overview.period.end)
        ),
    ]


def legend() -> str:
    return gettext(
        "Filed: commitments filed of those expected (the exempt are not). Attendance: present "
        "of those invited to meetings held, the exempt left out. Regular, thematic: months "
        "and quarters with the meeting held, of those the rule asks so far. Study: the "
        "campaign topic studied by the deadline. Engagement: stories read and learned of "
        "those delivered."
    )


def overview_lines(
    overview: Overview, rows: Sequence[Figures] | None = None, *, html: bool = True
) -> list[str]:
    """The header, one line per child unit (``rows``: a page of them; all by default), the
    totals and the month trend."""
    lines = header_lines(overview, html=html)
    shown = overview.rows if rows is None else rows
    if shown:
        lines.append("")
        lines += [figures_line(row, html=html) for row in shown]
    lines.append("")
    lines += totals_lines(overview.total, html=html)
    trend = trend_line(overview)
    if trend:
        lines.append(trend)
    return lines


# Members ------------------------------------------------------------------------------------


def commitment_label(line: MemberLine) -> str:
    if line.commitment is None:
        return gettext(MISSING_LABEL)
    text = gettext(STATUS_LABELS[Status(line.commitment)])
    if line.late:
        text += f" ({gettext(LATE_LABEL).lower()})"
    return text


def attendance_label(line: MemberLine) -> str:
    if not line.invited:
        return NOTHING
    return f"{line.present}/{line.invited} ({format_percent(line.present / line.invited)})"


def grade_label(line: MemberLine) -> str:
    return gettext(GRADE_LABELS[Grade(line.grade)]) if line.grade else NOTHING


def member_line(number: int, line: MemberLine, *, html: bool = True) -> str:
    """ "3. Lê Hoàng Yến — cam kết: Đã duyệt · dự họp 3/4 (75%) · xếp loại: —"; an exempt
    member is said to be exempt."""
    name = _text(line.name, html)
    if line.status == "exempt":
        return f"{number}. {name} — {gettext(MEMBER_STATUSES['exempt'])}"
    return gettext(
        "{number}. {name} — commitment: {commitment} · attendance {attendance} · grade: {grade}"
    ).format(
        number=number,
        name=name,
        commitment=commitment_label(line),
        attendance=attendance_label(line),
        grade=grade_label(line),
    )


def members_lines(
    unit: Unit, period: Period, lines: Sequence[MemberLine], first: int = 1, *, html: bool = True
) -> list[str]:
    """A unit's own members, numbered from ``first``."""
    found = [
        _bold(gettext("Members of {unit}").format(unit=_text(unit.name, html)), html)
        + " — "
        + period_title(period)
    ]
    if not lines:
        found.append(gettext("No members in this unit."))
    found += [member_line(first + index, line, html=html) for index, line in enumerate(lines)]
    return found


def member_detail(unit: Unit, period: Period, line: MemberLine, *, html: bool = True) -> list[str]:
    """One member's line, field by field."""
    status = MEMBER_STATUSES.get(line.status)
    return [
        _bold(_text(line.name, html), html) + " — " + _text(unit.name, html),
        period_title(period),
        gettext("Status: {status}").format(status=gettext(status) if status else line.status),
        gettext("Commitment: {commitment}").format(commitment=commitment_label(line)),
        gettext("Meetings: present {present} of {invited} ({rate})").format(
            present=line.present,
            invited=line.invited,
            rate=format_percent(line.present / line.invited if line.invited else None),
        )
        if line.status != "exempt"
        else gettext("Meetings: exempt"),
        gettext("Year-end grade: {grade}").format(grade=grade_label(line)),
    ]


# CSV (the CLI) ------------------------------------------------------------------------------


def overview_table(overviews: Sequence[Overview]) -> tuple[list[str], list[list[object]]]:
    """One row per child unit, then the unit's total, for each overview; counts and shares
    (0.0-1.0, blank when there is nothing to count) as numbers."""
    header = [
        gettext("Unit"),
        gettext("Code"),
        gettext("Row"),
        gettext("Members"),
        gettext("Expected to file"),
        gettext("Filed"),
        gettext("Filed %"),
        gettext("Approved"),
        gettext("Approved %"),
        gettext("Late"),
        gettext("Invited"),
        gettext("Present"),
        gettext("Attendance %"),
        gettext("Regular held"),
        gettext("Regular due"),
        gettext("Thematic held"),
        gettext("Thematic due"),
        gettext("Units in the study cascade"),
        gettext("Studied"),
        gettext("Stories delivered"),
        gettext("Read and learned"),
        gettext("Engagement %"),
        *(gettext(GRADE_LABELS[Grade(grade)]) for grade in GRADES),
        gettext("Not graded"),
    ]
    rows: list[list[object]] = []
    for overview in overviews:
        for figures, kind in [(row, gettext("unit")) for row in overview.rows] + [
            (overview.total, gettext("total"))
        ]:
            rows.append(_table_row(figures, kind))
    return header, rows


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _table_row(figures: Figures, kind: str) -> list[object]:
    return [
        figures.unit.name,
        figures.unit.code,
        kind,
        figures.members,
        figures.expected,
        figures.filed,
        _share(figures.filed_rate),
        figures.approved,
        _share(figures.approved_rate),
        figures.late,
        figures.invited,
        figures.present,
        _share(figures.attendance_rate),
        figures.regular_held,
        figures.regular_due,
        figures.thematic_held,
        figures.thematic_due,
        figures.study_units,
        figures.study_done,
        figures.stories_delivered,
        figures.stories_read,
        _share(figures.engagement_rate),
        *(figures.grades.get(grade, 0) for grade in GRADES),
        figures.ungraded,
    ]


def overview_csv(overviews: Sequence[Overview]) -> tuple[str, bytes]:
    """``bao-cao-{period}-{unit}.csv`` and its bytes (formula-safe, UTF-8 with a BOM)."""
    header, rows = overview_table(overviews)
    period = overviews[0].period.label.lower() if overviews else ""
    name = file_name("bao-cao", period, [o.total.unit.name for o in overviews], "csv")
    return name, export_table("csv", header, rows)


def overview_text(overviews: Sequence[Overview]) -> str:
    """Plain text for the terminal: each overview, then the legend."""
    blocks = ["\n".join(overview_lines(overview, html=False)) for overview in overviews]
    return "\n\n".join([*blocks, legend()]) + "\n"
