"""The last resort: log the failure with the update id and apologise in the user's language.

The conversation keeps the state it had before the failing step (python-telegram-bot does
not move it on when a callback raises), so the person can simply try again or /cancel.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application

from bot.context import CadreContext
from bot.i18n import gettext

log = logging.getLogger(__name__)


async def on_error(update: object, context: CadreContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    text = gettext("Something went wrong. Please try again in a few minutes.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the apology must never raise in turn
        log.warning("could not apologise for update %s", update_id, exc_info=True)


def register(application: Application) -> None:
    application.add_error_handler(on_error)
