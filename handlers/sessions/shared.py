"""Pieces the /session modules share: how a guided flow starts and how its steps find their
data, session numbers typed after a subcommand, the start-time question, and refusals."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler, filters

from bot.context import CadreContext
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.i18n import N_, format_date, format_datetime, gettext
from bot.parsing import parse_whole_number
from bot.rules import sessions as rules
from bot.services.sessions import SessionOver
from handlers import flow
from handlers.replies import reply
from handlers.ui import confirm_keyboard, pressed, refuse_button

END = ConversationHandler.END
# What the "finish it or /cancel" refusal calls any open /session flow.
FLOW_WHAT = N_("a meeting step (/session)")

Step = Callable[..., Awaitable[Any]]
Begin = Callable[[Update, CadreContext, list[str]], Awaitable[int]]


def subcommand(name: str) -> filters.BaseFilter:
    """``/session NAME ...`` (any case, with or without the bot's @name): the guided
    subcommands are each their own conversation's entry point."""
    return filters.Regex(re.compile(rf"^/session(@\w+)?\s+{name}(\s|$)", re.IGNORECASE))


async def start_flow(update: Update, context: CadreContext, name: str, begin: Begin) -> int:
    """Enter flow ``name`` unless another flow holds the person; ``begin`` gets the words
    after the subcommand. A refusal from the service ends the flow at once."""
    if await flow.refuse_if_busy(update, context, name):
        return END
    try:
        return await begin(update, context, (context.args or [])[1:])
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, name)


def parse_id(text: str) -> int:
    value = parse_whole_number(text.strip().lstrip("#"))
    if value is None:
        raise InvalidInput(N_("Please give the session number, for example: /session show 12"))
    return value


def need_id(rest: list[str]) -> int:
    if not rest:
        raise InvalidInput(N_("Please give the session number, for example: /session show 12"))
    return parse_id(rest[0])


def text_of(update: Update) -> str:
    return update.effective_message.text or ""


def kind_name(kind: str) -> str:
    return gettext(rules.KIND_NAMES[rules.Kind(kind)])


async def refuse(update: Update, error: UserFacingError | str) -> None:
    """Say why a pressed button did nothing. A session that is closed, cancelled or gone
    will never take the button again, so its buttons come off."""
    await refuse_button(update, error, drop=isinstance(error, SessionOver | NotFound))


async def expired(update: Update, context: CadreContext, name: str) -> int:
    await reply(update, gettext("This step has expired. Please send the command again."))
    return flow.close(context, name)


def flow_step(name: str, key: str, *, button: bool = False) -> Callable[[Step], Step]:
    """A step of flow ``name``: for a button, answer it and take it off; then fetch the data
    the flow keeps under ``key`` and pass it on, or end politely when it is gone."""

    def wrap(func: Step) -> Step:
        @functools.wraps(func)
        async def run(update: Update, context: CadreContext) -> int:
            if button:
                await pressed(update)
            data = context.user_data.get(key)
            if data is None:
                return await expired(update, context, name)
            return await func(update, context, data)

        return run

    return wrap


# The start time, asked when creating and when editing -----------------------------------------


async def ask_when(update: Update, state: int) -> int:
    await reply(
        update,
        gettext(
            "When does it start? Send the date and time, for example 25/03/2026 19:30 or "
            "25/3 19:30."
        ),
    )
    return state


async def read_when(
    update: Update, context: CadreContext, keep: dict, again: int, ok: str, edit: str
) -> int | None:
    """Parse a start time, keep it and echo it for confirmation (buttons ``ok``/``edit``);
    ``again`` (after saying why) when it cannot be read or is past, else None."""
    try:
        moment = context.services.sessions.parse_start(text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return again
    keep["starts_at"] = moment.isoformat()
    await reply(
        update,
        gettext("Start: <b>{time}</b> ({day}). Is this correct?").format(
            time=format_datetime(moment), day=format_date(moment, "long")
        ),
        reply_markup=confirm_keyboard(ok, edit),
    )
    return None
