"""The world's rarer updates: channel posts, edited messages and forwarded messages.

A mixin of :class:`~fake_telegram.world.World` (kept apart so the world stays readable):
what a person does in a channel the bot administers, when they edit a message they sent,
and when they forward someone else's message to the bot. Each builds the update the way
Telegram shapes it: a channel post has ``sender_chat`` and no ``from``; an edit carries
``edit_date`` and arrives as ``edited_message`` (``edited_channel_post`` in a channel); a
forward carries ``forward_origin``.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

from fake_telegram.html import command_entities, parse_html
from fake_telegram.types import FakeUser, JSONDict, StoredMessage

if TYPE_CHECKING:
    from fake_telegram.world import World

    _Base = World
else:
    _Base = object


class OtherUpdates(_Base):
    """Channels, edits and forwards; mixed into World."""

    def add_channel(self, chat_id: int, title: str) -> None:
        """Register a channel the bot administers (its posts reach the bot)."""
        if chat_id >= 0:
            raise ValueError("channel ids are negative")
        self._chats[chat_id] = {"id": chat_id, "type": "channel", "title": title}

    def post_in_channel(self, chat_id: int, text: str) -> JSONDict:
        """A post in the channel: no sender user, the channel itself as ``sender_chat``."""
        chat = self._chats.get(chat_id)
        if chat is None or chat["type"] != "channel":
            raise AssertionError(f"no channel {chat_id}; call add_channel() first")
        data = self._new_message(chat, {}, {"text": text})
        data.pop("from")
        data["sender_chat"] = copy.deepcopy(chat)
        if entities := command_entities(text):
            data["entities"] = entities
        self._messages.setdefault(chat_id, {})[data["message_id"]] = StoredMessage(
            data=data, from_bot=False, kind="text", raw_text=text
        )
        return self.enqueue_update("channel_post", copy.deepcopy(data))

    def edit_text(
        self, chat_id: int, message_id: int, text: str, *, html: bool = False
    ) -> JSONDict:
        """The sender edits a text message they sent earlier; returns the enqueued Update."""
        stored = self.stored_message(chat_id, message_id)
        if stored is None or stored.from_bot or stored.deleted or stored.kind != "text":
            raise AssertionError(f"no user text message {message_id} in chat {chat_id} to edit")
        plain, entities = parse_html(text) if html else (text, [])
        entities = sorted(entities + command_entities(plain), key=lambda e: e["offset"])
        stored.data["text"] = plain
        stored.data.pop("entities", None)
        if entities:
            stored.data["entities"] = entities
        stored.data["edit_date"] = int(time.time())
        stored.raw_text = text
        stored.edited = True
        kind = "edited_channel_post" if "sender_chat" in stored.data else "edited_message"
        return self.enqueue_update(kind, copy.deepcopy(stored.data))

    def user_messages(self, chat_id: int) -> list[JSONDict]:
        """The people's (not the bot's) messages in the chat, as Telegram Message dicts."""
        return [
            copy.deepcopy(stored.data)
            for _, stored in sorted(self._messages.get(chat_id, {}).items())
            if not stored.from_bot and not stored.deleted
        ]


def forward_origin(
    *, user: FakeUser | None = None, hidden_name: str | None = None, chat: JSONDict | None = None
) -> JSONDict:
    """A ``forward_origin`` for :meth:`World.send_text`: from a user, a user who hides
    their account (only a name), or a channel's post."""
    date = int(time.time()) - 3600
    if user is not None:
        return {"type": "user", "sender_user": user.to_dict(), "date": date}
    if chat is not None:
        return {"type": "channel", "chat": copy.deepcopy(chat), "message_id": 1, "date": date}
    return {"type": "hidden_user", "sender_user_name": hidden_name or "?", "date": date}
