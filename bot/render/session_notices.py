"""The text of a session as people read it, and the notices the session service sends.

Each notice is a function of plain data returning ``(text, buttons)``: the HTML text in the
current locale and rows of ``(label, button data)``, or None for no buttons. The caller
picks the locale (the recipient's) before calling; nothing here sends, so a later outbox
can store the data and render at send time. :func:`describe` and :func:`detail_lines` are
also what the handlers show of a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot import callbacks as cb
from bot.i18n import current_locale, format_datetime, gettext
from bot.rules import sessions as rules
from storage.records import Member, Unit
from storage.sessions import Session

Rows = Sequence[Sequence[tuple[str, str]]]
Notice = tuple[str, Rows | None]


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def describe(session: Session) -> list[str]:
    """The session's details, one line each, in the current locale (HTML, escaped)."""
    heading = f"<b>{_h(gettext(rules.KIND_NAMES[rules.Kind(session.kind)]))}</b> — " + gettext(
        "session {id}"
    ).format(id=session.id)
    return [
        heading,
        *detail_lines(
            topic=session.topic,
            starts_at=session.starts_at,
            place=session.place,
            on_campaign=bool(session.campaign_id),
            presenter=session.presenter,
            lead_in=session.lead_in,
        ),
    ]


def detail_lines(
    *,
    topic: str,
    starts_at: datetime,
    place: str,
    on_campaign: bool,
    presenter: str = "",
    lead_in: str = "",
) -> list[str]:
    """Topic, time, place, and for a thematic session the presenter and the lead-in."""
    lines = [
        gettext("Topic: {topic}").format(topic=_h(topic)),
        gettext("Time: {time}").format(time=format_datetime(starts_at)),
        gettext("Place: {place}").format(place=_h(place)),
    ]
    if on_campaign:
        lines.append(gettext("On the campaign topic of the year."))
    if presenter:
        lines.append(gettext("Presenter: {name}").format(name=_h(presenter)))
    if lead_in:
        lines.append(gettext("Lead-in:") + "\n<i>" + _h(lead_in) + "</i>")
    return lines


ROMAN = ("I", "II", "III", "IV")


def quarter_label(year: int, quarter: int) -> str:
    """'quý I/2026' in Vietnamese (documents write quarters in Roman numerals); 'Q1/2026'
    in English."""
    number = ROMAN[quarter - 1] if current_locale() == "vi" else str(quarter)
    return gettext("Q{quarter}/{year}").format(quarter=number, year=year)


def month_label(year: int, month: int) -> str:
    """'03/2026', as the cadence reports write a month."""
    return f"{month:02d}/{year}"


def answer_buttons(session_id: int) -> Rows:
    """The two answers to an invitation."""
    return [
        [
            (gettext("I will attend"), cb.RSVP_YES(session_id)),
            (gettext("I can't attend"), cb.RSVP_NO(session_id)),
        ]
    ]


def invitation(session: Session, unit: Unit, *, organiser: bool = False) -> Notice:
    """The invitation; the organiser (who scheduled it, or a secretary of the unit) gets it
    for the record, without being asked to tell the secretary whether they will come."""
    lines = [gettext("<b>Invitation</b> from {unit}").format(unit=_h(unit.name))]
    lines += describe(session)
    if organiser:
        lines.append(gettext("You are organising this session."))
        return "\n".join(lines), None
    lines.append(gettext("Please let the secretary know whether you will attend."))
    return "\n".join(lines), answer_buttons(session.id)


def changed(session: Session) -> Notice:
    """New details (a new lead-in included): the invitees may answer again."""
    lines = [gettext("<b>Changed</b>: the session's details have been updated.")]
    lines += describe(session)
    return "\n".join(lines), answer_buttons(session.id)


def cancelled(session: Session) -> Notice:
    lines = [gettext("<b>Cancelled</b>: this session will not take place.")]
    lines += describe(session)
    return "\n".join(lines), None


def late_request(session: Session, member: Member) -> Notice:
    """To the secretaries: a member says they attended after check-in closed."""
    text = gettext(
        "Comrade <b>{name}</b> reports having attended session {id} ({topic}, {time}) "
        "after check-in closed. Please confirm."
    ).format(
        name=_h(member.full_name),
        id=session.id,
        topic=_h(session.topic),
        time=format_datetime(session.starts_at),
    )
    return text, [
        [
            (gettext("Confirm"), cb.LATE_DECIDE("ok", session.id, member.id)),
            (gettext("Reject"), cb.LATE_DECIDE("no", session.id, member.id)),
        ]
    ]


def late_decision(session: Session, approve: bool) -> Notice:
    """To the member: what the secretary decided about the late report."""
    if approve:
        text = gettext("The secretary confirmed your attendance at session {id} ({topic}).")
    else:
        text = gettext(
            "The secretary did not confirm your attendance at session {id} ({topic}). "
            "Please contact the secretary if this is a mistake."
        )
    return text.format(id=session.id, topic=_h(session.topic)), None
