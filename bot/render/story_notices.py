"""A story as members receive it (the board's views of it are in story_views.py).

The same :func:`story` renders the preview the board sees before sending and every copy the
outbox sends, so the preview is exactly what members get.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from bot import callbacks as cb
from bot.i18n import gettext
from bot.rules.stories import TAG_LABELS, Tag

Rows = Sequence[Sequence[tuple[str, str]]]
Notice = tuple[str, Rows | None]

TAG_MARKS = {Tag.MODEL: "🌟", Tag.GOOD_DEED: "💐", Tag.HOLIDAY: "🇻🇳", Tag.STUDY: "📚"}


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def tag_label(tag: str) -> str:
    return gettext(TAG_LABELS[Tag(tag)])


def story(story: dict[str, Any], *, public: bool = False, preview: bool = False) -> Notice:
    """The story's text (its body is Telegram HTML already) and, for a member, the "read and
    learned" button; a public channel gets the text alone. The board's preview shows the
    same button, which there counts nothing (it only says so)."""
    tag = Tag(story["tag"])
    text = f"{TAG_MARKS[tag]} <i>{_h(tag_label(tag))}</i>\n<b>{_h(story['title'])}</b>\n\n"
    text += story["body"]
    if public:
        return text, None
    button = cb.STORY_PREVIEW_READ if preview else cb.STORY_READ
    return text, [[(gettext("✅ Read and learned"), button(story["id"]))]]


def unsent(story_id: int, title: str) -> Notice:
    """To whoever scheduled a story: at its time nobody in its audience could receive it,
    so it went back to the drafts."""
    return (
        gettext(
            "Story {id} «{title}» was not sent at its time: nobody in its audience could "
            "receive it. It is a draft again: choose another audience with /story edit {id}, "
            "then send or schedule it."
        ).format(id=story_id, title=_h(title)),
        None,
    )
