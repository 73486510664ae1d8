"""Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): the fields, their limits,
the decisions, and which member a nomination names. Pure: no Telegram, no database.

::

    submitted ──approve──▶ approved ──make a story (once)──▶ approved, with its story
        │
        └──reject (with a reason)──▶ rejected

Every decision is final: a second press, or a second board member at the same moment,
finds the nomination decided and is told by whom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import TypeVar

from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.render.text import has_control_characters
from bot.rules.commitments import clean_text
from bot.rules.names import match_key

T = TypeVar("T")


class Field(StrEnum):
    NOMINEE = "nominee"
    NOMINEE_INFO = "nominee_info"
    DEED = "deed"


# Lengths in UTF-16 code units, as Telegram counts them (an emoji is two).
LIMITS: dict[Field, tuple[int, int]] = {
    Field.NOMINEE: (2, 100),
    Field.NOMINEE_INFO: (2, 200),
    Field.DEED: (20, 1500),
}
REASON_MIN, REASON_MAX = 5, 500

FIELD_LABELS = {
    Field.NOMINEE: N_("Nominee"),
    Field.NOMINEE_INFO: N_("Their unit or workplace"),
    Field.DEED: N_("The good deed"),
}


class Status(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_LABELS = {
    Status.SUBMITTED: N_("Waiting for review"),
    Status.APPROVED: N_("Approved"),
    Status.REJECTED: N_("Not approved"),
}


class Event(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    MAKE_STORY = "make_story"


class AlreadyDecided(Conflict):
    """The nomination is no longer where the event applies: someone decided first."""


def check_event(
    status: Status | str,
    event: Event,
    *,
    number: int,
    by: str = "",
    story: int | None = None,
) -> Status:
    """The status after ``event``, or AlreadyDecided saying why it does not apply now
    (``by``: who decided; ``story``: the story already made from it)."""
    current = Status(status)
    if current is Status.SUBMITTED:
        if event is Event.APPROVE:
            return Status.APPROVED
        if event is Event.REJECT:
            return Status.REJECTED
        raise AlreadyDecided(
            N_("Nomination {id} is waiting for review: approve it first."), id=number
        )
    if current is Status.APPROVED and event is Event.MAKE_STORY:
        if story is None:
            return Status.APPROVED
        raise AlreadyDecided(
            N_("Nomination {id} has already been made into story {story}."), id=number, story=story
        )
    if current is Status.APPROVED:
        raise AlreadyDecided(
            N_("Nomination {id} has already been approved by {by}."), id=number, by=by
        )
    raise AlreadyDecided(N_("Nomination {id} has already been rejected by {by}."), id=number, by=by)


def clean_field(field: Field | str, text: str) -> str:
    """The typed text, trimmed: one line for a name or a workplace (spaces collapsed), lines
    kept for the deed. InvalidInput says what to fix."""
    found = Field(field)
    low, high = LIMITS[found]
    _refuse_control_characters(text)
    one_line = found is not Field.DEED
    return clean_text(" ".join((text or "").split()) if one_line else text, low=low, high=high)


def clean_reason(text: str) -> str:
    """Why the board rejects a nomination: required, told to the nominator as written."""
    _refuse_control_characters(text)
    return clean_text(text, low=REASON_MIN, high=REASON_MAX)


def _refuse_control_characters(text: str | None) -> None:
    if has_control_characters(text or ""):
        raise InvalidInput(N_("The text contains invisible control characters; type it again."))


def named_member(
    nominee: str, candidates: Iterable[T], name: Callable[[T], str] = lambda c: c.full_name
) -> T | None:
    """The member a nomination names: the one candidate (the active members of the
    nomination's unit and below) whose full name is the typed name, compared by
    :func:`bot.rules.names.match_key` (case, spaces, composed or combining marks and the
    place of a tone mark do not count). None when nobody has that name, and when several
    do: a deed is never attached to a guess between namesakes."""
    wanted = match_key(nominee)
    if not wanted:
        return None
    found = [candidate for candidate in candidates if match_key(name(candidate)) == wanted]
    return found[0] if len(found) == 1 else None
