"""The templates of the reminder engine's rows: ``reminder.<kind>`` for each kind of
``bot.rules.reminder_kinds`` but ``calendar.day`` (which keeps ``calendar.reminder``).

The parameters are the engine's contract (/work/reminders-contract.md, docs/reminders.md):
dates as ISO strings, sessions and units as :func:`bot.delivery.codec.dump` records. This
module only reads them back; the texts are in :mod:`bot.render.reminder_notices`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.delivery.codec import load
from bot.delivery.templates import Rendered, template
from bot.render import reminder_notices as notices
from storage.records import Unit
from storage.sessions import Session


def _day(p: dict[str, Any], key: str) -> date:
    return date.fromisoformat(p[key])


# Commitments --------------------------------------------------------------------------------


@template("reminder.commitment.due")
def _commitment_due(p: dict[str, Any]) -> Rendered:
    return notices.commitment_due(
        int(p["year"]), _day(p, "deadline"), int(p["days"]), bool(p.get("started"))
    )


@template("reminder.commitment.missing")
def _commitment_missing(p: dict[str, Any]) -> Rendered:
    return notices.commitment_missing(
        int(p["year"]),
        _day(p, "deadline"),
        int(p["days"]),
        p["unit"],
        int(p["expected"]),
        p["missing"],
    )


@template("reminder.commitment.summary")
def _commitment_summary(p: dict[str, Any]) -> Rendered:
    return notices.commitment_summary(
        int(p["year"]),
        _day(p, "deadline"),
        p["unit"],
        int(p["expected"]),
        int(p["filed"]),
        p.get("rows") or [],
        p.get("leaders") or [],
    )


@template("reminder.commitment.returned")
def _commitment_returned(p: dict[str, Any]) -> Rendered:
    return notices.commitment_returned(int(p["year"]), _day(p, "deadline"), _day(p, "returned_on"))


# Sessions (the parameters of bot.delivery.notices.session_params) -----------------------------


def _session(p: dict[str, Any]) -> tuple[Session, Unit]:
    return load(Session, p["session"]), load(Unit, p["unit"])


@template("reminder.session.soon")
def _session_soon(p: dict[str, Any]) -> Rendered:
    return notices.session_soon(*_session(p))


@template("reminder.session.hour")
def _session_hour(p: dict[str, Any]) -> Rendered:
    return notices.session_hour(*_session(p))


@template("reminder.session.checkin")
def _session_checkin(p: dict[str, Any]) -> Rendered:
    return notices.session_checkin(*_session(p))


@template("reminder.session.close")
def _session_close(p: dict[str, Any]) -> Rendered:
    return notices.session_close(*_session(p), minutes=bool(p.get("minutes")))


# The meeting rule and the study of the campaign topic ----------------------------------------


@template("reminder.cadence.regular")
def _cadence_regular(p: dict[str, Any]) -> Rendered:
    return notices.cadence_regular(p["unit"], int(p["year"]), int(p["month"]))


@template("reminder.cadence.thematic")
def _cadence_thematic(p: dict[str, Any]) -> Rendered:
    return notices.cadence_thematic(p["unit"], int(p["year"]), int(p["quarter"]))


@template("reminder.study.due")
def _study_due(p: dict[str, Any]) -> Rendered:
    return notices.study_due(p["unit"], _day(p, "deadline"), int(p["days"]))


@template("reminder.study.list")
def _study_list(p: dict[str, Any]) -> Rendered:
    return notices.study_list(p["unit"], _day(p, "deadline"), int(p["days"]), p["units"])


# The year-end review ------------------------------------------------------------------------


@template("reminder.review.opens")
def _review_opens(p: dict[str, Any]) -> Rendered:
    return notices.review_opens(int(p["year"]), _day(p, "opens"), _day(p, "closes"))


@template("reminder.review.self")
def _review_self(p: dict[str, Any]) -> Rendered:
    return notices.review_self(int(p["year"]), _day(p, "closes"))


@template("reminder.review.grade")
def _review_grade(p: dict[str, Any]) -> Rendered:
    return notices.review_grade(
        int(p["year"]), _day(p, "closes"), int(p["days"]), p["unit"], int(p["ungraded"])
    )
