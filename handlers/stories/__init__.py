"""The propaganda board's stories: /story for the board (writing, sending, figures) and
/stories, "read and learned" for members. Telegram only: the rules live in the story service.

Each guided step is a named, persistent conversation of its own (handlers/flow.py):

- ``story_new``: /story new (compose.py);
- ``story_edit``: /story edit ID, or the «Edit» button under a preview (edit.py);
- ``story_when``: the «Schedule» button under a preview (schedule.py).

The other subcommands (list, show, cancel, stats) answer at once (:func:`route`); /story
alone, or with a word it does not know, shows the menu (board.py).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import CadreContext
from bot.errors import UserFacingError
from handlers.replies import reply
from handlers.stories import board, compose, edit, reading, schedule
from handlers.stories.shared import need_id


async def route(update: Update, context: CadreContext) -> None:
    """The subcommands that answer at once; anything else shows the menu."""
    args = context.args or []
    sub = args[0].lower() if args else ""
    rest = args[1:]
    try:
        if sub == "list":
            await board.show_list(update, context)
        elif sub == "show":
            await board.show_one(update, context, need_id(rest))
        elif sub == "cancel":
            await board.cancel_ask(update, context, need_id(rest))
        elif sub == "stats":
            await board.show_stats(update, context, need_id(rest))
        else:
            await board.show_menu(update)
    except UserFacingError as error:
        await reply(update, error.render_html())


def register(application: Application) -> None:
    # The conversations first: their entry points take /story new and edit and the
    # «Schedule» and «Edit» buttons, and their steps come before any button that works
    # anywhere.
    for module in (compose, edit, schedule):
        application.add_handler(module.conversation(application))
    application.add_handlers([*board.handlers(), *reading.handlers()])
    application.add_handler(CommandHandler("story", route))
