"""Telegram's command menu, per person: only the commands their roles allow, in their language.

A failure here is logged and never stops the bot: the menu is a convenience.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.commands import COMMANDS, visible_commands
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


async def refresh_menu(bot: Bot, actor: Actor, chat_id: int, user_data: dict, locale: str) -> None:
    """Set this person's menu, unless the same one was already set."""
    with use_locale(locale):
        commands = _bot_commands(visible_commands(actor))
    fingerprint = f"{locale}:" + ",".join(c.command for c in commands)
    if user_data.get("menu") == fingerprint:
        return
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set the command menu for chat %s: %s", chat_id, exc)
        return
    user_data["menu"] = fingerprint
