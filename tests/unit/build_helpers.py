"""Build functions for tests/unit/test_builds.py. They live in a module of their own (not in
the test file) because the child process imports them by name."""

from __future__ import annotations

import asyncio
import os
import signal

from bot.builds import BuildEnv, BuiltFile
from bot.errors import NotFound
from bot.i18n import N_, current_locale, gettext


async def reads(env: BuildEnv, text: str) -> BuiltFile:
    """Reads through the child's own connection; tells where and how it ran."""
    async with env.db.read() as store:
        cursor = await store.conn.execute("SELECT COUNT(*) FROM units")
        (units,) = await cursor.fetchone()
    facts = {
        "pid": os.getpid(),
        "units": units,
        "locale": current_locale(),
        "word": gettext("Year"),
        "today": env.clock.today(),
        "locality": env.locality,
    }
    return BuiltFile("echo.txt", text.encode(), facts)


async def refuses(env: BuildEnv, code: str) -> BuiltFile:
    raise NotFound(N_("No unit has the code '{code}'."), code=code)


async def fails(env: BuildEnv) -> BuiltFile:
    raise RuntimeError("the renderer broke")


async def dies(env: BuildEnv) -> BuiltFile:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


async def hangs(env: BuildEnv) -> BuiltFile:
    await asyncio.Event().wait()  # until the parent stops it
    raise AssertionError("unreachable")
