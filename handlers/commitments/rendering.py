"""The text of a commitment as people see it in Telegram: the card a reviewer gets, the
member's preview (the same text), its status line, and sending long content in pieces."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import format_date, gettext
from bot.rules.commitments import (
    HEADING_LABELS,
    LATE_LABEL,
    RATING_LABELS,
    STATUS_LABELS,
    Rating,
    Status,
    headings_for,
    monitoring_bucket,
)
from bot.rules.grading import GRADE_LABELS, Grade
from bot.services.commitments import CommitmentView
from handlers.replies import h, reply_lines


def status_text(view: CommitmentView) -> str:
    record = view.commitment
    if record is None:
        return gettext("Not started")
    bucket = monitoring_bucket(record.status, record.approved_version)
    text = gettext(STATUS_LABELS[Status(record.status)])
    if bucket != Status(record.status):
        text = gettext("{status} (revising approved version {number})").format(
            status=text, number=record.approved_version
        )
    if record.late:
        text += f" — {gettext(LATE_LABEL)}"
    return text


def returned_note(view: CommitmentView) -> list[str]:
    """The reviewer's comment when the latest version was returned."""
    latest = view.latest
    if latest is None or latest.decision != "returned" or not latest.comment:
        return []
    return [
        gettext("Returned by comrade {name}: <i>{comment}</i>").format(
            name=h(latest.decided_by_name or ""), comment=h(latest.comment)
        )
    ]


def grade_label(grade: str, points: int | None) -> str:
    return gettext(GRADE_LABELS[Grade(grade)]) + (f" ({points})" if points is not None else "")


def render_commitment(view: CommitmentView, *, ratings: bool = False) -> list[str]:
    """The commitment as its reviewer sees it; the member's preview is the same text."""
    member = view.member
    lines = [
        gettext("<b>Commitment for {year}</b>").format(year=view.campaign.year),
        gettext("Comrade: <b>{name}</b>").format(name=h(member.full_name))
        + (f" — {h(member.position)}" if member.position else ""),
        gettext("Unit: {unit}").format(unit=h(view.unit.name if view.unit else "—")),
        gettext("Topic: <i>{topic}</i>").format(topic=h(view.campaign.topic)),
        gettext("Status: {status}").format(status=status_text(view)),
    ]
    if view.version is not None:
        lines.append(
            gettext("Version {number}, submitted {date}").format(
                number=view.version.number, date=format_date(view.version.submitted_at)
            )
        )
    lines += returned_note(view)
    for index, heading in enumerate(headings_for(member.is_head), start=1):
        lines.append("")
        lines.append(f"<b>{index}. {gettext(HEADING_LABELS[heading])}</b>")
        actions = [a for a in view.actions if a.heading == heading]
        if not actions:
            lines.append(gettext("   (nothing yet)"))
        for number, action in enumerate(actions, start=1):
            line = f"{index}.{number}. {h(action.text)}"
            if action.target_date:
                line += " " + gettext("(by {date})").format(date=format_date(action.target_date))
            lines.append(line)
            if ratings and action.self_rating:
                lines.append(
                    "   → "
                    + gettext(RATING_LABELS[Rating(action.self_rating)])
                    + (f": <i>{h(action.evidence)}</i>" if action.evidence else "")
                )
    record = view.commitment
    if record is not None and record.grade:
        lines.append("")
        lines.append(
            gettext("Year-end grade: <b>{grade}</b>").format(
                grade=gettext(GRADE_LABELS[Grade(record.grade)])
            )
            + (f" ({record.points})" if record.points is not None else "")
        )
        for earlier in view.grades[:-1]:  # every grade given is kept; the last is in force
            lines.append(
                gettext("Earlier grade: {grade}, by comrade {name}, {date}").format(
                    grade=grade_label(earlier.grade, earlier.points),
                    name=h(earlier.graded_by_name or "—"),
                    date=format_date(earlier.graded_at),
                )
            )
    return lines


async def send_lines(
    update: Update, lines: list[str], reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send long content in pieces under Telegram's limit; the keyboard on the last one."""
    await reply_lines(update, lines, reply_markup)
