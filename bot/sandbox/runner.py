"""`cadrebot sandbox`: a fake Telegram, the real bot against it, the demo, and the chat page.

All three run in one process on one event loop: the fake Bot API server (on a free port), the
bot (polling it, exactly as it polls Telegram), and the page's server. The database lives in
``folder`` (``./sandbox`` by default) and is wiped and seeded again at every start.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from bot import i18n
from bot.app import build_application, build_services
from bot.config import Settings, load_settings
from bot.logs import configure_logging
from bot.runner import start_application, stop_application
from bot.sandbox import web as page
from bot.sandbox.seed import Persona, SeedFailed, personas, seed
from fake_telegram import FakeTelegramServer

DEFAULT_PORT = 8080
BOT_USERNAME = "cadrebot_sandbox_bot"
BOT_NAME = "Cadrebot (sandbox)"
DB_NAME = "cadrebot.sqlite3"
_ = i18n.gettext

log = logging.getLogger(__name__)


def sandbox_settings(server: FakeTelegramServer, folder: Path) -> Settings:
    """The bot's settings in the sandbox: the fake server, the demo's database, no .env, and
    no quiet hours (a visitor at night still sees reminders)."""
    return load_settings(
        env_file=None,
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        CADREBOT_DB=str(folder / DB_NAME),
        CADREBOT_WEBHOOK_URL="",
        CADREBOT_QUIET_HOURS="00:00-00:00",
        CADREBOT_DEFAULT_LOCALE="vi",
        CADREBOT_LOG_LEVEL="ERROR",  # the visitor's terminal shows only what went wrong
    )


def reset(folder: Path) -> None:
    """Remove the previous demo's database (and its WAL files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{DB_NAME}{suffix}").unlink(missing_ok=True)


def add_people(server: FakeTelegramServer, people: list[Persona]) -> None:
    """Each persona as a Telegram user (a Vietnamese name: the given name is the last word)."""
    for persona in people:
        *family, given = persona.full_name.split()
        server.add_user(
            persona.telegram_id, given, last_name=" ".join(family) or None, language_code="vi"
        )


async def _start_page(runner: web.AppRunner, host: str, port: int, *, fallback: bool) -> str:
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except OSError as error:
        if not fallback or error.errno != errno.EADDRINUSE:
            raise
        site = web.TCPSite(runner, host, 0)  # the default port is taken: any free one
        await site.start()
    bound = runner.addresses[-1][1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{bound}"


async def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    folder: Path = Path("sandbox"),
    *,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the sandbox until ``stop`` is set (or the task is cancelled); ``ready`` gets the
    page's URL once everything runs."""
    reset(folder)
    people = personas()
    async with FakeTelegramServer(bot_username=BOT_USERNAME, bot_first_name=BOT_NAME) as server:
        settings = sandbox_settings(server, folder)
        configure_logging(settings.log_level, server.token)
        i18n.configure(settings.default_locale, settings.tz)
        i18n.set_locale(settings.default_locale)
        seeding = build_services(settings)
        await seeding.db.connect()
        try:
            await seed(settings, seeding, folder)
        finally:
            await seeding.db.close()
        add_people(server, people)
        application = build_application(settings, build_services(settings))
        await start_application(application, poll_timeout=10)
        runner = web.AppRunner(page.make_app(server, people), access_log=None, shutdown_timeout=1)
        await runner.setup()
        try:
            url = await _start_page(runner, host, port, fallback=port == DEFAULT_PORT)
            if ready is not None:
                ready(url)
            await (stop or asyncio.Event()).wait()
        finally:
            server.close()  # long polls of the page and the bot return at once
            await runner.cleanup()
            await stop_application(application)


def run_sandbox(host: str, port: int, folder: Path) -> int:
    """The command: run until Ctrl+C."""

    def announce(url: str) -> None:
        print(_("The sandbox is ready. Open this page in your browser:"), flush=True)
        print(f"  {url}", flush=True)
        print(
            _(
                "Pick a person on the left and talk to the bot as them. The demo is loaded "
                "again at every start; its database is in {folder}. Stop with Ctrl+C."
            ).format(folder=folder),
            flush=True,
        )

    async def main() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):  # a clean stop, whichever
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still interrupts
                asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await serve(host, port, folder, ready=announce, stop=stop)

    print(_("Starting the sandbox: a fake Telegram, the bot and a demo organisation…"), flush=True)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except SeedFailed as error:
        print(_("The demo could not be loaded: {reason}").format(reason=error), file=sys.stderr)
        return 1
    except OSError as error:
        print(
            _("The sandbox could not start its page on {host}:{port}: {reason}").format(
                host=host, port=port, reason=error.strerror or error
            ),
            file=sys.stderr,
        )
        return 1
    print(_("The sandbox stopped."), flush=True)
    return 0
