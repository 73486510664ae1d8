"""/session minutes ID (conversation ``session_minutes``, also entered by «Record again»):
chair, minute-taker, guests, agenda, the speakers, difficulties, solutions, the chair's
conclusion and the time the meeting ended, checked, saved, and sent back as the DOCX. Once
minutes exist the command sends the document and offers to record them again."""

from __future__ import annotations

import asyncio
from datetime import datetime

from telegram import InputFile, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_datetime, gettext
from bot.parsing import parse_time
from bot.render.minutes import minutes_file
from bot.render.text import utf16_len
from bot.rules import minutes as minutes_rules
from bot.rules import sessions as rules
from bot.services.sessions import Minutes, SessionView
from handlers import flow, shortcuts
from handlers.replies import h, reply, reply_lines, split_message
from handlers.sessions import shared
from handlers.sessions.shared import END, Step, flow_step, need_id, refuse, text_of
from handlers.ui import confirm_keyboard, keyboard, parse_button, pressed, stale_text

NAME = "session_minutes"
MINUTES_KEY = "session_minutes"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(MINUTES_KEY,))
(
    MIN_CHAIR,
    MIN_TAKER,
    MIN_GUESTS,
    MIN_AGENDA,
    MIN_SPEAKERS,
    MIN_DIFFICULTIES,
    MIN_SOLUTIONS,
    MIN_CONCLUSION,
    MIN_CONFIRM,
) = range(14, 23)
MIN_END = 23  # added after the others, so that a saved state keeps its meaning

MINUTES_CHAIR_PROMPT = N_("Who chaired the meeting? Send the full name.")
GUESTS_PROMPT = N_("Guests, if any (names and positions).")
AGENDA_PROMPT = N_("The agenda (leave it to use the meeting's topic).")
END_PROMPT = N_("What time did the meeting end? For example 21:15.")
SPEAKERS_PROMPT = N_(
    "The speakers and their opinions, one per line as «Name: opinion». Send several "
    "messages if you like, then press «Speakers done»."
)


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = need_id(rest)
    view = await context.services.sessions.minutes_context(context.actor, session_id)
    if view.minutes is None:
        return await _ask_first(update, context, view)
    await send_document(update, context, session_id)
    await reply(
        update,
        gettext("The minutes of meeting {id} are recorded. Record them again?").format(
            id=session_id
        ),
        reply_markup=keyboard([(gettext("Record again"), cb.MINUTES_AGAIN(session_id))]),
    )
    return flow.close(context, NAME)


async def again(update: Update, context: CadreContext) -> int:
    """«Record again»: the same questions from the start."""
    if await flow.refuse_if_busy(update, context, NAME):
        return END
    values = parse_button(cb.MINUTES_AGAIN, update)
    if values is None:
        await refuse(update, stale_text())
        return flow.close(context, NAME)
    try:
        view = await context.services.sessions.minutes_context(context.actor, *values)
    except UserFacingError as error:
        await refuse(update, error)
        return flow.close(context, NAME)
    await pressed(update)
    return await _ask_first(update, context, view)


async def _ask_first(update: Update, context: CadreContext, view: SessionView) -> int:
    counts = rules.count_lines(rules.lines_of(view.invitees))
    context.user_data[MINUTES_KEY] = {
        "id": view.session.id,
        "starts_at": view.session.starts_at.isoformat(),
        "speakers": [],
    }
    await reply(
        update,
        "\n".join(
            [
                gettext("<b>Minutes</b> of meeting {id}: {topic}").format(
                    id=view.session.id, topic=h(view.session.topic)
                ),
                h(rules.summary_line(counts)),
                "",
                gettext(MINUTES_CHAIR_PROMPT),
            ]
        ),
    )
    return MIN_CHAIR


def _minutes_text(update: Update, low: int = 2, high: int = 3000) -> str:
    text = text_of(update).strip()
    if not low <= utf16_len(text) <= high:  # as Telegram counts: an emoji is two
        raise InvalidInput(N_("Please send {low} to {high} characters."), low=low, high=high)
    return text


async def _ask(update: Update, prompt: str, state: int, *, skip: bool = False) -> int:
    markup = keyboard([(gettext("Skip"), cb.MINUTES_SKIP())]) if skip else None
    await reply(update, gettext(prompt), reply_markup=markup)
    return state


def _text_step(
    key: str, state: int, next_state: int, prompt: str, *, skip: bool = False, high: int = 3000
) -> Step:
    """One free-text step of the minutes: keep the answer, then ask the next question."""

    @flow_step(NAME, MINUTES_KEY)
    async def text_step(update: Update, context: CadreContext, data: dict) -> int:
        try:
            data[key] = " ".join(_minutes_text(update, high=high).split())
        except UserFacingError as error:
            await reply(update, error.render_html())
            return state
        return await _ask(update, prompt, next_state, skip=skip)

    text_step.__name__ = f"min_{key}"
    return text_step


min_chair = _text_step(
    "chair", MIN_CHAIR, MIN_TAKER, N_("Who took the minutes (the minute-taker)?"), high=100
)
min_taker = _text_step("minute_taker", MIN_TAKER, MIN_GUESTS, GUESTS_PROMPT, skip=True, high=500)
min_guests = _text_step("guests", MIN_GUESTS, MIN_AGENDA, AGENDA_PROMPT, skip=True)
min_agenda = _text_step("agenda", MIN_AGENDA, MIN_SPEAKERS, SPEAKERS_PROMPT)
min_difficulties = _text_step(
    "difficulties", MIN_DIFFICULTIES, MIN_SOLUTIONS, N_("The solutions proposed.")
)
min_solutions = _text_step(
    "solutions", MIN_SOLUTIONS, MIN_CONCLUSION, N_("The chair's conclusion.")
)


@flow_step(NAME, MINUTES_KEY, button=True)
async def min_skip(update: Update, context: CadreContext, data: dict) -> int:
    if "guests" not in data:
        data["guests"] = ""
        return await _ask(update, AGENDA_PROMPT, MIN_AGENDA, skip=True)
    data["agenda"] = ""
    return await _ask(update, SPEAKERS_PROMPT, MIN_SPEAKERS)


@flow_step(NAME, MINUTES_KEY)
async def min_speakers(update: Update, context: CadreContext, data: dict) -> int:
    try:
        speakers = minutes_rules.parse_speakers(text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return MIN_SPEAKERS
    data["speakers"].extend([list(s) for s in speakers])
    echo = [gettext("Speakers so far:")]
    echo += [f"{i}. <b>{h(n)}</b>: {h(o)}" for i, (n, o) in enumerate(data["speakers"], start=1)]
    await reply(
        update,
        split_message(echo)[-1],
        reply_markup=keyboard([(gettext("Speakers done"), cb.MINUTES_SPEAKERS_DONE())]),
    )
    return MIN_SPEAKERS


@flow_step(NAME, MINUTES_KEY, button=True)
async def min_speakers_done(update: Update, context: CadreContext, data: dict) -> int:
    return await _ask(update, N_("The difficulties and limits raised."), MIN_DIFFICULTIES)


@flow_step(NAME, MINUTES_KEY)
async def min_conclusion(update: Update, context: CadreContext, data: dict) -> int:
    try:
        data["conclusion"] = _minutes_text(update)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return MIN_CONCLUSION
    return await _ask(update, END_PROMPT, MIN_END)


@flow_step(NAME, MINUTES_KEY)
async def min_end(update: Update, context: CadreContext, data: dict) -> int:
    """ "Giờ kết thúc": a time on the meeting's day, after its start."""
    try:
        starts_at = datetime.fromisoformat(data["starts_at"])
        ends_at = minutes_rules.meeting_end(
            starts_at, parse_time(text_of(update)), context.services.sessions.tz
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return MIN_END
    data["ends_at"] = ends_at.isoformat()
    lines = [
        gettext("Please check the minutes:"),
        gettext("Chair: {name}").format(name=h(data["chair"])),
        gettext("Minute-taker: {name}").format(name=h(data["minute_taker"])),
    ]
    if data.get("guests"):
        lines.append(gettext("Guests: {names}").format(names=h(data["guests"])))
    if data.get("agenda"):
        lines.append(gettext("Agenda: {text}").format(text=h(data["agenda"])))
    lines.append(gettext("Speakers: {count}").format(count=len(data["speakers"])))
    lines.append(gettext("Difficulties: {text}").format(text=h(data["difficulties"])))
    lines.append(gettext("Solutions: {text}").format(text=h(data["solutions"])))
    lines.append(gettext("Conclusion: {text}").format(text=h(data["conclusion"])))
    lines.append(gettext("Ended: {time}").format(time=format_datetime(ends_at)))
    await reply_lines(
        update, lines, confirm_keyboard(cb.MINUTES_SAVE("save"), cb.MINUTES_SAVE("redo"))
    )
    return MIN_CONFIRM


@flow_step(NAME, MINUTES_KEY, button=True)
async def min_save(update: Update, context: CadreContext, data: dict) -> int:
    if parse_button(cb.MINUTES_SAVE, update) != ("save",):
        data["speakers"] = []
        return await _ask(update, MINUTES_CHAIR_PROMPT, MIN_CHAIR)
    minutes = Minutes(
        session_id=data["id"],
        chair=data["chair"],
        minute_taker=data["minute_taker"],
        guests=data.get("guests", ""),
        agenda=data.get("agenda", ""),
        speakers=tuple((n, o) for n, o in data["speakers"]),
        difficulties=data.get("difficulties", ""),
        solutions=data.get("solutions", ""),
        conclusion=data["conclusion"],
        ends_at=datetime.fromisoformat(data["ends_at"]) if data.get("ends_at") else None,
    )
    try:
        await context.services.sessions.save_minutes(context.actor, minutes)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    await reply(update, gettext("The minutes are saved. Here is the document:"))
    await send_document(update, context, data["id"])
    return flow.close(context, NAME)


async def send_document(update: Update, context: CadreContext, session_id: int) -> None:
    """The minutes as a DOCX: the service gives the data, bot/render/minutes.py the file."""
    data = await context.services.sessions.minutes_data(context.actor, session_id)
    name, content = await asyncio.to_thread(minutes_file, data)  # off the event loop
    await update.effective_message.reply_document(
        InputFile(content, filename=name),
        caption=gettext("Minutes of meeting {id}").format(id=session_id),
    )


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, NAME)


def conversation(application: Application) -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    skip = CallbackQueryHandler(min_skip, pattern=cb.MINUTES_SKIP.pattern)
    return flow.conversation(
        application,
        FLOW,
        entry_points=[
            CommandHandler("session", start, filters=shared.subcommand("minutes")),
            shortcuts.entry("session_minutes", start, NAME),
            CallbackQueryHandler(again, pattern=cb.MINUTES_AGAIN.pattern),
        ],
        states={
            MIN_CHAIR: [MessageHandler(text, min_chair)],
            MIN_TAKER: [MessageHandler(text, min_taker)],
            MIN_GUESTS: [MessageHandler(text, min_guests), skip],
            MIN_AGENDA: [MessageHandler(text, min_agenda), skip],
            MIN_SPEAKERS: [
                MessageHandler(text, min_speakers),
                CallbackQueryHandler(min_speakers_done, pattern=cb.MINUTES_SPEAKERS_DONE.pattern),
            ],
            MIN_DIFFICULTIES: [MessageHandler(text, min_difficulties)],
            MIN_SOLUTIONS: [MessageHandler(text, min_solutions)],
            MIN_CONCLUSION: [MessageHandler(text, min_conclusion)],
            MIN_END: [MessageHandler(text, min_end)],
            MIN_CONFIRM: [CallbackQueryHandler(min_save, pattern=cb.MINUTES_SAVE.pattern)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
