"""/calendar: the commemorative days ahead for every member; for the propaganda board, its
own days (add, edit, remove) and the stories attached to a day. Telegram only: the rules live
in the calendar service.

- ``calendar_add``: /calendar add (days.py), a guided conversation;
- ``calendar_edit``: /calendar edit ID (days.py), a guided conversation;
- /calendar remove ID, /calendar attach ID STORY_ID and the reminder's buttons answer at
  once (view.py); /calendar alone, or with a word it does not know, shows the days.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_
from handlers.calendar import days, view
from handlers.replies import reply


async def route(update: Update, context: CadreContext) -> None:
    args = context.args or []
    sub = args[0].lower() if args else ""
    rest = args[1:]
    try:
        if sub == "remove":
            if not rest:
                raise InvalidInput(
                    N_("Please give the day's number, for example: {example}"),
                    example="/calendar remove 3",
                )
            await view.remove_ask(update, context, view.parse_id(rest[0], "/calendar remove 3"))
        elif sub == "attach":
            await view.attach_command(update, context, rest)
        else:
            await view.show_list(update, context)
    except UserFacingError as error:
        await reply(update, error.render_html())


def register(application: Application) -> None:
    for conversation in days.conversations(application):
        application.add_handler(conversation)
    application.add_handlers([*view.handlers(), CommandHandler("calendar", route)])
