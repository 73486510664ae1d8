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


def status_label(nomination: NominationRecord) -> str:
    label = gettext(STATUS_LABELS[Status(nomination.status)])
    if nomination.story_id is not None:
        label += " · " + gettext("story {id}").format(id=nomination.story_id)
    return label


def nominee_line(nomination: NominationRecord) -> str:
    text = f"<b>{_h(nomination.nominee)}</b>"
    if nomination.nominee_info:
        text += f" ({_h(nomination.nominee_info)})"
    return text


def card(nomination: NominationRecord) -> list[str]:
    """The nomination whole, as the board reviews it (lines of HTML)."""
    lines = [
        gettext("{mark} <b>Nomination {id}</b> · {status}").format(
            mark=MARK, id=nomination.id, status=status_label(nomination)
        ),
        gettext("Nominee: {nominee}").format(nominee=nominee_line(nomination)),
        gettext("The good deed: {deed}").format(deed=_h(nomination.deed)),
        gettext("Sent to: {unit}").format(unit=_h(nomination.unit_name)),
        gettext("Nominated by comrade {name}, {date}").format(
            name=_h(nomination.nominator_name), date=format_date(nomination.created_at)
        ),
    ]
    if nomination.status != Status.SUBMITTED:
        lines.append(
            gettext("Decided by comrade {name}").format(name=_h(nomination.decided_by_name or ""))
        )
    if nomination.status == Status.REJECTED:
        lines.append(gettext("Reason: <i>{reason}</i>").format(reason=_h(nomination.reason or "")))
    if nomination.status == Status.APPROVED or nomination.nominee_member_id is not None:
        lines.append(member_line(nomination))
    return lines


def member_line(nomination: NominationRecord) -> str:
    """Whose year-end dossier the deed goes into, or that nobody could be identified."""
    if nomination.nominee_member_id is None:
        return gettext(
            "No member could be identified by this name (nobody, or several namesakes): the "
            "deed is in nobody's year-end dossier."
        )
    name = _h(nomination.nominee_member_name or "")
    if nomination.nominee_member_code:
        name += f" ({_h(nomination.nominee_member_code)})"
    return gettext("It goes into the year-end dossier of comrade {name}.").format(name=name)


def review_buttons(nomination: NominationRecord) -> Rows:
    """What the board can do with it now: decide a waiting one, make an approved one a story."""
    if nomination.status == Status.SUBMITTED:
        return [
            [
                (gettext("Approve"), cb.NOMINATION_APPROVE(nomination.id)),
                (gettext("Do not approve"), cb.NOMINATION_REJECT(nomination.id)),
            ]
        ]
    if nomination.status == Status.APPROVED and nomination.story_id is None:
        return [[(gettext("Make a story draft"), cb.NOMINATION_STORY(nomination.id))]]
    return []


def board_list(
    items: Sequence[NominationRecord], total: int, *, decided: bool
) -> tuple[list[str], Rows]:
    """The board's list: lines (split into messages by the caller) and a button for each."""
    if not items:
        lines = [
            gettext("No decided nominations in your scope yet.")
            if decided
            else gettext("No nominations are waiting for review.")
        ]
    else:
        head = (
            gettext("<b>Decided nominations</b> ({shown} of {total}, the newest first):")
            if decided
            else gettext("<b>Nominations waiting for review</b> ({shown} of {total}):")
        )
        lines = [head.format(shown=len(items), total=total)]
        for item in items:
            lines.append(
                f"• {item.id} · {_h(item.nominee)} · {_h(item.unit_name)} — {status_label(item)}"
            )
        lines.append(gettext("Tap one to open it."))
    rows: list[list[tuple[str, str]]] = [
        [(f"{item.id} · {_short(item.nominee)}", cb.NOMINATION_OPEN(item.id))] for item in items
    ]
    rows.append(
        [
            (gettext("Waiting for review"), cb.NOMINATION_LIST("pending"))
            if decided
            else (gettext("Decided ones"), cb.NOMINATION_LIST("decided"))
        ]
    )
    return lines, rows


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def story_made(nomination: NominationRecord, story_id: int) -> str:
    """To the board member who made the story draft: how to carry on."""
    return gettext(
        "Story draft {story} is ready from nomination {id}, with its title, text and photo "
        "filled in. See it with /story show {story}, change it with /story edit {story}, "
        "then send it or set a time."
    ).format(story=story_id, id=nomination.id)


def mine(nominations: Sequence[NominationRecord]) -> list[str]:
    """The nominator's own, newest first, each with its outcome."""
    if not nominations:
        return [
            gettext(
                "You have not nominated anyone yet. Send /nominate to propose an example of "
                "good people, good deeds."
            )
        ]
    lines = [gettext("<b>Your nominations</b> (good people, good deeds):")]
    for nomination in nominations:
        line = (
            f"• {nomination.id} · {format_date(nomination.created_at)} · "
            f"{_h(nomination.nominee)} — {status_label(nomination)}"
        )
        if nomination.status == Status.REJECTED:
            line += "\n  " + gettext("Reason: <i>{reason}</i>").format(
                reason=_h(nomination.reason or "")
            )
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
            "{mark} The story about {nominee} (your nomination {id}) has been published by the "
            "propaganda board. Thank you, comrade!"
        ).format(mark=MARK, id=nomination.id, nominee=_h(nomination.nominee)),
        None,
    )


def story_draft(nomination: NominationRecord) -> tuple[str, str]:
    """The prefilled title and body (Telegram HTML, the typed text escaped) of the story made
    from a nomination, in the board member's language; they edit it before sending."""
    title = gettext("Good people, good deeds: {name}").format(name=nomination.nominee)
    head = f"<b>{escape(nomination.nominee, quote=False)}</b>"
    if nomination.nominee_info:
        head += f", {escape(nomination.nominee_info, quote=False)}"
    where = gettext("Nominated in {unit} by comrade {name}.").format(
        unit=escape(nomination.unit_name, quote=False),
        name=escape(nomination.nominator_name, quote=False),
    )
    body = f"{head}\n\n{escape(nomination.deed, quote=False)}\n\n<i>{where}</i>"
    return title, body
