"""The messages registration sends without being asked: a join request to the unit's
secretaries, and the decision to the person who asked. Functions of plain data, rendered in
the recipient's language when they are sent (see ``bot/delivery``)."""

from __future__ import annotations

from html import escape

from bot import callbacks as cb
from bot.i18n import gettext
from bot.render.session_notices import Notice


def _h(text: str) -> str:
    return escape(text, quote=False)


def join_request(unit_name: str, full_name: str, request_id: int) -> Notice:
    """To the secretaries: somebody asks to join, with the buttons to decide."""
    text = gettext(
        "New join request for {unit}:\n<b>{name}</b>\nApprove if this person is a member of the "
        "unit."
    ).format(unit=_h(unit_name), name=_h(full_name))
    return text, [
        [
            (gettext("Approve"), cb.JOIN_DECIDE("approve", request_id)),
            (gettext("Reject"), cb.JOIN_DECIDE("reject", request_id)),
        ]
    ]


def join_decision(unit_name: str, approved: bool) -> Notice:
    """To the person who asked to join."""
    if approved:
        text = gettext(
            "Your request to join {unit} has been approved. Welcome, comrade! Send /help to see "
            "what you can do."
        )
    else:
        text = gettext(
            "Your request to join {unit} was not approved. If you think this is a mistake, "
            "please contact your cell secretary."
        )
    return text.format(unit=_h(unit_name)), None
