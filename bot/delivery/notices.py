"""The templates of every notice the bot queues: a name, and how its stored parameters (plain
JSON) become the text and buttons of ``bot/render/*_notices.py`` at send time.

Services queue ``(template name, parameters)``; this is the one table that reads them back.
Records travel as JSON through :mod:`bot.delivery.codec`.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.codec import dump, load
from bot.delivery.templates import Rendered, template
from bot.render import (
    calendar as calendar_notices,
)
from bot.render import (
    commitment_notices,
    nomination_notices,
    registration_notices,
    session_notices,
    story_notices,
)
from bot.rules.grading import Grade
from storage.nominations import NominationRecord
from storage.records import Member, Unit
from storage.sessions import Session

# Sessions ---------------------------------------------------------------------------------


def session_params(session: Session, unit: Unit | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"session": dump(session)}
    if unit is not None:
        params["unit"] = dump(unit)
    return params


@template("session.invitation")
def _invitation(p: dict[str, Any]) -> Rendered:
    return session_notices.invitation(
        load(Session, p["session"]), load(Unit, p["unit"]), organiser=bool(p.get("organiser"))
    )


@template("session.changed")
def _changed(p: dict[str, Any]) -> Rendered:
    return session_notices.changed(load(Session, p["session"]))


@template("session.cancelled")
def _cancelled(p: dict[str, Any]) -> Rendered:
    return session_notices.cancelled(load(Session, p["session"]))


@template("session.late_request")
def _late_request(p: dict[str, Any]) -> Rendered:
    return session_notices.late_request(load(Session, p["session"]), load(Member, p["member"]))


@template("session.late_decision")
def _late_decision(p: dict[str, Any]) -> Rendered:
    return session_notices.late_decision(load(Session, p["session"]), bool(p["approve"]))


# Commitments and grades -------------------------------------------------------------------


@template("commitment.submitted")
def _submitted(p: dict[str, Any]) -> Rendered:
    return commitment_notices.submitted_notice(p["member_name"], p["year"])


@template("commitment.decision")
def _decision(p: dict[str, Any]) -> Rendered:
    return commitment_notices.decision_notice(
        p["member_name"], p["year"], p["by_name"], approved=p["approved"], comment=p.get("comment")
    )


def grade_params(
    year: int,
    grade: Grade | str,
    previous: Grade | str | None,
    *,
    points: int | None,
    comment: str,
    decided_by: str | None = None,
) -> dict[str, Any]:
    """The parameters of a decided grade's notice (``previous``: the grade it replaces)."""
    return {
        "year": year,
        "grade": str(grade),
        "previous": str(previous) if previous and str(previous) != str(grade) else None,
        "points": points,
        "comment": comment,
        "decided_by": decided_by,
    }


@template("commitment.grade")
def _grade(p: dict[str, Any]) -> Rendered:
    return commitment_notices.grade_notice(
        p["year"],
        Grade(p["grade"]),
        previous=Grade(p["previous"]) if p.get("previous") else None,
        points=p.get("points"),
        comment=p["comment"],
        decided_by=p.get("decided_by"),
    )


# Joining ----------------------------------------------------------------------------------


@template("join.request")
def _join_request(p: dict[str, Any]) -> Rendered:
    return registration_notices.join_request(p["unit_name"], p["full_name"], p["request_id"])


@template("join.decision")
def _join_decision(p: dict[str, Any]) -> Rendered:
    return registration_notices.join_decision(p["unit_name"], bool(p["approved"]))


# Stories ----------------------------------------------------------------------------------


@template("story")
def _story(p: dict[str, Any]) -> Rendered:
    return story_notices.story(p["story"], public=bool(p.get("public")))


@template("story.unsent")
def _story_unsent(p: dict[str, Any]) -> Rendered:
    return story_notices.unsent(p["id"], p["title"])


# The commemorative calendar ----------------------------------------------------------------


@template("calendar.reminder")
def _calendar_reminder(p: dict[str, Any]) -> Rendered:
    return calendar_notices.reminder(p)


# Nominations (good people, good deeds) ------------------------------------------------------


def _nomination(p: dict[str, Any]) -> NominationRecord:
    return load(NominationRecord, p["nomination"])


@template("nomination.submitted")
def _nomination_submitted(p: dict[str, Any]) -> Rendered:
    return nomination_notices.submitted(_nomination(p))


@template("nomination.approved")
def _nomination_approved(p: dict[str, Any]) -> Rendered:
    return nomination_notices.approved(_nomination(p))


@template("nomination.rejected")
def _nomination_rejected(p: dict[str, Any]) -> Rendered:
    return nomination_notices.rejected(_nomination(p))


@template("nomination.published")
def _nomination_published(p: dict[str, Any]) -> Rendered:
    return nomination_notices.published(_nomination(p))
