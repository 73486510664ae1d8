"""The calendar as people read it: the list of the coming days, and the reminder to the
propaganda board to prepare a story for a day (sent without being asked). Plain data in,
rendered in the recipient's language at send time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from babel import Locale
from babel.dates import format_date as babel_format_date

from bot import callbacks as cb
from bot.i18n import N_, current_locale, format_date, gettext
from bot.render.session_notices import Notice
from bot.rules import calendar as rules

if TYPE_CHECKING:
    from bot.services.calendar import Occurrence
    from storage.calendar import Attachment


def occasion(name_vi: str, name_en: str, count: int | None) -> str:
    """The day's name with the years it marks, in the current language (not escaped)."""
    locale = current_locale()
    return rules.anniversary_text(rules.day_name(name_vi, name_en, locale), count, locale)


def reminder(params: dict) -> Notice:
    on = date.fromisoformat(params["on"])
    days = int(params["days"])
    if days == 1:
        text = gettext(
            "📅 <b>{occasion}</b> is tomorrow, {date}.\n"
            "Comrade, please prepare a story for it and attach it to the day."
        )
    else:
        text = gettext(
            "📅 <b>{occasion}</b> is in {days} days, on {date}.\n"
            "Comrade, please prepare a story for it and attach it to the day."
        )
    text = text.format(
        occasion=escape(occasion(params["name_vi"], params["name_en"], params.get("count"))),
        days=days,
        date=format_date(on, "long"),
    )
    return text, [[(gettext("Attach a story"), cb.CAL_PICK(int(params["day_id"])))]]


STATUS_NAMES = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "sent": N_("sent"),
    "cancelled": N_("cancelled"),
}


def weekday(on: date) -> str:
    """ "Thứ Ba" / "Tuesday"."""
    name = babel_format_date(on, "EEEE", locale=Locale.parse(current_locale()))
    return name[:1].upper() + name[1:]


def occurrence_lines(
    occurrences: Sequence[Occurrence], *, board: bool, story_status: Callable[[Attachment], str]
) -> list[str]:
    """One entry per day: the date, weekday and what it marks; for the board, the day's
    number and the stories attached (or that none is yet)."""
    lines: list[str] = []
    for item in occurrences:
        when = f"{format_date(item.on)} ({weekday(item.on)})"
        name = escape(occasion(item.day.name_vi, item.day.name_en, item.count))
        if item.days_left == 0:
            left = gettext("today")
        elif item.days_left == 1:
            left = gettext("tomorrow")
        else:
            left = gettext("in {n} days").format(n=item.days_left)
        line = f"• <b>{when}</b>, {left}\n  {name}"
        if item.unit is not None:
            line += f" — <i>{escape(item.unit.name)}</i>"
        if board:
            line += "\n  " + gettext("Day {id}.").format(id=item.day.id) + " "
            if item.stories:
                line += "; ".join(
                    gettext("Story {id} «{title}»: {status}").format(
                        id=a.story_id,
                        title=escape(a.title),
                        status=gettext(STATUS_NAMES.get(story_status(a), a.status)),
                    )
                    for a in item.stories
                )
            else:
                line += gettext("No story attached yet.")
        lines.append(line)
    return lines
