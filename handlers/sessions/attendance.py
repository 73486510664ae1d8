"""Answers to invitations, check-in and late reports.

"I will attend" is recorded at once. "I can't attend" is recorded at once too, then the
reason is asked for in a conversation of its own (``session_absence``). /session checkin ID
opens check-in and gives the code to read out; /attend CODE checks in; /attend alone lists
recent meetings with an "I attended" button, which after the window becomes a late report
for the secretary to confirm or reject.
"""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_datetime, gettext
from bot.rules import sessions as rules
from bot.services.sessions import Session
from handlers import flow
from handlers.replies import h, reply
from handlers.sessions.shared import END, refuse, text_of
from handlers.sessions.show import answers_changed
from handlers.ui import answer, keyboard, parse_button, pressed, refuse_button, stale_text

ABSENCE_FLOW = "session_absence"
REASON_KEY = "session_absence"
FLOW = flow.FlowSpec(
    ABSENCE_FLOW,
    N_("giving the reason you can't attend a meeting"),
    draft_keys=(REASON_KEY,),
)
ASK_REASON = 0
CARDS_SHOWN = 10


# Answers to invitations ---------------------------------------------------------------------


async def rsvp_yes(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.RSVP_YES, update)
    if values is None:
        await refuse(update, stale_text())
        return
    (session_id,) = values
    try:
        await context.services.sessions.rsvp(context.actor, session_id, True)
    except UserFacingError as error:
        await refuse(update, error)
        return
    await answer(update, gettext("Thank you. You will attend."))
    await reply(update, gettext("Recorded: you will attend meeting {id}.").format(id=session_id))
    answers_changed(context, session_id)


async def rsvp_no(update: Update, context: CadreContext) -> int:
    """ "I can't attend": recorded at once, then the reason is asked for."""
    if await flow.refuse_if_busy(update, context, ABSENCE_FLOW):
        return END
    values = parse_button(cb.RSVP_NO, update)
    if values is None:
        await refuse(update, stale_text())
        return flow.close(context, ABSENCE_FLOW)
    (session_id,) = values
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False)
    except UserFacingError as error:
        await refuse(update, error)
        return flow.close(context, ABSENCE_FLOW)
    await answer(update)
    context.user_data[REASON_KEY] = session_id
    await reply(
        update,
        gettext(
            "Please send the reason you can't attend meeting {id}, e.g. ốm, đi công tác."
        ).format(id=session_id),
    )
    answers_changed(context, session_id)
    return ASK_REASON


async def rsvp_reason(update: Update, context: CadreContext) -> int:
    session_id = context.user_data.get(REASON_KEY)
    if session_id is None:
        return flow.close(context, ABSENCE_FLOW)
    text = " ".join(text_of(update).split())
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False, text)
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput):
            return ASK_REASON
        return flow.close(context, ABSENCE_FLOW)
    await reply(
        update,
        gettext("Recorded: absent from meeting {id}, reason: {reason}.").format(
            id=session_id, reason=h(text)
        ),
    )
    answers_changed(context, session_id)
    return flow.close(context, ABSENCE_FLOW)


async def rsvp_cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Your answer is recorded without a reason."))
    return flow.close(context, ABSENCE_FLOW)


# Check-in -----------------------------------------------------------------------------------


async def open_checkin(update: Update, context: CadreContext, session_id: int) -> None:
    session = await context.services.sessions.open_checkin(context.actor, session_id)
    assert session.checkin_code and session.checkin_opens and session.checkin_closes
    await reply(
        update,
        gettext(
            "Check-in for meeting {id} is open from {opens} to {closes}.\n"
            "Read this code out in the room:\n<b>{code}</b>\n"
            "Members send: /attend {plain}"
        ).format(
            id=session.id,
            opens=format_datetime(session.checkin_opens),
            closes=format_datetime(session.checkin_closes),
            code=rules.format_code(session.checkin_code),
            plain=session.checkin_code,
        ),
    )


async def attend(update: Update, context: CadreContext) -> None:
    service = context.services.sessions
    if context.args:
        try:
            result = await service.attend_code(context.actor, "".join(context.args))
        except UserFacingError as error:
            await reply(update, error.render_html())
            return
        # The code as it was read, repeated back with the meeting it matched.
        assert result.session.checkin_code is not None
        heard = gettext("Code {code}:").format(code=rules.format_code(result.session.checkin_code))
        await reply(update, f"{heard} {attend_text(result.outcome, result.session)}")
        return
    now = context.services.clock.now()
    found = [
        (s, i, u)
        for s, i, u in await service.my_sessions(context.actor, past=rules.REPORT_WITHIN)
        if s.is_open and s.starts_at - rules.CHECKIN_BEFORE <= now
    ]
    if not found:
        await reply(
            update,
            gettext(
                "You have no meeting to check in to right now. Check in with the code the "
                "secretary reads out: /attend CODE"
            ),
        )
        return
    await reply(update, gettext("Your recent meetings. Press the button if you attended:"))
    for session, invitee, unit in found[-CARDS_SHOWN:]:
        state = (
            gettext("checked in")
            if invitee.checked_in_at
            else gettext("waiting for the secretary")
            if invitee.late_status == "pending"
            else ""
        )
        checking_in = (
            not state
            and session.checkin_opens is not None
            and session.checkin_closes is not None
            and rules.window_state(now, session.checkin_opens, session.checkin_closes)
            is rules.Window.OPEN
        )
        if checking_in:
            # In the room, the code is the proof of presence: no button for it.
            state = gettext("check-in is open: send /attend with the code read out")
        text = (
            f"#{session.id} · {format_datetime(session.starts_at)} · {h(unit.name)}\n"
            f"{h(session.topic)}" + (f"\n<i>{state}</i>" if state else "")
        )
        markup = None if state else keyboard([(gettext("I attended"), cb.ATTENDED(session.id))])
        await reply(update, text, reply_markup=markup)


def attend_text(outcome: str, session: Session) -> str:
    if outcome == "checked_in":
        return gettext("Checked in to meeting {id} ({topic}). Thank you, comrade.").format(
            id=session.id, topic=h(session.topic)
        )
    if outcome == "already":
        return gettext("You have already checked in to meeting {id}; it counts once.").format(
            id=session.id
        )
    if outcome == "pending":
        return gettext("Your report for meeting {id} is already waiting for the secretary.").format(
            id=session.id
        )
    if session.checkin_opens is None:  # pressed from the reminder before the code is out
        return gettext(
            "The secretary has not opened check-in, so your attendance at meeting {id} was sent "
            "to the secretary to confirm. If a code is read out in the room, send /attend with it."
        ).format(id=session.id)
    return gettext(
        "Check-in has closed, so your attendance at meeting {id} was sent to the secretary to "
        "confirm."
    ).format(id=session.id)


async def attend_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.ATTENDED, update)
    if values is None:
        await refuse(update, stale_text())
        return
    try:
        result = await context.services.sessions.attend_button(context.actor, *values)
    except UserFacingError as error:
        await refuse(update, error)
        return
    await pressed(update)
    await reply(update, attend_text(result.outcome, result.session))


async def late_decided(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.LATE_DECIDE, update)
    if values is None:
        await refuse(update, stale_text())
        return
    decision, session_id, member_id = values
    approve = decision == "ok"
    try:
        session, invitee = await context.services.sessions.decide_late(
            context.actor, session_id, member_id, approve
        )
    except UserFacingError as error:
        # Decided already, or the session is over: the request's buttons are done either way.
        await refuse_button(update, error, drop=True)
        return
    await answer(update)
    label = gettext("Confirmed") if approve else gettext("Rejected")
    with contextlib.suppress(BadRequest):
        await update.callback_query.edit_message_text(
            gettext("{status}: <b>{name}</b>, meeting {id}").format(
                status=label, name=h(invitee.full_name), id=session.id
            )
        )


def conversation(application: Application) -> ConversationHandler:
    return flow.conversation(
        application,
        FLOW,
        entry_points=[CallbackQueryHandler(rsvp_no, pattern=cb.RSVP_NO.pattern)],
        states={ASK_REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, rsvp_reason)]},
        fallbacks=[CommandHandler("cancel", rsvp_cancel)],
    )


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(rsvp_yes, pattern=cb.RSVP_YES.pattern),
        CallbackQueryHandler(attend_pressed, pattern=cb.ATTENDED.pattern),
        CallbackQueryHandler(late_decided, pattern=cb.LATE_DECIDE.pattern),
        CommandHandler("attend", attend),
    ]
