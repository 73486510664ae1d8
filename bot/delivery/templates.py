"""What a queued message says: a template name and its parameters, rendered at send time.

Each template turns plain JSON parameters into ``(text, rows of (label, button data))`` in
the current locale; the sender picks the recipient's language first, so a member who
switched to English after the message was queued reads it in English. The texts themselves
live in ``bot/render/*_notices.py``; this table only maps names to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Rows = Sequence[Sequence[tuple[str, str]]]
Rendered = tuple[str, Rows | None]
Template = Callable[[dict[str, Any]], Rendered]

TEMPLATES: dict[str, Template] = {}


class UnknownTemplate(KeyError):
    """A row names a template this version of the bot does not have."""


def template(name: str) -> Callable[[Template], Template]:
    """Register a template under ``name`` (one name, one function)."""

    def register(func: Template) -> Template:
        if name in TEMPLATES and TEMPLATES[name] is not func:
            raise ValueError(f"template {name!r} registered twice")
        TEMPLATES[name] = func
        return func

    return register


def render(name: str, params: dict[str, Any]) -> Rendered:
    try:
        func = TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None
    return func(params)


# The plain text of a progress message is a template too, so it follows the same path.
@template("text")
def plain_text(params: dict[str, Any]) -> Rendered:
    """Already-rendered text (for messages composed in one language by their author)."""
    return str(params["text"]), params.get("rows")
