"""The propaganda board's views of its stories: the list, a story's overview under its
preview, the audience in words, and the figures ("read and learned" per unit). Functions of
data; the handlers send what they return. Every name and title is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from babel import numbers as babel_numbers

from bot.i18n import N_, current_locale, format_date, format_datetime, format_number, gettext
from bot.render.story_notices import TAG_MARKS, tag_label
from bot.rules.stories import AUDIENCE_ROLE_LABELS, AudienceKind, Tag

if TYPE_CHECKING:  # annotations only: the story service imports the render package
    from bot.services.stories import StoryOverview, StoryStats, UnitEngagement
    from storage.records import Unit
    from storage.stories import StoryRecord

UNITS_NAMED = 10  # an audience of more chosen units is named by its first ones

STATUS_NAMES = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "sent": N_("Sent"),
    "cancelled": N_("Cancelled"),
}


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def percent(rate: float | None) -> str:
    """A rate as a percentage in the reader's language ("76%"); "—" when there is none."""
    if rate is None:
        return "—"
    return babel_numbers.format_percent(rate, locale=current_locale())


def status_text(story: StoryRecord, status: str) -> str:
    """Draft; scheduled with its time; sent with its date and recipients."""
    if status == "scheduled" and story.send_at is not None:
        return gettext("Scheduled for {time}").format(time=format_datetime(story.send_at))
    if status == "sent" and story.send_at is not None:
        return gettext("Sent {date} to {count} recipients").format(
            date=format_date(story.send_at), count=format_number(story.recipients)
        )
    return gettext(STATUS_NAMES.get(status, STATUS_NAMES["draft"]))


def list_lines(stories: Sequence[tuple[StoryRecord, str]]) -> list[str]:
    """``/story list``: one line per story (its current status given with it)."""
    if not stories:
        return [
            gettext("No story yet. Write the first one with /story new."),
        ]
    lines = [gettext("<b>Stories</b> (the latest {count}):").format(count=len(stories))]
    for story, status in stories:
        mark = TAG_MARKS[Tag(story.tag)]
        lines.append(
            f"#{story.id} {mark} <b>{_h(story.title)}</b>\n    <i>{status_text(story, status)}</i>"
        )
    lines.append(gettext("Open one below, or send /story show ID."))
    return lines


def audience_text(kind: AudienceKind, unit: Unit, units: Sequence[Unit], role: str | None) -> str:
    """Who a story goes to, in words."""
    name = _h(unit.name)
    if kind is AudienceKind.UNITS:
        shown = ", ".join(_h(u.name) for u in units[:UNITS_NAMED])
        if len(units) > UNITS_NAMED:
            shown += " " + gettext("and {count} more").format(count=len(units) - UNITS_NAMED)
        return shown or gettext("no unit chosen yet")
    if kind is AudienceKind.ROLE and role in AUDIENCE_ROLE_LABELS:
        return gettext("{role} in {unit}").format(
            role=gettext(AUDIENCE_ROLE_LABELS[role]), unit=name
        )
    if kind is AudienceKind.MASS_ORG:
        return gettext("Members of the mass-organisation branches in {unit}").format(unit=name)
    return gettext("Everyone in {unit}").format(unit=name)


def overview_lines(overview: StoryOverview, channels: Sequence[str] = ()) -> list[str]:
    """Under the preview: the story's number and status, where it is written, its tag, its
    audience and how many it reaches; the public channels it also goes to."""
    story = overview.story
    audience = overview.audience
    heading = gettext("Story {id}").format(id=story.id)
    lines = [
        f"<b>{heading}</b> · {status_text(story, overview.status)}",
        gettext("Written for: {unit}").format(unit=_h(overview.unit.name)),
        (
            gettext("Written by {name}, {time}").format(
                name=_h(overview.author), time=format_datetime(story.created_at)
            )
            if overview.author
            else gettext("Written {time}").format(time=format_datetime(story.created_at))
        ),
        gettext("Tag: {tag}").format(tag=_h(tag_label(story.tag))),
        gettext("Audience: {audience}").format(
            audience=audience_text(
                audience.kind, overview.unit, overview.audience_units, audience.role
            )
        ),
        gettext(
            "Recipients: <b>{count}</b> members; {reachable} of them can receive it now "
            "(on Telegram)."
        ).format(
            count=format_number(overview.recipients),
            reachable=format_number(overview.reachable),
        ),
    ]
    if story.to_channels:
        names = ", ".join(_h(title) for title in channels) or gettext("none configured now")
        lines.append(gettext("Also published to: {channels}").format(channels=names))
    if overview.status == "draft" and overview.reachable == 0:
        lines.append(
            gettext("<i>Nobody in this audience can receive it yet: choose another audience.</i>")
        )
    return lines


def _unit_line(group: UnitEngagement) -> str:
    parts = [
        gettext("{read}/{delivered} read ({rate})").format(
            read=format_number(group.read),
            delivered=format_number(group.delivered),
            rate=percent(group.rate),
        ),
        gettext("{count} recipients").format(count=format_number(group.recipients)),
    ]
    if group.failed:
        parts.append(gettext("{count} failed").format(count=format_number(group.failed)))
    if group.blocked:
        parts.append(gettext("{count} blocked").format(count=format_number(group.blocked)))
    return f"• {_h(group.unit.name)}: " + " · ".join(parts)


def stats_lines(stats: StoryStats, status: str) -> list[str]:
    """``/story stats``: recipients, delivered, failed, blocked and "read and learned" with its
    rate, in all and per child unit (most engaged first, as the service sorts them)."""
    story, total = stats.story, stats.total
    lines = [
        gettext("<b>Figures for story {id}</b>: {title}").format(
            id=story.id, title=_h(story.title)
        ),
        f"<i>{status_text(story, status)}</i>",
    ]
    if status != "sent" and not total.recipients:
        lines.append(gettext("It has not been sent yet, so there are no figures."))
        return lines
    if story.status == "scheduled" and story.batch_id is None:  # its time came a moment ago
        lines.append(gettext("It is going out now; the figures follow in a minute."))
        return lines
    waiting = total.recipients - total.delivered - total.failed - total.blocked
    lines.append(
        gettext(
            "Recipients: {recipients} · delivered: {delivered} · failed: {failed} · "
            "blocked the bot: {blocked}"
        ).format(
            recipients=format_number(total.recipients),
            delivered=format_number(total.delivered),
            failed=format_number(total.failed),
            blocked=format_number(total.blocked),
        )
    )
    if waiting > 0:
        lines.append(gettext("Still being sent: {count}").format(count=format_number(waiting)))
    lines.append(
        gettext("Read and learned: <b>{read}</b> of {delivered} delivered ({rate})").format(
            read=format_number(total.read),
            delivered=format_number(total.delivered),
            rate=percent(total.rate),
        )
    )
    if stats.units:
        lines += ["", gettext("<b>Per unit</b> (the most engaged first):")]
        lines += [_unit_line(group) for group in stats.units]
    return lines
