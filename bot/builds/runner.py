"""Heavy files built in a child process: the event loop keeps answering, and the memory a
build takes goes back to the system when the child exits.

Writing a city's workbook is 25 s of pure Python. In a worker thread it holds the GIL, so
every other reply waits for it (``/help`` from 6 ms to a p50 of 120–850 ms), and the
allocator keeps the 100–200 MB it used after the file is sent (docs/benchmarks.md, issue
12). A spawned child has its own GIL and its own heap.

The parent decides who may and audits (the services do that); the child gets a build
function and its arguments, opens its own read connection on the same SQLite file (WAL lets
readers run beside the bot's writer), reads, renders and sends back a :class:`BuiltFile`.
A :class:`~bot.errors.UserFacingError` raised in the child comes back as itself; anything
else, or a child that dies, becomes :class:`BuildFailed` and a log line.

At most ``slots`` builds run at once (``CADREBOT_FILE_BUILDS``); one more is refused at once
with :class:`BuilderBusy` rather than queued, so nobody waits without knowing why.

A database at ``:memory:`` cannot be opened from another process: there the build runs in
this process on the bot's own connections, the rendering in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.clock import Clock, FixedClock
from bot.errors import UserFacingError
from bot.i18n import N_
from storage import Database

log = logging.getLogger(__name__)

# Longer than any build measured (a city's commitments export: about 50 s); past it the
# child is stopped and the person told, rather than a slot being held for ever.
BUILD_TIMEOUT_S = 15 * 60.0


class BuilderBusy(UserFacingError):
    """Every slot is building a file: ask again in a moment."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Another large file is being prepared right now. Please wait a minute or two, "
                "then ask again."
            )
        )


class BuildFailed(UserFacingError):
    """The child failed or was stopped; the cause is in the log, not in the chat."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The file could not be prepared. Please try again in a few minutes; if it "
                "fails again, tell the administrator."
            )
        )


@dataclass(frozen=True)
class BuiltFile:
    """What a build sends back: the file, and a few figures for the caption and the audit."""

    name: str
    content: bytes
    facts: Mapping[str, Any] = field(default_factory=dict)
    pid: int = 0  # the process that built it (set by the runner)


@dataclass
class BuildEnv:
    """What a build function gets: a database connected for reading, the clock frozen at
    the moment the person asked, and the configured locality."""

    db: Database
    clock: Clock
    locality: str | None = None


BuildFunction = Callable[..., Awaitable[BuiltFile]]


@dataclass(frozen=True)
class _Job:
    """Everything the child needs, pickled: a module-level function and plain values."""

    function: BuildFunction
    args: tuple[Any, ...]
    db_path: str
    timezone: str
    now: datetime
    locale: str
    default_locale: str
    locality: str | None


class FileBuilder:
    """``services.builder``: runs build functions in child processes, ``slots`` at a time."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        timezone: str,
        slots: int = 2,
        locality: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.timezone = timezone
        self.slots = slots
        self.locality = locality
        self.timeout = BUILD_TIMEOUT_S
        self._running = 0

    @property
    def in_process(self) -> bool:
        """True where a child could not open the database (``:memory:``)."""
        return str(self.db.path) == ":memory:"

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for a build; :class:`BuilderBusy` when none is free."""
        if self._running >= self.slots:
            raise BuilderBusy()
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1

    async def build(self, function: BuildFunction, *args: Any) -> BuiltFile:
        """``await function(env, *args)`` in a child process; the file it built.

        ``function`` is a module-level async function (it is pickled by name) and ``args``
        are plain data (units, periods, dataclasses of rows). Raises :class:`BuilderBusy`,
        :class:`BuildFailed` or the :class:`~bot.errors.UserFacingError` the build raised.
        """
        with self.slot():
            started = time.perf_counter()
            if self.in_process:
                env = BuildEnv(self.db, _frozen(self.clock), self.locality)
                built = await function(env, *args)
                return _with_pid(built, os.getpid())
            job = _Job(
                function=function,
                args=args,
                db_path=str(self.db.path),
                timezone=self.timezone,
                now=self.clock.now(),
                locale=i18n.current_locale(),
                default_locale=i18n.default_locale(),
                locality=self.locality,
            )
            built = await self._in_child(job)
            log.info(
                "built %s in process %d: %.1f s, %d bytes",
                built.name, built.pid, time.perf_counter() - started, len(built.content),
            )  # fmt: skip
            return built

    async def _in_child(self, job: _Job) -> BuiltFile:
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        # Daemonic: a child still building when the bot exits is stopped with it.
        child = context.Process(
            target=_child_main, args=(job, sender), name="cadrebot-build", daemon=True
        )
        try:
            child.start()
        except Exception:
            receiver.close()
            sender.close()
            log.exception("could not start a build process for %s", _name(job.function))
            raise BuildFailed() from None
        sender.close()  # only the child writes: its exit then ends our recv with EOFError
        try:
            outcome = await asyncio.wait_for(asyncio.to_thread(_receive, receiver), self.timeout)
        except TimeoutError:
            log.error("build %s took over %.0f s: stopped", _name(job.function), self.timeout)
            await _stop(child)
            raise BuildFailed() from None
        except BaseException:  # cancelled (the bot stopping): the child goes too
            await _stop(child)
            raise
        finally:
            receiver.close()
        await asyncio.to_thread(child.join, 10)
        kind, value = outcome
        if kind == "ok":
            return value
        if kind == "refused":
            raise value
        if kind == "died":
            log.error(
                "build %s: the process ended without a result (exit code %s)",
                _name(job.function), child.exitcode,
            )  # fmt: skip
        else:
            log.error("build %s failed in its process:\n%s", _name(job.function), value)
        raise BuildFailed()


def _receive(receiver: Connection) -> tuple[str, Any]:
    try:
        return receiver.recv()
    except (EOFError, OSError):
        return "died", None
    except Exception as error:  # a result that does not unpickle here
        return "failed", f"the result could not be read: {error!r}"


async def _stop(child: multiprocessing.process.BaseProcess) -> None:
    if child.is_alive():
        child.kill()
    await asyncio.shield(asyncio.to_thread(child.join, 10))


def _frozen(clock: Clock) -> FixedClock:
    """The clock stopped at now: the file is as of the moment it was asked for."""
    return FixedClock(clock.tz, clock.now())


def _with_pid(built: BuiltFile, pid: int) -> BuiltFile:
    return BuiltFile(built.name, built.content, built.facts, pid)


def _name(function: BuildFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


# In the child --------------------------------------------------------------------------------


def _child_main(job: _Job, sender: Connection) -> None:
    """The child's whole life: one build, its result sent back, then exit."""
    try:
        try:
            result: tuple[str, Any] = ("ok", asyncio.run(_child_build(job)))
        except UserFacingError as error:
            result = ("refused", _portable(error))
        except BaseException:
            result = ("failed", traceback.format_exc())
        sender.send(result)
    finally:
        sender.close()


def _portable(error: UserFacingError) -> UserFacingError:
    """The error itself when it survives pickling (its class tells the parent more), else
    a plain one with the same message and parameters."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return UserFacingError(error.message, **error.params)
    return error


async def _child_build(job: _Job) -> BuiltFile:
    tz = ZoneInfo(job.timezone)
    i18n.configure(job.default_locale, tz)
    i18n.set_locale(job.locale)
    db = Database(Path(job.db_path), readers=1)
    await db.connect(migrate=False)  # the bot migrated it; a build only reads
    try:
        env = BuildEnv(db, FixedClock(tz, job.now), job.locality)
        built = await job.function(env, *job.args)
    finally:
        await db.close()
    return _with_pid(built, os.getpid())
