"""The Telegram JSON shapes the fake speaks, and the value types tests read.

Public: :class:`FakeUser`, :class:`BotMessage` (a snapshot of what the bot sent),
:class:`RecordedRequest`, :class:`CallbackAnswer` and the default token and bot name. Package
internal: :class:`ApiError` (a Telegram error answer), the stored records behind messages, files
and callback queries, and the shape rules for keyboards, chat ids and command scopes. Plain data
only: no state, no HTTP, no waiting.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]
# (scope type, chat_id, user_id) identifying a BotCommandScope.
ScopeKey = tuple[str, int | str | None, int | None]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_BOT_USERNAME = "cadre_test_bot"
DEFAULT_BOT_FIRST_NAME = "Cadre Test Bot"


class ApiError(Exception):
    """A Telegram error answer, raised by method implementations and faults."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> JSONDict:
        """The answer body Telegram sends for this error."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


# --- value types read by tests -------------------------------------------------------------------


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

    def private_chat(self) -> JSONDict:
        """The Telegram ``Chat`` object of this person's private chat with the bot."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


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
        button = find_button(self.buttons, text_part)
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
        return chat_key(self.params.get("chat_id"))

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


# --- stored records behind the world -------------------------------------------------------------


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str


@dataclass
class StoredFile:
    """A file Telegram keeps, sent by a user or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str
    data: bytes

    def document(self) -> JSONDict:
        """The Telegram ``Document`` object for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }

    def photo_sizes(self) -> list[JSONDict]:
        """The ``PhotoSize`` list for this file as an image (one size: the original)."""
        width, height = _image_size(self.data)
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(self.data),
            }
        ]

    def file_object(self) -> JSONDict:
        """The Telegram ``File`` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """Current state of one message in a chat; ``data`` is the Telegram Message object."""

    data: JSONDict
    from_bot: bool
    kind: str
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    file: StoredFile | None = None
    edited: bool = False
    deleted: bool = False

    def set_markup(self, markup: JSONDict | None) -> None:
        """Keep ``markup`` as sent; only an inline keyboard becomes part of the Message."""
        self.reply_markup = markup
        inline = inline_markup(markup)
        if inline is None:
            self.data.pop("reply_markup", None)
        else:
            self.data["reply_markup"] = copy.deepcopy(inline)

    def set_content(
        self,
        field_name: str,
        plain: str,
        entities: list[JSONDict],
        raw: str,
        parse_mode: str | None,
    ) -> None:
        """Replace the text or caption (``field_name``) with its rendering and entities."""
        entities_field = entities_field_for(field_name)
        for key, value in ((field_name, plain), (entities_field, entities)):
            if value:
                self.data[key] = value
            else:
                self.data.pop(key, None)
        self.raw_text = raw or None
        self.parse_mode = parse_mode

    def reply_copy(self) -> JSONDict:
        """This message as the ``reply_to_message`` of another one."""
        # Telegram does not nest replies further than one level.
        data = copy.deepcopy(self.data)
        data.pop("reply_to_message", None)
        return data

    def snapshot(self, *, edited: bool) -> BotMessage:
        """A :class:`BotMessage` copy of the current state."""
        return BotMessage(
            chat_id=self.data["chat"]["id"],
            message_id=self.data["message_id"],
            text=self.raw_text,
            parse_mode=self.parse_mode,
            reply_markup=copy.deepcopy(self.reply_markup),
            kind=self.kind,
            file_name=self.file.file_name if self.file else None,
            file_bytes=self.file.data if self.file else None,
            edited=edited,
            deleted=self.deleted,
            raw=copy.deepcopy(self.data),
        )


@dataclass
class PendingQuery:
    """A callback query a user made, until the bot answers it."""

    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


# --- shape rules ---------------------------------------------------------------------------------


def entities_field_for(field_name: str) -> str:
    """The entities field that goes with ``text`` or ``caption``."""
    return "entities" if field_name == "text" else "caption_entities"


def chat_key(value: Any) -> int | str | None:
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


def find_button(
    buttons: list[tuple[str, str | None]], text_part: str
) -> tuple[str, str | None] | None:
    """The button labelled ``text_part`` exactly, else the first whose label contains it."""
    # An exact match wins so that "Yes" does not pick "Yes, and remind me" by accident.
    for button in buttons:
        if button[0] == text_part:
            return button
    for button in buttons:
        if text_part in button[0]:
            return button
    return None


def inline_markup(markup: JSONDict | None) -> JSONDict | None:
    """The markup if it is a non-empty inline keyboard, else None."""
    # Only inline keyboards are part of a Message; an empty one is the same as none.
    if markup and markup.get("inline_keyboard") and any(markup["inline_keyboard"]):
        return markup
    return None


def scope_key(scope: Mapping[str, Any] | None) -> ScopeKey:
    """The key of a BotCommandScope object; raises KeyError, TypeError or ValueError if bad."""
    if not scope:
        return ("default", None, None)
    kind = scope["type"]
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return (kind, None, None)
    if kind in ("chat", "chat_administrators"):
        return (kind, chat_key(scope["chat_id"]), None)
    if kind == "chat_member":
        return (kind, chat_key(scope["chat_id"]), int(scope["user_id"]))
    raise ValueError(f"unknown scope type {kind!r}")


def _image_size(data: bytes) -> tuple[int, int]:
    # PNG keeps its size in the IHDR chunk; anything else gets a plausible placeholder.
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 800, 600
