"""/session for secretaries and committees; /sessions and /attend for members; invitation
answers, check-in, late reports, closing with the paper-style list, minutes, bridge points,
the study cascade and reports. Telegram only: every rule lives in the session service.

Two guided conversations take free text: ``session`` (the /session subcommands that ask
questions: new, edit, close, minutes) and ``session_absence`` (the reason for "I can't
attend"). Both take part in handlers/flow.py, so one person has one open conversation.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CadreContext, services_of
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.i18n import N_, current_locale, format_date, format_datetime, gettext, use_locale
from bot.parsing import parse_date, parse_whole_number
from bot.rules import sessions as rules
from bot.services.sessions import (
    Draft,
    Minutes,
    Session,
    SessionOver,
    SessionView,
    check_field,
    describe,
    detail_lines,
    lines_of,
)
from handlers import flow
from handlers.replies import h, reply, reply_lines, split_message

log = logging.getLogger(__name__)

FLOW = "session"
ABSENCE_FLOW = "session_absence"

# Conversation states (one conversation for every /session subcommand that asks questions).
(
    NEW_UNIT,
    NEW_KIND,
    NEW_TOPIC,
    NEW_CAMPAIGN,
    NEW_WHEN,
    NEW_WHEN_OK,
    NEW_PLACE,
    NEW_PRESENTER,
    NEW_LEADIN,
    NEW_CONFIRM,
    EDIT_FIELD,
    EDIT_VALUE,
    EDIT_CONFIRM,
    CLOSE_EDIT,
    MIN_CHAIR,
    MIN_TAKER,
    MIN_GUESTS,
    MIN_AGENDA,
    MIN_SPEAKERS,
    MIN_DIFFICULTIES,
    MIN_SOLUTIONS,
    MIN_CONCLUSION,
    MIN_CONFIRM,
) = range(23)
# The absence-reason conversation.
ASK_REASON = 0

DRAFT_KEY = "session_draft"
EDIT_KEY = "session_edit"
BULK_KEY = "session_bulk"
MINUTES_KEY = "session_minutes"
BRIDGE_KEY = "session_bridge"
DEADLINE_KEY = "session_deadline"
REASON_KEY = "session_absence"
# bot_data: the /session show messages kept up to date as members answer (session id ->
# chat id -> (message id, Telegram user id, locale)), and the redraws under way. UI state
# only: after a restart the Refresh button still works.
WATCH_KEY = "session_watchers"
REDRAW_KEY = "session_redrawing"
WATCHERS_PER_SESSION = 5

SUBCOMMANDS = (
    ("new", N_("create a meeting and invite the members")),
    ("list", N_("upcoming and recent meetings")),
    ("show ID", N_("details and the members' answers")),
    ("edit ID", N_("change the topic, time or place")),
    ("cancel ID", N_("cancel and tell the invitees")),
    ("checkin ID", N_("open check-in and get the code to read out")),
    ("close ID", N_("correct the attendance list and close")),
    ("minutes ID", N_("record the minutes and get the DOCX")),
    ("bridge ID COUNT", N_("report a bridge point's head count")),
    ("deadline DATE", N_("set the study deadline for your units")),
    ("report [period]", N_("attendance, the meeting rule and the study cascade")),
)
EDIT_FIELDS = (
    ("topic", N_("Topic")),
    ("starts_at", N_("Time")),
    ("place", N_("Place")),
    ("presenter", N_("Presenter")),
    ("lead_in", N_("Lead-in")),
)
MINUTES_LIST_LIMIT = 40

Step = Callable[..., Awaitable[Any]]


# Small helpers ------------------------------------------------------------------------------


def _kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _confirm_kb(ok: str, edit: str) -> InlineKeyboardMarkup:
    return _kb([(gettext("Confirm"), ok), (gettext("Edit"), edit)])


def _refresh_kb(session_id: int) -> InlineKeyboardMarkup:
    return _kb([(gettext("Refresh"), f"ses:show:{session_id}")])


def _answer_kb(session_id: int) -> InlineKeyboardMarkup:
    return _kb(
        [
            (gettext("I will attend"), f"ses:yes:{session_id}"),
            (gettext("I can't attend"), f"ses:no:{session_id}"),
        ]
    )


async def _drop_markup(update: Update) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


async def _pressed(update: Update) -> CallbackQuery:
    """Answer a pressed button and take the buttons off its message: it has done its job."""
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    return query


async def _refuse(update: Update, error: UserFacingError | str) -> None:
    """Say why a pressed button did nothing. A session that is closed, cancelled or gone
    will never take the button again, so its buttons come off."""
    text = error.render() if isinstance(error, UserFacingError) else error
    await update.callback_query.answer(text, show_alert=True)
    if isinstance(error, SessionOver | NotFound):
        await _drop_markup(update)


def _data_int(update: Update, index: int = -1) -> int:
    """A number from the pressed button's data, by default the last one: ``ses:yes:12``."""
    return int((update.callback_query.data or "").split(":")[index])


def _id(text: str) -> int:
    value = parse_whole_number(text.strip().lstrip("#"))
    if value is None:
        raise InvalidInput(
            N_("Please give the session number, for example: /session show 12"),
        )
    return value


def _forget(context: CadreContext, *keys: str) -> None:
    for key in keys or (DRAFT_KEY, EDIT_KEY, BULK_KEY, MINUTES_KEY):
        context.user_data.pop(key, None)


def _end(context: CadreContext) -> int:
    """Forget the conversation's data, clear the open-flow mark and end."""
    _forget(context)
    return flow.close(context, FLOW)


async def _expired(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("This step has expired. Please send the command again."))
    return _end(context)


def _step(key: str, *, button: bool = False) -> Callable[[Step], Step]:
    """A conversation step: for a button, answer it and take it off; then fetch the data the
    conversation keeps under ``key`` and pass it on, or end politely when it is gone."""

    def wrap(func: Step) -> Step:
        @functools.wraps(func)
        async def run(update: Update, context: CadreContext) -> int:
            if button:
                await _pressed(update)
            data = context.user_data.get(key)
            if data is None:
                return await _expired(update, context)
            return await func(update, context, data)

        return run

    return wrap


def _text(update: Update) -> str:
    return update.effective_message.text or ""


def _kind_name(kind: str) -> str:
    return gettext(rules.KIND_NAMES[rules.Kind(kind)])


# /session: the router ---------------------------------------------------------------------


async def route(update: Update, context: CadreContext) -> int | None:
    """Subcommands that ask questions start (or restart) the conversation; the others answer
    at once and leave an open conversation where it was (returning None keeps its state)."""
    args = context.args or []
    sub = args[0].lower() if args else ""
    rest = args[1:]
    starters = {
        "new": new_start,
        "edit": edit_start,
        "close": close_start,
        "minutes": minutes_start,
    }
    if sub in starters:
        if await flow.refuse_if_busy(update, context, FLOW):
            return None
        try:
            return await starters[sub](update, context, rest)
        except UserFacingError as error:
            await reply(update, error.render_html())
            return _end(context)
    try:
        if sub == "list":
            await show_list(update, context)
        elif sub == "show":
            await show_one(update, context, _need_id(rest))
        elif sub == "cancel":
            await cancel_ask(update, context, _need_id(rest))
        elif sub == "checkin":
            await open_checkin(update, context, _need_id(rest))
        elif sub == "bridge":
            await bridge_ask(update, context, rest)
        elif sub == "deadline":
            await deadline_ask(update, context, rest)
        elif sub == "report":
            await show_report(update, context, " ".join(rest) or None)
        else:
            await show_menu(update)
    except UserFacingError as error:
        await reply(update, error.render_html())
    return None


def _need_id(rest: list[str]) -> int:
    if not rest:
        raise InvalidInput(N_("Please give the session number, for example: /session show 12"))
    return _id(rest[0])


async def show_menu(update: Update) -> None:
    lines = [gettext("<b>Meetings</b> — what you can do:")]
    lines += [f"/session {h(name)} — {gettext(what)}" for name, what in SUBCOMMANDS]
    await reply(update, "\n".join(lines))


async def cancel_conversation(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return _end(context)


# /session new -----------------------------------------------------------------------------


async def new_start(update: Update, context: CadreContext, rest: list[str]) -> int:
    service = context.services.sessions
    _forget(context)
    if rest:
        units = [await service.unit_for(context.actor, rest[0])]
    else:
        units = await service.managed_units(context.actor)
    if not units:
        await reply(update, gettext("You do not manage any unit's meetings."))
        return _end(context)
    context.user_data[DRAFT_KEY] = {}
    if len(units) > 1:
        await reply(
            update,
            gettext("Which unit is the meeting for?"),
            reply_markup=_kb(*[[(u.name, f"sesn:unit:{u.id}")] for u in units[:20]]),
        )
        return NEW_UNIT
    return await _ask_kind(update, context, units[0].id, units[0].name)


@_step(DRAFT_KEY, button=True)
async def new_unit(update: Update, context: CadreContext, draft: dict) -> int:
    unit_id = _data_int(update)
    for unit in await context.services.sessions.managed_units(context.actor):
        if unit.id == unit_id:
            return await _ask_kind(update, context, unit.id, unit.name)
    return await _expired(update, context)


async def _ask_kind(update: Update, context: CadreContext, unit_id: int, name: str) -> int:
    draft = context.user_data.setdefault(DRAFT_KEY, {})
    draft.update(unit_id=unit_id, unit_name=name)
    service = context.services.sessions
    async with context.services.db.read() as store:
        unit = await store.units.get(unit_id)
    kinds = [rules.Kind.REGULAR, rules.Kind.THEMATIC]
    if unit is not None and await service.has_children(unit):
        kinds.append(rules.Kind.CONFERENCE)
    await reply(
        update,
        gettext("New meeting for <b>{unit}</b>. What kind of meeting?").format(unit=h(name)),
        reply_markup=_kb(*[[(_kind_name(k), f"sesn:kind:{k.value}")] for k in kinds]),
    )
    return NEW_KIND


@_step(DRAFT_KEY, button=True)
async def new_kind(update: Update, context: CadreContext, draft: dict) -> int:
    kind = (update.callback_query.data or "").rsplit(":", 1)[1]
    if kind not in {k.value for k in rules.Kind}:
        return await _expired(update, context)
    draft["kind"] = kind
    await reply(
        update,
        gettext("{kind}. Please send the topic of the meeting.").format(kind=_kind_name(kind)),
    )
    return NEW_TOPIC


async def _take(update: Update, draft: dict, field: str) -> bool:
    """Check a free-text answer and keep it; say what is wrong otherwise."""
    try:
        draft[field] = check_field(field, _text(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return False
    return True


@_step(DRAFT_KEY)
async def new_topic(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "topic"):
        return NEW_TOPIC
    campaign = await context.services.sessions.campaign()
    if campaign is None:
        draft["on_campaign"] = False
        return await _ask_when(update)
    await reply(
        update,
        gettext("Is this meeting on the campaign topic of {year}?\n<i>{topic}</i>").format(
            year=campaign.year, topic=h(campaign.topic)
        ),
        reply_markup=_kb(
            [(gettext("Yes, the campaign topic"), "sesn:camp:yes"), (gettext("No"), "sesn:camp:no")]
        ),
    )
    return NEW_CAMPAIGN


@_step(DRAFT_KEY, button=True)
async def new_campaign(update: Update, context: CadreContext, draft: dict) -> int:
    draft["on_campaign"] = update.callback_query.data == "sesn:camp:yes"
    return await _ask_when(update)


async def _ask_when(update: Update, state: int = NEW_WHEN) -> int:
    await reply(
        update,
        gettext(
            "When does it start? Send the date and time, for example 25/03/2026 19:30 or "
            "25/3 19:30."
        ),
    )
    return state


async def _read_when(
    update: Update, context: CadreContext, keep: dict, again: int, ok: str, edit: str
) -> int | None:
    """Parse a start time, keep it and echo it for confirmation; None (after saying why)
    when it cannot be read or is past."""
    try:
        moment = context.services.sessions.parse_start(_text(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return again
    keep["starts_at"] = moment.isoformat()
    await reply(
        update,
        gettext("Start: <b>{time}</b> ({day}). Is this correct?").format(
            time=format_datetime(moment), day=format_date(moment, "long")
        ),
        reply_markup=_confirm_kb(ok, edit),
    )
    return None


@_step(DRAFT_KEY)
async def new_when(update: Update, context: CadreContext, draft: dict) -> int:
    retry = await _read_when(update, context, draft, NEW_WHEN, "sesn:when:ok", "sesn:when:edit")
    return NEW_WHEN_OK if retry is None else retry


@_step(DRAFT_KEY, button=True)
async def new_when_ok(update: Update, context: CadreContext, draft: dict) -> int:
    if update.callback_query.data == "sesn:when:edit" or "starts_at" not in draft:
        return await _ask_when(update)
    await reply(update, gettext("Where? Send the place, or the link of the online meeting."))
    return NEW_PLACE


@_step(DRAFT_KEY)
async def new_place(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "place"):
        return NEW_PLACE
    if draft.get("kind") == rules.Kind.THEMATIC:
        await reply(update, gettext("Who presents the topic? Send the presenter's full name."))
        return NEW_PRESENTER
    return await _summary(update, draft)


@_step(DRAFT_KEY)
async def new_presenter(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "presenter"):
        return NEW_PRESENTER
    await reply(
        update,
        gettext(
            "Please send the lead-in text (the short text approved by the cell committee). "
            "It is sent to the members with the invitation."
        ),
    )
    return NEW_LEADIN


@_step(DRAFT_KEY)
async def new_leadin(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "lead_in"):
        return NEW_LEADIN
    return await _summary(update, draft)


async def _summary(update: Update, draft: dict) -> int:
    lines = [
        gettext("Please check the meeting before the invitations go out:"),
        gettext("Unit: {unit}").format(unit=h(draft["unit_name"])),
        gettext("Kind: {kind}").format(kind=_kind_name(draft["kind"])),
        *detail_lines(
            topic=draft["topic"],
            starts_at=datetime.fromisoformat(draft["starts_at"]),
            place=draft["place"],
            on_campaign=bool(draft.get("on_campaign")),
            presenter=draft.get("presenter", ""),
            lead_in=draft.get("lead_in", ""),
        ),
    ]
    await reply(
        update,
        split_message(["\n".join(lines)], 3500)[0],
        reply_markup=_kb(
            [(gettext("Confirm and invite"), "sesn:save"), (gettext("Start again"), "sesn:redo")]
        ),
    )
    return NEW_CONFIRM


@_step(DRAFT_KEY, button=True)
async def new_save(update: Update, context: CadreContext, draft: dict) -> int:
    if update.callback_query.data == "sesn:redo":
        return await _ask_kind(update, context, draft["unit_id"], draft["unit_name"])
    service = context.services.sessions
    try:
        session, invited = await service.create(
            context.actor,
            Draft(
                unit_id=draft["unit_id"],
                kind=draft["kind"],
                topic=draft["topic"],
                on_campaign=bool(draft.get("on_campaign")),
                starts_at=datetime.fromisoformat(draft["starts_at"]),
                place=draft["place"],
                presenter=draft.get("presenter", ""),
                lead_in=draft.get("lead_in", ""),
            ),
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput):  # the time has passed while confirming
            return await _ask_when(update)
        return _end(context)
    await reply(
        update,
        gettext(
            "Meeting {id} is saved. Invitations are going to {count} members.\n"
            "See the answers with /session show {id}."
        ).format(id=session.id, count=invited),
    )
    # Invitations can be many messages: reply first, send in the background.
    context.application.create_task(
        service.send_invitations(session.id), update=update, name=f"invite-session-{session.id}"
    )
    return _end(context)


# list / show, kept live ---------------------------------------------------------------------


async def show_list(update: Update, context: CadreContext) -> None:
    found = await context.services.sessions.list_managed(context.actor)
    if not found:
        await reply(update, gettext("No meetings in the last 30 days or ahead. /session new"))
        return
    now = context.services.clock.now()
    lines = [gettext("<b>Meetings</b> (upcoming and the last 30 days):")]
    for session, unit in found:
        mark = _status_label(session.status, session.starts_at < now)
        lines.append(
            f"#{session.id} · {format_datetime(session.starts_at)} · {h(unit.name)} · "
            f"{_kind_name(session.kind)} · {h(session.topic[:80])} — {mark}"
        )
    await reply_lines(update, lines)


def _status_label(status: str, started: bool) -> str:
    if status == "closed":
        return gettext("closed")
    if status == "cancelled":
        return gettext("cancelled")
    return gettext("held, not closed") if started else gettext("upcoming")


def _show_lines(view: SessionView, now: datetime) -> list[str]:
    session = view.session
    lines = [
        *describe(session),
        gettext("Unit: {unit}").format(unit=h(view.unit.name)),
        gettext("Status: {status}").format(
            status=_status_label(session.status, session.starts_at < now)
        ),
        "",
        gettext("Invited: {count}").format(count=len(view.invitees)),
        gettext("Will attend: {count}").format(count=len(view.answered_yes)),
    ]
    for invitee in view.answered_yes[:MINUTES_LIST_LIMIT]:
        lines.append(f"  ✅ {h(invitee.full_name)}")
    lines.append(gettext("Can't attend: {count}").format(count=len(view.answered_no)))
    for invitee in view.answered_no[:MINUTES_LIST_LIMIT]:
        reason = f": {h(invitee.rsvp_reason)}" if invitee.rsvp_reason else ""
        lines.append(f"  🟡 {h(invitee.full_name)}{reason}")
    waiting = len(view.invitees) - len(view.answered_yes) - len(view.answered_no)
    lines.append(gettext("Not answered yet: {count}").format(count=waiting))
    if session.checkin_code and session.checkin_opens and session.checkin_closes:
        lines.append(
            gettext("Check-in code {code}, open {opens} – {closes}: {count} checked in").format(
                code=rules.format_code(session.checkin_code),
                opens=format_datetime(session.checkin_opens),
                closes=format_datetime(session.checkin_closes),
                count=len(view.checked_in),
            )
        )
    if view.late_pending:
        lines.append(
            gettext("Late reports waiting for you: {names}").format(
                names=", ".join(h(i.full_name) for i in view.late_pending)
            )
        )
    if view.bridges:
        lines += ["", *_bridge_lines(view)]
    if view.minutes is not None:
        lines.append(gettext("Minutes recorded: /session minutes {id}").format(id=session.id))
    return lines


def _bridge_lines(view: SessionView) -> list[str]:
    lines = [gettext("<b>Bridge points</b>")]
    total_reported = 0
    for row in view.bridges:
        if row.report is not None:
            total_reported += row.report.present
            reported = gettext("reported {count} present").format(count=row.report.present)
            if row.report.names:
                reported += f" ({h(row.report.names[:300])})"
        else:
            reported = gettext("not reported yet")
        lines.append(
            gettext("{unit}: {invited} invited, {checked} checked in, {reported}").format(
                unit=h(row.unit.name),
                invited=row.invited,
                checked=row.checked_in,
                reported=reported,
            )
        )
    lines.append(
        gettext(
            "Total: {invited} invited, {checked} checked in, {reported} reported present"
        ).format(
            invited=sum(r.invited for r in view.bridges),
            checked=sum(r.checked_in for r in view.bridges),
            reported=total_reported,
        )
    )
    return lines


async def show_one(update: Update, context: CadreContext, session_id: int) -> None:
    view = await context.services.sessions.view(context.actor, session_id)
    chunks = split_message(_show_lines(view, context.services.clock.now()))
    for chunk in chunks[:-1]:
        await reply(update, chunk)
    sent = await update.effective_message.reply_text(
        chunks[-1], reply_markup=_refresh_kb(session_id)
    )
    if len(chunks) == 1:  # one message: it can be redrawn whole as members answer
        _watch(context, session_id, sent.chat_id, sent.message_id)


def _watch(context: CadreContext, session_id: int, chat_id: int, message_id: int) -> None:
    watchers = context.bot_data.setdefault(WATCH_KEY, {}).setdefault(session_id, {})
    watchers.pop(chat_id, None)  # the newest message of a chat is the one kept live
    watchers[chat_id] = (message_id, context.actor.telegram_id, current_locale())
    while len(watchers) > WATCHERS_PER_SESSION:
        watchers.pop(next(iter(watchers)))


def _answers_changed(context: CadreContext, session_id: int) -> None:
    """Redraw the secretaries' /session show of this session in the background."""
    context.application.create_task(
        _redraw(context.application, session_id), name=f"session-show-{session_id}"
    )


async def _redraw(application: Application, session_id: int) -> None:
    """Redraw every watched /session show; answers that arrive meanwhile cause one more pass,
    never a second redraw running alongside."""
    running: dict[int, bool] = application.bot_data.setdefault(REDRAW_KEY, {})
    if session_id in running:
        running[session_id] = True  # dirty: the running pass goes round once more
        return
    running[session_id] = False
    try:
        while True:
            watchers = application.bot_data.get(WATCH_KEY, {}).get(session_id, {})
            for chat_id, watcher in list(watchers.items()):
                if not await _redraw_one(application, session_id, chat_id, *watcher):
                    watchers.pop(chat_id, None)
            if not running[session_id]:
                break
            running[session_id] = False
    finally:
        running.pop(session_id, None)


async def _redraw_one(
    application: Application,
    session_id: int,
    chat_id: int,
    message_id: int,
    user_id: int,
    locale: str | None,
) -> bool:
    """Redraw one watched message; False when it should no longer be watched."""
    services = services_of(application)
    with use_locale(locale):
        try:
            actor = await services.registration.identify(user_id)
            view = await services.sessions.view(actor, session_id)
        except UserFacingError:
            return False
        text = split_message(_show_lines(view, services.clock.now()))
        if len(text) > 1:
            return False
        markup = _refresh_kb(session_id)
        try:
            await application.bot.edit_message_text(
                text[0], chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as error:  # unchanged, or the message is gone
            return "not modified" in str(error).lower()
        except TelegramError as error:
            log.info("could not redraw session %s in chat %s: %s", session_id, chat_id, error)
    return True


async def show_refresh(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    session_id = _data_int(update)
    try:
        view = await context.services.sessions.view(context.actor, session_id)
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await query.answer()
    text = split_message(_show_lines(view, context.services.clock.now()))[0]
    with contextlib.suppress(BadRequest):  # unchanged text: nothing to do
        await query.edit_message_text(text, reply_markup=_refresh_kb(session_id))


# edit -------------------------------------------------------------------------------------


async def _open_view(context: CadreContext, session_id: int) -> SessionView:
    """The session, for a change: refused once it is closed or cancelled."""
    view = await context.services.sessions.view(context.actor, session_id)
    if not view.session.is_open:
        raise SessionOver(N_("Session {id} is closed; it can no longer be changed."), id=session_id)
    return view


async def edit_start(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = _need_id(rest)
    view = await _open_view(context, session_id)
    _forget(context)
    context.user_data[EDIT_KEY] = {"id": session_id}
    await reply(
        update,
        "\n".join([*describe(view.session), "", gettext("What do you want to change?")]),
        reply_markup=_kb(
            *[[(gettext(label), f"sesn:field:{name}")] for name, label in EDIT_FIELDS]
        ),
    )
    return EDIT_FIELD


@_step(EDIT_KEY, button=True)
async def edit_field(update: Update, context: CadreContext, state: dict) -> int:
    field = (update.callback_query.data or "").rsplit(":", 1)[1]
    if field not in dict(EDIT_FIELDS):
        return await _expired(update, context)
    state["field"] = field
    if field == "starts_at":
        return await _ask_when(update, EDIT_VALUE)
    await reply(
        update,
        gettext("Please send the new value for: {field}").format(
            field=gettext(dict(EDIT_FIELDS)[field])
        ),
    )
    return EDIT_VALUE


@_step(EDIT_KEY)
async def edit_value(update: Update, context: CadreContext, state: dict) -> int:
    field = state.get("field")
    if field is None:
        return await _expired(update, context)
    if field == "starts_at":
        retry = await _read_when(
            update, context, state, EDIT_VALUE, "sesn:edit:ok", "sesn:edit:again"
        )
        if retry is not None:
            return retry
        state["value"] = state.pop("starts_at")
        return EDIT_CONFIRM
    try:
        state["value"] = check_field(field, _text(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return EDIT_VALUE
    await reply(
        update,
        gettext("{field}: <b>{value}</b>\nIs this correct?").format(
            field=gettext(dict(EDIT_FIELDS)[field]), value=h(state["value"])
        ),
        reply_markup=_confirm_kb("sesn:edit:ok", "sesn:edit:again"),
    )
    return EDIT_CONFIRM


@_step(EDIT_KEY, button=True)
async def edit_confirm(update: Update, context: CadreContext, state: dict) -> int:
    if "value" not in state:
        return await _expired(update, context)
    if update.callback_query.data == "sesn:edit:again":
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
        return EDIT_VALUE if isinstance(error, InvalidInput) else _end(context)
    await reply(
        update,
        "\n".join([gettext("Saved. The invitees are told of the change."), *describe(session)]),
    )
    # Every invitee gets the new details, a new lead-in included (it is circulated beforehand).
    context.application.create_task(
        service.send_change(session.id), update=update, name=f"change-session-{session.id}"
    )
    return _end(context)


# cancel -----------------------------------------------------------------------------------


async def cancel_ask(update: Update, context: CadreContext, session_id: int) -> None:
    view = await _open_view(context, session_id)
    await reply(
        update,
        "\n".join(
            [
                *describe(view.session),
                "",
                gettext("Cancel this meeting and tell all {count} invitees?").format(
                    count=len(view.invitees)
                ),
            ]
        ),
        reply_markup=_kb([(gettext("Yes, cancel the meeting"), f"ses:cancelok:{session_id}")]),
    )


async def cancel_confirmed(update: Update, context: CadreContext) -> None:
    service = context.services.sessions
    try:
        session, members = await service.cancel(context.actor, _data_int(update))
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await _pressed(update)
    await reply(
        update,
        gettext("Meeting {id} is cancelled. {count} invitees are being told.").format(
            id=session.id, count=len(members)
        ),
    )
    context.application.create_task(
        service.send_cancellation(session, members), update=update, name=f"cancel-{session.id}"
    )


# Invitation answers -----------------------------------------------------------------------


async def rsvp_yes(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    session_id = _data_int(update)
    try:
        await context.services.sessions.rsvp(context.actor, session_id, True)
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await query.answer(gettext("Thank you. You will attend."))
    await reply(update, gettext("Recorded: you will attend meeting {id}.").format(id=session_id))
    _answers_changed(context, session_id)


async def rsvp_no(update: Update, context: CadreContext) -> int:
    """ "I can't attend": recorded at once, then the reason is asked for."""
    if await flow.refuse_if_busy(update, context, ABSENCE_FLOW):
        return ConversationHandler.END
    session_id = _data_int(update)
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False)
    except UserFacingError as error:
        await _refuse(update, error)
        return flow.close(context, ABSENCE_FLOW)
    await update.callback_query.answer()
    context.user_data[REASON_KEY] = session_id
    await reply(
        update,
        gettext(
            "Please send the reason you can't attend meeting {id}, e.g. ốm, đi công tác."
        ).format(id=session_id),
    )
    _answers_changed(context, session_id)
    return ASK_REASON


async def rsvp_reason(update: Update, context: CadreContext) -> int:
    session_id = context.user_data.get(REASON_KEY)
    if session_id is None:
        return flow.close(context, ABSENCE_FLOW)
    text = " ".join(_text(update).split())
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False, text)
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput):
            return ASK_REASON
        context.user_data.pop(REASON_KEY, None)
        return flow.close(context, ABSENCE_FLOW)
    context.user_data.pop(REASON_KEY, None)
    await reply(
        update,
        gettext("Recorded: absent from meeting {id}, reason: {reason}.").format(
            id=session_id, reason=h(text)
        ),
    )
    _answers_changed(context, session_id)
    return flow.close(context, ABSENCE_FLOW)


async def rsvp_cancel(update: Update, context: CadreContext) -> int:
    context.user_data.pop(REASON_KEY, None)
    await reply(update, gettext("Your answer is recorded without a reason."))
    return flow.close(context, ABSENCE_FLOW)


# Check-in ---------------------------------------------------------------------------------


async def open_checkin(update: Update, context: CadreContext, session_id: int) -> None:
    session = await context.services.sessions.open_checkin(context.actor, session_id)
    assert session.checkin_code and session.checkin_opens and session.checkin_closes
    await reply(
        update,
        gettext(
            "Check-in for meeting {id} is open from {opens} to {closes}.\n"
            "Read this code out in the room:\n<b>{code}</b>\n"
            "Members send: /attend {plain}"
        ).format(
            id=session.id,
            opens=format_datetime(session.checkin_opens),
            closes=format_datetime(session.checkin_closes),
            code=rules.format_code(session.checkin_code),
            plain=session.checkin_code,
        ),
    )


async def attend(update: Update, context: CadreContext) -> None:
    service = context.services.sessions
    if context.args:
        try:
            result = await service.attend_code(context.actor, "".join(context.args))
        except UserFacingError as error:
            await reply(update, error.render_html())
            return
        # The code as it was read, repeated back with the meeting it matched.
        assert result.session.checkin_code is not None
        heard = gettext("Code {code}:").format(code=rules.format_code(result.session.checkin_code))
        await reply(update, f"{heard} {_attend_text(result.outcome, result.session)}")
        return
    now = context.services.clock.now()
    found = [
        (s, i, u)
        for s, i, u in await service.my_sessions(context.actor, past=rules.REPORT_WITHIN)
        if s.is_open and s.starts_at - rules.CHECKIN_BEFORE <= now
    ]
    if not found:
        await reply(
            update,
            gettext(
                "You have no meeting to check in to right now. Check in with the code the "
                "secretary reads out: /attend CODE"
            ),
        )
        return
    await reply(update, gettext("Your recent meetings. Press the button if you attended:"))
    for session, invitee, unit in found[-10:]:
        state = (
            gettext("checked in")
            if invitee.checked_in_at
            else gettext("waiting for the secretary")
            if invitee.late_status == "pending"
            else ""
        )
        text = (
            f"#{session.id} · {format_datetime(session.starts_at)} · {h(unit.name)}\n"
            f"{h(session.topic)}" + (f"\n<i>{state}</i>" if state else "")
        )
        markup = None if state else _kb([(gettext("I attended"), f"ses:in:{session.id}")])
        await reply(update, text, reply_markup=markup)


def _attend_text(outcome: str, session: Session) -> str:
    if outcome == "checked_in":
        return gettext("Checked in to meeting {id} ({topic}). Thank you, comrade.").format(
            id=session.id, topic=h(session.topic)
        )
    if outcome == "already":
        return gettext("You have already checked in to meeting {id}; it counts once.").format(
            id=session.id
        )
    if outcome == "pending":
        return gettext("Your report for meeting {id} is already waiting for the secretary.").format(
            id=session.id
        )
    return gettext(
        "Check-in has closed, so your attendance at meeting {id} was sent to the secretary to "
        "confirm."
    ).format(id=session.id)


async def attend_pressed(update: Update, context: CadreContext) -> None:
    try:
        result = await context.services.sessions.attend_button(context.actor, _data_int(update))
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await _pressed(update)
    await reply(update, _attend_text(result.outcome, result.session))


async def late_decided(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    approve = (query.data or "").split(":")[2] == "ok"
    try:
        session, invitee = await context.services.sessions.decide_late(
            context.actor, _data_int(update, -2), _data_int(update), approve
        )
    except UserFacingError as error:
        await update.callback_query.answer(error.render(), show_alert=True)
        await _drop_markup(update)
        return
    await query.answer()
    label = gettext("Confirmed") if approve else gettext("Rejected")
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(
            gettext("{status}: <b>{name}</b>, meeting {id}").format(
                status=label, name=h(invitee.full_name), id=session.id
            )
        )


# Closing: the paper-style list, corrections, finalising -----------------------------------


def _list_lines(session_id: int, lines: list[rules.Line]) -> list[str]:
    return [
        gettext("<b>Attendance list</b>, meeting {id}").format(id=session_id),
        h(rules.summary_line(rules.count_lines(lines))),
        *[h(rules.format_line(line)) for line in lines],
    ]


def _close_markup(session_id: int, lines: list[rules.Line]) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, str]]] = []
    if len(lines) <= 30:
        buttons = [
            (f"{line.number} {rules.MARK_ICONS[line.mark]}", f"ses:cyc:{session_id}:{line.number}")
            for line in lines
        ]
        rows += [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([(gettext("Close the meeting"), f"ses:fin:{session_id}")])
    return _kb(*rows)


async def close_start(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = _need_id(rest)
    session, _unit, lines = await context.services.sessions.attendance(context.actor, session_id)
    if not session.is_open:
        raise SessionOver(N_("Session {id} is closed; it can no longer be changed."), id=session_id)
    _forget(context)
    context.user_data[BULK_KEY] = {"id": session_id}
    await _send_list(update, session_id, lines, intro=True)
    return CLOSE_EDIT


async def _send_list(update: Update, session_id: int, lines: list[rules.Line], intro: bool) -> None:
    help_text = gettext(
        "To correct, press a line's button, or send corrections by number, e.g. "
        "<code>3 V ốm</code> or <code>5 P</code> (C present, P/V with a reason absent with "
        "reason, K absent without reason). Then press «Close the meeting»."
    )
    body = _list_lines(session_id, lines)
    chunks = split_message([*body, "", help_text] if intro else body)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await reply(update, chunk, reply_markup=_close_markup(session_id, lines) if last else None)


@_step(BULK_KEY)
async def close_text(update: Update, context: CadreContext, state: dict) -> int:
    """A bulk correction such as "3 V ốm": parsed, then repeated back for confirmation."""
    service = context.services.sessions
    try:
        _, _, lines = await service.attendance(context.actor, state["id"])
        changes = rules.parse_bulk(_text(update), len(lines))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return CLOSE_EDIT
    state["changes"] = [[c.number, c.mark.value, c.reason] for c in changes]
    corrected = rules.apply_changes(lines, changes)
    numbers = {c.number for c in changes}
    echo = [gettext("Change these lines?")]
    echo += [h(rules.format_line(line)) for line in corrected if line.number in numbers]
    await reply(
        update,
        split_message(echo)[0],
        reply_markup=_confirm_kb(f"ses:bulk:ok:{state['id']}", f"ses:bulk:no:{state['id']}"),
    )
    return CLOSE_EDIT


async def bulk_decided(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    state = context.user_data.get(BULK_KEY) or {}
    if _data_int(update) != state.get("id") or "changes" not in state:
        await _refuse(update, gettext("This button is no longer active."))
        return CLOSE_EDIT
    if (query.data or "").split(":")[2] == "no":
        state.pop("changes", None)
        await _pressed(update)
        await reply(update, gettext("Not changed. Send the corrections again."))
        return CLOSE_EDIT
    changes = [rules.Change(n, rules.Mark(m), r) for n, m, r in state.pop("changes")]
    try:
        lines = await context.services.sessions.correct(context.actor, state["id"], changes)
    except UserFacingError as error:
        await _refuse(update, error)
        return CLOSE_EDIT
    await query.answer(gettext("Saved."))
    await _drop_markup(update)
    await _send_list(update, state["id"], lines, intro=False)
    return CLOSE_EDIT


async def cycle_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    session_id, number = _data_int(update, -2), _data_int(update)
    service = context.services.sessions
    try:
        _, _, lines = await service.attendance(context.actor, session_id)
        line = next((line for line in lines if line.number == number), None)
        if line is None:
            raise NotFound(N_("This button is no longer active."))
        new_mark = rules.NEXT_MARK[line.mark]
        reason = line.reason if new_mark is rules.Mark.EXCUSED else ""
        lines = await service.correct(
            context.actor, session_id, [rules.Change(line.number, new_mark, reason)]
        )
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await query.answer()
    chunks = split_message(_list_lines(session_id, lines))
    if len(chunks) == 1:
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(chunks[0], reply_markup=_close_markup(session_id, lines))


async def finalise_pressed(update: Update, context: CadreContext) -> int | None:
    """Close the meeting. Ends the close conversation when it is this session's; a button
    from an older list leaves any other open step alone."""
    session_id = _data_int(update)
    try:
        session, counts = await context.services.sessions.close(context.actor, session_id)
    except UserFacingError as error:
        await _refuse(update, error)
        return None
    await _pressed(update)
    await reply(
        update,
        gettext(
            "Meeting {id} is closed.\n{summary}\nRecord the minutes: /session minutes {id}"
        ).format(id=session.id, summary=h(rules.summary_line(counts))),
    )
    state = context.user_data.get(BULK_KEY)
    return _end(context) if state and state.get("id") == session_id else None


# Minutes ----------------------------------------------------------------------------------


async def minutes_start(update: Update, context: CadreContext, rest: list[str]) -> int:
    session_id = _need_id(rest)
    view = await context.services.sessions.minutes_context(context.actor, session_id)
    if view.minutes is None:
        return await _minutes_begin(update, context, view)
    await _send_docx(update, context, session_id)
    await reply(
        update,
        gettext("The minutes of meeting {id} are recorded. Record them again?").format(
            id=session_id
        ),
        reply_markup=_kb([(gettext("Record again"), f"ses:minre:{session_id}")]),
    )
    return _end(context)


async def minutes_again(update: Update, context: CadreContext) -> int:
    if await flow.refuse_if_busy(update, context, FLOW):
        return ConversationHandler.END
    try:
        view = await context.services.sessions.minutes_context(context.actor, _data_int(update))
    except UserFacingError as error:
        await _refuse(update, error)
        return _end(context)
    await _pressed(update)
    return await _minutes_begin(update, context, view)


MINUTES_CHAIR_PROMPT = N_("Who chaired the meeting? Send the full name.")
GUESTS_PROMPT = N_("Guests, if any (names and positions).")
AGENDA_PROMPT = N_("The agenda (leave it to use the meeting's topic).")
SPEAKERS_PROMPT = N_(
    "The speakers and their opinions, one per line as «Name: opinion». Send several "
    "messages if you like, then press «Speakers done»."
)


async def _minutes_begin(update: Update, context: CadreContext, view: SessionView) -> int:
    _forget(context)
    counts = rules.count_lines(lines_of(view.invitees))
    context.user_data[MINUTES_KEY] = {"id": view.session.id, "speakers": []}
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
    text = _text(update).strip()
    if not low <= len(text) <= high:
        raise InvalidInput(N_("Please send {low} to {high} characters."), low=low, high=high)
    return text


async def _ask(update: Update, prompt: str, state: int, *, skip: bool = False) -> int:
    markup = _kb([(gettext("Skip"), "sesn:min:skip")]) if skip else None
    await reply(update, gettext(prompt), reply_markup=markup)
    return state


def _minutes_step(
    key: str, state: int, next_state: int, prompt: str, *, skip: bool = False, high: int = 3000
) -> Step:
    """One free-text step of the minutes: keep the answer, then ask the next question."""

    @_step(MINUTES_KEY)
    async def step(update: Update, context: CadreContext, data: dict) -> int:
        try:
            data[key] = " ".join(_minutes_text(update, high=high).split())
        except UserFacingError as error:
            await reply(update, error.render_html())
            return state
        return await _ask(update, prompt, next_state, skip=skip)

    step.__name__ = f"min_{key}"
    return step


min_chair = _minutes_step(
    "chair", MIN_CHAIR, MIN_TAKER, N_("Who took the minutes (the minute-taker)?"), high=100
)
min_taker = _minutes_step("minute_taker", MIN_TAKER, MIN_GUESTS, GUESTS_PROMPT, skip=True, high=500)
min_guests = _minutes_step("guests", MIN_GUESTS, MIN_AGENDA, AGENDA_PROMPT, skip=True)
min_agenda = _minutes_step("agenda", MIN_AGENDA, MIN_SPEAKERS, SPEAKERS_PROMPT)
min_difficulties = _minutes_step(
    "difficulties", MIN_DIFFICULTIES, MIN_SOLUTIONS, N_("The solutions proposed.")
)
min_solutions = _minutes_step(
    "solutions", MIN_SOLUTIONS, MIN_CONCLUSION, N_("The chair's conclusion.")
)


@_step(MINUTES_KEY, button=True)
async def min_skip(update: Update, context: CadreContext, data: dict) -> int:
    if "guests" not in data:
        data["guests"] = ""
        return await _ask(update, AGENDA_PROMPT, MIN_AGENDA, skip=True)
    data["agenda"] = ""
    return await _ask(update, SPEAKERS_PROMPT, MIN_SPEAKERS)


def parse_speakers(text: str) -> list[tuple[str, str]]:
    found = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-•").strip()
        if not line:
            continue
        name, sep, opinion = line.partition(":")
        if not sep or not name.strip() or not opinion.strip() or len(name) > 100:
            raise InvalidInput(
                N_("I could not read '{line}'. Write one speaker per line: Name: opinion"),
                line=line[:60],
            )
        found.append((" ".join(name.split()), " ".join(opinion.split())))
    if not found:
        raise InvalidInput(
            N_("I could not read '{line}'. Write one speaker per line: Name: opinion"), line=""
        )
    return found


@_step(MINUTES_KEY)
async def min_speakers(update: Update, context: CadreContext, data: dict) -> int:
    try:
        speakers = parse_speakers(_text(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return MIN_SPEAKERS
    data["speakers"].extend([list(s) for s in speakers])
    echo = [gettext("Speakers so far:")]
    echo += [f"{i}. <b>{h(n)}</b>: {h(o)}" for i, (n, o) in enumerate(data["speakers"], start=1)]
    await reply(
        update,
        split_message(echo)[-1],
        reply_markup=_kb([(gettext("Speakers done"), "sesn:min:spk")]),
    )
    return MIN_SPEAKERS


@_step(MINUTES_KEY, button=True)
async def min_speakers_done(update: Update, context: CadreContext, data: dict) -> int:
    return await _ask(update, N_("The difficulties and limits raised."), MIN_DIFFICULTIES)


@_step(MINUTES_KEY)
async def min_conclusion(update: Update, context: CadreContext, data: dict) -> int:
    try:
        data["conclusion"] = _minutes_text(update)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return MIN_CONCLUSION
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
    await reply(
        update,
        split_message(lines, 3500)[0],
        reply_markup=_confirm_kb("sesn:min:save", "sesn:min:redo"),
    )
    return MIN_CONFIRM


@_step(MINUTES_KEY, button=True)
async def min_save(update: Update, context: CadreContext, data: dict) -> int:
    if update.callback_query.data == "sesn:min:redo":
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
    )
    try:
        await context.services.sessions.save_minutes(context.actor, minutes)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return _end(context)
    await reply(update, gettext("The minutes are saved. Here is the document:"))
    await _send_docx(update, context, data["id"])
    return _end(context)


async def _send_docx(update: Update, context: CadreContext, session_id: int) -> None:
    name, data = await context.services.sessions.minutes_docx(context.actor, session_id)
    await update.effective_message.reply_document(
        InputFile(data, filename=name),
        caption=gettext("Minutes of meeting {id}").format(id=session_id),
    )


# Bridge points and the study deadline ------------------------------------------------------


async def _confirmed_data(update: Update, context: CadreContext, key: str) -> dict | None:
    """The echoed values a confirmation button stands for, or None (after saying so) when the
    button is from an older echo."""
    data = context.user_data.get(key)
    raw = (update.callback_query.data or "").rsplit(":", 1)[-1]
    if not data or (raw.isdigit() and data.get("id") != int(raw)):
        await _refuse(update, gettext("This button is no longer active."))
        return None
    return data


async def bridge_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session bridge ID [UNIT_CODE] COUNT [names…]"""
    if len(rest) < 2:
        raise InvalidInput(
            N_("Please write: /session bridge ID COUNT [names], e.g. /session bridge 7 25")
        )
    session_id = _id(rest[0])
    unit_code = None
    tail = rest[1:]
    if parse_whole_number(tail[0]) is None:
        unit_code, tail = tail[0], tail[1:]
    count = parse_whole_number(tail[0]) if tail else None
    if count is None:
        raise InvalidInput(N_("The head count must be a whole number, e.g. 25."))
    names = " ".join(tail[1:])
    context.user_data[BRIDGE_KEY] = {
        "id": session_id,
        "unit": unit_code,
        "count": count,
        "names": names,
    }
    text = gettext("Meeting {id}: <b>{count}</b> present at your bridge point.").format(
        id=session_id, count=count
    )
    if unit_code:
        text += "\n" + gettext("Bridge point: {unit}").format(unit=h(unit_code))
    if names:
        text += "\n" + gettext("Names: {names}").format(names=h(names))
    await reply(
        update,
        text + "\n" + gettext("Is this correct?"),
        reply_markup=_kb([(gettext("Confirm"), f"ses:brok:{session_id}")]),
    )


async def bridge_confirmed(update: Update, context: CadreContext) -> None:
    data = await _confirmed_data(update, context, BRIDGE_KEY)
    if data is None:
        return
    try:
        _, point = await context.services.sessions.report_bridge(
            context.actor, data["id"], data["unit"], data["count"], data["names"]
        )
    except UserFacingError as error:
        await _refuse(update, error)
        return
    context.user_data.pop(BRIDGE_KEY, None)
    await _pressed(update)
    await reply(
        update,
        gettext("Recorded for {unit}: {count} present.").format(
            unit=h(point.name), count=data["count"]
        ),
    )


async def deadline_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session deadline DATE [UNIT_CODE]: the date is checked, then echoed for confirmation."""
    if not rest:
        raise InvalidInput(N_("Please write: /session deadline 31/03/2026 [UNIT_CODE]"))
    service = context.services.sessions
    day = parse_date(rest[0], default_year=context.services.clock.today().year)
    await service.check_study_deadline(day)
    if len(rest) > 1:
        unit = await service.unit_for(context.actor, rest[1])
    else:
        units = await service.managed_units(context.actor)
        if len(units) != 1:
            raise InvalidInput(N_("Please write: /session deadline 31/03/2026 [UNIT_CODE]"))
        unit = units[0]
    context.user_data[DEADLINE_KEY] = {"unit": unit.code, "date": day.isoformat()}
    await reply(
        update,
        gettext(
            "Study deadline for {unit} and every unit below it: <b>{date}</b>. Correct?"
        ).format(unit=h(unit.name), date=format_date(day)),
        reply_markup=_kb([(gettext("Confirm"), "ses:dlok")]),
    )


async def deadline_confirmed(update: Update, context: CadreContext) -> None:
    data = await _confirmed_data(update, context, DEADLINE_KEY)
    if data is None:
        return
    service = context.services.sessions
    day = date.fromisoformat(data["date"])
    try:
        unit = await service.unit_for(context.actor, data["unit"])
        await service.set_study_deadline(context.actor, unit, day)
    except UserFacingError as error:
        await _refuse(update, error)
        return
    context.user_data.pop(DEADLINE_KEY, None)
    await _pressed(update)
    await reply(
        update,
        gettext("Saved: {unit} studies the campaign topic by {date}.").format(
            unit=h(unit.name), date=format_date(day)
        ),
    )


# Reports ----------------------------------------------------------------------------------


def _month_label(year: int, month: int) -> str:
    return f"{month:02d}/{year}"


async def show_report(update: Update, context: CadreContext, period: str | None) -> None:
    service = context.services.sessions
    start, end = service.period(period)
    report = await service.period_report(context.actor, start, end)
    lines = [
        gettext("<b>Meetings report</b> {start} – {end}").format(
            start=format_date(start), end=format_date(end)
        ),
    ]
    for row in report.units:
        rate = rules.format_rate(row.present / row.counted if row.counted else None)
        regular = sum(s.kind == rules.Kind.REGULAR for s in row.sessions)
        thematic = sum(s.kind == rules.Kind.THEMATIC for s in row.sessions)
        lines.append(
            gettext(
                "<b>{unit}</b>: {count} held ({regular} regular, {thematic} thematic), "
                "attendance {rate}"
            ).format(
                unit=h(row.unit.name),
                count=len(row.sessions),
                regular=regular,
                thematic=thematic,
                rate=rate,
            )
        )
        if row.cadence.missing_months:
            lines.append(
                "  "
                + gettext("No regular meeting in: {months}").format(
                    months=", ".join(_month_label(y, m) for y, m in row.cadence.missing_months)
                )
            )
        if row.cadence.missing_quarters:
            lines.append(
                "  "
                + gettext("No thematic meeting in: {quarters}").format(
                    quarters=", ".join(f"Q{q}/{y}" for y, q in row.cadence.missing_quarters)
                )
            )
    if report.members:
        lines.append("")
        lines.append(gettext("<b>Attendance per member</b>"))
        for rate in report.members[:200]:
            lines.append(
                f"{h(rate.name)} ({h(rate.unit.name)}): {rate.present}/{rate.counted} · "
                f"{rules.format_rate(rate.present / rate.counted)}"
            )
    lines += await _study_lines(context)
    tops = await service.managed_units(context.actor)
    buttons = []
    if tops:
        code = tops[0].code
        for fmt in ("csv", "xlsx"):
            data = f"ses:exp:{fmt}:{start:%Y%m%d}:{end:%Y%m%d}:{code}"
            if len(data.encode()) <= 64:
                buttons.append((gettext("Export {fmt}").format(fmt=fmt.upper()), data))
    chunks = split_message(lines)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await reply(update, chunk, reply_markup=_kb(buttons) if last and buttons else None)


async def _study_lines(context: CadreContext) -> list[str]:
    campaign, study = await context.services.sessions.study_report(context.actor)
    if campaign is None or not study:
        return []
    top = study[0]
    lines = [
        "",
        gettext("<b>Study of the campaign topic {year}</b>").format(year=campaign.year),
        gettext("{done} of {total} units have finished.").format(
            done=top.state.leaves_done, total=top.state.leaves_total
        ),
    ]
    not_done = [row for row in study if not row.state.done and row.state.leaves_total == 1]
    if not_done:
        lines.append(gettext("Not done yet:"))
        for row in not_done:
            lines.append(
                "  "
                + gettext("{unit} (deadline {date})").format(
                    unit=h(row.unit.name), date=format_date(row.state.deadline)
                )
            )
    return lines


async def export_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    _, _, fmt, raw_start, raw_end, code = (query.data or "").split(":", 5)
    try:
        start = datetime.strptime(raw_start, "%Y%m%d").date()
        end = datetime.strptime(raw_end, "%Y%m%d").date()
    except ValueError:  # not a button of ours
        await _refuse(update, gettext("This button is no longer active."))
        return
    try:
        name, data = await context.services.sessions.export_attendance(
            context.actor, code, start, end, fmt
        )
    except UserFacingError as error:
        await _refuse(update, error)
        return
    await query.answer()
    await update.effective_message.reply_document(
        InputFile(data, filename=name),
        caption=gettext("Attendance {start} – {end}").format(
            start=format_date(start), end=format_date(end)
        ),
    )


# /sessions --------------------------------------------------------------------------------


async def my_sessions(update: Update, context: CadreContext) -> None:
    found = await context.services.sessions.upcoming_for_member(context.actor)
    if not found:
        await reply(update, gettext("You have no upcoming meetings."))
        return
    await reply(update, gettext("Your upcoming meetings:"))
    for session, invitee, unit in found[:10]:
        answer = {
            "yes": gettext("You will attend."),
            "no": gettext("You can't attend."),
        }.get(invitee.rsvp or "", gettext("You have not answered yet."))
        text = "\n".join([*describe(session), h(unit.name), f"<i>{answer}</i>"])
        await reply(update, split_message([text], 3800)[0], reply_markup=_answer_kb(session.id))


# Wiring -----------------------------------------------------------------------------------


def register(application: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    skip = CallbackQueryHandler(min_skip, pattern=r"^sesn:min:skip$")
    conversation = flow.conversation(
        application,
        flow.FlowSpec(
            FLOW,
            N_("a meeting step (/session)"),
            draft_keys=(DRAFT_KEY, EDIT_KEY, BULK_KEY, MINUTES_KEY),
        ),
        entry_points=[
            CommandHandler("session", route),
            CallbackQueryHandler(minutes_again, pattern=r"^ses:minre:\d{1,18}$"),
        ],
        states={
            NEW_UNIT: [CallbackQueryHandler(new_unit, pattern=r"^sesn:unit:\d{1,18}$")],
            NEW_KIND: [CallbackQueryHandler(new_kind, pattern=r"^sesn:kind:\w+$")],
            NEW_TOPIC: [MessageHandler(text, new_topic)],
            NEW_CAMPAIGN: [CallbackQueryHandler(new_campaign, pattern=r"^sesn:camp:(yes|no)$")],
            NEW_WHEN: [MessageHandler(text, new_when)],
            NEW_WHEN_OK: [
                CallbackQueryHandler(new_when_ok, pattern=r"^sesn:when:(ok|edit)$"),
                MessageHandler(text, new_when),
            ],
            NEW_PLACE: [MessageHandler(text, new_place)],
            NEW_PRESENTER: [MessageHandler(text, new_presenter)],
            NEW_LEADIN: [MessageHandler(text, new_leadin)],
            NEW_CONFIRM: [CallbackQueryHandler(new_save, pattern=r"^sesn:(save|redo)$")],
            EDIT_FIELD: [CallbackQueryHandler(edit_field, pattern=r"^sesn:field:\w+$")],
            EDIT_VALUE: [MessageHandler(text, edit_value)],
            EDIT_CONFIRM: [
                CallbackQueryHandler(edit_confirm, pattern=r"^sesn:edit:(ok|again)$"),
                MessageHandler(text, edit_value),
            ],
            CLOSE_EDIT: [
                MessageHandler(text, close_text),
                CallbackQueryHandler(bulk_decided, pattern=r"^ses:bulk:(ok|no):\d{1,18}$"),
                CallbackQueryHandler(finalise_pressed, pattern=r"^ses:fin:\d{1,18}$"),
            ],
            MIN_CHAIR: [MessageHandler(text, min_chair)],
            MIN_TAKER: [MessageHandler(text, min_taker)],
            MIN_GUESTS: [MessageHandler(text, min_guests), skip],
            MIN_AGENDA: [MessageHandler(text, min_agenda), skip],
            MIN_SPEAKERS: [
                MessageHandler(text, min_speakers),
                CallbackQueryHandler(min_speakers_done, pattern=r"^sesn:min:spk$"),
            ],
            MIN_DIFFICULTIES: [MessageHandler(text, min_difficulties)],
            MIN_SOLUTIONS: [MessageHandler(text, min_solutions)],
            MIN_CONCLUSION: [MessageHandler(text, min_conclusion)],
            MIN_CONFIRM: [CallbackQueryHandler(min_save, pattern=r"^sesn:min:(save|redo)$")],
        },
        fallbacks=[CommandHandler("cancel", cancel_conversation)],
    )
    absence = flow.conversation(
        application,
        flow.FlowSpec(
            ABSENCE_FLOW,
            N_("giving the reason you can't attend a meeting"),
            draft_keys=(REASON_KEY,),
        ),
        entry_points=[CallbackQueryHandler(rsvp_no, pattern=r"^ses:no:\d{1,18}$")],
        states={ASK_REASON: [MessageHandler(text, rsvp_reason)]},
        fallbacks=[CommandHandler("cancel", rsvp_cancel)],
    )
    for handler in (conversation, absence):
        application.add_handler(handler)
    for callback, pattern in (
        (rsvp_yes, r"^ses:yes:\d{1,18}$"),
        (attend_pressed, r"^ses:in:\d{1,18}$"),
        (late_decided, r"^ses:late:(ok|no):\d{1,18}:\d{1,18}$"),
        (cancel_confirmed, r"^ses:cancelok:\d{1,18}$"),
        (cycle_pressed, r"^ses:cyc:\d{1,18}:\d{1,18}$"),
        (finalise_pressed, r"^ses:fin:\d{1,18}$"),
        (show_refresh, r"^ses:show:\d{1,18}$"),
        (bridge_confirmed, r"^ses:brok:\d{1,18}$"),
        (deadline_confirmed, r"^ses:dlok$"),
        (export_pressed, r"^ses:exp:(csv|xlsx):\d{8}:\d{8}:.+$"),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CommandHandler("attend", attend))
    application.add_handler(CommandHandler("sessions", my_sessions))
