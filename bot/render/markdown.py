"""Markdown (CommonMark, with ~~strikethrough~~) to the HTML Telegram accepts, for stories
written elsewhere.

markdown-it-py parses; this module only walks its tokens and writes the few tags Telegram
knows (b, i, s, code, pre, blockquote, a). Raw HTML in the source is text, never markup;
links keep only web, mail and Telegram addresses; headings become bold lines and lists get
bullets or numbers, since a chat has neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_SAFE_LINK = re.compile(r"^(https?://|tg://|mailto:)", re.IGNORECASE)
_INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}


def split_title(source: str) -> tuple[str | None, str]:
    """A document's leading heading as plain text (the story's title), and the Markdown of
    the rest; (None, source) when it does not start with a heading."""
    tokens = _PARSER.parse(source)
    if len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].map is None:
        return None, source
    title = _plain(tokens[1].children or [])
    end = tokens[0].map[1]
    return " ".join(title.split()) or None, "\n".join(source.splitlines()[end:])


def to_telegram_html(source: str) -> str:
    """The Markdown ``source`` as Telegram HTML."""
    out: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (0 for bullets)
    quotes = 0  # open blockquotes: Telegram refuses nested ones, so inner ones are flattened
    for token in _PARSER.parse(source):
        kind = token.type
        if kind == "inline":
            out.append(_inline(token.children or []))
        elif kind == "heading_open":
            out.append("<b>")
        elif kind == "heading_close":
            out.append("</b>\n\n")
        elif kind == "paragraph_close":
            out.append("\n" if token.hidden else "\n\n")  # tight list items: one line each
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0
            lists.append([start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif kind == "list_item_open":
            out.append(_bullet(lists))
        elif kind == "blockquote_open":
            quotes += 1
            if quotes == 1:
                out.append("<blockquote>")
        elif kind == "blockquote_close":
            quotes -= 1
            if quotes == 0:
                _trim_end(out)
                out.append("</blockquote>\n\n")
        elif kind in ("fence", "code_block"):
            out.append(f"<pre>{escape(token.content.rstrip(chr(10)), quote=False)}</pre>\n\n")
        elif kind == "hr":
            out.append("———\n\n")
    text = "".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _bullet(lists: list[list[int]]) -> str:
    depth = len(lists)
    current = lists[-1] if lists else [0]
    indent = "    " * (depth - 1)
    if current[0] == 0:
        return indent + "• "
    number = current[0]
    current[0] += 1
    return f"{indent}{number}. "


def _trim_end(out: list[str]) -> None:
    while out and out[-1].endswith("\n"):
        stripped = out[-1].rstrip("\n")
        if stripped:
            out[-1] = stripped
            return
        out.pop()


def _inline(children: Sequence[Token]) -> str:
    parts: list[str] = []
    links: list[bool] = []  # per open link: whether an <a> was written for it
    for child in children:
        kind = child.type
        if kind == "text":
            parts.append(escape(child.content, quote=False))
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "code_inline":
            parts.append(f"<code>{escape(child.content, quote=False)}</code>")
        elif kind.endswith("_open") and kind[:-5] in _INLINE_TAGS:
            parts.append(f"<{_INLINE_TAGS[kind[:-5]]}>")
        elif kind.endswith("_close") and kind[:-6] in _INLINE_TAGS:
            parts.append(f"</{_INLINE_TAGS[kind[:-6]]}>")
        elif kind == "link_open":
            href = str(child.attrGet("href") or "")
            safe = bool(_SAFE_LINK.match(href))
            links.append(safe)
            if safe:
                parts.append(f'<a href="{escape(href, quote=True)}">')
        elif kind == "link_close":
            if links.pop():
                parts.append("</a>")
        elif kind == "image":
            parts.append(escape(_plain(child.children or []) or child.content, quote=False))
    return "".join(parts)


def _plain(children: Sequence[Token]) -> str:
    """The text of inline tokens without their markup."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or []))
    return "".join(parts)
