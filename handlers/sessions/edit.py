"""/session edit ID (conversation ``session_edit``): pick a field, send the new value, see
it echoed, confirm; the invitees are told. And /session cancel ID, confirmed by a button."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.render.session_notices import describe
from bot.rules import sessions as rules
from bot.services.sessions import SessionOver, SessionView
from handlers import flow
from handlers.replies import h, reply, reply_lines
from handlers.sessions import shared
from handlers.sessions.shared import flow_step, need_id, refuse, text_of
from handlers.ui import confirm_keyboard, keyboard, parse_button, pressed, stale_text

NAME = "session_edit"
EDIT_KEY = "session_edit"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(EDIT_KEY,))
EDIT_FIELD, EDIT_VALUE, EDIT_CONFIRM = range(10, 13)
EDIT_FIELDS = (
    ("topic", N_("Topic")),
    ("starts_at", N_("Time")),
    ("place", N_("Place")),
    ("presenter", N_("Presenter")),
    ("lead_in", N_("Lead-in")),
)
LABELS = dict(EDIT_FIELDS)


async def open_view(context: CadreContext, session_id: int) -> SessionView:
    """The session, for a change: refused once it is closed or cancelled."""
    view = await context.services.sessions.view(context.actor, session_id)
    if not view.session.is_open:
        raise SessionOver(N_("Session {id} is closed; it can no longer be changed."), id=session_id)
    return view


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = need_id(rest)
    view = await open_view(context, session_id)
    context.user_data[EDIT_KEY] = {"id": session_id}
    await reply_lines(
        update,
        [*describe(view.session), "", gettext("What do you want to change?")],
        keyboard(*[[(gettext(label), cb.EDIT_FIELD(name))] for name, label in EDIT_FIELDS]),
    )
    return EDIT_FIELD


@flow_step(NAME, EDIT_KEY, button=True)
async def edit_field(update: Update, context: CadreContext, state: dict) -> int:
    (field,) = parse_button(cb.EDIT_FIELD, update) or (None,)
    if field not in LABELS:
        return await shared.expired(update, context, NAME)
    state["field"] = field
    if field == "starts_at":
        return await shared.ask_when(update, EDIT_VALUE)
    await reply(
        update,
        gettext("Please send the new value for: {field}").format(field=gettext(LABELS[field])),
    )
    return EDIT_VALUE


@flow_step(NAME, EDIT_KEY)
async def edit_value(update: Update, context: CadreContext, state: dict) -> int:
    field = state.get("field")
    if field is None:
        return await shared.expired(update, context, NAME)
    ok, again = cb.EDIT_CONFIRM("ok"), cb.EDIT_CONFIRM("again")
    if field == "starts_at":
        retry = await shared.read_when(update, context, state, EDIT_VALUE, ok, again)
        if retry is not None:
            return retry
        state["value"] = state.pop("starts_at")
        return EDIT_CONFIRM
    try:
        state["value"] = rules.check_field(field, text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return EDIT_VALUE
    await reply(
        update,
        gettext("{field}: <b>{value}</b>\nIs this correct?").format(
            field=gettext(LABELS[field]), value=h(state["value"])
        ),
        reply_markup=confirm_keyboard(ok, again),
    )
    return EDIT_CONFIRM


@flow_step(NAME, EDIT_KEY, button=True)
async def edit_confirm(update: Update, context: CadreContext, state: dict) -> int:
    if "value" not in state:
        return await shared.expired(update, context, NAME)
    if parse_button(cb.EDIT_CONFIRM, update) != ("ok",):
        await reply(update, gettext("Please send the value again."))
        return EDIT_VALUE
    value: object = state["value"]
    if state["field"] == "starts_at":
        value = datetime.fromisoformat(state["value"])
    service = context.services.sessions
    try:
        session = await service.edit(context.actor, state["id"], state["field"], value)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return EDIT_VALUE if isinstance(error, InvalidInput) else flow.close(context, NAME)
    await reply_lines(
        update, [gettext("Saved. The invitees are told of the change."), *describe(session)]
    )
    return flow.close(context, NAME)


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, NAME)


# /session cancel ID --------------------------------------------------------------------------


async def cancel_ask(update: Update, context: CadreContext, session_id: int) -> None:
    view = await open_view(context, session_id)
    question = gettext("Cancel this meeting and tell all {count} invitees?").format(
        count=len(view.invitees)
    )
    await reply_lines(
        update,
        [*describe(view.session), "", question],
        keyboard([(gettext("Yes, cancel the meeting"), cb.CANCEL_SESSION(session_id))]),
    )


async def cancel_confirmed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.CANCEL_SESSION, update)
    if values is None:
        await refuse(update, stale_text())
        return
    service = context.services.sessions
    try:
        session, told = await service.cancel(context.actor, *values)
    except UserFacingError as error:
        await refuse(update, error)
        return
    await pressed(update)
    await reply(
        update,
        gettext("Meeting {id} is cancelled. {count} invitees are being told.").format(
            id=session.id, count=told
        ),
    )


def conversation(application: Application) -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    return flow.conversation(
        application,
        FLOW,
        entry_points=[CommandHandler("session", start, filters=shared.subcommand("edit"))],
        states={
            EDIT_FIELD: [CallbackQueryHandler(edit_field, pattern=cb.EDIT_FIELD.pattern)],
            EDIT_VALUE: [MessageHandler(text, edit_value)],
            EDIT_CONFIRM: [
                CallbackQueryHandler(edit_confirm, pattern=cb.EDIT_CONFIRM.pattern),
                MessageHandler(text, edit_value),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def handlers() -> list[BaseHandler]:
    """Outside the conversation: the button that confirms /session cancel."""
    return [CallbackQueryHandler(cancel_confirmed, pattern=cb.CANCEL_SESSION.pattern)]
