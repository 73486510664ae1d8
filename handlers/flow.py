"""One open conversation at a time per person.

Every guided conversation marks itself open in ``user_data[FLOW_KEY]`` when it starts and
clears the mark when it ends. The entry point of another conversation calls
:func:`refuse_if_busy` and, while a different one is open, replies with a clear message
instead of starting: the text the person types next can only belong to one conversation.

A stale mark (the conversation it names no longer holds a state for this person, e.g. after
its state was lost) is ignored, so nobody is ever locked out.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import CadreContext
from bot.i18n import N_, gettext
from handlers.gate import JOINING_KEY
from handlers.replies import reply

FLOW_KEY = "open_flow"

# Conversation name -> what the person is doing, shown in the refusal.
FLOW_NAMES: dict[str, str] = {
    "registration": N_("joining"),
    "commitment_filing": N_("filing your commitment (/commit)"),
    "commitment_return": N_("writing a return comment"),
    "commitment_self_review": N_("your year-end self-assessment (/review)"),
    "commitment_grade": N_("grading a member (/grade)"),
    "campaign_admin": N_("editing a campaign (/campaign)"),
    "session": N_("a meeting step (/session)"),
    "session_absence": N_("giving the reason you can't attend a meeting"),
}

_handlers: dict[str, ConversationHandler] = {}


def track(handler: ConversationHandler) -> ConversationHandler:
    """Remember a conversation so a stale mark for it can be recognised."""
    if handler.name:
        _handlers[handler.name] = handler
    return handler


def _still_open(name: str, update: Update) -> bool:
    handler = _handlers.get(name)
    conversations = getattr(handler, "_conversations", None)
    if handler is None or conversations is None:
        return True  # cannot tell: trust the mark
    chat, user = update.effective_chat, update.effective_user
    key = (chat.id if chat else None, user.id if user else None)
    return conversations.get(key) is not None


def busy_with(update: Update, context: CadreContext, name: str) -> str | None:
    """The other open conversation's name, if any."""
    data = context.user_data if context.user_data is not None else {}
    if data.get(JOINING_KEY):
        return "registration"
    other = data.get(FLOW_KEY)
    if other and other != name and _still_open(other, update):
        return other
    return None


async def refuse_if_busy(update: Update, context: CadreContext, name: str) -> bool:
    """True (after replying, and answering a pressed button) when another flow is open."""
    other = busy_with(update, context, name)
    if other is None:
        context.user_data[FLOW_KEY] = name
        return False
    text = gettext(
        "You are in the middle of {what}. Please finish it, or send /cancel to stop it, "
        "before starting something else."
    ).format(what=gettext(FLOW_NAMES.get(other, N_("another step"))))
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text)
    return True


def close(context: CadreContext, name: str) -> int:
    """Clear the mark (if it is ours) and end the conversation."""
    if context.user_data is not None and context.user_data.get(FLOW_KEY) == name:
        context.user_data.pop(FLOW_KEY, None)
    return ConversationHandler.END
