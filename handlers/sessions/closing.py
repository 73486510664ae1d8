"""/session close ID (conversation ``session_close``): the paper-style attendance list,
corrected by a line's button or in bulk by number ("3 V ốm", echoed before it is saved),
then «Close the meeting». The line buttons and the close button also work from an older
list, outside the conversation."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
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
from bot.errors import NotFound, UserFacingError
from bot.i18n import N_, gettext
from bot.rules import sessions as rules
from bot.services.sessions import SessionOver
from handlers import flow, shortcuts
from handlers.replies import h, reply, reply_lines, split_message
from handlers.sessions import shared
from handlers.sessions.shared import flow_step, need_id, refuse, text_of
from handlers.ui import answer, confirm_keyboard, drop_markup, keyboard, parse_button, pressed

NAME = "session_close"
BULK_KEY = "session_bulk"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(BULK_KEY,))
CLOSE_EDIT = 13
LINE_BUTTONS_UP_TO = 30  # longer lists are corrected by number only
BUTTONS_PER_ROW = 5


def list_lines(session_id: int, lines: list[rules.Line]) -> list[str]:
    return [
        gettext("<b>Attendance list</b>, meeting {id}").format(id=session_id),
        h(rules.summary_line(rules.count_lines(lines))),
        *[h(rules.format_line(line)) for line in lines],
    ]


def close_keyboard(session_id: int, lines: list[rules.Line]) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, str]]] = []
    if len(lines) <= LINE_BUTTONS_UP_TO:
        buttons = [
            (f"{line.number} {line.icon}", cb.CYCLE_MARK(session_id, line.number)) for line in lines
        ]
        rows += [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    rows.append([(gettext("Close the meeting"), cb.FINALISE(session_id))])
    return keyboard(*rows)


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = need_id(rest)
    session, _unit, lines = await context.services.sessions.attendance(context.actor, session_id)
    if not session.is_open:
        raise SessionOver(N_("Session {id} is closed; it can no longer be changed."), id=session_id)
    context.user_data[BULK_KEY] = {"id": session_id}
    await _send_list(update, session_id, lines, intro=True)
    return CLOSE_EDIT


async def _send_list(update: Update, session_id: int, lines: list[rules.Line], intro: bool) -> None:
    help_text = gettext(
        "To correct, press a line's button, or send corrections by number, e.g. "
        "<code>3 V ốm</code> or <code>5 P</code> (C present, P/V with a reason absent with "
        "reason, K absent without reason). Then press «Close the meeting»."
    )
    body = list_lines(session_id, lines)
    await reply_lines(
        update, [*body, "", help_text] if intro else body, close_keyboard(session_id, lines)
    )


@flow_step(NAME, BULK_KEY)
async def close_text(update: Update, context: CadreContext, state: dict) -> int:
    """A bulk correction such as "3 V ốm": parsed, then repeated back for confirmation."""
    service = context.services.sessions
    try:
        _, _, lines = await service.attendance(context.actor, state["id"])
        changes = rules.parse_bulk(text_of(update), len(lines))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return CLOSE_EDIT
    state["changes"] = [[c.number, c.mark.value, c.reason] for c in changes]
    corrected = rules.apply_changes(lines, changes)
    numbers = {c.number for c in changes}
    echo = [gettext("Change these lines?")]
    echo += [h(rules.format_line(line)) for line in corrected if line.number in numbers]
    await reply_lines(
        update,
        echo,
        confirm_keyboard(cb.BULK_DECIDE("ok", state["id"]), cb.BULK_DECIDE("no", state["id"])),
    )
    return CLOSE_EDIT


async def bulk_decided(update: Update, context: CadreContext) -> int:
    decision, session_id = parse_button(cb.BULK_DECIDE, update) or (None, None)
    state = context.user_data.get(BULK_KEY) or {}
    if session_id is None or session_id != state.get("id") or "changes" not in state:
        await refuse(update, gettext("This button is no longer active."))
        return CLOSE_EDIT
    if decision == "no":
        state.pop("changes", None)
        await pressed(update)
        await reply(update, gettext("Not changed. Send the corrections again."))
        return CLOSE_EDIT
    changes = [rules.Change(n, rules.Mark(m), r) for n, m, r in state.pop("changes")]
    try:
        lines = await context.services.sessions.correct(context.actor, state["id"], changes)
    except UserFacingError as error:
        await refuse(update, error)
        return CLOSE_EDIT
    await answer(update, gettext("Saved."))
    await drop_markup(update)
    await _send_list(update, state["id"], lines, intro=False)
    return CLOSE_EDIT


async def cycle_pressed(update: Update, context: CadreContext) -> None:
    """A line's button: present → absent with reason → absent without → present (an
    exempt member's: exempt ↔ present)."""
    session_id, number = parse_button(cb.CYCLE_MARK, update) or (None, None)
    service = context.services.sessions
    try:
        if session_id is None:
            raise NotFound(N_("This button is no longer active."))
        _, _, lines = await service.attendance(context.actor, session_id)
        line = next((line for line in lines if line.number == number), None)
        if line is None:
            raise NotFound(N_("This button is no longer active."))
        new_mark = line.next_mark
        reason = line.reason if new_mark is rules.Mark.EXCUSED else ""
        lines = await service.correct(
            context.actor, session_id, [rules.Change(line.number, new_mark, reason)]
        )
    except UserFacingError as error:
        await refuse(update, error)
        return
    await answer(update)
    chunks = split_message(list_lines(session_id, lines))
    if len(chunks) == 1:
        with contextlib.suppress(BadRequest):
            await update.callback_query.edit_message_text(
                chunks[0], reply_markup=close_keyboard(session_id, lines)
            )


async def finalise_pressed(update: Update, context: CadreContext) -> int | None:
    """Close the meeting. Ends the close conversation when it is this session's; a button
    from an older list leaves any open step alone (None keeps its state)."""
    values = parse_button(cb.FINALISE, update)
    if values is None:
        await refuse(update, gettext("This button is no longer active."))
        return None
    (session_id,) = values
    try:
        session, counts = await context.services.sessions.close(context.actor, session_id)
    except UserFacingError as error:
        await refuse(update, error)
        return None
    await pressed(update)
    await reply(
        update,
        gettext(
            "Meeting {id} is closed.\n{summary}\nRecord the minutes: /session minutes {id}"
        ).format(id=session.id, summary=h(rules.summary_line(counts))),
    )
    state = context.user_data.get(BULK_KEY)
    return flow.close(context, NAME) if state and state.get("id") == session_id else None


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, NAME)


def conversation(application: Application) -> ConversationHandler:
    return flow.conversation(
        application,
        FLOW,
        entry_points=[
            CommandHandler("session", start, filters=shared.subcommand("close")),
            shortcuts.entry("session_close", start, NAME),
        ],
        states={
            CLOSE_EDIT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, close_text),
                CallbackQueryHandler(bulk_decided, pattern=cb.BULK_DECIDE.pattern),
                CallbackQueryHandler(finalise_pressed, pattern=cb.FINALISE.pattern),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def handlers() -> list[BaseHandler]:
    """Outside the conversation: the buttons of any list, an older one included."""
    return [
        CallbackQueryHandler(cycle_pressed, pattern=cb.CYCLE_MARK.pattern),
        CallbackQueryHandler(finalise_pressed, pattern=cb.FINALISE.pattern),
    ]
