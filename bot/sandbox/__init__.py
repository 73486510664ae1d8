"""The sandbox: try the bot in a browser, without Telegram and without a token.

``cadrebot sandbox`` (or ``make sandbox``) starts the fake Bot API server, the real bot against
it, a demo organisation (:mod:`bot.sandbox.seed`) and a chat page (:mod:`bot.sandbox.web`,
with its files in ``static/``). :mod:`bot.sandbox.runner` ties them together.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot import i18n


def run_sandbox(host: str, port: int, folder: Path) -> int:
    """Run the sandbox until Ctrl+C; 2 when aiohttp (the ``fake`` extra) is missing."""
    try:
        import aiohttp  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        print(
            i18n.gettext(
                "The sandbox needs aiohttp: run `make sandbox`, or install the project with "
                "`pip install -e '.[fake]'`."
            ),
            file=sys.stderr,
        )
        return 2
    from bot.sandbox.runner import run_sandbox as run

    return run(host, port, folder)
