"""/session list and /session show, and keeping the secretary's latest /session show live:
it is redrawn in place when a member answers the invitation.

The watch list is UI state in ``bot_data`` (not persisted): after a restart the Refresh
button still works.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot import callbacks as cb
from bot.context import CadreContext, services_of
from bot.errors import UserFacingError
from bot.i18n import current_locale, format_datetime, gettext, use_locale
from bot.render.session_notices import describe
from bot.rules import sessions as rules
from bot.services.sessions import SessionView
from handlers.replies import h, reply, reply_lines, split_message
from handlers.sessions.shared import kind_name, refuse
from handlers.ui import answer, keyboard, parse_button, stale_text

log = logging.getLogger(__name__)

# bot_data: the /session show messages kept up to date as members answer (session id ->
# chat id -> (message id, Telegram user id, locale)), and the redraws under way.
WATCH_KEY = "session_watchers"
REDRAW_KEY = "session_redrawing"
WATCHERS_PER_SESSION = 5
NAMES_LISTED = 40  # answers listed by name under each count


def refresh_keyboard(session_id: int) -> InlineKeyboardMarkup:
    return keyboard([(gettext("Refresh"), cb.SHOW(session_id))])


def status_label(status: str, started: bool) -> str:
    if status == "closed":
        return gettext("closed")
    if status == "cancelled":
        return gettext("cancelled")
    return gettext("held, not closed") if started else gettext("upcoming")


async def show_list(update: Update, context: CadreContext) -> None:
    found = await context.services.sessions.list_managed(context.actor)
    if not found:
        await reply(update, gettext("No meetings in the last 30 days or ahead. /session new"))
        return
    now = context.services.clock.now()
    lines = [gettext("<b>Meetings</b> (upcoming and the last 30 days):")]
    for session, unit in found:
        mark = status_label(session.status, session.starts_at < now)
        lines.append(
            f"#{session.id} · {format_datetime(session.starts_at)} · {h(unit.name)} · "
            f"{kind_name(session.kind)} · {h(session.topic[:80])} — {mark}"
        )
    await reply_lines(update, lines)


def show_lines(view: SessionView, now: datetime) -> list[str]:
    """The live view: details, answers by name, check-in, late reports, bridge points."""
    session = view.session
    lines = [
        *describe(session),
        gettext("Unit: {unit}").format(unit=h(view.unit.name)),
        gettext("Status: {status}").format(
            status=status_label(session.status, session.starts_at < now)
        ),
        "",
        gettext("Invited: {count}").format(count=len(view.invitees)),
        gettext("Will attend: {count}").format(count=len(view.answered_yes)),
    ]
    for invitee in view.answered_yes[:NAMES_LISTED]:
        lines.append(f"  ✅ {h(invitee.full_name)}")
    lines.append(gettext("Can't attend: {count}").format(count=len(view.answered_no)))
    for invitee in view.answered_no[:NAMES_LISTED]:
        reason = f": {h(invitee.rsvp_reason)}" if invitee.rsvp_reason else ""
        lines.append(f"  🟡 {h(invitee.full_name)}{reason}")
    waiting = len(view.invitees) - len(view.answered_yes) - len(view.answered_no)
    lines.append(gettext("Not answered yet: {count}").format(count=waiting))
    if session.checkin_code and session.checkin_opens and session.checkin_closes:
        lines.append(
            gettext("Check-in code {code}, open {opens} – {closes}: {count} checked in").format(
                code=rules.format_code(session.checkin_code),
                opens=format_datetime(session.checkin_opens),
                closes=format_datetime(session.checkin_closes),
                count=len(view.checked_in),
            )
        )
    if view.late_pending:
        lines.append(
            gettext("Late reports waiting for you: {names}").format(
                names=", ".join(h(i.full_name) for i in view.late_pending)
            )
        )
    if view.bridges:
        lines += ["", *bridge_lines(view)]
    if view.minutes is not None:
        lines.append(gettext("Minutes recorded: /session minutes {id}").format(id=session.id))
    return lines


def bridge_lines(view: SessionView) -> list[str]:
    lines = [gettext("<b>Bridge points</b>")]
    total_reported = 0
    for row in view.bridges:
        if row.report is not None:
            total_reported += row.report.present
            reported = gettext("reported {count} present").format(count=row.report.present)
            if row.report.names:
                reported += f" ({h(row.report.names[:300])})"
        else:
            reported = gettext("not reported yet")
        lines.append(
            gettext("{unit}: {invited} invited, {checked} checked in, {reported}").format(
                unit=h(row.unit.name),
                invited=row.invited,
                checked=row.checked_in,
                reported=reported,
            )
        )
    lines.append(
        gettext(
            "Total: {invited} invited, {checked} checked in, {reported} reported present"
        ).format(
            invited=sum(r.invited for r in view.bridges),
            checked=sum(r.checked_in for r in view.bridges),
            reported=total_reported,
        )
    )
    return lines


async def show_one(update: Update, context: CadreContext, session_id: int) -> None:
    view = await context.services.sessions.view(context.actor, session_id)
    chunks = split_message(show_lines(view, context.services.clock.now()))
    for chunk in chunks[:-1]:
        await reply(update, chunk)
    sent = await update.effective_message.reply_text(
        chunks[-1], reply_markup=refresh_keyboard(session_id)
    )
    if len(chunks) == 1:  # one message: it can be redrawn whole as members answer
        _watch(context, session_id, sent.chat_id, sent.message_id)


def _watch(context: CadreContext, session_id: int, chat_id: int, message_id: int) -> None:
    watchers = context.bot_data.setdefault(WATCH_KEY, {}).setdefault(session_id, {})
    watchers.pop(chat_id, None)  # the newest message of a chat is the one kept live
    watchers[chat_id] = (message_id, context.actor.telegram_id, current_locale())
    while len(watchers) > WATCHERS_PER_SESSION:
        watchers.pop(next(iter(watchers)))


def answers_changed(context: CadreContext, session_id: int) -> None:
    """Redraw the secretaries' /session show of this session in the background."""
    context.application.create_task(
        _redraw(context.application, session_id), name=f"session-show-{session_id}"
    )


async def _redraw(application: Application, session_id: int) -> None:
    """Redraw every watched /session show; answers that arrive meanwhile cause one more pass,
    never a second redraw running alongside."""
    running: dict[int, bool] = application.bot_data.setdefault(REDRAW_KEY, {})
    if session_id in running:
        running[session_id] = True  # dirty: the running pass goes round once more
        return
    running[session_id] = False
    try:
        while True:
            watchers = application.bot_data.get(WATCH_KEY, {}).get(session_id, {})
            for chat_id, watcher in list(watchers.items()):
                if not await _redraw_one(application, session_id, chat_id, *watcher):
                    watchers.pop(chat_id, None)
            if not running[session_id]:
                break
            running[session_id] = False
    finally:
        running.pop(session_id, None)


async def _redraw_one(
    application: Application,
    session_id: int,
    chat_id: int,
    message_id: int,
    user_id: int,
    locale: str | None,
) -> bool:
    """Redraw one watched message; False when it should no longer be watched."""
    services = services_of(application)
    with use_locale(locale):
        try:
            actor = await services.registration.identify(user_id)
            view = await services.sessions.view(actor, session_id)
        except UserFacingError:
            return False
        text = split_message(show_lines(view, services.clock.now()))
        if len(text) > 1:
            return False
        markup = refresh_keyboard(session_id)
        try:
            await application.bot.edit_message_text(
                text[0], chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as error:  # unchanged, or the message is gone
            return "not modified" in str(error).lower()
        except TelegramError as error:
            log.info("could not redraw session %s in chat %s: %s", session_id, chat_id, error)
    return True


async def show_refresh(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.SHOW, update)
    if values is None:
        await refuse(update, stale_text())
        return
    (session_id,) = values
    try:
        view = await context.services.sessions.view(context.actor, session_id)
    except UserFacingError as error:
        await refuse(update, error)
        return
    await answer(update)
    # The button sits on the last message of the view: redraw that part.
    text = split_message(show_lines(view, context.services.clock.now()))[-1]
    with contextlib.suppress(BadRequest):  # unchanged text: nothing to do
        await update.callback_query.edit_message_text(
            text, reply_markup=refresh_keyboard(session_id)
        )
