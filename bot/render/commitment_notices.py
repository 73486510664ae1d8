"""The messages the commitment service sends without being asked: the alert to reviewers,
the decision to the member and the year-end grade.

Each function takes plain data and returns ``(text, buttons)`` in the current language; the
notification service calls it inside the recipient's language. Nothing here imports the
handlers, so the service layer reaches these texts, and a later outbox can render a stored
notice at send time with the same functions. None of these notices carries buttons today.
"""

from __future__ import annotations

from html import escape

from bot.i18n import gettext
from bot.rules.grading import GRADE_LABELS, Grade

Notice = tuple[str, None]


def _h(text: str) -> str:
    # Names and comments are people's own text; the message is sent in HTML parse mode.
    return escape(text, quote=False)


def submitted_notice(member_name: str, year: int) -> Notice:
    """To the reviewers: a commitment is waiting for them."""
    return (
        gettext(
            "Comrade {name} has submitted the commitment for {year}. Send /pending to review it."
        ).format(name=_h(member_name), year=year),
        None,
    )


def decision_notice(
    member_name: str, year: int, by_name: str, *, approved: bool, comment: str | None
) -> Notice:
    """To the member: their commitment was approved, or returned with the comment."""
    if approved:
        return (
            gettext(
                "Comrade {name}, your commitment for {year} has been approved by comrade {by}."
            ).format(name=_h(member_name), year=year, by=_h(by_name)),
            None,
        )
    return (
        gettext(
            "Comrade {name}, your commitment for {year} was returned for revision by "
            "comrade {by}.\nComment: <i>{comment}</i>\nSend /commit to revise and "
            "submit it again."
        ).format(name=_h(member_name), year=year, by=_h(by_name), comment=_h(comment or "")),
        None,
    )


def grade_notice(
    year: int,
    grade: Grade,
    *,
    previous: Grade | None,
    points: int | None,
    comment: str,
    decided_by: str | None = None,
) -> Notice:
    """To the member: the DECIDED year-end grade, or its change (with the grade it
    replaces), and the level that decided it when that is not the member's own cell. A
    proposal is never sent to the member."""
    label = gettext(GRADE_LABELS[grade])
    if previous is None:
        head = gettext("Your year-end grade for {year}: <b>{grade}</b>").format(
            year=year, grade=label
        )
    else:
        head = gettext(
            "Your year-end grade for {year} has been changed to <b>{grade}</b> "
            "(previously: {previous})."
        ).format(year=year, grade=label, previous=gettext(GRADE_LABELS[previous]))
    lines = [head]
    if decided_by:
        lines.append(gettext("Decided by: {unit}").format(unit=_h(decided_by)))
    if points is not None:
        lines.append(gettext("Points: {points}").format(points=points))
    lines.append(gettext("Comment: {comment}").format(comment=_h(comment)))
    return "\n".join(lines), None
