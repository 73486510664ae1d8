"""The simulated Telegram world: users, chats, messages, files and the bot's update queue.

:class:`World` is what Telegram itself would hold, with no HTTP and no Bot API parameter
parsing, so tests and a browser sandbox can drive it directly. Its public side is what people
do (:meth:`World.add_user`, :meth:`World.send_text`, :meth:`World.press_button`,
:meth:`World.block_bot` ...) and what they see (:meth:`World.messages`, :meth:`World.events`,
:meth:`World.history`, :meth:`World.wait_changed` ...). The bot's side (post, edit and delete
messages, store files, answer callback queries, keep commands) is used by
:mod:`fake_telegram.methods`. Everything runs on one event loop and every mutation happens
between awaits, so concurrent bot requests can't interleave half-done changes.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterable, Mapping
from typing import Any

from fake_telegram.html import command_entities, parse_html
from fake_telegram.other_updates import OtherUpdates
from fake_telegram.types import (
    DEFAULT_BOT_FIRST_NAME,
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    BotMessage,
    CallbackAnswer,
    FakeUser,
    JSONDict,
    PendingQuery,
    ScopeKey,
    StoredFile,
    StoredMessage,
    find_button,
    scope_key,
)
from fake_telegram.updates import Signal, UpdateQueue


class World(OtherUpdates):
    """Users, chats, messages and files as Telegram holds them, for one bot."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        *,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token: str = token
        self.bot_id: int = int(bot_id)
        self.bot_username: str = bot_username
        self.bot_first_name: str = bot_first_name
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.webhook: JSONDict | None = None
        self.update_queue: UpdateQueue = UpdateQueue()

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(4_000_000_001)
        self._queries: dict[str, PendingQuery] = {}
        self._commands: dict[tuple[ScopeKey, str], list[JSONDict]] = {}
        self._events: dict[int, list[BotMessage]] = {}
        self._closing = False
        self._changed = Signal()

    # --- people and chats ------------------------------------------------------------------------

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
        self._chats[user_id] = user.private_chat()
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

    # --- what users do ---------------------------------------------------------------------------

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: BotMessage | int | None = None,
        html: bool = False,
        forwarded: JSONDict | None = None,
    ) -> JSONDict:
        """The user sends ``text``; returns the enqueued Update.

        Commands ("/start", "/start@bot") get bot_command entities as Telegram adds them.
        ``reply_to`` makes it a reply (e.g. to a ForceReply prompt). ``html=True`` reads
        ``text`` as what the user formatted in their app (<b>, <i>, <a href>...): the bot
        gets the plain text and its entities, as Telegram sends them. ``forwarded`` (a
        ``forward_origin``, see :func:`fake_telegram.other_updates.forward_origin`) makes it
        a forward of someone else's message.
        """
        user, chat = self._sender(user_id, chat_id)
        fields = _formatted("text", text, html)
        if forwarded is not None:
            fields["forward_origin"] = copy.deepcopy(forwarded)
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
        stored = self.store_file("documents", file_name, mime_type, content)
        fields: JSONDict = {"document": stored.document()}
        if caption is not None:
            fields["caption"] = caption
            if entities := command_entities(caption):
                fields["caption_entities"] = entities
        message = self._add_user_message(user, chat, "document", fields, None, stored)
        return self.enqueue_update("message", message)

    def send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        html: bool = False,
        chat_id: int | None = None,
    ) -> JSONDict:
        """The user sends a photo (``html``: the caption as formatted in their app)."""
        user, chat = self._sender(user_id, chat_id)
        stored = self.store_file("photos", "photo.jpg", "image/jpeg", content)
        fields: JSONDict = {"photo": stored.photo_sizes()}
        if caption is not None:
            caption_fields = _formatted("caption", caption, html)
            fields["caption"] = caption_fields["caption"]
            if "entities" in caption_fields:
                fields["caption_entities"] = caption_fields["entities"]
        message = self._add_user_message(user, chat, "photo", fields, None, stored)
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
        stored = self.stored_message(chat_id, message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(f"no bot message {message_id} in chat {chat_id} to press")
        if stored.deleted:
            raise AssertionError(f"message {message_id} in chat {chat_id} was deleted")
        if chat_id in self._blocked:
            raise AssertionError(f"user {user_id} blocks the bot; call unblock_bot() first")
        if callback_data is None:
            if button_text is None:
                raise AssertionError("press_button needs callback_data or button_text")
            current = stored.snapshot(edited=stored.edited).buttons
            button = find_button(current, button_text)
            if button is None and isinstance(message, BotMessage):
                button = find_button(message.buttons, button_text)
            if button is None:
                raise AssertionError(
                    f"no inline button containing {button_text!r} on message {message_id} in "
                    f"chat {chat_id}; available buttons: {current!r}"
                )
            if button[1] is None:
                raise AssertionError(f"button {button[0]!r} has no callback_data")
            callback_data = button[1]
        query_id = str(next(self._query_seq))
        self._queries[query_id] = PendingQuery(user_id, chat_id, message_id)
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
        update = self.update_queue.push(kind, payload)
        self._changed.fire()
        return copy.deepcopy(update)

    # --- what people see -------------------------------------------------------------------------

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset (copies)."""
        return self.update_queue.copies()

    def messages(self, chat_id: int) -> list[BotMessage]:
        """All bot messages in the chat, current state: edits applied, deletions flagged."""
        return [
            stored.snapshot(edited=stored.edited)
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
        return self.stored_commands(scope_key(scope), language_code)

    def visible_commands(
        self, user_id: int, chat_id: int | None = None, language_code: str | None = None
    ) -> list[JSONDict]:
        """The command menu the user would see, resolved with Telegram's scope fallback order.

        Administrator scopes are skipped: simulated users are never group admins.
        """
        user = self.user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        language = (user.language_code or "") if language_code is None else language_code
        scopes: list[ScopeKey]
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

    @property
    def closing(self) -> bool:
        """Whether close() was called: long polls and waits should give up."""
        return self._closing

    def close(self) -> None:
        """Wake long polls and waiters so shutdown doesn't hang on them."""
        self._closing = True
        self.update_queue.wake()
        self._changed.fire()

    # --- the bot's side, used by the Bot API methods ---------------------------------------------

    def bot_user(self) -> JSONDict:
        """The Telegram ``User`` object of the bot."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def find_chat(self, key: int | str) -> JSONDict | None:
        """The chat with that id, or ``"@username"`` (only simulated users have usernames)."""
        if isinstance(key, str):
            found = next(
                (
                    chat_id
                    for chat_id, chat in self._chats.items()
                    if key.startswith("@") and chat.get("username") == key[1:]
                ),
                None,
            )
            if found is None:
                return None
            key = found
        return self._chats.get(key)

    def stored_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """The message (deleted ones too), or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def post_message(
        self,
        chat: JSONDict,
        kind: str,
        fields: JSONDict,
        raw_text: str | None,
        parse_mode: str | None,
        markup: JSONDict | None,
        reply_to: StoredMessage | None,
        file: StoredFile | None = None,
    ) -> StoredMessage:
        """The bot sends a message to ``chat``; ``fields`` are its kind-specific fields."""
        data = self._new_message(chat, self.bot_user(), fields)
        if reply_to is not None:
            data["reply_to_message"] = reply_to.reply_copy()
        stored = StoredMessage(
            data=data,
            from_bot=True,
            kind=kind,
            raw_text=raw_text,
            parse_mode=parse_mode,
            file=file,
        )
        stored.set_markup(markup)
        self._messages.setdefault(chat["id"], {})[data["message_id"]] = stored
        self._emit(stored, edited=False)
        return stored

    def record_edit(self, stored: StoredMessage) -> JSONDict:
        """Mark a bot message as edited now and report the edit; returns the Message."""
        stored.edited = True
        stored.data["edit_date"] = int(time.time())
        self._emit(stored, edited=True)
        return copy.deepcopy(stored.data)

    def delete_messages(self, chat_id: int, message_ids: Iterable[int]) -> list[int]:
        """Delete the messages that exist and are not deleted yet; returns their ids."""
        deleted = []
        for message_id in message_ids:
            stored = self.stored_message(chat_id, message_id)
            if stored is not None and not stored.deleted:
                stored.deleted = True
                deleted.append(message_id)
        if deleted:
            self._changed.fire()
        return deleted

    def store_file(self, folder: str, file_name: str, mime_type: str, data: bytes) -> StoredFile:
        """Keep a file under a new file_id and file_path."""
        number = next(self._file_seq)
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
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

    def file(self, file_id: str) -> StoredFile | None:
        """The stored file with that file_id, or None."""
        return self._files.get(file_id)

    def file_at(self, file_path: str) -> StoredFile | None:
        """The stored file with that file_path (as getFile gave it), or None."""
        return self._files_by_path.get(file_path)

    def claim_callback_query(self, query_id: str) -> bool:
        """Mark the query answered; False if it is unknown or was answered already."""
        query = self._queries.get(query_id)
        if query is None or query.answered:
            return False
        query.answered = True
        return True

    def record_callback_answer(self, answer: CallbackAnswer) -> None:
        """Show the user the bot's answer to their callback query."""
        self.callback_answers[answer.query_id] = answer
        self._changed.fire()

    def stored_commands(self, key: ScopeKey, language_code: str) -> list[JSONDict]:
        """The commands kept for exactly that scope and language (copies)."""
        return copy.deepcopy(self._commands.get((key, language_code), []))

    def set_commands(self, key: ScopeKey, language_code: str, commands: list[JSONDict]) -> None:
        """Keep the bot's commands for that scope and language; an empty list deletes them."""
        if commands:
            self._commands[(key, language_code)] = commands
        else:
            self._commands.pop((key, language_code), None)
        self._changed.fire()

    # --- internals -------------------------------------------------------------------------------

    def _sender(self, user_id: int, chat_id: int | None) -> tuple[FakeUser, JSONDict]:
        user = self.user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self._chats:
            raise AssertionError(f"unknown chat {chat_id}; call add_group() first")
        if chat_id in self._blocked:
            # On Telegram a user who blocked the bot must restart it before writing again.
            raise AssertionError(f"user {user_id} blocks the bot; call unblock_bot() first")
        return user, self._chats[chat_id]

    def _new_message(self, chat: JSONDict, sender: JSONDict, fields: JSONDict) -> JSONDict:
        # Users' and the bot's messages share one counter per chat, like on Telegram.
        message_id = self._last_message_id.get(chat["id"], 0) + 1
        self._last_message_id[chat["id"]] = message_id
        return {
            "message_id": message_id,
            "from": sender,
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            **fields,
        }

    def _add_user_message(
        self,
        user: FakeUser,
        chat: JSONDict,
        kind: str,
        fields: JSONDict,
        reply_to: BotMessage | int | None,
        file: StoredFile | None = None,
    ) -> JSONDict:
        data = self._new_message(chat, user.to_dict(), fields)
        if reply_to is not None:
            target_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
            target = self.stored_message(chat["id"], target_id)
            if target is None or target.deleted:
                raise AssertionError(f"no message {target_id} in chat {chat['id']} to reply to")
            data["reply_to_message"] = target.reply_copy()
        text = fields.get("text", fields.get("caption"))
        self._messages.setdefault(chat["id"], {})[data["message_id"]] = StoredMessage(
            data=data, from_bot=False, kind=kind, raw_text=text, file=file
        )
        return copy.deepcopy(data)

    def _my_chat_member(self, user: FakeUser, old: str, new: str) -> JSONDict:
        def member(status: str) -> JSONDict:
            data: JSONDict = {"user": self.bot_user(), "status": status}
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

    def _emit(self, stored: StoredMessage, *, edited: bool) -> None:
        chat_id = stored.data["chat"]["id"]
        self._events.setdefault(chat_id, []).append(stored.snapshot(edited=edited))
        self._changed.fire()


def _formatted(field_name: str, text: str, html: bool) -> JSONDict:
    """A user's text or caption with its entities: commands always, formatting when ``html``."""
    if html:
        plain, entities = parse_html(text)
        entities = sorted(entities + command_entities(plain), key=lambda e: e["offset"])
    else:
        plain, entities = text, command_entities(text)
    fields: JSONDict = {field_name: plain}
    if entities:
        fields["entities"] = entities
    return fields
