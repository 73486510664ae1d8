"""An in-process fake of the Telegram Bot API, served over HTTP by aiohttp.

The module has three layers:

* plain value types (:class:`FakeUser`, :class:`BotMessage`, :class:`RecordedRequest`,
  :class:`CallbackAnswer`) that tests read;
* :class:`BotApiState`, the simulated Telegram world: users, chats, messages, the update queue
  and the Bot API methods, with no HTTP and no test waiting logic (a browser sandbox can drive it
  too);
* :class:`FakeTelegramServer`, which serves that state over HTTP the way ``api.telegram.org``
  does, records every request, injects faults, and offers the test-side cursors and waits.

Only aiohttp and the standard library are used, so the bot's own packages stay out of it.
"""

from __future__ import annotations

import asyncio
import copy
import html
import inspect
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "BotApiState",
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegramServer",
    "FakeUser",
    "RecordedRequest",
]

JSONDict = dict[str, Any]
# (scope type, chat_id, user_id) identifying a BotCommandScope.
_ScopeKey = tuple[str, int | str | None, int | None]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_BOT_USERNAME = "cadre_test_bot"

_LOGGER = logging.getLogger(__name__)

# Telegram's own limits; enforcing them lets tests catch bot messages that would fail for real.
_MAX_TEXT_LENGTH = 4096
_MAX_CAPTION_LENGTH = 1024
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)

# Update kinds Telegram leaves out unless allowed_updates names them explicitly.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

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
_BOT_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")

_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "callback_game",
        "copy_text",
        "login_url",
        "pay",
        "switch_inline_query",
        "switch_inline_query_chosen_chat",
        "switch_inline_query_current_chat",
        "url",
        "web_app",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "choose_sticker",
        "find_location",
        "record_video",
        "record_video_note",
        "record_voice",
        "typing",
        "upload_document",
        "upload_photo",
        "upload_video",
        "upload_video_note",
        "upload_voice",
    }
)


# ---------------------------------------------------------------------------------------------
# Value types read by tests
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    """A simulated Telegram user."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    def to_dict(self) -> JSONDict:
        """The Telegram ``User`` object for this person."""
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


@dataclass
class BotMessage:
    """A message the bot sent, as a snapshot (current state, or the state right after an edit).

    ``text`` is the text or caption exactly as the bot sent it (HTML tags included);
    :attr:`plain_text` is what the user sees. ``reply_markup`` is the markup as the bot sent it,
    of any kind (inline keyboard, reply keyboard, ForceReply, ReplyKeyboardRemove).
    """

    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    kind: str = "text"
    file_name: str | None = None
    file_bytes: bytes | None = None
    edited: bool = False
    deleted: bool = False
    raw: JSONDict = field(default_factory=dict, repr=False, compare=False)

    @property
    def plain_text(self) -> str | None:
        """The text or caption with HTML markup rendered away, as Telegram displays it."""
        return self.raw.get("text", self.raw.get("caption"))

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline keyboard buttons as ``(text, callback_data)``, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (button.get("text", ""), button.get("callback_data")) for row in rows for button in row
        ]

    def button_data(self, text_part: str) -> str:
        """The callback_data of the first inline button whose text contains ``text_part``."""
        button = _find_button(self.buttons, text_part)
        if button is None:
            raise AssertionError(
                f"no inline button containing {text_part!r} on message {self.message_id} in chat "
                f"{self.chat_id}; buttons: {self.buttons!r}"
            )
        if button[1] is None:
            raise AssertionError(f"button {button[0]!r} has no callback_data (a URL button?)")
        return button[1]

    def __str__(self) -> str:
        flags = "".join(
            f" ({flag})" for flag, on in (("edited", self.edited), ("deleted", self.deleted)) if on
        )
        body = self.text if self.text is None or len(self.text) <= 120 else self.text[:117] + "..."
        file_part = f" file={self.file_name!r}" if self.file_name else ""
        buttons = f" buttons={[text for text, _ in self.buttons]}" if self.buttons else ""
        return f"#{self.message_id} {self.kind}{file_part} {body!r}{buttons}{flags}"


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, with what the server answered.

    ``status`` and ``response`` stay ``None`` while the request is still being handled.
    ``at`` and ``finished_at`` are :func:`time.monotonic` readings. Downloads from the file
    route are recorded with ``method == "file"`` and ``params == {"file_path": ...}``.
    """

    method: str
    params: JSONDict
    files: dict[str, tuple[str, bytes]]
    at: float
    status: int | None = None
    response: JSONDict | None = None
    http_method: str = "POST"
    finished_at: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the server answered 200."""
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        """The chat_id parameter, if any."""
        return _chat_key(self.params.get("chat_id"))

    def __str__(self) -> str:
        description = "" if self.response is None else self.response.get("description", "")
        outcome = "in flight" if self.status is None else f"{self.status} {description}".strip()
        return f"{self.method}(chat_id={self.chat_id}) -> {outcome}"


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery for one callback query."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int = 0


# ---------------------------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """A Telegram error answer, raised by method implementations and faults."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class _Upload:
    filename: str
    data: bytes
    content_type: str


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str
    data: bytes


@dataclass
class _StoredMessage:
    """Current state of one message in a chat; ``data`` is the Telegram Message object."""

    data: JSONDict
    from_bot: bool
    kind: str
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    file: _StoredFile | None = None
    edited: bool = False
    deleted: bool = False


@dataclass
class _PendingQuery:
    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass
class _Fault:
    method: str
    chat_id: int | str | None
    remaining: int | None
    delay: float = 0.0
    error: _ApiError | None = None

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        # "*" deliberately skips getUpdates: slowing every long poll is never what a test wants.
        if self.method == "*":
            if method.lower() == "getupdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


class _Signal:
    """A broadcast "something changed" flag: every waiter wakes on each fire()."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, within: float) -> bool:
        """Wait for the next fire(); False when ``within`` seconds passed first."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout=max(within, 0))
        except TimeoutError:
            return False
        return True


def _utf16_len(text: str) -> int:
    # Telegram measures entity offsets and text limits in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _chat_key(value: Any) -> int | str | None:
    """Normalise a chat_id parameter (int, numeric string or @username) for comparisons."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


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


def _find_button(
    buttons: list[tuple[str, str | None]], text_part: str
) -> tuple[str, str | None] | None:
    # An exact match wins so that "Yes" does not pick "Yes, and remind me" by accident.
    for button in buttons:
        if button[0] == text_part:
            return button
    for button in buttons:
        if text_part in button[0]:
            return button
    return None


def _int_param(params: Mapping[str, Any], name: str, error: str) -> int:
    value = params.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _ApiError(400, error)


def _opt_number(params: Mapping[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _ApiError(400, f"Bad Request: wrong parameter {name}") from None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


# --- HTML parse mode --------------------------------------------------------------------------

_HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "blockquote": "blockquote",
    "code": "code",
    "del": "strikethrough",
    "em": "italic",
    "i": "italic",
    "ins": "underline",
    "pre": "pre",
    "s": "strikethrough",
    "span": "spoiler",
    "strike": "strikethrough",
    "strong": "bold",
    "tg-emoji": "custom_emoji",
    "tg-spoiler": "spoiler",
    "u": "underline",
}
_HTML_CHAR_REF = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_HTML_START_TAG = re.compile(r"([A-Za-z][A-Za-z0-9-]*)(.*)", re.DOTALL)
_HTML_ATTR = re.compile(r"""([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _entity_error(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Render Telegram-flavoured HTML into (plain text, entities), failing like Telegram does.

    Telegram rejects unknown tags, a bare ``<`` and unbalanced tags, so bots that forget to
    escape user input fail here exactly as they would in production.
    """
    out: list[str] = []
    pos16 = 0
    # (tag name, UTF-16 start, attributes, byte offset of the tag)
    stack: list[tuple[str, int, dict[str, str], int]] = []
    entities: list[JSONDict] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            byte_offset = len(text[:i].encode())
            close = text.find(">", i)
            if close == -1:
                raise _entity_error(f"Unclosed start tag at byte offset {byte_offset}")
            inner = text[i + 1 : close]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _entity_error(f"Unexpected end tag at byte offset {byte_offset}")
                open_name, start, attrs, _ = stack.pop()
                if name and name != open_name:
                    raise _entity_error(
                        f'Unmatched end tag at byte offset {byte_offset}, expected "</{open_name}>"'
                        f', found "</{name}>"'
                    )
                entity = _html_entity(open_name, attrs, start, pos16 - start, stack)
                if entity is not None:
                    entities.append(entity)
            else:
                match = _HTML_START_TAG.fullmatch(inner)
                name = match.group(1).lower() if match else inner
                if match is None or name not in _HTML_TAGS:
                    raise _entity_error(
                        f'Unsupported start tag "{name}" at byte offset {byte_offset}'
                    )
                attrs = {
                    key.lower(): html.unescape(value[1:-1] if value[:1] in "\"'" else value)
                    for key, value in _HTML_ATTR.findall(match.group(2))
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _entity_error(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}'
                    )
                stack.append((name, pos16, attrs, byte_offset))
            i = close + 1
            continue
        if char == "&" and (ref := _HTML_CHAR_REF.match(text, i)):
            char = html.unescape(ref.group(0))
            i = ref.end()
        else:
            # A lone "&" that starts no known entity is kept literally, as Telegram does.
            i += 1
        out.append(char)
        pos16 += _utf16_len(char)
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _html_entity(
    name: str,
    attrs: dict[str, str],
    offset: int,
    length: int,
    stack: list[tuple[str, int, dict[str, str], int]],
) -> JSONDict | None:
    language = attrs.get("class", "")
    if name == "code" and stack and stack[-1][0] == "pre" and language.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity carrying the language.
        stack[-1][2]["\0language"] = language.removeprefix("language-")
        return None
    if length == 0:
        return None
    entity: JSONDict = {"type": _HTML_TAGS[name], "offset": offset, "length": length}
    if name == "a":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif name == "pre" and "\0language" in attrs:
        entity["language"] = attrs["\0language"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        if not attrs.get("emoji-id"):
            return None
        entity["custom_emoji_id"] = attrs["emoji-id"]
    return entity


def _command_entities(text: str) -> list[JSONDict]:
    """bot_command entities, detected the way Telegram clients do for incoming text."""
    entities = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group(0)),
            }
        )
    return entities


def _image_size(data: bytes) -> tuple[int, int]:
    # PNG keeps its size in the IHDR chunk; anything else gets a plausible placeholder.
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 800, 600


# ---------------------------------------------------------------------------------------------
# The simulated Telegram world
# ---------------------------------------------------------------------------------------------


class BotApiState:
    """Users, chats, messages, updates and the Bot API methods, with no HTTP involved.

    Everything runs on one event loop and every mutation happens between awaits, so concurrent
    bot requests can't interleave half-done changes.
    """

    # Telegram method name -> implementing attribute. Telegram matches method names
    # case-insensitively, so lookups go through the lower-cased index below.
    API_METHODS: ClassVar[dict[str, str]] = {
        "getMe": "_api_get_me",
        "getUpdates": "_api_get_updates",
        "deleteWebhook": "_api_delete_webhook",
        "setWebhook": "_api_set_webhook",
        "getWebhookInfo": "_api_get_webhook_info",
        "sendMessage": "_api_send_message",
        "editMessageText": "_api_edit_message_text",
        "editMessageCaption": "_api_edit_message_caption",
        "editMessageReplyMarkup": "_api_edit_message_reply_markup",
        "deleteMessage": "_api_delete_message",
        "deleteMessages": "_api_delete_messages",
        "answerCallbackQuery": "_api_answer_callback_query",
        "sendDocument": "_api_send_document",
        "sendPhoto": "_api_send_photo",
        "sendChatAction": "_api_send_chat_action",
        "setMyCommands": "_api_set_my_commands",
        "getMyCommands": "_api_get_my_commands",
        "deleteMyCommands": "_api_delete_my_commands",
        "getFile": "_api_get_file",
    }
    _METHOD_INDEX: ClassVar[dict[str, str]] = {name.lower(): name for name in API_METHODS}

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        *,
        bot_first_name: str = "Cadre Test Bot",
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token: str = token
        self.bot_id: int = int(bot_id)
        self.bot_username: str = bot_username
        self.bot_first_name: str = bot_first_name
        self.callback_answers: dict[str, CallbackAnswer] = {}

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, _StoredMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._updates: list[JSONDict] = []
        self.webhook: JSONDict | None = None
        self._update_ids = itertools.count(10_001)
        self._allowed_updates: frozenset[str] | None = None
        self._poll_ticket = 0
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(4_000_000_001)
        self._queries: dict[str, _PendingQuery] = {}
        self._commands: dict[tuple[_ScopeKey, str], list[JSONDict]] = {}
        self._events: dict[int, list[BotMessage]] = {}
        self._closing = False
        self._updates_signal = _Signal()
        self._changed = _Signal()

    # --- people and chats ---------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> FakeUser:
        """Register a person and their private chat with the bot (chat id == user id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        chat: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            chat["last_name"] = last_name
        if username is not None:
            chat["username"] = username
        self._chats[user_id] = chat
        return user

    def add_group(self, chat_id: int, title: str, *, chat_type: str = "group") -> None:
        """Register a group (or, with ``chat_type="supergroup"``, a supergroup) the bot is in."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be 'group' or 'supergroup'")
        self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": title}

    def user(self, user_id: int) -> FakeUser:
        """The registered user with that id."""
        try:
            return self._users[user_id]
        except KeyError:
            raise AssertionError(f"unknown user {user_id}; call add_user() first") from None

    def is_blocked(self, user_id: int) -> bool:
        """Whether that user currently blocks the bot."""
        return user_id in self._blocked

    # --- what users do --------------------------------------------------------------------------

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> JSONDict:
        """The user sends ``text``; returns the enqueued Update.

        Commands ("/start", "/start@bot") get bot_command entities as Telegram adds them.
        ``reply_to`` makes it a reply (e.g. to a ForceReply prompt).
        """
        user, chat = self._sender(user_id, chat_id)
        fields: JSONDict = {"text": text}
        if entities := _command_entities(text):
            fields["entities"] = entities
        message = self._add_user_message(user, chat, "text", fields, reply_to)
        return self.enqueue_update("message", message)

    def send_document(
        self,
        user_id: int,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "text/csv",
        chat_id: int | None = None,
    ) -> JSONDict:
        """The user sends a file; its bytes become downloadable via getFile."""
        user, chat = self._sender(user_id, chat_id)
        stored = self._store_file("documents", file_name, mime_type, content)
        fields: JSONDict = {"document": self._document_dict(stored)}
        if caption is not None:
            fields["caption"] = caption
            if entities := _command_entities(caption):
                fields["caption_entities"] = entities
        message = self._add_user_message(user, chat, "document", fields, None, stored)
        return self.enqueue_update("message", message)

    def press_button(
        self,
        user_id: int,
        message: BotMessage | int,
        callback_data: str | None = None,
        *,
        button_text: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """The user taps an inline button on a bot message; returns the callback query id.

        Give ``callback_data`` directly (even a stale one), or ``button_text`` to tap the
        button whose text matches (exactly, else by containment) on the message as it is now.
        When ``message`` is a BotMessage snapshot whose buttons have since been edited away,
        its buttons are used instead: a stale tap, as when a double tap races the bot's edit.
        """
        user = self.user(user_id)
        if isinstance(message, BotMessage):
            message_id = message.message_id
            chat_id = message.chat_id if chat_id is None else chat_id
        else:
            message_id = message
            chat_id = user_id if chat_id is None else chat_id
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(f"no bot message {message_id} in chat {chat_id} to press")
        if stored.deleted:
            raise AssertionError(f"message {message_id} in chat {chat_id} was deleted")
        if chat_id in self._blocked:
            raise AssertionError(f"user {user_id} blocks the bot; call unblock_bot() first")
        if callback_data is None:
            if button_text is None:
                raise AssertionError("press_button needs callback_data or button_text")
            current = self._snapshot(stored, edited=stored.edited).buttons
            button = _find_button(current, button_text)
            if button is None and isinstance(message, BotMessage):
                button = _find_button(message.buttons, button_text)
            if button is None:
                raise AssertionError(
                    f"no inline button containing {button_text!r} on message {message_id} in "
                    f"chat {chat_id}; available buttons: {current!r}"
                )
            if button[1] is None:
                raise AssertionError(f"button {button[0]!r} has no callback_data")
            callback_data = button[1]
        query_id = str(next(self._query_seq))
        self._queries[query_id] = _PendingQuery(user_id, chat_id, message_id)
        self.enqueue_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_dict(),
                "message": copy.deepcopy(stored.data),
                # chat_instance is opaque but stable per chat on Telegram.
                "chat_instance": str(8_000_000_000_000 + chat_id),
                "data": callback_data,
            },
        )
        return query_id

    def block_bot(self, user_id: int) -> JSONDict:
        """The user blocks the bot: a my_chat_member update, then sends fail with 403."""
        user = self.user(user_id)
        if user_id in self._blocked:
            raise AssertionError(f"user {user_id} already blocks the bot")
        self._blocked.add(user_id)
        return self._my_chat_member(user, "member", "kicked")

    def unblock_bot(self, user_id: int) -> JSONDict:
        """The user unblocks (restarts) the bot: the reverse my_chat_member update."""
        user = self.user(user_id)
        if user_id not in self._blocked:
            raise AssertionError(f"user {user_id} does not block the bot")
        self._blocked.discard(user_id)
        return self._my_chat_member(user, "kicked", "member")

    def enqueue_update(self, kind: str, payload: JSONDict) -> JSONDict:
        """Queue an arbitrary update of ``kind`` (e.g. "chat_member"); returns a copy of it."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(update)
        self._updates_signal.fire()
        self._changed.fire()
        return copy.deepcopy(update)

    # --- reading the state -----------------------------------------------------------------------

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset (copies)."""
        return copy.deepcopy(self._updates)

    def messages(self, chat_id: int) -> list[BotMessage]:
        """All bot messages in the chat, current state: edits applied, deletions flagged."""
        return [
            self._snapshot(stored, edited=stored.edited)
            for _, stored in sorted(self._messages.get(chat_id, {}).items())
            if stored.from_bot
        ]

    def history(self, chat_id: int) -> list[JSONDict]:
        """Every non-deleted message in the chat (users' and bot's) as Telegram Message dicts."""
        return [
            copy.deepcopy(stored.data)
            for _, stored in sorted(self._messages.get(chat_id, {}).items())
            if not stored.deleted
        ]

    def events(self, chat_id: int) -> list[BotMessage]:
        """The chat's bot events in order: new messages, and edits (snapshots with edited=True)."""
        return list(self._events.get(chat_id, []))

    def commands_for(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """The commands setMyCommands stored for exactly this scope and language."""
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def visible_commands(
        self, user_id: int, chat_id: int | None = None, language_code: str | None = None
    ) -> list[JSONDict]:
        """The command menu the user would see, resolved with Telegram's scope fallback order.

        Administrator scopes are skipped: simulated users are never group admins.
        """
        user = self.user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        language = (user.language_code or "") if language_code is None else language_code
        if chat_id > 0:
            scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
        else:
            scopes = [
                ("chat_member", chat_id, user_id),
                ("chat", chat_id, None),
                ("all_group_chats", None, None),
            ]
        scopes.append(("default", None, None))
        for scope in scopes:
            for lang in dict.fromkeys((language, "")):
                if (scope, lang) in self._commands:
                    return copy.deepcopy(self._commands[(scope, lang)])
        return []

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a stored file (sent by a user or uploaded by the bot)."""
        return self._files[file_id].data

    async def wait_changed(self, within: float) -> bool:
        """Wait until anything changes (update, bot message, finished request); False on timeout."""
        return await self._changed.wait(within)

    def close(self) -> None:
        """Wake long polls and waiters so shutdown doesn't hang on them."""
        self._closing = True
        self._updates_signal.fire()
        self._changed.fire()

    # --- Bot API dispatch ------------------------------------------------------------------------

    @classmethod
    def canonical_method(cls, method: str) -> str:
        """The canonical spelling of a known method name, else the name unchanged."""
        return cls._METHOD_INDEX.get(method.lower(), method)

    async def call_api(
        self, method: str, params: JSONDict, uploads: Mapping[str, _Upload] | None = None
    ) -> Any:
        """Run a Bot API method; raises _ApiError for Telegram error answers."""
        name = self._METHOD_INDEX.get(method.lower())
        if name is None:
            raise _ApiError(404, "Not Found")
        handler: Callable[..., Any] = getattr(self, self.API_METHODS[name])
        result = handler(params, uploads or {})
        if inspect.isawaitable(result):
            result = await result
        return result

    def _api_get_me(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_get_updates(
        self, params: JSONDict, uploads: Mapping[str, _Upload]
    ) -> list[JSONDict]:
        offset = _opt_number(params, "offset")
        limit = int(_opt_number(params, "limit") or 100)
        limit = min(max(limit, 1), 100)
        timeout = _opt_number(params, "timeout") or 0.0
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _ApiError(400, "Bad Request: can't parse allowed_updates JSON array")
            # Telegram keeps the setting for later calls; an empty list means "the default".
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset is not None:
            self._confirm(int(offset))
        # A newer getUpdates terminates a waiting older one with 409, as Telegram does.
        self._poll_ticket += 1
        ticket = self._poll_ticket
        self._updates_signal.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            if ticket != self._poll_ticket:
                raise _ApiError(409, _CONFLICT)
            batch = self._deliverable(limit)
            if batch or self._closing:
                return copy.deepcopy(batch)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._updates_signal.wait(remaining)

    def _api_delete_webhook(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        if _truthy(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook = None
        return True

    def _api_set_webhook(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        # Recorded only: tests post updates to the bot's webhook themselves, with or
        # without the secret, to check the bot verifies it.
        url = str(params.get("url") or "")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else None
        return True

    def _api_get_webhook_info(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _api_send_message(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        chat = self._resolve_chat(params, sending=True)
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = self._parse_mode(params)
        plain, entities = self._render(raw, parse_mode, params.get("entities"))
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(plain) > _MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = self._parse_markup(params)
        reply_to = self._reply_target(chat["id"], params)
        fields: JSONDict = {"text": plain}
        if entities:
            fields["entities"] = entities
        stored = self._add_bot_message(chat, "text", fields, raw, parse_mode, markup, reply_to)
        return copy.deepcopy(stored.data)

    def _api_send_document(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        return self._send_media("document", params, uploads)

    def _api_send_photo(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        return self._send_media("photo", params, uploads)

    def _api_edit_message_text(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        stored = self._editable(params)
        if stored.kind != "text":
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = self._parse_mode(params)
        plain, entities = self._render(raw, parse_mode, params.get("entities"))
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(plain) > _MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        # Omitting reply_markup removes the inline keyboard on Telegram, so None is compared.
        markup = self._parse_markup(params, inline_only=True)
        return self._apply_edit(stored, "text", plain, entities, raw, parse_mode, markup)

    def _api_edit_message_caption(
        self, params: JSONDict, uploads: Mapping[str, _Upload]
    ) -> JSONDict:
        stored = self._editable(params)
        if stored.kind == "text":
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        raw = params.get("caption")
        raw = raw if isinstance(raw, str) else ""
        parse_mode = self._parse_mode(params)
        plain, entities = self._render(raw, parse_mode, params.get("caption_entities"))
        if _utf16_len(plain) > _MAX_CAPTION_LENGTH:
            raise _ApiError(400, "Bad Request: message caption is too long")
        markup = self._parse_markup(params, inline_only=True)
        return self._apply_edit(stored, "caption", plain, entities, raw, parse_mode, markup)

    def _api_edit_message_reply_markup(
        self, params: JSONDict, uploads: Mapping[str, _Upload]
    ) -> JSONDict:
        stored = self._editable(params)
        markup = self._parse_markup(params, inline_only=True)
        if self._inline_markup(markup) == self._inline_markup(stored.reply_markup):
            raise _ApiError(400, _NOT_MODIFIED)
        self._set_inline_markup(stored, markup)
        return self._finish_edit(stored)

    def _api_delete_message(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        chat = self._resolve_chat(params)
        message_id = _int_param(
            params, "message_id", "Bad Request: message identifier is not specified"
        )
        self._delete(chat["id"], message_id)
        return True

    def _api_delete_messages(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        chat = self._resolve_chat(params)
        message_ids = params.get("message_ids")
        if not isinstance(message_ids, list) or not message_ids:
            raise _ApiError(400, "Bad Request: message identifiers are not specified")
        for message_id in message_ids:
            # deleteMessages skips messages it can't delete instead of failing.
            key = _chat_key(message_id)
            stored = self._messages.get(chat["id"], {}).get(key) if isinstance(key, int) else None
            if stored is not None:
                stored.deleted = True
        self._changed.fire()
        return True

    def _api_answer_callback_query(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise _ApiError(400, _QUERY_INVALID)
        query.answered = True
        text = params.get("text")
        self.callback_answers[query_id] = CallbackAnswer(
            query_id=query_id,
            text=None if text in (None, "") else str(text),
            show_alert=_truthy(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=int(_opt_number(params, "cache_time") or 0),
        )
        self._changed.fire()
        return True

    def _api_send_chat_action(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        self._resolve_chat(params, sending=True)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_set_my_commands(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON array")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            # Telegram only accepts lower-case command names of up to 32 characters.
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = (self._api_scope(params), str(params.get("language_code") or ""))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        self._changed.fire()
        return True

    def _api_get_my_commands(
        self, params: JSONDict, uploads: Mapping[str, _Upload]
    ) -> list[JSONDict]:
        key = (self._api_scope(params), str(params.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _api_delete_my_commands(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> bool:
        key = (self._api_scope(params), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        self._changed.fire()
        return True

    def _api_get_file(self, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # --- helpers behind the methods --------------------------------------------------------------

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _sender(self, user_id: int, chat_id: int | None) -> tuple[FakeUser, JSONDict]:
        user = self.user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self._chats:
            raise AssertionError(f"unknown chat {chat_id}; call add_group() first")
        if chat_id in self._blocked:
            # On Telegram a user who blocked the bot must restart it before writing again.
            raise AssertionError(f"user {user_id} blocks the bot; call unblock_bot() first")
        return user, self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        # Users' and the bot's messages share one counter per chat, like on Telegram.
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _add_user_message(
        self,
        user: FakeUser,
        chat: JSONDict,
        kind: str,
        fields: JSONDict,
        reply_to: BotMessage | int | None,
        file: _StoredFile | None = None,
    ) -> JSONDict:
        message_id = self._next_message_id(chat["id"])
        data: JSONDict = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            **fields,
        }
        if reply_to is not None:
            target_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
            target = self._messages.get(chat["id"], {}).get(target_id)
            if target is None or target.deleted:
                raise AssertionError(f"no message {target_id} in chat {chat['id']} to reply to")
            data["reply_to_message"] = self._reply_copy(target)
        text = fields.get("text", fields.get("caption"))
        self._messages.setdefault(chat["id"], {})[message_id] = _StoredMessage(
            data=data, from_bot=False, kind=kind, raw_text=text, file=file
        )
        return copy.deepcopy(data)

    def _add_bot_message(
        self,
        chat: JSONDict,
        kind: str,
        fields: JSONDict,
        raw_text: str | None,
        parse_mode: str | None,
        markup: JSONDict | None,
        reply_to: _StoredMessage | None,
        file: _StoredFile | None = None,
    ) -> _StoredMessage:
        message_id = self._next_message_id(chat["id"])
        data: JSONDict = {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            **fields,
        }
        if reply_to is not None:
            data["reply_to_message"] = self._reply_copy(reply_to)
        stored = _StoredMessage(
            data=data,
            from_bot=True,
            kind=kind,
            raw_text=raw_text,
            parse_mode=parse_mode,
            file=file,
        )
        self._set_inline_markup(stored, markup)
        self._messages.setdefault(chat["id"], {})[message_id] = stored
        self._emit(stored, edited=False)
        return stored

    @staticmethod
    def _reply_copy(stored: _StoredMessage) -> JSONDict:
        # Telegram does not nest replies further than one level.
        data = copy.deepcopy(stored.data)
        data.pop("reply_to_message", None)
        return data

    def _send_media(self, kind: str, params: JSONDict, uploads: Mapping[str, _Upload]) -> JSONDict:
        chat = self._resolve_chat(params, sending=True)
        stored_file = self._media_input(kind, params, uploads)
        raw = params.get("caption")
        raw = raw if isinstance(raw, str) and raw != "" else None
        parse_mode = self._parse_mode(params)
        fields: JSONDict = {}
        if kind == "document":
            fields["document"] = self._document_dict(stored_file)
        else:
            width, height = _image_size(stored_file.data)
            fields["photo"] = [
                {
                    "file_id": stored_file.file_id,
                    "file_unique_id": stored_file.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(stored_file.data),
                }
            ]
        if raw is not None:
            plain, entities = self._render(raw, parse_mode, params.get("caption_entities"))
            if _utf16_len(plain) > _MAX_CAPTION_LENGTH:
                raise _ApiError(400, "Bad Request: message caption is too long")
            fields["caption"] = plain
            if entities:
                fields["caption_entities"] = entities
        markup = self._parse_markup(params)
        reply_to = self._reply_target(chat["id"], params)
        stored = self._add_bot_message(
            chat, kind, fields, raw, parse_mode, markup, reply_to, stored_file
        )
        return copy.deepcopy(stored.data)

    def _media_input(
        self, kind: str, params: JSONDict, uploads: Mapping[str, _Upload]
    ) -> _StoredFile:
        value = params.get(kind)
        upload = uploads.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            folder = "documents" if kind == "document" else "photos"
            mime = upload.content_type or "application/octet-stream"
            if kind == "photo":
                mime = mime if mime.startswith("image/") else "image/jpeg"
            return self._store_file(folder, upload.filename, mime, upload.data)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _store_file(self, folder: str, file_name: str, mime_type: str, data: bytes) -> _StoredFile:
        number = next(self._file_seq)
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}{folder[:3]}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
            data=bytes(data),
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _document_dict(stored: _StoredFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }

    def _resolve_chat(self, params: Mapping[str, Any], *, sending: bool = False) -> JSONDict:
        key = _chat_key(params.get("chat_id"))
        if key is None or key == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(key, str):
            # "@username" addressing; only simulated users have usernames here.
            key = next(
                (
                    chat_id
                    for chat_id, chat in self._chats.items()
                    if key.startswith("@") and chat.get("username") == key[1:]
                ),
                None,
            )
        if key is None or key not in self._chats:
            raise _ApiError(400, "Bad Request: chat not found")
        if sending and key in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return self._chats[key]

    @staticmethod
    def _parse_mode(params: Mapping[str, Any]) -> str | None:
        mode = params.get("parse_mode")
        if mode in (None, ""):
            return None
        for known in ("HTML", "Markdown", "MarkdownV2"):
            if str(mode).lower() == known.lower():
                return known
        raise _ApiError(400, f"Bad Request: unsupported parse_mode {mode}")

    @staticmethod
    def _render(raw: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSONDict]]:
        if parse_mode == "HTML":
            return _parse_html(raw)
        if parse_mode is None and isinstance(entities, list):
            return raw, copy.deepcopy(entities)
        # Markdown modes are not rendered: the text stays as sent, with no entities.
        return raw, []

    @staticmethod
    def _parse_markup(params: Mapping[str, Any], *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard markup")
            for button in (button for row in rows for button in row):
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
                if not _INLINE_BUTTON_ACTIONS & button.keys():
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard",
                    )
                data = button.get("callback_data")
                if data is not None and (
                    not isinstance(data, str)
                    or not 1 <= len(data.encode()) <= _MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            return copy.deepcopy(markup)
        if inline_only:
            raise _ApiError(400, "Bad Request: inline keyboard expected")
        if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return copy.deepcopy(markup)

    @staticmethod
    def _inline_markup(markup: JSONDict | None) -> JSONDict | None:
        # Only inline keyboards are part of a Message; an empty one is the same as none.
        if markup and markup.get("inline_keyboard") and any(markup["inline_keyboard"]):
            return markup
        return None

    def _set_inline_markup(self, stored: _StoredMessage, markup: JSONDict | None) -> None:
        stored.reply_markup = markup
        inline = self._inline_markup(markup)
        if inline is None:
            stored.data.pop("reply_markup", None)
        else:
            stored.data["reply_markup"] = copy.deepcopy(inline)

    def _reply_target(self, chat_id: int, params: Mapping[str, Any]) -> _StoredMessage | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            source = reply
            # Replies may quote a message of another chat; only numeric ids are simulated.
            other_chat = _chat_key(reply.get("chat_id"))
            if isinstance(other_chat, int):
                chat_id = other_chat
        elif params.get("reply_to_message_id") is not None:
            source = {**params, "message_id": params["reply_to_message_id"]}
        else:
            return None
        allow_missing = _truthy(source.get("allow_sending_without_reply", False))
        target_id = _chat_key(source.get("message_id"))
        stored = (
            self._messages.get(chat_id, {}).get(target_id) if isinstance(target_id, int) else None
        )
        if stored is None or stored.deleted:
            if allow_missing:
                return None
            raise _ApiError(400, "Bad Request: message to be replied not found")
        return stored

    def _editable(self, params: Mapping[str, Any]) -> _StoredMessage:
        if params.get("inline_message_id") and params.get("chat_id") is None:
            raise _ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params)
        message_id = _int_param(params, "message_id", "Bad Request: message to edit not found")
        stored = self._messages.get(chat["id"], {}).get(message_id)
        if stored is None or stored.deleted:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if not stored.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _apply_edit(
        self,
        stored: _StoredMessage,
        field_name: str,
        plain: str,
        entities: list[JSONDict],
        raw: str,
        parse_mode: str | None,
        markup: JSONDict | None,
    ) -> JSONDict:
        entities_field = "entities" if field_name == "text" else "caption_entities"
        unchanged = (
            stored.data.get(field_name, "") == plain
            and stored.data.get(entities_field, []) == entities
            and self._inline_markup(stored.reply_markup) == self._inline_markup(markup)
        )
        if unchanged:
            raise _ApiError(400, _NOT_MODIFIED)
        if plain:
            stored.data[field_name] = plain
        else:
            stored.data.pop(field_name, None)
        if entities:
            stored.data[entities_field] = entities
        else:
            stored.data.pop(entities_field, None)
        stored.raw_text = raw or None
        stored.parse_mode = parse_mode
        self._set_inline_markup(stored, markup)
        return self._finish_edit(stored)

    def _finish_edit(self, stored: _StoredMessage) -> JSONDict:
        stored.edited = True
        stored.data["edit_date"] = int(time.time())
        self._emit(stored, edited=True)
        return copy.deepcopy(stored.data)

    def _delete(self, chat_id: int, message_id: int) -> None:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise _ApiError(400, "Bad Request: message to delete not found")
        stored.deleted = True
        self._changed.fire()

    def _api_scope(self, params: Mapping[str, Any]) -> _ScopeKey:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        try:
            key = self._scope_key(scope)
        except (KeyError, TypeError, ValueError):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object") from None
        if key[1] is not None:
            self._resolve_chat({"chat_id": key[1]})
        return key

    @staticmethod
    def _scope_key(scope: Mapping[str, Any] | None) -> _ScopeKey:
        if not scope:
            return ("default", None, None)
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind, None, None)
        if kind in ("chat", "chat_administrators"):
            return (kind, _chat_key(scope["chat_id"]), None)
        if kind == "chat_member":
            return (kind, _chat_key(scope["chat_id"]), int(scope["user_id"]))
        raise ValueError(f"unknown scope type {kind!r}")

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            del self._updates[: max(len(self._updates) + offset, 0)]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self, limit: int) -> list[JSONDict]:
        kept, batch = [], []
        for update in self._updates:
            kind = next(key for key in update if key != "update_id")
            allowed = (
                kind not in _NOT_DELIVERED_BY_DEFAULT
                if self._allowed_updates is None
                else kind in self._allowed_updates
            )
            # Telegram never creates updates of kinds the bot did not ask for: drop them.
            if not allowed:
                continue
            kept.append(update)
            if len(batch) < limit:
                batch.append(update)
        self._updates = kept
        return batch

    def _my_chat_member(self, user: FakeUser, old: str, new: str) -> JSONDict:
        def member(status: str) -> JSONDict:
            data: JSONDict = {"user": self._bot_user(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return self.enqueue_update(
            "my_chat_member",
            {
                "chat": copy.deepcopy(self._chats[user.id]),
                "from": user.to_dict(),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def _snapshot(self, stored: _StoredMessage, *, edited: bool) -> BotMessage:
        return BotMessage(
            chat_id=stored.data["chat"]["id"],
            message_id=stored.data["message_id"],
            text=stored.raw_text,
            parse_mode=stored.parse_mode,
            reply_markup=copy.deepcopy(stored.reply_markup),
            kind=stored.kind,
            file_name=stored.file.file_name if stored.file else None,
            file_bytes=stored.file.data if stored.file else None,
            edited=edited,
            deleted=stored.deleted,
            raw=copy.deepcopy(stored.data),
        )

    def _emit(self, stored: _StoredMessage, *, edited: bool) -> None:
        chat_id = stored.data["chat"]["id"]
        self._events.setdefault(chat_id, []).append(self._snapshot(stored, edited=edited))
        self._changed.fire()


# ---------------------------------------------------------------------------------------------
# HTTP server and test helpers
# ---------------------------------------------------------------------------------------------


async def _read_params(request: web.Request) -> tuple[JSONDict, dict[str, _Upload]]:
    """Parse query string, form, multipart or JSON parameters the way Telegram accepts them."""
    params: JSONDict = {key: _decode_value(key, value) for key, value in request.query.items()}
    uploads: dict[str, _Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise _ApiError(400, "Bad Request: request body must be a JSON object")
            params.update({key: _decode_value(key, value) for key, value in body.items()})
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = _Upload(value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = _decode_value(key, value)
    return {key: value for key, value in params.items() if value is not None}, uploads


class FakeTelegramServer(BotApiState):
    """The fake Bot API over HTTP, plus what tests need to drive and inspect it.

    Point the bot at it with ``base_url(f"{server.base_url}/bot")`` and
    ``base_file_url(f"{server.base_url}/file/bot")``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = "Cadre Test Bot",
    ) -> None:
        super().__init__(token, bot_username, bot_first_name=bot_first_name)
        self.host: str = host
        self.port: int = port
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._cursors: dict[int, int] = {}

    # --- lifecycle ---------------------------------------------------------------------------

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
        app = web.Application(client_max_size=_MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/{bot_token:bot[^/]*}/{method}", self._handle_api)
        app.router.add_get("/file/{bot_token:bot[^/]*}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
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

    # --- HTTP handling -----------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = self.canonical_method(request.match_info["method"])
        record = RecordedRequest(
            method=method, params={}, files={}, at=time.monotonic(), http_method=request.method
        )
        self.requests.append(record)
        try:
            record.params, uploads = await _read_params(request)
            record.files = {name: (up.filename, up.data) for name, up in uploads.items()}
            self._check_token(request.match_info["bot_token"].removeprefix("bot"))
            await self._apply_faults(method, record.params)
            result = await self.call_api(method, record.params, uploads)
            status, body = 200, {"ok": True, "result": result}
        except _ApiError as exc:
            status, body = exc.error_code, exc.to_json()
        except Exception as exc:
            # A bug in the fake must not look like a Telegram answer the bot could handle.
            _LOGGER.exception("fake Telegram server failed on %s", method)
            status = 500
            body = {"ok": False, "error_code": 500, "description": f"Internal fake error: {exc!r}"}
        record.status, record.response, record.finished_at = status, body, time.monotonic()
        self._changed.fire()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        file_path = request.match_info["file_path"]
        record = RecordedRequest(
            method="file",
            params={"file_path": file_path},
            files={},
            at=time.monotonic(),
            http_method=request.method,
        )
        self.requests.append(record)
        response: web.StreamResponse
        try:
            self._check_token(request.match_info["bot_token"].removeprefix("bot"))
            stored = self._files_by_path.get(file_path)
            if stored is None:
                raise _ApiError(404, "Not Found")
            response = web.Response(body=stored.data, content_type=stored.mime_type)
            record.status = 200
        except _ApiError as exc:
            record.status, record.response = exc.error_code, exc.to_json()
            response = web.json_response(exc.to_json(), status=exc.error_code)
        record.finished_at = time.monotonic()
        self._changed.fire()
        return response

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(_ApiError(404, "Not Found").to_json(), status=404)

    def _check_token(self, token: str) -> None:
        if token == self.token:
            return
        # Telegram answers 404 for malformed tokens and 401 for well-formed wrong ones.
        if not _TOKEN_SHAPE.fullmatch(token):
            raise _ApiError(404, "Not Found")
        raise _ApiError(401, "Unauthorized")

    async def _apply_faults(self, method: str, params: Mapping[str, Any]) -> None:
        chat_id = _chat_key(params.get("chat_id"))
        delay = self._take_fault(method, chat_id, want_error=False)
        if delay is not None:
            await self._sleep(delay.delay)
        failure = self._take_fault(method, chat_id, want_error=True)
        if failure is not None and failure.error is not None:
            raise failure.error

    def _take_fault(
        self, method: str, chat_id: int | str | None, *, want_error: bool
    ) -> _Fault | None:
        for fault in self._faults:
            if (fault.error is not None) == want_error and fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    async def _sleep(self, seconds: float) -> None:
        # Sleep in slices so stop() is never held up by a long injected delay.
        deadline = time.monotonic() + seconds
        while not self._closing and (remaining := deadline - time.monotonic()) > 0:
            await self._changed.wait(remaining)

    # --- failure injection -------------------------------------------------------------------

    def inject_error(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 400,
        description: str = "Bad Request",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail.

        ``method="*"`` matches every method except getUpdates.
        """
        self._faults.append(
            _Fault(
                method=method,
                chat_id=chat_id,
                remaining=times,
                error=_ApiError(error_code, description, retry_after),
            )
        )

    def rate_limit(
        self, method: str, *, retry_after: int = 1, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls with Telegram's 429 flood-control error."""
        self.inject_error(
            method,
            chat_id=chat_id,
            error_code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
        )

    def slow_down(
        self, method: str, seconds: float, *, chat_id: int | None = None, times: int | None = None
    ) -> None:
        """Delay responses to ``method`` by ``seconds`` (``times=None``: until clear_faults)."""
        self._faults.append(_Fault(method=method, chat_id=chat_id, remaining=times, delay=seconds))

    def clear_faults(self) -> None:
        """Drop every pending injected error and delay."""
        self._faults.clear()

    # --- inspection and waiting --------------------------------------------------------------

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
            if self._updates:
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
                    f"bot not idle after {timeout} s: {len(self._updates)} unconfirmed update(s)"
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
