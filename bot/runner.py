"""Starting and stopping the bot: polling by default, webhook when configured."""

from __future__ import annotations

import logging
import sys

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.app import build_application
from bot.config import ConfigError, Settings
from bot.logs import configure_logging

log = logging.getLogger(__name__)


def run(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM; python-telegram-bot then shuts down gracefully."""
    try:
        token = settings.require_token()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    webhook_secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    configure_logging(settings.log_level, token, webhook_secret)
    application = build_application(settings)
    try:
        if settings.use_webhook:
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path="telegram",
                webhook_url=f"{settings.webhook_url}",
                secret_token=(
                    settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
                ),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(
            "Configuration error: Telegram refused TELEGRAM_BOT_TOKEN; check the token "
            "from @BotFather.",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        print(f"Cannot reach the Telegram Bot API: {error}", file=sys.stderr)
        return 1
    return 0


async def start_application(application: Application, *, poll_timeout: int = 10) -> None:
    """Start polling inside an already running event loop (tests, the sandbox).

    Does what ``run_polling`` does around the loop it owns: initialise, post_init, start.
    """
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    await application.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )


async def stop_application(application: Application) -> None:
    """Stop gracefully: stop fetching, finish running updates, persist, close."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
