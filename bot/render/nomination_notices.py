"""Good-deed nominations as people see them: the card the board reviews (in /nominations and
in the alert when one arrives), the nominator's list, and the notices of the outcome.

Functions of plain data in the current language; the outbox calls the notices at send time
in the recipient's language. Everything a person typed is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot import callbacks as cb
from bot.i18n import format_date, gettext
from bot.rules.nominations import STATUS_LABELS, Status
from storage.nominations import NominationRecord

Rows = Sequence[Sequence[tuple[str, str]]]
Notice = tuple[str, Rows | None]
MARK = "💐"


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS[Status(status)])


def nominee_line(nomination: NominationRecord) -> str:
    text = f"<b>{_h(nomination.nominee)}</b>"
    if nomination.nominee_info:
        text += f", {_h(nomination.nominee_info)}"
    return text


def card(nomination: NominationRecord) -> list[str]:
    """The nomination whole, as the board reviews it (lines of HTML)."""
    lines = [
        gettext("{mark} <b>Nomination {id}</b> · {status}").format(
            mark=MARK, id=nomination.id, status=status_label(nomination.status)
        ),
        gettext("Nominee: {nominee}").format(nominee=nominee_line(nomination)),
        gettext("The good deed: {deed}").format(deed=_h(nomination.deed)),
        gettext("Where: {place}").format(place=_h(nomination.place)),
        gettext("Nominated by: comrade {name} ({unit})").format(
            name=_h(nomination.nominator_name), unit=_h(nomination.unit_name)
        ),
    ]
    if nomination.submitted_at is not None:
        lines.append(gettext("Sent: {date}").format(date=format_date(nomination.submitted_at)))
    lines += _outcome(nomination)
    return lines


def _outcome(nomination: NominationRecord) -> list[str]:
    status = Status(nomination.status)
    lines = []
    if status is not Status.SUBMITTED and status is not Status.DRAFT:
        lines.append(
            gettext("Decided by: comrade {name}").format(name=_h(nomination.decided_by_name or ""))
        )
    if status is Status.REJECTED:
        lines.append(gettext("Reason: <i>{reason}</i>").format(reason=_h(nomination.reason or "")))
    if status is Status.STORY and nomination.story_id:
        lines.append(gettext("Story draft: {id}").format(id=nomination.story_id))
    return lines


def review_buttons(nomination: NominationRecord) -> Rows:
    """What the board can do with it now: decide a waiting one, make an approved one a story."""
    status = Status(nomination.status)
    if status is Status.SUBMITTED:
        return [
            [
                (gettext("Approve"), cb.NOMINATION_APPROVE(nomination.id)),
                (gettext("Reject"), cb.NOMINATION_REJECT(nomination.id)),
            ]
        ]
    if status is Status.APPROVED:
        return [[(gettext("Make a story draft"), cb.NOMINATION_STORY(nomination.id))]]
    return []


def story_made(nomination: NominationRecord, story_id: int) -> str:
    """To the board member who made the story draft: how to carry on."""
    return gettext(
        "Story draft {story} is ready from nomination {id}, with its title, text and photo "
        "filled in. See it with /story show {story}, change it with /story edit {story}, "
        "then send it or set a time."
    ).format(story=story_id, id=nomination.id)


def mine(nominations: Sequence[NominationRecord]) -> list[str]:
    """The nominator's own, newest first, each with its outcome."""
    lines = [gettext("<b>Your nominations</b> (good people, good deeds):")]
    for nomination in nominations:
        status = Status(nomination.status)
        name = _h(nomination.nominee) or "…"
        when = nomination.submitted_at or nomination.created_at
        line = f"• {nomination.id} · {format_date(when)} · {name} — {status_label(status)}"
        if status is Status.REJECTED:
            line += "\n  " + gettext("Reason: <i>{reason}</i>").format(
                reason=_h(nomination.reason or "")
            )
        if status is Status.DRAFT:
            line += "\n  " + gettext("Send /nominate to finish and send it.")
        lines.append(line)
    return lines


# Notices ------------------------------------------------------------------------------------


def submitted(nomination: NominationRecord) -> Notice:
    """To the nearest propaganda board: a nomination waits for them, with the decision
    buttons."""
    head = gettext("A new nomination (good people, good deeds) is waiting for your review.")
    return "\n".join([head, "", *card(nomination)]), review_buttons(nomination)


def approved(nomination: NominationRecord) -> Notice:
    """To the nominator."""
    return (
        gettext(
            "{mark} Your nomination {id} ({nominee}) has been approved by the propaganda board. "
            "Thank you, comrade!"
        ).format(mark=MARK, id=nomination.id, nominee=_h(nomination.nominee)),
        None,
    )


def rejected(nomination: NominationRecord) -> Notice:
    """To the nominator, with the board's reason."""
    return (
        gettext(
            "Your nomination {id} ({nominee}) was not approved by the propaganda board.\n"
            "Reason: <i>{reason}</i>\nYou may send a new nomination with /nominate."
        ).format(
            id=nomination.id, nominee=_h(nomination.nominee), reason=_h(nomination.reason or "")
        ),
        None,
    )


def published(nomination: NominationRecord) -> Notice:
    """To the nominator, when the story made from their nomination goes out."""
    return (
        gettext(
            "{mark} The example you nominated ({nominee}, nomination {id}) has been published "
            "by the propaganda board as a story. Thank you, comrade!"
        ).format(mark=MARK, id=nomination.id, nominee=_h(nomination.nominee)),
        None,
    )
