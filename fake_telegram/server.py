"""The fake Telegram Bot API server that tests start: a world served over HTTP by aiohttp.

:class:`FakeTelegramServer` is a :class:`~fake_telegram.world.World` (so tests add users, send
texts and read chats on it directly) that serves :class:`~fake_telegram.methods.BotApi` the way
``api.telegram.org`` does, records every request (:attr:`FakeTelegramServer.requests`), applies
the injected faults of :class:`~fake_telegram.faults.FaultInjection`, and offers the test-side
cursors and waits (:meth:`FakeTelegramServer.next_message`, :meth:`FakeTelegramServer.wait_idle`
...). Only aiohttp and the standard library are used, so the bot's own packages stay out of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web

from fake_telegram import http
from fake_telegram.faults import FaultInjection
from fake_telegram.methods import BotApi
from fake_telegram.types import (
    DEFAULT_BOT_FIRST_NAME,
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    ApiError,
    BotMessage,
    CallbackAnswer,
    JSONDict,
    RecordedRequest,
    chat_key,
)
from fake_telegram.world import World

_LOGGER = logging.getLogger(__name__)


class FakeTelegramServer(World, FaultInjection):
    """The fake Bot API over HTTP, plus what tests need to drive and inspect it.

    Point the bot at it with ``base_url(f"{server.base_url}/bot")`` and
    ``base_file_url(f"{server.base_url}/file/bot")``.
    """

    canonical_method = staticmethod(BotApi.canonical_method)

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
    ) -> None:
        World.__init__(self, token, bot_username, bot_first_name=bot_first_name)
        FaultInjection.__init__(self)
        self.host: str = host
        self.port: int = port
        self.api: BotApi = BotApi(self)
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._cursors: dict[int, int] = {}

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    async def start(self) -> None:
        """Start serving; port 0 picks a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegramServer already started")
        self._closing = False
        app = http.make_app(self._handle_api, self._handle_file)
        # Waiters are woken by close(), so a short shutdown timeout is plenty.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._base_url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop serving; pending long polls return empty first."""
        self.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- HTTP handling ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = self.canonical_method(request.match_info["method"])
        record = self._record(request, method, {})
        try:
            record.params, uploads = await http.read_params(request)
            record.files = {name: (up.filename, up.data) for name, up in uploads.items()}
            http.check_token(request, self.token)
            await self._apply_faults(method, record.params)
            result = await self.api.call(method, record.params, uploads)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.error_code, exc.to_json()
        except Exception as exc:
            # A bug in the fake must not look like a Telegram answer the bot could handle.
            _LOGGER.exception("fake Telegram server failed on %s", method)
            status = 500
            body = {"ok": False, "error_code": 500, "description": f"Internal fake error: {exc!r}"}
        record.status, record.response = status, body
        self._finish(record)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        file_path = request.match_info["file_path"]
        record = self._record(request, "file", {"file_path": file_path})
        response: web.StreamResponse
        try:
            http.check_token(request, self.token)
            stored = self.file_at(file_path)
            if stored is None:
                raise ApiError(404, "Not Found")
            response = web.Response(body=stored.data, content_type=stored.mime_type)
            record.status = 200
        except ApiError as exc:
            record.status, record.response = exc.error_code, exc.to_json()
            response = http.error_response(exc)
        self._finish(record)
        return response

    def _record(self, request: web.Request, method: str, params: JSONDict) -> RecordedRequest:
        record = RecordedRequest(
            method=method, params=params, files={}, at=time.monotonic(), http_method=request.method
        )
        self.requests.append(record)
        self._changed.fire()  # a request on the wire is news too (crash drills wait for it)
        return record

    def _finish(self, record: RecordedRequest) -> None:
        record.finished_at = time.monotonic()
        self._changed.fire()

    async def _apply_faults(self, method: str, params: JSONDict) -> None:
        chat_id = chat_key(params.get("chat_id"))
        await self._sleep(self.take_delay(method, chat_id))
        error = self.take_error(method, chat_id)
        if error is not None:
            raise error

    async def _sleep(self, seconds: float) -> None:
        # Sleep in slices so stop() is never held up by a long injected delay.
        deadline = time.monotonic() + seconds
        while not self._closing and (remaining := deadline - time.monotonic()) > 0:
            await self._changed.wait(remaining)

    # --- inspection and waiting ------------------------------------------------------------------

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of one method (case-insensitive), in arrival order."""
        return [record for record in self.requests if record.method.lower() == method.lower()]

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> BotMessage:  # noqa: ASYNC109
        """The next bot event in the chat after the last one returned: a new message or an edit."""
        return (await self.next_messages(chat_id, 1, timeout))[0]

    async def next_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[BotMessage]:
        """The next ``count`` bot events in the chat, waiting up to ``timeout`` for all of them."""
        deadline = time.monotonic() + timeout
        while True:
            events = self._events.get(chat_id, [])
            cursor = self._cursors.get(chat_id, 0)
            if len(events) - cursor >= count:
                self._cursors[chat_id] = cursor + count
                return events[cursor : cursor + count]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = len(events) - cursor
                raise AssertionError(
                    f"expected {count} new bot message(s) in chat {chat_id} within {timeout} s, "
                    f"got {got}.\n{self.describe_chat(chat_id)}"
                )
            await self._changed.wait(remaining)

    async def no_message(self, chat_id: int, wait: float = 0.5) -> None:
        """Assert the bot sends or edits nothing in the chat within ``wait`` seconds."""
        cursor = self._cursors.get(chat_id, 0)
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0:
            if len(self._events.get(chat_id, [])) > cursor:
                break
            await self._changed.wait(remaining)
        unexpected = self._events.get(chat_id, [])[cursor:]
        if unexpected:
            listing = "\n".join(f"  {event}" for event in unexpected)
            raise AssertionError(f"unexpected bot message(s) in chat {chat_id}:\n{listing}")

    def skip_pending(self, chat_id: int) -> None:
        """Move the chat's cursor past every event so far."""
        self._cursors[chat_id] = len(self._events.get(chat_id, []))

    async def wait_callback_answer(
        self,
        query_id: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait until the bot answers that callback query."""
        await self.wait_for(
            lambda: query_id in self.callback_answers,
            timeout,
            f"answerCallbackQuery for query {query_id}",
        )
        return self.callback_answers[query_id]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        description: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked on every state change."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = "\n".join(f"  {record}" for record in self.requests[-8:])
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {description}; "
                    f"last requests:\n{recent or '  (none)'}"
                )
            await self._changed.wait(remaining)

    async def wait_for_request(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
        after: int = 0,
    ) -> RecordedRequest:
        """Wait for a finished request of ``method`` (and chat) at index ``after`` or later."""

        def find() -> RecordedRequest | None:
            for record in self.requests[after:]:
                if (
                    record.method.lower() == method.lower()
                    and record.status is not None
                    and (chat_id is None or record.chat_id == chat_id)
                ):
                    return record
            return None

        await self.wait_for(lambda: find() is not None, timeout, f"a {method} request")
        found = find()
        assert found is not None
        return found

    async def wait_idle(self, timeout: float = 10.0, quiet: float = 0.2) -> None:  # noqa: ASYNC109
        """Wait until every update was confirmed and no bot request ran for ``quiet`` seconds.

        A heuristic: work the bot does without calling Telegram is invisible here.
        """

        def idle() -> bool:
            if len(self.update_queue):
                return False
            busy = [r for r in self.requests if r.status is None and r.method != "getUpdates"]
            if busy:
                return False
            finished = [
                r.finished_at
                for r in self.requests
                if r.finished_at is not None and r.method != "getUpdates"
            ]
            return not finished or time.monotonic() - max(finished) >= quiet

        deadline = time.monotonic() + timeout
        while not idle():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"bot not idle after {timeout} s: "
                    f"{len(self.update_queue)} unconfirmed update(s)"
                )
            # Re-check at least every `quiet` seconds: quietness arrives without any event.
            await self._changed.wait(min(remaining, quiet))

    def describe_chat(self, chat_id: int, last: int = 5) -> str:
        """A readable summary of recent events and failed requests in a chat, for assertions."""
        events = self._events.get(chat_id, [])
        cursor = self._cursors.get(chat_id, 0)
        lines = [f"chat {chat_id}: {len(events)} event(s), cursor at {cursor}; last events:"]
        lines += [f"  {event}" for event in events[-last:]] or ["  (none)"]
        failed = [r for r in self.requests if r.chat_id == chat_id and r.status not in (None, 200)]
        if failed:
            lines.append("failed requests for this chat:")
            lines += [f"  {record}" for record in failed[-last:]]
        in_flight = [r for r in self.requests if r.status is None and r.method != "getUpdates"]
        if in_flight:
            lines.append(f"{len(in_flight)} request(s) still in flight")
        return "\n".join(lines)
