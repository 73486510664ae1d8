"""The Bot API methods the fake implements, on top of a :class:`~fake_telegram.world.World`.

:class:`BotApi` takes a method name and its decoded parameters, checks them the way Telegram
does (raising :class:`~fake_telegram.types.ApiError` with Telegram's own error descriptions) and
turns them into changes of the world: getMe, getUpdates (long polling, offsets,
allowed_updates, the 409 conflict between two pollers), the webhook methods, sendMessage,
sendDocument, sendPhoto, sendChatAction, editMessageText/Caption/ReplyMarkup, deleteMessage(s),
answerCallbackQuery, getFile and set/get/deleteMyCommands. No HTTP here: see
:mod:`fake_telegram.server`.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from fake_telegram.html import (
    MAX_ALERT_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    nonempty_text,
    parse_mode_of,
    render,
    utf16_len,
)
from fake_telegram.types import (
    ApiError,
    CallbackAnswer,
    JSONDict,
    ScopeKey,
    StoredFile,
    StoredMessage,
    Upload,
    chat_key,
    entities_field_for,
    inline_markup,
    scope_key,
)
from fake_telegram.world import World

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
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

Uploads = Mapping[str, Upload]


class BotApi:
    """The Bot API methods over one world; keeps the getUpdates settings between calls."""

    # Telegram method name -> implementing attribute. Telegram matches method names
    # case-insensitively, so lookups go through the lower-cased index below.
    API_METHODS: ClassVar[dict[str, str]] = {
        "getMe": "_get_me",
        "getUpdates": "_get_updates",
        "deleteWebhook": "_delete_webhook",
        "setWebhook": "_set_webhook",
        "getWebhookInfo": "_get_webhook_info",
        "sendMessage": "_send_message",
        "editMessageText": "_edit_message_text",
        "editMessageCaption": "_edit_message_caption",
        "editMessageReplyMarkup": "_edit_message_reply_markup",
        "deleteMessage": "_delete_message",
        "deleteMessages": "_delete_messages",
        "answerCallbackQuery": "_answer_callback_query",
        "sendDocument": "_send_document",
        "sendPhoto": "_send_photo",
        "sendChatAction": "_send_chat_action",
        "setMyCommands": "_set_my_commands",
        "getMyCommands": "_get_my_commands",
        "deleteMyCommands": "_delete_my_commands",
        "getFile": "_get_file",
    }
    _METHOD_INDEX: ClassVar[dict[str, str]] = {name.lower(): name for name in API_METHODS}

    def __init__(self, world: World) -> None:
        self.world: World = world
        self._allowed_updates: frozenset[str] | None = None
        self._poll_ticket = 0

    @classmethod
    def canonical_method(cls, method: str) -> str:
        """The canonical spelling of a known method name, else the name unchanged."""
        return cls._METHOD_INDEX.get(method.lower(), method)

    async def call(self, method: str, params: JSONDict, uploads: Uploads | None = None) -> Any:
        """Run a Bot API method; its result, or ApiError for Telegram error answers."""
        name = self._METHOD_INDEX.get(method.lower())
        if name is None:
            raise ApiError(404, "Not Found")
        handler: Callable[..., Any] = getattr(self, self.API_METHODS[name])
        result = handler(params, uploads or {})
        if inspect.isawaitable(result):
            result = await result
        return result

    # --- the bot and its updates -----------------------------------------------------------------

    def _get_me(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        return {
            **self.world.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSONDict, uploads: Uploads) -> list[JSONDict]:
        queue = self.world.update_queue
        offset = _opt_number(params, "offset")
        limit = int(_opt_number(params, "limit") or 100)
        limit = min(max(limit, 1), 100)
        timeout = _opt_number(params, "timeout") or 0.0
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise ApiError(400, "Bad Request: can't parse allowed_updates JSON array")
            # Telegram keeps the setting for later calls; an empty list means "the default".
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset is not None:
            queue.confirm(int(offset))
        # A newer getUpdates terminates a waiting older one with 409, as Telegram does.
        self._poll_ticket += 1
        ticket = self._poll_ticket
        queue.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            if ticket != self._poll_ticket:
                raise ApiError(409, _CONFLICT)
            batch = queue.deliverable(limit, self._allowed_updates)
            if batch or self.world.closing:
                return copy.deepcopy(batch)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await queue.wait(remaining)

    def _delete_webhook(self, params: JSONDict, uploads: Uploads) -> bool:
        if _truthy(params.get("drop_pending_updates", False)):
            self.world.update_queue.clear()
        self.world.webhook = None
        return True

    def _set_webhook(self, params: JSONDict, uploads: Uploads) -> bool:
        # Recorded only: tests post updates to the bot's webhook themselves, with or
        # without the secret, to check the bot verifies it.
        url = str(params.get("url") or "")
        self.world.webhook = (
            {"url": url, "secret_token": params.get("secret_token")} if url else None
        )
        return True

    def _get_webhook_info(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        webhook = self.world.webhook
        return {
            "url": webhook["url"] if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.update_queue),
        }

    # --- sending ---------------------------------------------------------------------------------

    def _send_message(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        chat = self._chat(params, sending=True)
        raw = nonempty_text(params.get("text"))
        parse_mode = parse_mode_of(params.get("parse_mode"))
        plain, entities = render(raw, parse_mode, params.get("entities"))
        markup = _parse_markup(params)
        reply_to = self._reply_target(chat["id"], params)
        fields: JSONDict = {"text": plain}
        if entities:
            fields["entities"] = entities
        stored = self.world.post_message(chat, "text", fields, raw, parse_mode, markup, reply_to)
        return copy.deepcopy(stored.data)

    def _send_document(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        return self._send_media("document", params, uploads)

    def _send_photo(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        return self._send_media("photo", params, uploads)

    def _send_media(self, kind: str, params: JSONDict, uploads: Uploads) -> JSONDict:
        chat = self._chat(params, sending=True)
        stored_file = self._media_input(kind, params, uploads)
        raw = params.get("caption")
        raw = raw if isinstance(raw, str) and raw != "" else None
        parse_mode = parse_mode_of(params.get("parse_mode"))
        fields: JSONDict = {}
        if kind == "document":
            fields["document"] = stored_file.document()
        else:
            fields["photo"] = stored_file.photo_sizes()
        if raw is not None:
            caption_entities = params.get("caption_entities")
            plain, entities = render(raw, parse_mode, caption_entities, "caption")
            fields["caption"] = plain
            if entities:
                fields["caption_entities"] = entities
        markup = _parse_markup(params)
        reply_to = self._reply_target(chat["id"], params)
        stored = self.world.post_message(
            chat, kind, fields, raw, parse_mode, markup, reply_to, stored_file
        )
        return copy.deepcopy(stored.data)

    def _media_input(self, kind: str, params: JSONDict, uploads: Uploads) -> StoredFile:
        value = params.get(kind)
        upload = uploads.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            folder = "documents" if kind == "document" else "photos"
            mime = upload.content_type or "application/octet-stream"
            if kind == "photo":
                mime = mime if mime.startswith("image/") else "image/jpeg"
            return self.world.store_file(folder, upload.filename, mime, upload.data)
        if isinstance(value, str) and (stored := self.world.file(value)) is not None:
            return stored
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_chat_action(self, params: JSONDict, uploads: Uploads) -> bool:
        self._chat(params, sending=True)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    # --- editing and deleting --------------------------------------------------------------------

    def _edit_message_text(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        return self._edit_content("text", params)

    def _edit_message_caption(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        return self._edit_content("caption", params)

    def _edit_content(self, field_name: str, params: JSONDict) -> JSONDict:
        """editMessageText or editMessageCaption: the same edit, on the text or the caption."""
        stored = self._editable(params)
        if (stored.kind == "text") != (field_name == "text"):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the message to edit")
        raw = params.get(field_name)
        if field_name == "text":
            raw = nonempty_text(raw)
        elif not isinstance(raw, str):
            raw = ""  # Leaving the caption out removes it; a text can't be removed.
        parse_mode = parse_mode_of(params.get("parse_mode"))
        entities_field = entities_field_for(field_name)
        plain, entities = render(raw, parse_mode, params.get(entities_field), field_name)
        # Omitting reply_markup removes the inline keyboard on Telegram, so None is compared.
        markup = _parse_markup(params, inline_only=True)
        unchanged = (
            stored.data.get(field_name, "") == plain
            and stored.data.get(entities_field, []) == entities
            and inline_markup(stored.reply_markup) == inline_markup(markup)
        )
        if unchanged:
            raise ApiError(400, _NOT_MODIFIED)
        stored.set_content(field_name, plain, entities, raw, parse_mode)
        stored.set_markup(markup)
        return self.world.record_edit(stored)

    def _edit_message_reply_markup(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        stored = self._editable(params)
        markup = _parse_markup(params, inline_only=True)
        if inline_markup(markup) == inline_markup(stored.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        stored.set_markup(markup)
        return self.world.record_edit(stored)

    def _editable(self, params: Mapping[str, Any]) -> StoredMessage:
        if params.get("inline_message_id") and params.get("chat_id") is None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = _int_param(params, "message_id", "Bad Request: message to edit not found")
        stored = self.world.stored_message(chat["id"], message_id)
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not stored.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _delete_message(self, params: JSONDict, uploads: Uploads) -> bool:
        chat = self._chat(params)
        message_id = _int_param(
            params, "message_id", "Bad Request: message identifier is not specified"
        )
        if not self.world.delete_messages(chat["id"], [message_id]):
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _delete_messages(self, params: JSONDict, uploads: Uploads) -> bool:
        chat = self._chat(params)
        message_ids = params.get("message_ids")
        if not isinstance(message_ids, list) or not message_ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        # deleteMessages skips messages it can't delete instead of failing.
        keys = [chat_key(message_id) for message_id in message_ids]
        self.world.delete_messages(chat["id"], [key for key in keys if isinstance(key, int)])
        return True

    # --- callback queries, commands and files ----------------------------------------------------

    def _answer_callback_query(self, params: JSONDict, uploads: Uploads) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if utf16_len(str(params.get("text") or "")) > MAX_ALERT_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if not self.world.claim_callback_query(query_id):
            raise ApiError(400, _QUERY_INVALID)
        text = params.get("text")
        answer = CallbackAnswer(
            query_id=query_id,
            text=None if text in (None, "") else str(text),
            show_alert=_truthy(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=int(_opt_number(params, "cache_time") or 0),
        )
        self.world.record_callback_answer(answer)
        return True

    def _set_my_commands(self, params: JSONDict, uploads: Uploads) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON array")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            # Telegram only accepts lower-case command names of up to 32 characters.
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self.world.set_commands(self._scope(params), _language(params), cleaned)
        return True

    def _get_my_commands(self, params: JSONDict, uploads: Uploads) -> list[JSONDict]:
        return self.world.stored_commands(self._scope(params), _language(params))

    def _delete_my_commands(self, params: JSONDict, uploads: Uploads) -> bool:
        self.world.set_commands(self._scope(params), _language(params), [])
        return True

    def _scope(self, params: Mapping[str, Any]) -> ScopeKey:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        try:
            key = scope_key(scope)
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object") from None
        if key[1] is not None:
            self._chat({"chat_id": key[1]})
        return key

    def _get_file(self, params: JSONDict, uploads: Uploads) -> JSONDict:
        stored = self.world.file(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_object()

    # --- parameters naming chats and messages ----------------------------------------------------

    def _chat(self, params: Mapping[str, Any], *, sending: bool = False) -> JSONDict:
        key = chat_key(params.get("chat_id"))
        if key is None or key == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self.world.find_chat(key)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if sending and self.world.is_blocked(chat["id"]):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_target(self, chat_id: int, params: Mapping[str, Any]) -> StoredMessage | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            source = reply
            # Replies may quote a message of another chat; only numeric ids are simulated.
            other_chat = chat_key(reply.get("chat_id"))
            if isinstance(other_chat, int):
                chat_id = other_chat
        elif params.get("reply_to_message_id") is not None:
            source = {**params, "message_id": params["reply_to_message_id"]}
        else:
            return None
        allow_missing = _truthy(source.get("allow_sending_without_reply", False))
        target_id = chat_key(source.get("message_id"))
        stored = (
            self.world.stored_message(chat_id, target_id) if isinstance(target_id, int) else None
        )
        if stored is None or stored.deleted:
            if allow_missing:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return stored


def _parse_markup(params: Mapping[str, Any], *, inline_only: bool = False) -> JSONDict | None:
    """Check the reply_markup parameter the way Telegram does; a copy of it, or None."""
    markup = params.get("reply_markup")
    if markup in (None, ""):
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, "Bad Request: can't parse inline keyboard markup")
        for button in (button for row in rows for button in row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            if not _INLINE_BUTTON_ACTIONS & button.keys():
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
            ):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)
    if inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return copy.deepcopy(markup)


def _language(params: Mapping[str, Any]) -> str:
    return str(params.get("language_code") or "")


def _int_param(params: Mapping[str, Any], name: str, error: str) -> int:
    value = params.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ApiError(400, error)


def _opt_number(params: Mapping[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: wrong parameter {name}") from None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)
