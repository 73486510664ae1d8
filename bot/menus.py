"""Telegram's command menu, per person: only the commands their roles allow, in their language.

A failure here is logged and never stops the bot: the menu is a convenience.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.commands import COMMANDS, Access, access_of, commands_for
from bot.i18n import SUPPORTED_LOCALES, default_locale, use_locale
from bot.rules.access import Actor

log = logging.getLogger(__name__)


def _bot_commands(specs: list) -> list[BotCommand]:
    return [BotCommand(spec.name, spec.describe()[:256]) for spec in specs]


async def set_default_menus(bot: Bot) -> None:
    """The menu strangers see: the public commands, per Telegram language and by default."""
    public = [spec for spec in COMMANDS if spec.public]
    try:
        for locale in SUPPORTED_LOCALES:
            with use_locale(locale):
                await bot.set_my_commands(
                    _bot_commands(public), scope=BotCommandScopeDefault(), language_code=locale
                )
        with use_locale(default_locale()):
            await bot.set_my_commands(_bot_commands(public), scope=BotCommandScopeDefault())
    except TelegramError as exc:
        log.warning("could not set the default command menu: %s", exc)


@lru_cache(maxsize=512)
def command_menu(access: Access, locale: str) -> tuple[list[BotCommand], str]:
    """The menu for a set of roles in a language, and its fingerprint: built once, not on
    every update (issue 13). BotCommand objects are frozen, so sharing them is safe."""
    with use_locale(locale):
        commands = _bot_commands(list(commands_for(access)))
    return commands, f"{locale}:" + ",".join(c.command for c in commands)


async def refresh_menu(bot: Bot, actor: Actor, chat_id: int, user_data: dict, locale: str) -> None:
    """Set this person's menu, unless the same one was already set."""
    commands, fingerprint = command_menu(access_of(actor), locale)
    if user_data.get("menu") == fingerprint:
        return
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set the command menu for chat %s: %s", chat_id, exc)
        return
    user_data["menu"] = fingerprint
