"""Steps the commitment conversations share: opening one, stopping one, and the reply to
text where a button is expected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import gettext
from handlers import flow
from handlers.replies import reply
from handlers.ui import forget

Step = Callable[[Update, CadreContext], Awaitable[int]]


async def open_step(
    update: Update, context: CadreContext, name: str, first: Step, *keys: str
) -> int:
    """Start conversation ``name`` unless another is open; a refusal from the service
    (no campaign, window closed, …) is said and closes it again."""
    if await flow.refuse_if_busy(update, context, name):
        return ConversationHandler.END
    forget(context, *keys)
    try:
        return await first(update, context)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, name)


async def stop(update: Update, context: CadreContext, name: str, *keys: str) -> int:
    """/cancel inside a conversation: forget its keys, say nothing changed, close it."""
    forget(context, *keys)
    await reply(update, gettext("Cancelled. Nothing was changed."))
    return flow.close(context, name)


async def use_buttons(update: Update) -> None:
    await reply(update, gettext("Please choose one of the buttons above, or send /cancel."))
