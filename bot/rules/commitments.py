"""Commitment rules: headings, the status machine, validation, lateness and self-ratings.

Pure functions only: no Telegram, no database. The service applies them inside its
transactions; the unit tests exercise them alone. The year-end grades, their point bands
and the 20% quota are in :mod:`bot.rules.grading`.

The status machine of one member's commitment for one campaign::

    draft ──submit──▶ submitted ──approve──▶ approved ──revise──▶ draft (approved version kept)
                          │                                        │
                          └──return──▶ returned ──submit──▶ submitted (a new version)

Every submission freezes the working copy as a numbered version; versions are never
changed or deleted, so a revision after approval or return keeps the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.errors import Conflict, InvalidInput, Term
from bot.i18n import N_
from bot.render.text import utf16_len
from bot.rules.campaigns import is_late
from storage.records import Campaign

ACTION_MIN, ACTION_MAX = 10, 1000
COMMENT_MIN, COMMENT_MAX = 3, 1000
EVIDENCE_MIN, EVIDENCE_MAX = 3, 500
MAX_ACTIONS = 40  # per commitment: a printable form, not a diary


class Heading(StrEnum):
    IDEOLOGY = "ideology"
    ETHICS = "ethics"
    DISCIPLINE = "discipline"
    TASKS = "tasks"
    EXAMPLE = "example"  # heads of agencies and units only


HEADING_LABELS = {
    Heading.IDEOLOGY: N_("Political ideology"),
    Heading.ETHICS: N_("Ethics and lifestyle"),
    Heading.DISCIPLINE: N_("Organisational discipline"),
    Heading.TASKS: N_("Results of assigned duties"),
    Heading.EXAMPLE: N_("A leader's duty to set an example"),
}


def headings_for(is_head: bool) -> list[Heading]:
    """The four self-review headings, plus setting an example for a head."""
    base = [Heading.IDEOLOGY, Heading.ETHICS, Heading.DISCIPLINE, Heading.TASKS]
    return [*base, Heading.EXAMPLE] if is_head else base


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


STATUS_LABELS = {
    Status.DRAFT: N_("Draft"),
    Status.SUBMITTED: N_("Submitted"),
    Status.RETURNED: N_("Returned for revision"),
    Status.APPROVED: N_("Approved"),
}
MISSING_LABEL = N_("Not filed")
LATE_LABEL = N_("Late")


class Event(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    REVISE = "revise"  # open an approved commitment for a new version
    EDIT = "edit"  # change the working copy


TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (Status.DRAFT, Event.SUBMIT): Status.SUBMITTED,
    (Status.RETURNED, Event.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Event.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Event.RETURN): Status.RETURNED,
    (Status.APPROVED, Event.REVISE): Status.DRAFT,
    (Status.DRAFT, Event.EDIT): Status.DRAFT,
    (Status.RETURNED, Event.EDIT): Status.RETURNED,
}

_REFUSALS = {
    Status.SUBMITTED: N_(
        "The commitment has been submitted and is waiting for review; it cannot be changed now."
    ),
    Status.APPROVED: N_("The commitment is already approved."),
    Status.DRAFT: N_("The commitment has not been submitted yet."),
    Status.RETURNED: N_("The commitment was returned for revision."),
}


def transition(status: Status | str, event: Event) -> Status:
    """The next status, or Conflict explaining why the event does not apply now."""
    current = Status(status)
    found = TRANSITIONS.get((current, event))
    if found is None:
        raise Conflict(_REFUSALS[current])
    return found


def may_edit(status: Status | str) -> bool:
    return (Status(status), Event.EDIT) in TRANSITIONS


def monitoring_bucket(status: Status | str, approved_version: int | None) -> Status:
    """How a commitment counts in monitoring: a draft revising an approved one counts as
    approved, since the approved version stands until a new one replaces it."""
    current = Status(status)
    if current is Status.DRAFT and approved_version:
        return Status.APPROVED
    return current


# Validation --------------------------------------------------------------------------------


def clean_text(text: str, *, low: int = ACTION_MIN, high: int = ACTION_MAX) -> str:
    """Trim and collapse spaces on each line; InvalidInput when empty, too short or long.

    Lengths count as Telegram counts them, in UTF-16 code units (an emoji is two), so that
    what is accepted can always be shown back."""
    lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    if not cleaned:
        raise InvalidInput(
            N_("The text is empty. Please write {low} to {high} characters."), low=low, high=high
        )
    if cleaned.startswith("/"):
        raise InvalidInput(N_("Please write the text itself, not a command."))
    length = utf16_len(cleaned)
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
    return cleaned


def clean_action_text(text: str) -> str:
    return clean_text(text, low=ACTION_MIN, high=ACTION_MAX)


def check_target_date(campaign: Campaign, target: date) -> date:
    if target.year != campaign.year:
        raise InvalidInput(N_("The target date must fall within {year}."), year=campaign.year)
    return target


def check_heading(heading: str, is_head: bool) -> Heading:
    try:
        found = Heading(heading)
    except ValueError:
        raise InvalidInput(N_("Unknown heading.")) from None
    if found not in headings_for(is_head):
        raise InvalidInput(N_("Only heads of agencies and units fill the example section."))
    return found


@dataclass(frozen=True)
class ActionDraft:
    heading: str
    text: str


def check_complete(actions: list[ActionDraft], is_head: bool) -> None:
    """At least one action; a head must also fill the example section."""
    if not actions:
        raise InvalidInput(N_("Please add at least one action before submitting."))
    if is_head and not any(a.heading == Heading.EXAMPLE for a in actions):
        raise InvalidInput(
            N_(
                "As the head of your agency or unit, please add at least one action under "
                "\u201c{heading}\u201d before submitting."
            ),
            heading=Term(HEADING_LABELS[Heading.EXAMPLE]),
        )


def submission_is_late(campaign: Campaign, submitted_on: date) -> bool:
    return is_late(campaign, submitted_on)


# The year-end self-assessment ------------------------------------------------------------


class Rating(StrEnum):
    DONE = "done"
    PARTLY = "partly"
    NOT_DONE = "not_done"


RATING_LABELS = {
    Rating.DONE: N_("Done"),
    Rating.PARTLY: N_("Partly done"),
    Rating.NOT_DONE: N_("Not done"),
}
