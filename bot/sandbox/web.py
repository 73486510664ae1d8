"""The sandbox's chat page: static files and a small JSON API over the fake Telegram world.

The page is a Telegram client for the demo's personas. It reads a chat as Telegram would show
it (plain text plus entities, buttons, photos, documents) and acts as the person: typing,
pressing an inline button (a callback query), sending a photo or a file. A chat is read by long
polling: the page sends the version it has, and the answer comes when the chat changes (or
after ``WAIT`` seconds, unchanged).

Nothing here renders HTML: the page builds its elements from the text and Telegram's entities,
so only Telegram's own formatting can appear, and what a person typed is never markup. Every
answer carries a strict Content-Security-Policy (no inline script, nothing from elsewhere), and
writes must be JSON or multipart from the page's own origin.
"""

from __future__ import annotations

import hashlib
import json
import time
from importlib import resources
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.seed import Persona
from fake_telegram import World

WAIT = 25.0  # seconds a long poll waits for a change
ANSWER_WAIT = 10.0  # seconds a button press waits for the bot's answerCallbackQuery
MAX_TEXT = 4096  # what a Telegram app lets a person type in one message
MAX_CALLBACK_BYTES = 64
_STATIC = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

WORLD_KEY = web.AppKey("world", World)
PERSONAS_KEY = web.AppKey("personas", dict)


def make_app(world: World, personas: list[Persona]) -> web.Application:
    """The page's aiohttp application over ``world``, for these personas."""
    app = web.Application(middlewares=[_guard], client_max_size=20 * 1024 * 1024)
    app[WORLD_KEY] = world
    app[PERSONAS_KEY] = {persona.telegram_id: persona for persona in personas}
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/personas", _personas)
    app.router.add_get("/api/chats/{user_id}", _chat)
    app.router.add_post("/api/chats/{user_id}/messages", _send)
    app.router.add_post("/api/chats/{user_id}/uploads", _upload)
    app.router.add_post("/api/chats/{user_id}/press", _press)
    app.router.add_get("/api/files/{file_id}", _file)
    return app


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="cross-origin request refused")
        if request.content_type not in ("application/json", "multipart/form-data"):
            raise web.HTTPUnsupportedMediaType(text="JSON or multipart only")
    response = await handler(request)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- the page ------------------------------------------------------------------------------------


def _asset(name: str) -> bytes:
    return resources.files("bot.sandbox").joinpath("static", name).read_bytes()


async def _index(request: web.Request) -> web.Response:
    return web.Response(body=_asset("index.html"), content_type="text/html", charset="utf-8")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _STATIC:
        raise web.HTTPNotFound()
    return web.Response(body=_asset(name), content_type=_STATIC[name], charset="utf-8")


async def _personas(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    personas = request.app[PERSONAS_KEY].values()
    return web.json_response(
        {
            "bot": {"name": world.bot_first_name, "username": world.bot_username},
            "personas": [persona.to_json() for persona in personas],
        }
    )


# --- one chat ------------------------------------------------------------------------------------


def _user_id(request: web.Request) -> int:
    text = request.match_info["user_id"]
    if not text.isdigit() or int(text) not in request.app[PERSONAS_KEY]:
        raise web.HTTPNotFound(text="no such persona")
    return int(text)


def chat_view(world: World, user_id: int) -> dict[str, Any]:
    """The private chat with the bot as the person sees it, with a version that changes with
    anything shown."""
    messages = [_message_view(data) for data in world.history(user_id)]
    commands = [
        {"command": c.get("command", ""), "description": c.get("description", "")}
        for c in world.visible_commands(user_id)
    ]
    body = {"messages": messages, "commands": commands}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"version": digest, **body}


def _message_view(data: dict[str, Any]) -> dict[str, Any]:
    from_bot = bool(data.get("from", {}).get("is_bot"))
    view: dict[str, Any] = {
        "id": data["message_id"],
        "from_bot": from_bot,
        "date": data.get("date"),
        "edited": "edit_date" in data,
        "text": data.get("text", data.get("caption", "")),
        "entities": data.get("entities", data.get("caption_entities", [])),
        "kind": "text",
        "file": None,
        "buttons": [],
    }
    if "photo" in data:
        biggest = data["photo"][-1]
        view["kind"] = "photo"
        view["file"] = {"id": biggest["file_id"], "name": None, "size": biggest.get("file_size")}
    elif "document" in data:
        document = data["document"]
        view["kind"] = "document"
        view["file"] = {
            "id": document["file_id"],
            "name": document.get("file_name") or "file",
            "size": document.get("file_size"),
        }
    keyboard = (data.get("reply_markup") or {}).get("inline_keyboard") or []
    view["buttons"] = [
        [
            {
                "text": button.get("text", ""),
                "data": button.get("callback_data"),
                "url": button.get("url"),
            }
            for button in row
        ]
        for row in keyboard
    ]
    return view


async def _chat(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    user_id = _user_id(request)
    since = request.query.get("since", "")
    deadline = time.monotonic() + WAIT
    view = chat_view(world, user_id)
    while view["version"] == since and not world.closing:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await world.wait_changed(remaining)
        view = chat_view(world, user_id)
    return web.json_response(view)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


async def _send(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    text = (await _json(request)).get("text")
    if not isinstance(text, str) or not text.strip():
        raise web.HTTPBadRequest(text="an empty message")
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_TEXT, actual_size=len(text))
    request.app[WORLD_KEY].send_text(user_id, text)
    return web.json_response({"ok": True})


async def _upload(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    world = request.app[WORLD_KEY]
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(text="no file")
    data = upload.file.read()
    if not data:
        raise web.HTTPBadRequest(text="an empty file")
    caption = form.get("caption")
    caption = caption if isinstance(caption, str) and caption.strip() else None
    mime = upload.content_type or "application/octet-stream"
    if mime in ("image/jpeg", "image/png"):
        world.send_photo(user_id, data, caption=caption)
    else:
        name = upload.filename or "file"
        world.send_document(user_id, name, data, caption=caption, mime_type=mime)
    return web.json_response({"ok": True})


async def _press(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    world = request.app[WORLD_KEY]
    body = await _json(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise web.HTTPBadRequest(text="message_id and data are needed")
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise web.HTTPBadRequest(text="callback data over 64 bytes")
    try:
        query_id = world.press_button(user_id, message_id, data, chat_id=user_id)
    except AssertionError as error:  # the message is gone: what Telegram's app would not allow
        raise web.HTTPConflict(text=str(error)) from None
    deadline = time.monotonic() + ANSWER_WAIT
    while query_id not in world.callback_answers and not world.closing:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return web.json_response({"answered": False, "text": None, "alert": False})
        await world.wait_changed(remaining)
    answer = world.callback_answers.get(query_id)
    return web.json_response(
        {
            "answered": answer is not None,
            "text": answer.text if answer else None,
            "alert": bool(answer and answer.show_alert),
        }
    )


async def _file(request: web.Request) -> web.Response:
    stored = request.app[WORLD_KEY].file(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    image = image_type(stored.data) if stored.mime_type.startswith("image/") else None
    inline = image is not None and "download" not in request.query
    name = stored.file_name or "file"
    headers = {
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; "
        f"filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, max-age=3600",
    }
    content_type = image or (
        stored.mime_type if stored.mime_type in _SAFE_DOWNLOADS else "application/octet-stream"
    )
    return web.Response(body=stored.data, content_type=content_type, headers=headers)


def image_type(data: bytes) -> str | None:
    """The image type the bytes really are (Telegram keeps every photo as a JPEG; the fake
    keeps what was sent), or None for anything a browser should not show inline."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


# Types a browser will not run even if opened: kept so a download opens in the right program.
_SAFE_DOWNLOADS = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
        "application/pdf",
    }
)
