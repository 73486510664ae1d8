"""Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): the fields, their limits and
the status machine. Pure: no Telegram, no database.

::

    draft ──submit──▶ submitted ──approve──▶ approved ──make story──▶ story
                          │
                          └──reject (with a reason)──▶ rejected

A draft is the nominator's own, saved field by field; from ``submitted`` on it belongs to
the propaganda board over the nominator's unit. Every decision is final: a second press,
or a second board member at the same moment, finds the nomination decided.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.render.text import has_control_characters, utf16_len


class Field(StrEnum):
    NOMINEE = "nominee"
    NOMINEE_INFO = "nominee_info"
    DEED = "deed"
    PLACE = "place"


# Lengths in UTF-16 code units, as Telegram counts them (an emoji is two).
LIMITS: dict[Field, tuple[int, int]] = {
    Field.NOMINEE: (2, 100),
    Field.NOMINEE_INFO: (2, 200),
    Field.DEED: (20, 1500),
    Field.PLACE: (2, 200),
}
REQUIRED = (Field.NOMINEE, Field.DEED, Field.PLACE)
REASON_MIN, REASON_MAX = 5, 500

FIELD_LABELS = {
    Field.NOMINEE: N_("Nominee"),
    Field.NOMINEE_INFO: N_("Position, unit"),
    Field.DEED: N_("The good deed"),
    Field.PLACE: N_("Where"),
}


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    STORY = "story"


STATUS_LABELS = {
    Status.DRAFT: N_("Draft, not sent"),
    Status.SUBMITTED: N_("Waiting for review"),
    Status.APPROVED: N_("Approved"),
    Status.REJECTED: N_("Not approved"),
    Status.STORY: N_("Approved, made into a story"),
}
# Counted in the year's commendation list ("Biểu dương, khen thưởng").
COMMENDED = (Status.APPROVED, Status.STORY)


class Event(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    MAKE_STORY = "make_story"


TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (Status.DRAFT, Event.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Event.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Event.REJECT): Status.REJECTED,
    (Status.APPROVED, Event.MAKE_STORY): Status.STORY,
}

_REFUSALS = {
    Status.DRAFT: N_("Nomination {id} has not been sent yet."),
    Status.SUBMITTED: N_("Nomination {id} is waiting for review: approve it first."),
    Status.APPROVED: N_("Nomination {id} has already been approved by {by}."),
    Status.REJECTED: N_("Nomination {id} has already been rejected by {by}."),
    Status.STORY: N_("Nomination {id} has already been made into story {story}."),
}


class AlreadyDecided(Conflict):
    """The nomination is no longer where the event applies: someone decided first (or it is
    not sent yet). Its decision buttons will never work again."""


def transition(
    status: Status | str,
    event: Event,
    *,
    number: int,
    by: str = "",
    story: int | None = None,
) -> Status:
    """The next status, or AlreadyDecided saying why the event does not apply now (``by``:
    who decided, ``story``: the story it was made into)."""
    current = Status(status)
    found = TRANSITIONS.get((current, event))
    if found is None:
        raise AlreadyDecided(_REFUSALS[current], id=number, by=by, story=story or "")
    return found


def clean_field(field: Field | str, text: str) -> str:
    """The typed text, trimmed: one line for a name, a position or a place (spaces
    collapsed), lines kept for the deed. InvalidInput says what to fix."""
    found = Field(field)
    if found is Field.DEED:
        lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
        cleaned = "\n".join(line for line in lines if line)
    else:
        cleaned = " ".join((text or "").split())
    low, high = LIMITS[found]
    _check(cleaned, low, high)
    return cleaned


def clean_reason(text: str) -> str:
    """Why the board rejects a nomination: required, told to the nominator as written."""
    lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    _check(cleaned, REASON_MIN, REASON_MAX)
    return cleaned


def _check(text: str, low: int, high: int) -> None:
    if has_control_characters(text):
        raise InvalidInput(N_("The text contains invisible control characters; type it again."))
    if not text:
        raise InvalidInput(
            N_("The text is empty. Please write {low} to {high} characters."), low=low, high=high
        )
    if text.startswith("/"):
        raise InvalidInput(N_("Please write the text itself, not a command."))
    length = utf16_len(text)
    if length < low:
        raise InvalidInput(
            N_("The text is too short ({count} characters). Please write {low} to {high}."),
            count=length,
            low=low,
            high=high,
        )
    if length > high:
        raise InvalidInput(
            N_("The text is too long ({count} characters). Please write {low} to {high}."),
            count=length,
            low=low,
            high=high,
        )


def missing(values: dict[str, str]) -> list[Field]:
    """The required fields still empty, in the order they are asked."""
    return [field for field in REQUIRED if not values.get(field.value)]
