"""The first handler groups: who is this, which language, and may they do this at all.

Every privileged command is checked here, once, against the command table; services then
check the scope (which unit) of what is asked. Typed text holding invisible control
characters is refused here too, before any conversation stores it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot import callbacks as cb
from bot.commands import BY_NAME
from bot.context import CadreContext
from bot.errors import current_denial_log, start_denial_log
from bot.i18n import current_locale, gettext, resolve_locale, set_locale
from bot.menus import refresh_menu
from bot.render.text import has_control_characters
from bot.rules.access import may_use
from handlers.replies import is_private, reply, stranger_text
from handlers.shortcuts import command_of
from handlers.ui import refuse_button

log = logging.getLogger(__name__)

RESOLVE_GROUP = -20
GATE_GROUP = -10
AUDIT_GROUP = 100  # after every feature's handlers

# Buttons a person who is not registered yet may press.
STRANGER_BUTTONS = (cb.LANGUAGE, cb.JOIN_NAME)
JOINING_KEY = "joining"


def command_name(update: Update) -> str | None:
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split()[0][1:].split("@")[0].lower()


async def resolve(update: Update, context: CadreContext) -> None:
    start_denial_log()
    user = update.effective_user
    if user is None:
        return
    services = context.services
    actor = await services.registration.identify(user.id)
    context.actor = actor
    stored = actor.member.language if actor.member else None
    if stored is None and context.user_data is not None:
        stored = context.user_data.get("language")
    set_locale(resolve_locale(stored, user.language_code))
    if is_private(update) and update.message is not None:
        await services.registration.note_private_contact(actor)
    if is_private(update) and actor.is_registered and context.user_data is not None:
        # Roles may have changed from the CLI since the menu was set (a no-op when not).
        await refresh_menu(context.bot, actor, update.effective_chat.id, context.user_data,
                           current_locale())  # fmt: skip


GROUP_TOLD_KEY = "told_private_only"
GROUP_RETELL = timedelta(days=1)


async def _outside_private_chat(update: Update, context: CadreContext) -> None:
    """Groups and channels: the bot works in private chats only. It says so in one line,
    at most once a day per group and only when a command was addressed to it, never shows
    personal data there, and otherwise stays silent (people talk among themselves)."""
    query = update.callback_query
    if query is not None:
        await query.answer(gettext("Please message me in a private chat."), show_alert=True)
        raise ApplicationHandlerStop
    if command_name(update) is None or update.effective_chat is None:
        raise ApplicationHandlerStop
    data = context.chat_data if context.chat_data is not None else {}
    now = context.services.clock.now()
    told = data.get(GROUP_TOLD_KEY)
    if told is None or now - datetime.fromisoformat(told) >= GROUP_RETELL:
        data[GROUP_TOLD_KEY] = now.isoformat()
        link = f"https://t.me/{context.bot.username}"
        await reply(
            update, gettext("Please message me in a private chat: {link}").format(link=link)
        )
    raise ApplicationHandlerStop


async def guard(update: Update, context: CadreContext) -> None:
    if not context.has_actor or update.my_chat_member is not None:
        return
    if update.effective_chat is not None and not is_private(update):
        await _outside_private_chat(update, context)
    query = update.callback_query
    if query is not None and not query.data:
        # Every button of ours carries data; python-telegram-bot would hand a query without
        # any to the first pattern handler, as if it matched.
        await query.answer(
            gettext("This button is no longer active. Please send the command again."),
            show_alert=True,
        )
        raise ApplicationHandlerStop
    await _refuse_invisible_characters(update)
    actor = context.actor
    # A shortcut button (a reminder's "File my commitment") is checked as its command.
    name = command_name(update) or command_of(update)
    registered = actor.is_registered or actor.is_admin
    if name is not None:
        spec = BY_NAME.get(name)
        if spec is None:
            await reply(
                update,
                gettext("Unknown command. Send /help to see what you can do.")
                if registered
                else stranger_text(),
            )
            raise ApplicationHandlerStop
        if not registered and not spec.public:
            await _refuse_stranger(update, context, f"/{name}")
        if spec.private_only and not is_private(update):
            await _tell(update, gettext("Please use this command in a private chat with me."))
            raise ApplicationHandlerStop
        if not spec.public and not may_use(actor, spec.roles):
            await _deny(update, context, f"/{name}")
        return
    if registered:
        return
    # Not registered, not a command: only the steps of joining and choosing a language.
    query = update.callback_query
    if query is not None and any(button.matches(query.data) for button in STRANGER_BUTTONS):
        return
    if query is None and context.user_data and context.user_data.get(JOINING_KEY):
        return
    if query is not None:
        await _audit_denial(context, _pressed(query.data))
        await _tell(update, _stranger_or_pending(context))
        raise ApplicationHandlerStop
    await _refuse_stranger(update, context, "message")


async def _refuse_invisible_characters(update: Update) -> None:
    """Typed text with invisible control characters (newline and tab aside) goes no further:
    it would be stored, then break the documents and spreadsheets made from it."""
    message = update.effective_message
    text = message.text or message.caption if message is not None else None
    if not text or not has_control_characters(text):
        return
    log.info("refused a message with control characters from %s", update.effective_user.id)
    await reply(
        update,
        gettext(
            "Your message contains invisible characters (control characters) that cannot be "
            "saved. Please type it again, comrade."
        ),
    )
    raise ApplicationHandlerStop


async def _tell(update: Update, text: str) -> None:
    """A refusal: the reply to a typed command, the alert of a pressed shortcut (its button
    answered, so it does not spin)."""
    if update.callback_query is not None:
        await refuse_button(update, text)
    else:
        await reply(update, text)


def _pressed(data: str | None) -> str:
    """A pressed button as the audit names it: its kind (``cd:ok``), not its ids."""
    words = (data or "").split(":")
    return "button " + ":".join(w for w in words if not w.isdigit())[:40]


def _stranger_or_pending(context: CadreContext) -> str:
    if context.actor.pending:
        return gettext(
            "Your request to join is waiting for the secretary's approval. You will get "
            "a message when it is decided."
        )
    return stranger_text()


async def _refuse_stranger(update: Update, context: CadreContext, what: str) -> None:
    if what.startswith("/"):
        await _audit_denial(context, what)
    await _tell(update, _stranger_or_pending(context))
    raise ApplicationHandlerStop


async def _deny(update: Update, context: CadreContext, what: str) -> None:
    await _audit_denial(context, what)
    await _tell(
        update,
        gettext("Sorry, comrade, {command} is only for the roles that manage it.").format(
            command=what
        ),
    )
    raise ApplicationHandlerStop


async def audit_refusals(update: Update, context: CadreContext) -> None:
    """Last: a refusal raised by a service (or a handler) while this update was handled,
    that nobody wrote to the audit trail, is written now, once, with what was asked."""
    denials = current_denial_log()
    if denials is None or not denials.unaudited() or not context.has_actor:
        return
    query = update.callback_query
    name = command_name(update)
    what = _pressed(query.data) if query is not None else f"/{name}" if name else "message"
    reasons = sorted({error.message for error in denials.unaudited()})
    await _audit_denial(context, what, reason=" | ".join(reasons)[:300])


async def _audit_denial(context: CadreContext, what: str, **detail: object) -> None:
    actor = context.actor
    log.info("denied %s to telegram user %s", what, actor.telegram_id)
    async with context.services.db.write() as store:
        await store.audit.record(
            actor=f"tg:{actor.telegram_id}",
            member_id=actor.member.id if actor.member else None,
            action="button" if what.startswith("button ") else "command",
            target=what.removeprefix("button "),
            outcome="denied",
            detail=detail or None,
        )


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, resolve), group=RESOLVE_GROUP)
    application.add_handler(TypeHandler(Update, guard), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, audit_refusals), group=AUDIT_GROUP)
