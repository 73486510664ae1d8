"""The last resort: log the failure with the update id, apologise in the user's language,
and tell the administrators.

The conversation keeps the state it had before the failing step (python-telegram-bot does
not move it on when a callback raises), so the person can simply try again or /cancel.

The administrators get one short line per kind of error (its type and where it was raised),
at most once an hour per kind, through the outbox: the update id and the error type, never
the person's name or what they typed. The log has the rest.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta
from html import escape

from telegram import Update
from telegram.ext import Application

from bot.context import CadreContext
from bot.delivery.templates import template
from bot.i18n import gettext
from bot.services.notifications import Priority, Recipient

log = logging.getLogger(__name__)

REPORTED_KEY = "errors_reported"
REPORT_EVERY = timedelta(hours=1)


def error_kind(error: BaseException | None) -> str:
    """The error's type and the innermost frame of our own code it came from."""
    if error is None:
        return "unknown"
    place = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if "/bot/" in frame.filename or "/handlers/" in frame.filename:
            place = f"{frame.filename.rsplit('/', 2)[-2]}/{frame.filename.rsplit('/', 1)[-1]}"
            place += f":{frame.lineno}"
    return f"{type(error).__name__}@{place}" if place else type(error).__name__


async def report_to_admins(
    context: CadreContext, update_id: int | None, error: BaseException | None
) -> None:
    kind = error_kind(error)
    reported: dict[str, str] = context.application.bot_data.setdefault(REPORTED_KEY, {})
    now = context.services.clock.now()
    last = reported.get(kind)
    if last is not None and now - datetime.fromisoformat(last) < REPORT_EVERY:
        return
    reported[kind] = now.isoformat()
    admins = await context.services.registration.administrators()
    async with context.services.db.write() as store:
        await context.services.notifications.queue(
            store,
            kind="alert",
            template="error.report",
            to=[Recipient(admin) for admin in admins],
            params={"update": update_id, "kind": kind},
            priority=Priority.ALERT,
        )


@template("error.report")
def error_report(params: dict) -> tuple[str, None]:
    text = gettext("Error while handling update {update}: {kind}. Details are in the log.")
    update = params.get("update")
    shown = text.format(update=update if update is not None else "—", kind=escape(params["kind"]))
    return shown, None


async def on_error(update: object, context: CadreContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update):
        text = gettext("Something went wrong. Please try again in a few minutes.")
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id, text)
        except Exception:  # the apology must never raise in turn
            log.warning("could not apologise for update %s", update_id, exc_info=True)
    try:
        await report_to_admins(context, update_id, context.error)
    except Exception:  # nor the report
        log.warning("could not report the error of update %s", update_id, exc_info=True)


def register(application: Application) -> None:
    application.add_error_handler(on_error)
