"""How the Bot API travels over HTTP: the routes, the token check and parameter decoding.

Telegram accepts a method's parameters in the query string, a JSON body, a urlencoded form or a
multipart form (with files), and python-telegram-bot JSON-encodes every non-string value.
:func:`read_params` undoes all of that; :func:`check_token` answers a wrong token like Telegram
(404 when malformed, 401 when well-formed); :func:`make_app` builds the aiohttp application
with the ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` routes, answering 404 to
anything else. :mod:`fake_telegram.server` supplies the handlers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fake_telegram.html import MAX_UPLOAD_BYTES
from fake_telegram.types import ApiError, JSONDict, Upload

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Parameters that are strings on the wire even when they look like JSON (a text of "42" must
# stay "42"); python-telegram-bot sends str values raw and JSON-encodes everything else.
_STRING_PARAMS = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "custom_title",
        "description",
        "document",
        "emoji",
        "explanation",
        "file_id",
        "first_name",
        "inline_message_id",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "payload",
        "phone_number",
        "photo",
        "query",
        "question",
        "result_id",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "voice",
    }
)
_JSON_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")


def make_app(api: Handler, file: Handler) -> web.Application:
    """The aiohttp application: ``api`` serves methods, ``file`` serves downloads."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app.router.add_route("*", "/{bot_token:bot[^/]*}/{method}", api)
    app.router.add_get("/file/{bot_token:bot[^/]*}/{file_path:.+}", file)
    app.router.add_route("*", "/{tail:.*}", _unknown_path)
    return app


def error_response(error: ApiError) -> web.Response:
    """The JSON answer Telegram gives for ``error``."""
    return web.json_response(error.to_json(), status=error.error_code)


def check_token(request: web.Request, token: str) -> None:
    """Raise Telegram's answer unless the request's ``bot<token>`` path part is ``token``."""
    given = request.match_info["bot_token"].removeprefix("bot")
    if given == token:
        return
    # Telegram answers 404 for malformed tokens and 401 for well-formed wrong ones.
    if not _TOKEN_SHAPE.fullmatch(given):
        raise ApiError(404, "Not Found")
    raise ApiError(401, "Unauthorized")


async def read_params(request: web.Request) -> tuple[JSONDict, dict[str, Upload]]:
    """Parse query string, form, multipart or JSON parameters the way Telegram accepts them."""
    params: JSONDict = {key: _decode_value(key, value) for key, value in request.query.items()}
    uploads: dict[str, Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: request body must be a JSON object")
            params.update({key: _decode_value(key, value) for key, value in body.items()})
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = _decode_value(key, value)
    return {key: value for key, value in params.items() if value is not None}, uploads


def _decode_value(key: str, value: Any) -> Any:
    """Undo python-telegram-bot's wire encoding: non-string values arrive JSON-encoded."""
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    stripped = value.strip()
    looks_json = (
        stripped[:1] in ("{", "[")
        or stripped in ("true", "false", "null")
        or _JSON_NUMBER.fullmatch(stripped) is not None
    )
    if not looks_json:
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        return value


async def _unknown_path(request: web.Request) -> web.Response:
    return error_response(ApiError(404, "Not Found"))
