"""What the reminder engine's messages say (issue 11), one function per kind, and the button
each carries (``bot.rules.reminder_kinds.CATALOGUE``'s ``action``).

Plain data in, ``(text, rows)`` out, in the current locale (the recipient's, at send time).
Names and unit names are people's own text: escaped. The escalation lists (the members still
missing, the leaders, the units not done) are numbered, leaders first and marked, members
without the bot marked, and cut after :data:`LISTED` entries with how many more there are,
so a message stays well within Telegram's limit however large the unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from bot import callbacks as cb
from bot.i18n import format_date, gettext
from bot.render.session_notices import (
    Notice,
    Rows,
    answer_buttons,
    describe,
    month_label,
    quarter_label,
)
from storage.records import Unit
from storage.sessions import Session

LISTED = 30  # entries of an escalation list shown; the rest are counted
NAME_SHOWN = 80  # characters of a name shown in a list (a roster may hold anything)


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def _name(text: str) -> str:
    text = " ".join(str(text).split())
    return _h(text if len(text) <= NAME_SHOWN else text[: NAME_SHOWN - 1] + "…")


def _when(on: date, days: int) -> str:
    """'31/03/2026 (còn 7 ngày)': the date, and how far it is from today."""
    if days == 0:
        left = gettext("today")
    elif days == 1:
        left = gettext("tomorrow")
    elif days > 1:
        left = gettext("in {n} days").format(n=days)
    else:
        return format_date(on)
    return f"{format_date(on)} ({left})"


def _go(label: str, shortcut: str, number: int = 0) -> Rows:
    return [[(label, cb.GO(shortcut, number))]]


# Escalation lists ---------------------------------------------------------------------------


def _people(
    people: Sequence[Mapping[str, Any]], *, with_unit: bool = False, star: bool = True
) -> list[str]:
    """Numbered, leaders first (the engine's order kept within each group), at most
    :data:`LISTED`; a leader starred (``star``), a member without the bot marked, and how
    many of them all cannot be reached through the bot."""
    ordered = sorted(people, key=lambda person: not person.get("leader", False))
    shown = ordered[:LISTED]
    lines = []
    for number, person in enumerate(shown, start=1):
        line = f"{number}. "
        if star and person.get("leader"):
            line += "★ "
        line += f"<b>{_name(person['name'])}</b>"
        if with_unit and person.get("unit"):
            line += f" — {_name(person['unit'])}"
        if not person.get("reachable", True):
            line += " — <i>" + gettext("not using the bot: tell them directly") + "</i>"
        lines.append(line)
    if len(ordered) > LISTED:
        lines.append(gettext("… and {count} more comrades.").format(count=len(ordered) - LISTED))
    if star and any(person.get("leader") for person in shown):
        lines.append(gettext("★ committee member or head of the agency or unit"))
    unreachable = sum(not person.get("reachable", True) for person in ordered)
    if unreachable:
        lines.append(
            gettext("{count} of them do not use the bot yet: please tell them directly.").format(
                count=unreachable
            )
        )
    return lines


def _units(names: Sequence[str]) -> list[str]:
    lines = [f"{number}. {_name(name)}" for number, name in enumerate(names[:LISTED], start=1)]
    if len(names) > LISTED:
        lines.append(gettext("… and {count} more units.").format(count=len(names) - LISTED))
    return lines


# Commitments --------------------------------------------------------------------------------


def commitment_due(year: int, deadline: date, days: int, started: bool) -> Notice:
    """To a member without a submitted commitment, before the deadline."""
    lines = [
        gettext("⏰ <b>Commitment for {year}</b>: the deadline is {when}.").format(
            year=year, when=_when(deadline, days)
        )
    ]
    if started:
        lines.append(
            gettext(
                "Comrade, your commitment is started but not submitted yet. Please finish "
                "it and submit it."
            )
        )
        label = gettext("Continue my commitment")
    else:
        lines.append(
            gettext("Comrade, you have not filed your commitment yet. Please file and submit it.")
        )
        label = gettext("File my commitment")
    return "\n".join(lines), _go(label, "commit")


def commitment_missing(
    year: int,
    deadline: date,
    days: int,
    unit: str,
    expected: int,
    missing: Sequence[Mapping[str, Any]],
) -> Notice:
    """To a secretary: the members of the unit still without a submitted commitment."""
    lines = [
        gettext(
            "📋 <b>{unit}</b>: {missing} of {expected} comrades have not submitted their "
            "commitment for {year}."
        ).format(unit=_h(unit), missing=len(missing), expected=expected, year=year),
        gettext("Deadline: {when}.").format(when=_when(deadline, days)),
        "",
        *_people(missing),
    ]
    return "\n".join(lines), _go(gettext("Monitoring"), "commitments", year)


def commitment_summary(
    year: int,
    deadline: date,
    unit: str,
    expected: int,
    filed: int,
    rows: Sequence[Mapping[str, Any]],
    leaders: Sequence[Mapping[str, Any]],
) -> Notice:
    """To a committee, the morning after the deadline: per unit of its subtree, and the
    leaders still missing."""
    lines = [
        gettext(
            "📊 <b>Commitments {year}</b> — {unit}: the deadline ({date}) has passed. "
            "Submitted: {filed} of {expected}."
        ).format(
            year=year, unit=_h(unit), date=format_date(deadline), filed=filed, expected=expected
        ),
    ]
    if rows:
        lines += ["", gettext("<b>Per unit</b>")]
        for number, row in enumerate(rows[:LISTED], start=1):
            lines.append(
                f"{number}. "
                + gettext("{unit}: submitted {filed} of {expected}, missing {missing}").format(
                    unit=_name(row["unit"]),
                    filed=row["filed"],
                    expected=row["expected"],
                    missing=row["missing"],
                )
            )
        if len(rows) > LISTED:
            lines.append(gettext("… and {count} more units.").format(count=len(rows) - LISTED))
    if leaders:
        lines += [
            "",
            gettext("<b>Leaders who have not submitted</b> ({count})").format(count=len(leaders)),
            *_people(leaders, with_unit=True, star=False),
        ]
    return "\n".join(lines), _go(gettext("Monitoring"), "commitments", year)


def commitment_returned(year: int, deadline: date, returned_on: date) -> Notice:
    """To a member whose returned commitment is still not submitted again."""
    text = gettext(
        "↩️ Comrade, your commitment for {year} was returned for revision on {date} and has "
        "not been submitted again. Please revise it and submit it again. Deadline: {deadline}."
    ).format(year=year, date=format_date(returned_on), deadline=format_date(deadline))
    return text, _go(gettext("Revise my commitment"), "commit")


# Sessions -----------------------------------------------------------------------------------


def session_soon(session: Session, unit: Unit) -> Notice:
    """To the invitees who have not declined, a day before."""
    lines = [gettext("🔔 <b>Meeting reminder</b> — {unit}").format(unit=_h(unit.name))]
    lines += describe(session)
    lines.append(gettext("Please let the secretary know whether you will attend."))
    return "\n".join(lines), answer_buttons(session.id)


def session_hour(session: Session, unit: Unit) -> Notice:
    """To the invitees, an hour before. The button lists the member's meetings (/sessions):
    the session's own view (``SHOW``) is the secretary's."""
    lines = [gettext("⏰ <b>The meeting starts soon</b> — {unit}").format(unit=_h(unit.name))]
    lines += describe(session)
    return "\n".join(lines), _go(gettext("My meetings"), "sessions")


def session_checkin(session: Session, unit: Unit) -> Notice:
    """To the invitees, at the start: check in (the code read out in the room, or the
    button, which reports the attendance for the secretary to confirm)."""
    lines = [gettext("✅ <b>The meeting is starting</b> — {unit}").format(unit=_h(unit.name))]
    lines += describe(session)
    lines.append(
        gettext(
            "Check in with the code the secretary reads out in the room: /attend CODE. If "
            "no code is read out, press «Check in» and the secretary will confirm it."
        )
    )
    return "\n".join(lines), [[(gettext("Check in"), cb.ATTENDED(session.id))]]


def session_close(session: Session, unit: Unit, minutes: bool) -> Notice:
    """To the secretary, a day after: close the meeting, then record its minutes (which
    only a closed meeting can have)."""
    if session.status != "closed":
        head = gettext(
            "📝 <b>Meeting not closed</b> — {unit}: please correct the attendance list and "
            "close the meeting, then record its minutes."
        )
        label, shortcut = gettext("Close the meeting"), "session_close"
    elif not minutes:
        head = gettext(
            "📝 <b>Minutes not recorded</b> — {unit}: this meeting is closed; please record "
            "its minutes."
        )
        label, shortcut = gettext("Record the minutes"), "session_minutes"
    else:  # both done since it was queued: the button shows the minutes
        head = gettext("📝 <b>Meeting closed</b> — {unit}: its minutes are recorded.")
        label, shortcut = gettext("Minutes"), "session_minutes"
    lines = [head.format(unit=_h(unit.name)), *describe(session)]
    return "\n".join(lines), _go(label, shortcut, session.id)


# The meeting rule and the study of the campaign topic ----------------------------------------


def cadence_regular(unit: str, year: int, month: int) -> Notice:
    """To a cell's secretary: no regular meeting yet this month."""
    text = gettext(
        "📅 <b>{unit}</b> has not held its regular meeting for {month} yet. Please schedule it."
    ).format(unit=_h(unit), month=month_label(year, month))
    return text, _go(gettext("New meeting"), "session_new")


def cadence_thematic(unit: str, year: int, quarter: int) -> Notice:
    """To a cell's secretary: no thematic meeting yet this quarter."""
    text = gettext(
        "📅 <b>{unit}</b> has not held a thematic meeting in {quarter} yet. Please schedule one."
    ).format(unit=_h(unit), quarter=quarter_label(year, quarter))
    return text, _go(gettext("New meeting"), "session_new")


def study_due(unit: str, deadline: date, days: int) -> Notice:
    """To the secretary of a unit that has not studied the campaign topic."""
    text = gettext(
        "📚 <b>{unit}</b> has not finished studying the campaign topic. Deadline: {when}. "
        "Please hold a meeting to study it."
    ).format(unit=_h(unit), when=_when(deadline, days))
    return text, _go(gettext("New meeting"), "session_new")


def study_list(unit: str, deadline: date, days: int, units: Sequence[str]) -> Notice:
    """To the committee above: its units that have not studied the topic yet."""
    lines = [
        gettext(
            "📚 <b>Study of the campaign topic</b> — {unit}: {count} units have not finished. "
            "Deadline: {when}."
        ).format(unit=_h(unit), count=len(units), when=_when(deadline, days)),
        "",
        *_units(units),
    ]
    return "\n".join(lines), _go(gettext("Study progress"), "session_report")


# The year-end review ------------------------------------------------------------------------


def review_opens(year: int, opens: date, closes: date) -> Notice:
    text = gettext(
        "📝 <b>Year-end review {year}</b>: open from {opens} to {closes}. Comrade, please "
        "self-assess how you carried out your commitment before {closes}."
    ).format(year=year, opens=format_date(opens), closes=format_date(closes))
    return text, _go(gettext("Self-assess"), "review")


def review_self(year: int, closes: date) -> Notice:
    text = gettext(
        "📝 Comrade, you have not self-assessed your commitment for {year} yet. The year-end "
        "review closes on {date}."
    ).format(year=year, date=format_date(closes))
    return text, _go(gettext("Self-assess"), "review")


def review_grade(year: int, closes: date, days: int, unit: str, ungraded: int) -> Notice:
    """To a secretary with members not graded yet."""
    text = gettext(
        "📝 <b>{unit}</b>: {count} comrades have not been graded for {year} yet. The year-end "
        "review closes on {when}."
    ).format(unit=_h(unit), count=ungraded, year=year, when=_when(closes, days))
    return text, _go(gettext("Grade"), "grade", year)
