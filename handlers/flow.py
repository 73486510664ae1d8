"""Guided conversations: one open at a time per person, and each one expires.

Every guided conversation is built by :func:`conversation`: named, persistent, with a
timeout (``CADREBOT_CONVERSATION_TIMEOUT_HOURS``, 24 by default). Its entry point calls
:func:`refuse_if_busy`, which records in the person's data which conversation is open and
since when (``user_data[FLOW_KEY]``), or answers "finish it or /cancel" while another one
is open: the text a person types next can only belong to one conversation.

A conversation stops holding a person:
- when it ends (:func:`close` clears the mark);
- when nobody answered for the timeout: python-telegram-bot's ``conversation_timeout`` runs
  the TIMEOUT step, which tells the person once what was closed and whether a draft is
  kept, and clears the working data;
- after a restart, the persistence drops conversations already past the timeout, and the
  bot tells those people once (:func:`announce_expired_at_start`). A conversation loaded
  while still fresh has no timeout job (python-telegram-bot keeps those in memory), so a
  guard in front of each of its steps notices when it has gone stale, or when the person
  has moved on to another conversation, and steps aside, handing the update on.

The registry of conversations lives on the Application (``bot_data``); which conversation
holds whom, and since when, comes from the persistence, which python-telegram-bot keeps
informed through its public interface. No private attribute of python-telegram-bot is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import Application, BaseHandler, ConversationHandler, TypeHandler

from bot.context import CadreContext, services_of
from bot.delivery.templates import template
from bot.i18n import N_, current_locale, gettext
from bot.persistence import SQLitePersistence
from bot.services.notifications import Priority, Recipient
from handlers.replies import reply

log = logging.getLogger(__name__)

FLOW_KEY = "open_flow"
FLOWS_KEY = "flows"
END = ConversationHandler.END


@dataclass(frozen=True)
class FlowSpec:
    """A guided conversation: its name, what the person is doing (shown in refusals and
    in the expiry notice), the working data it keeps in ``user_data`` (dropped when it
    ends or expires), and how to carry on after it expired (where a draft survives in the
    database, how to find it again)."""

    name: str
    what: str
    draft_keys: tuple[str, ...] = ()
    resume: str | None = None
    # Every step may be handled twice with the same outcome (its writes are idempotent):
    # a step cut short by a crash is then handled again at start rather than closed.
    replay: bool = False


@dataclass
class FlowRegistry:
    timeout: timedelta
    persistence: SQLitePersistence | None
    specs: dict[str, FlowSpec] = field(default_factory=dict)
    handlers: dict[str, ConversationHandler] = field(default_factory=dict)

    def spec(self, name: str) -> FlowSpec:
        return self.specs.get(name) or FlowSpec(name, N_("another step"))

    def touched(self, name: str, key: tuple[int, int]) -> datetime | None:
        """When the conversation last moved for this chat and person; None: it holds no
        state for them."""
        if self.persistence is None:
            return None
        return self.persistence.touched(name, key)

    def is_stale(self, touched: datetime, now: datetime) -> bool:
        return bool(self.timeout) and now - touched > self.timeout


def registry_of(application: Application) -> FlowRegistry:
    registry = application.bot_data.get(FLOWS_KEY)
    if registry is None:
        persistence = application.persistence
        registry = FlowRegistry(
            timedelta(hours=24),
            persistence if isinstance(persistence, SQLitePersistence) else None,
        )
        application.bot_data[FLOWS_KEY] = registry
    return registry


def configure(application: Application, timeout: timedelta) -> FlowRegistry:
    registry = registry_of(application)
    registry.timeout = timeout
    return registry


def _key(update: Update) -> tuple[int, int] | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    return (chat.id, user.id)


def _mark_name(mark: object) -> str | None:
    # Marks were plain names before they recorded their start; both are understood.
    if isinstance(mark, dict):
        return mark.get("name")
    return mark if isinstance(mark, str) else None


def _now(context: CadreContext) -> datetime:
    return context.services.clock.now()


# Opening, refusing, closing -----------------------------------------------------------------


def busy_with(update: Update, context: CadreContext, name: str) -> str | None:
    """The name of the other conversation that holds this person, if one does."""
    data = context.user_data if context.user_data is not None else {}
    other = _mark_name(data.get(FLOW_KEY))
    if other is None or other == name:
        return None
    registry = registry_of(context.application)
    key = _key(update)
    touched = registry.touched(other, key) if key else None
    if touched is None or registry.is_stale(touched, _now(context)):
        return None  # the mark outlived its conversation: nobody is locked out by it
    return other


def open_flow(context: CadreContext, name: str) -> None:
    """Record that ``name`` now holds this person, since now, in their language."""
    if context.user_data is not None:
        context.user_data[FLOW_KEY] = {
            "name": name,
            "since": _now(context).isoformat(),
            "locale": current_locale(),
        }


async def refuse_if_busy(update: Update, context: CadreContext, name: str) -> bool:
    """True (after replying, and answering a pressed button) when another flow is open;
    otherwise the flow ``name`` is marked open and False is returned."""
    other = busy_with(update, context, name)
    if other is None:
        open_flow(context, name)
        return False
    text = gettext(
        "You are in the middle of {what}. Please finish it, or send /cancel to stop it, "
        "before starting something else."
    ).format(what=gettext(registry_of(context.application).spec(other).what))
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text)
    return True


def close(context: CadreContext, name: str) -> int:
    """Forget the flow's working data, clear the mark (if it is ours) and end."""
    data = context.user_data
    if data is not None:
        for key in registry_of(context.application).spec(name).draft_keys:
            data.pop(key, None)
        if _mark_name(data.get(FLOW_KEY)) == name:
            data.pop(FLOW_KEY, None)
    return END


# Expiry ------------------------------------------------------------------------------------


def _expire(registry: FlowRegistry, name: str, data: dict | None) -> str | None:
    """Drop the flow's working data and mark; the locale to tell the person in."""
    if data is None:
        return None
    mark = data.get(FLOW_KEY)
    locale = mark.get("locale") if isinstance(mark, dict) else None
    for key in registry.spec(name).draft_keys:
        data.pop(key, None)
    if _mark_name(mark) == name:
        data.pop(FLOW_KEY, None)
    return locale or data.get("language")


@template("flow.expired")
def _expired_notice(params: dict) -> tuple[str, None]:
    spec = FlowSpec(params["name"], params["what"], resume=params.get("resume"))
    hours = max(1, round(params["seconds"] / 3600))
    text = gettext(
        "The step you left open ({what}) was closed after {hours} hours without an answer."
    ).format(what=gettext(spec.what), hours=hours)
    hint = gettext(spec.resume) if spec.resume else gettext("Send the command again to start over.")
    return f"{text} {hint}", None


async def _tell_expired(
    application: Application, registry: FlowRegistry, name: str, chat_id: int, locale: str | None
) -> None:
    """Queued, so it reaches them like any notice (in their language at send time)."""
    spec = registry.spec(name)
    services = services_of(application)
    async with services.db.write() as store:
        await services.notifications.queue(
            store,
            kind="notice",
            template="flow.expired",
            to=[Recipient(chat_id, params={"locale": locale})],
            params={
                "name": name,
                "what": spec.what,
                "resume": spec.resume,
                "seconds": registry.timeout.total_seconds(),
            },
            priority=Priority.ANSWER,
        )


async def announce_expired_at_start(application: Application) -> None:
    """Tell, once, each person whose conversation expired while the bot was stopped."""
    registry = registry_of(application)
    if registry.persistence is None:
        return
    for name, (chat_id, user_id) in registry.persistence.take_expired():
        locale = _expire(registry, name, application.user_data.get(user_id))
        application.mark_data_for_update_persistence(user_ids=[user_id])
        await _tell_expired(application, registry, name, chat_id, locale)


# Steps cut short by a crash ------------------------------------------------------------------


def step_of(application: Application, update: object) -> tuple[str, object | None] | None:
    """The conversation ``update`` is a step of, with its state now (None: it opens it),
    or None when it is no guided step (a /help, a button outside any conversation)."""
    if not isinstance(update, Update):
        return None
    key = _key(update)
    registry = registry_of(application)
    if key is None or registry.persistence is None:
        return None
    data = application.user_data.get(key[1]) or {}
    name = _mark_name(data.get(FLOW_KEY))
    if name is not None and (state := registry.persistence.state(name, key)) is not None:
        return name, state
    for name, handler in registry.handlers.items():
        if any(entry.check_update(update) for entry in handler.entry_points):
            return name, None
    return None


async def begin_step(application: Application, update: object) -> int | None:
    """Before a guided step runs: note it (see :meth:`SQLitePersistence.begin_step`).
    Returns the person's id when noted, for :func:`end_step`."""
    found = step_of(application, update)
    persistence = registry_of(application).persistence
    if found is None or persistence is None:
        return None
    assert isinstance(update, Update)
    key = _key(update)
    assert key is not None
    name, state = found
    try:
        await persistence.begin_step(name, key, state, update.to_dict())
    except Exception:  # the note is a safety net: the step itself must still run
        log.exception("conversation %s: the step could not be noted", name)
        return None
    return key[1]


async def end_step(application: Application, user_id: int) -> None:
    persistence = registry_of(application).persistence
    if persistence is None:
        return
    try:
        await persistence.end_step(user_id)
    except Exception:  # left behind, it is overwritten by the person's next step
        log.exception("the note of a step of user %s could not be dropped", user_id)


@template("flow.interrupted")
def _interrupted_notice(params: dict) -> tuple[str, None]:
    spec = FlowSpec(params["name"], params["what"], resume=params.get("resume"))
    text = gettext(
        "The bot was restarted while it handled your last message, so the step you were in "
        "({what}) was closed. What was saved before it is kept."
    ).format(what=gettext(spec.what))
    hint = gettext(spec.resume) if spec.resume else gettext("Send the command again to start over.")
    return f"{text} {hint}", None


async def resume_cut_short_at_start(application: Application) -> None:
    """After a crash: the steps of replayable conversations that never saw their new state
    saved are handled again (their reply may come twice, their writes do not); other
    conversations cut short were closed at load, and their people are told once."""
    registry = registry_of(application)
    if registry.persistence is None:
        return
    replay, interrupted = await registry.persistence.take_cut_short()
    for step in replay:
        log.warning("conversation %s: a step cut short is handled again", step.flow)
        await application.update_queue.put(Update.de_json(step.update, application.bot))
    services = services_of(application)
    for step in interrupted:
        spec = registry.spec(step.flow)
        locale = _expire(registry, step.flow, application.user_data.get(step.user_id))
        application.mark_data_for_update_persistence(user_ids=[step.user_id])
        async with services.db.write() as store:
            await services.notifications.queue(
                store,
                kind="notice",
                template="flow.interrupted",
                to=[Recipient(step.chat_id, params={"locale": locale})],
                params={"name": step.flow, "what": spec.what, "resume": spec.resume},
                priority=Priority.ANSWER,
            )
        log.warning("conversation %s: a step cut short was closed", step.flow)


def _on_timeout(name: str):  # type: ignore[no-untyped-def]
    async def timed_out(update: Update, context: CadreContext) -> None:
        registry = registry_of(context.application)
        locale = _expire(registry, name, context.user_data)
        if update.effective_user is not None:
            # A job, not an update: python-telegram-bot would not save this change itself.
            context.application.mark_data_for_update_persistence(
                user_ids=[update.effective_user.id]
            )
        if update.effective_chat is not None:
            await _tell_expired(
                context.application, registry, name, update.effective_chat.id, locale
            )
        user = update.effective_user
        log.info("conversation %s expired for user %s", name, user.id if user else None)

    return timed_out


class _StaleGuard(BaseHandler[Update, CadreContext, int]):
    """First in every step of a conversation: matches when the conversation no longer
    holds the person (it went past the timeout without a timeout job, after a restart; or
    the person's mark names another conversation). It then ends this conversation and
    hands the update on, so nothing the person sent is lost."""

    def __init__(self, name: str, application: Application) -> None:
        super().__init__(self._step_aside)
        self.name = name
        self.application = application

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update):
            return False
        key = _key(update)
        if key is None:
            return False
        data = self.application.user_data.get(key[1]) or {}
        if _mark_name(data.get(FLOW_KEY)) != self.name:
            return True
        return self._expired(key)

    def _expired(self, key: tuple[int, int]) -> bool:
        registry = registry_of(self.application)
        touched = registry.touched(self.name, key)
        now = services_of(self.application).clock.now()
        return touched is not None and registry.is_stale(touched, now)

    async def _step_aside(self, update: Update, context: CadreContext) -> int:
        key = _key(update)
        registry = registry_of(context.application)
        mark = (context.user_data or {}).get(FLOW_KEY)
        expired = key is not None and _mark_name(mark) == self.name and self._expired(key)
        plain_text = update.callback_query is None and not (
            update.effective_message is not None
            and (update.effective_message.text or "").startswith("/")
        )
        if expired:
            locale = _expire(registry, self.name, context.user_data)
            await _tell_expired(context.application, registry, self.name, key[0], locale)  # type: ignore[index]
            if plain_text:
                return END  # the notice answers it: the step it was meant for is gone
        log.info("conversation %s steps aside for update %s", self.name, update.update_id)
        # Processed again once this one is done (the person's updates stay in order).
        await context.application.update_queue.put(update)
        return END


def conversation(
    application: Application,
    spec: FlowSpec,
    *,
    entry_points: list[BaseHandler],
    states: dict[object, list[BaseHandler]],
    fallbacks: list[BaseHandler],
) -> ConversationHandler:
    """A named, persistent conversation with a timeout, registered with the flow registry.

    Text and buttons are mixed in every conversation, so ``per_message=False``.
    """
    registry = registry_of(application)
    registry.specs[spec.name] = spec
    guarded = {
        state: [_StaleGuard(spec.name, application), *handlers]
        for state, handlers in states.items()
    }
    guarded[ConversationHandler.TIMEOUT] = [TypeHandler(Update, _on_timeout(spec.name))]
    seconds = registry.timeout.total_seconds()
    handler: ConversationHandler = ConversationHandler(
        entry_points=entry_points,
        states=guarded,
        fallbacks=fallbacks,
        name=spec.name,
        persistent=True,
        allow_reentry=True,
        per_message=False,
        conversation_timeout=seconds or None,
    )
    registry.handlers[spec.name] = handler
    if spec.replay and registry.persistence is not None:
        registry.persistence.replayable.add(spec.name)
    return handler
