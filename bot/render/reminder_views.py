"""/reminders as the person reads it: one short line per coming reminder (when, what about,
muted or not), what cannot be muted, and a mute / unmute button per kind they may mute.

Plain data in, HTML in the current locale out; names and topics are escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from bot import callbacks as cb
from bot.i18n import N_, format_date, format_datetime, gettext
from bot.render.session_notices import quarter_label
from bot.rules import sessions as session_rules
from bot.rules import upcoming as decide
from bot.rules.reminder_kinds import ReminderKind

if TYPE_CHECKING:
    from bot.services.reminders.subjects import Subject
    from bot.services.reminders.upcoming import Upcoming

Rows = list[list[tuple[str, str]]]

SHOWN = 80  # lines listed at most; the rest are counted
UNITS_SHOWN = 3  # unit names on one line at most; the rest are counted

# The kinds a member may mute, named on their buttons.
MUTE_NAMES = {
    ReminderKind.SESSION_SOON: N_("meetings, a day before"),
    ReminderKind.SESSION_HOUR: N_("meetings, an hour before"),
    ReminderKind.REVIEW_SELF: N_("weekly self-assessment"),
}


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def _day(value: date | None) -> str:
    return format_date(value) if value is not None else ""


def _units(names: Sequence[str]) -> str:
    shown = ", ".join(_h(name) for name in names[:UNITS_SHOWN])
    more = len(names) - UNITS_SHOWN
    return f"{shown} (+{more})" if more > 0 else shown


def _session(subject: Subject) -> dict[str, str]:
    kind = session_rules.KIND_NAMES.get(session_rules.Kind(subject.session_kind), "")
    return {
        "kind": gettext(kind) if kind else "",
        "topic": _h(subject.topic),
        "time": format_datetime(subject.starts_at) if subject.starts_at else "",
        "id": str(subject.session_id),
    }


def _quarter(day: date) -> str:
    return quarter_label(day.year, (day.month - 1) // 3 + 1)


def describe(kind: ReminderKind, s: Subject) -> str:
    """What the reminder is about, in a few words (HTML)."""
    year, on = s.year, _day(s.on)
    count = s.count or 0
    if kind is ReminderKind.COMMITMENT_DUE:
        return gettext("Your commitment for {year}: due by {date}").format(year=year, date=on)
    if kind is ReminderKind.COMMITMENT_RETURNED:
        return gettext("Your returned commitment for {year}: revise and submit it again").format(
            year=year
        )
    if kind is ReminderKind.SESSION_SOON:
        return gettext("A day before: {kind} “{topic}” at {time}").format(**_session(s))
    if kind is ReminderKind.SESSION_HOUR:
        return gettext("An hour before: {kind} “{topic}” at {time}").format(**_session(s))
    if kind is ReminderKind.SESSION_CHECKIN:
        return gettext("Check-in: {kind} “{topic}” at {time}").format(**_session(s))
    if kind is ReminderKind.SESSION_CLOSE:
        return gettext("Close session {id} “{topic}” and record its minutes").format(**_session(s))
    if kind is ReminderKind.CADENCE_REGULAR:
        return gettext("{unit}: no regular monthly meeting scheduled for {month}").format(
            unit=_units(s.units), month=f"{s.on:%m/%Y}" if s.on else ""
        )
    if kind is ReminderKind.CADENCE_THEMATIC:
        return gettext("{unit}: no thematic meeting scheduled for {quarter}").format(
            unit=_units(s.units), quarter=_quarter(s.on) if s.on else ""
        )
    if kind is ReminderKind.STUDY_DUE:
        return gettext("{unit}: study of the year's topic due by {date}").format(
            unit=_units(s.units), date=on
        )
    if kind is ReminderKind.STUDY_LIST:
        return gettext(
            "{unit}: units below not done studying the topic: {count} (due by {date})"
        ).format(unit=_units(s.units), count=count, date=on)
    if kind is ReminderKind.COMMITMENT_MISSING:
        return gettext(
            "{unit}: members without a submitted {year} commitment: {count} (due by {date})"
        ).format(unit=_units(s.units), count=count, year=year, date=on)
    if kind is ReminderKind.COMMITMENT_SUMMARY:
        return gettext("{unit}: the summary of the {year} commitments after the deadline").format(
            unit=_units(s.units), year=year
        )
    if kind is ReminderKind.REVIEW_OPENS:
        return gettext("The year-end review {year} opens ({start} to {end})").format(
            year=year, start=on, end=_day(s.until)
        )
    if kind is ReminderKind.REVIEW_SELF:
        return gettext("Self-assess your {year} commitment (the review closes {date})").format(
            year=year, date=_day(s.until)
        )
    if kind is ReminderKind.REVIEW_GRADE:
        return gettext("{unit}: members not graded yet: {count} (the review closes {date})").format(
            unit=_units(s.units), count=count, date=on
        )
    return _h(kind.value)  # pragma: no cover - every kind /reminders lists is worded above


def entry_line(entry: Upcoming) -> str:
    line = f"• {format_datetime(entry.send_at)} — {describe(entry.kind, entry.subject)}"
    if entry.muted:
        line += " <i>" + gettext("(muted)") + "</i>"
    return line


def overview(
    entries: Sequence[Upcoming], choices: Sequence[tuple[ReminderKind, bool]], days: int
) -> list[str]:
    """The lines of /reminders: the list (or that there is nothing), then what cannot be
    muted and what can."""
    if not entries:
        lines = [
            gettext("No reminder is due for you in the next {days} days.").format(days=days),
            gettext(
                "You will still be reminded when something concerns you: the commitment "
                "deadline, meetings you are invited to and their check-in, the year-end review."
            ),
        ]
    else:
        lines = [gettext("<b>Your reminders in the next {days} days</b>").format(days=days)]
        lines += [entry_line(entry) for entry in entries[:SHOWN]]
        if len(entries) > SHOWN:
            more = len(entries) - SHOWN
            lines.append(gettext("… and {count} more.").format(count=more))
    lines.append("")
    lines.append(
        gettext(
            "Mandatory reminders (deadlines, check-in, the duties of secretaries and "
            "committees) cannot be muted."
        )
    )
    if choices:
        lines.append(gettext("You may mute or unmute these with the buttons below:"))
    return lines


def mute_rows(choices: Sequence[tuple[ReminderKind, bool]]) -> Rows:
    """One button per kind the member may mute: mute it, or unmute it when muted."""
    rows: Rows = []
    for kind, muted in choices:
        name = gettext(MUTE_NAMES.get(kind, kind.value))
        if muted:
            label = gettext("Unmute: {kind}").format(kind=name)
            data = cb.REMINDER_MUTE(decide.button_code(kind), "on")
        else:
            label = gettext("Mute: {kind}").format(kind=name)
            data = cb.REMINDER_MUTE(decide.button_code(kind), "off")
        rows.append([(label, data)])
    return rows


def toggled(kind: ReminderKind, muted: bool, changed: bool) -> str:
    """The short answer to a pressed mute button (plain text, for the button's toast)."""
    name = gettext(MUTE_NAMES.get(kind, kind.value))
    if muted:
        text = gettext("Muted: {kind}.") if changed else gettext("Already muted: {kind}.")
    else:
        text = gettext("Unmuted: {kind}.") if changed else gettext("Already on: {kind}.")
    return text.format(kind=name)
