"""Text that anyone typed, made safe for where it goes. Pure functions, no I/O.

- :func:`strip_control` removes the invisible control characters that XML (so DOCX and
  XLSX) cannot hold; every file builder passes user text through it
  (:func:`strip_control_in` for a whole document's data at once).
- :func:`has_control_characters` is the door's test for typed text (newline and tab allowed).
- :func:`utf16_len` and :func:`visible_len` count as Telegram does: in UTF-16 code units, and
  for HTML, the text that remains once the tags and character references are parsed.
- :func:`split_html` cuts HTML into messages within Telegram's limit without ever breaking a
  tag or a character reference: a cut closes the open tags and the next piece reopens them.

The rules may count with :func:`utf16_len` (a pure function) so that typed-text limits are
the ones Telegram applies.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_MESSAGE = 4096  # Telegram's limit on a message's text, in UTF-16 code units
MAX_CAPTION = 1024  # and on a photo's caption

# Characters XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; the
# non-characters U+FFFE/U+FFFF; lone surrogates), and the other invisible controls (DEL, C1)
# that have no business in a document.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Unicode's Cc (C0, DEL, C1) and Cs (surrogates) categories, less newline, tab and carriage
# return: one regex search rather than a category lookup per character (it runs on every
# typed message).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# What Telegram's HTML parser treats as markup: a tag, or one of the character references it
# knows. A lone "&" is a literal ampersand.
_MARKUP = re.compile(r"<[^>]*>|&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")


def strip_control(text: str) -> str:
    """``text`` without the characters an XML file cannot hold (tab and newlines kept)."""
    return _UNSAFE.sub("", text)


def strip_control_in(value: T) -> T:
    """A copy of ``value`` with :func:`strip_control` applied to every text in it: strings,
    and the strings inside lists, tuples, dict values and dataclasses (e.g. a DOCX builder's
    ``PartyDocument`` with its blocks and signatures). Anything else is returned as it is."""
    if isinstance(value, str):
        return strip_control(value)  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        items = [strip_control_in(item) for item in value]
        if hasattr(value, "_fields"):  # a named tuple
            return type(value)(*items)  # type: ignore[return-value]
        return type(value)(items)  # type: ignore[return-value]
    if isinstance(value, dict):
        cleaned = {key: strip_control_in(item) for key, item in value.items()}
        return cleaned  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: strip_control_in(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds an invisible control character other than newline or tab
    (a carriage return counts as part of a newline)."""
    return _CONTROL.search(text) is not None


def utf16_len(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass(frozen=True)
class _Token:
    raw: str  # as written in the HTML
    width: int  # UTF-16 units it shows as
    kind: str  # "text", "open" or "close"
    name: str = ""  # the tag's name, for "open" and "close"


def _tokens(line: str) -> list[_Token]:
    """The line as markup tokens and single visible characters (references count as one)."""
    tokens: list[_Token] = []
    position = 0
    for match in _MARKUP.finditer(line):
        tokens += [_Token(char, utf16_len(char), "text") for char in line[position : match.start()]]
        raw = match.group(0)
        if raw.startswith("<"):
            found = _TAG_NAME.match(raw)
            name = found.group(1).lower() if found else ""
            tokens.append(_Token(raw, 0, "close" if raw.startswith("</") else "open", name))
        else:
            tokens.append(_Token(raw, utf16_len(html.unescape(raw)), "text"))
        position = match.end()
    tokens += [_Token(char, utf16_len(char), "text") for char in line[position:]]
    return tokens


def visible_len(text: str) -> int:
    """The UTF-16 length of what Telegram shows of HTML ``text`` (tags do not count)."""
    return sum(token.width for token in _tokens(text))


def _closing(stack: Sequence[_Token]) -> str:
    return "".join(f"</{token.name}>" for token in reversed(stack))


def _opening(stack: Sequence[_Token]) -> str:
    return "".join(token.raw for token in stack)


def _cut(text: str, limit: int) -> list[str]:
    """Pieces of HTML ``text``, each showing at most ``limit`` UTF-16 units.

    A piece ends after the last newline that fits (so whole lines stay together), else after
    the last space when that keeps at least half of it, else between two characters: never
    inside a tag or a character reference. The tags open at a cut are closed there and
    reopened at the start of the next piece, so every piece is balanced HTML.
    """
    tokens = _tokens(text)
    pieces: list[str] = []
    stack: list[_Token] = []  # the tags open where the remaining tokens start
    start = 0
    while start < len(tokens):
        width, end, newline, space = 0, start, None, None
        while end < len(tokens) and width + tokens[end].width <= limit:
            token = tokens[end]
            width += token.width
            end += 1
            if token.kind == "text" and token.raw == "\n":
                newline = end
            elif token.kind == "text" and token.raw == " " and width * 2 >= limit:
                space = end
        if end < len(tokens):
            end = newline or space or max(end, start + 1)
            while end > start + 1 and tokens[end - 1].kind == "open":
                end -= 1  # a tag opened right at the cut belongs to the next piece
            while end < len(tokens) and tokens[end].kind == "close":
                end += 1  # a tag closed right at the cut belongs to this piece
        opening = _opening(stack)
        for token in tokens[start:end]:
            if token.kind == "open":
                stack.append(token)
            elif token.kind == "close" and stack:
                stack.pop()
        body = "".join(token.raw for token in tokens[start:end])
        pieces.append(opening + body + _closing(stack))
        start = end
    return pieces


def split_html(lines: Sequence[str], limit: int = MAX_MESSAGE) -> list[str]:
    """The lines, joined by newlines, as messages that each show at most ``limit`` UTF-16
    units (see :func:`_cut`): whole lines together while they fit, an over-long line cut
    without breaking a tag, an entity or a character reference. Newlines at a cut are
    dropped, and so are messages that would show nothing but blanks; there is always at
    least one message.
    """
    text = "\n".join(lines)
    if 2 * len(text) <= limit:  # even all in 2-unit characters it fits: one message as it is
        return [_trim(text)]
    pieces = [_trim(piece) for piece in _cut(text, limit)]
    shown = [piece for piece in pieces if "".join(_visible(piece)).strip()]
    return shown or pieces[:1] or [""]


def _trim(piece: str) -> str:
    """The piece without the newlines at its very ends (outside any tag)."""
    return piece.strip("\n")


def _visible(text: str) -> list[str]:
    return [html.unescape(t.raw) for t in _tokens(text) if t.kind == "text"]
