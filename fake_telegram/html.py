"""Telegram's rules for message text: parse_mode=HTML, entities, UTF-16 lengths and limits.

:func:`render` turns what the bot sent (raw text, a parse mode, maybe explicit entities) into
the plain text and entities Telegram stores, failing with Telegram's own error answers: unknown
or unbalanced HTML tags, empty texts, texts and captions over their limits (counted in UTF-16
code units, as Telegram does). :func:`command_entities` marks the ``/commands`` in what users
type. The other limits (callback data, uploads) are here too so all of them sit in one place.
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from fake_telegram.types import ApiError, JSONDict

# Telegram's own limits; enforcing them lets tests catch bot messages that would fail for real.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_ALERT_LENGTH = 200  # answerCallbackQuery text
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

_PARSE_MODES = ("HTML", "Markdown", "MarkdownV2")
_BOT_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")

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

# An open tag while parsing: (tag name, UTF-16 start, attributes, byte offset of the tag).
_OpenTag = tuple[str, int, dict[str, str], int]


def utf16_len(text: str) -> int:
    """The length of ``text`` in UTF-16 code units."""
    # Telegram measures entity offsets and text limits in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def parse_mode_of(mode: Any) -> str | None:
    """The canonical spelling of a parse_mode parameter (None when absent)."""
    if mode in (None, ""):
        return None
    for known in _PARSE_MODES:
        if str(mode).lower() == known.lower():
            return known
    raise ApiError(400, f"Bad Request: unsupported parse_mode {mode}")


def nonempty_text(raw: Any) -> str:
    """The text parameter of sendMessage or editMessageText, which must not be blank."""
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    return raw


def render(
    raw: str, parse_mode: str | None, entities: Any, field_name: str = "text"
) -> tuple[str, list[JSONDict]]:
    """The plain text and entities of a text or caption (``field_name``), checked by its rules.

    Markdown modes are not rendered: the text stays as sent, with no entities.
    """
    if parse_mode == "HTML":
        plain, found = parse_html(raw)
    elif parse_mode is None and isinstance(entities, list):
        plain, found = raw, copy.deepcopy(entities)
    else:
        plain, found = raw, []
    if field_name == "text":
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
    elif utf16_len(plain) > MAX_CAPTION_LENGTH:
        raise ApiError(400, "Bad Request: message caption is too long")
    return plain, found


def command_entities(text: str) -> list[JSONDict]:
    """bot_command entities, detected the way Telegram clients do for incoming text."""
    entities = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Render Telegram-flavoured HTML into (plain text, entities), failing like Telegram does.

    Telegram rejects unknown tags, a bare ``<`` and unbalanced tags, so bots that forget to
    escape user input fail here exactly as they would in production.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[_OpenTag] = []
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
                tag = _start_tag(inner, pos16, byte_offset)
                if tag[0] == "blockquote" and any(open_[0] == "blockquote" for open_ in stack):
                    # As Telegram: blockquotes can't be nested.
                    raise _entity_error(f"Blockquote can't be nested at byte offset {byte_offset}")
                stack.append(tag)
            i = close + 1
            continue
        if char == "&" and (ref := _HTML_CHAR_REF.match(text, i)):
            char = html.unescape(ref.group(0))
            i = ref.end()
        else:
            # A lone "&" that starts no known entity is kept literally, as Telegram does.
            i += 1
        out.append(char)
        pos16 += utf16_len(char)
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _entity_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _start_tag(inner: str, pos16: int, byte_offset: int) -> _OpenTag:
    match = _HTML_START_TAG.fullmatch(inner)
    name = match.group(1).lower() if match else inner
    if match is None or name not in _HTML_TAGS:
        raise _entity_error(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
    attrs = {
        key.lower(): html.unescape(value[1:-1] if value[:1] in "\"'" else value)
        for key, value in _HTML_ATTR.findall(match.group(2))
    }
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _entity_error(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    return (name, pos16, attrs, byte_offset)


def _html_entity(
    name: str,
    attrs: dict[str, str],
    offset: int,
    length: int,
    stack: list[_OpenTag],
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
