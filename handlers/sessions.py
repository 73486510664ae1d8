"""/session for secretaries and committees; /sessions and /attend for members; invitation
answers, check-in, late reports, closing with the paper-style list, minutes, bridge points,
the study cascade and reports. Telegram only: every rule lives in the session service."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import sessions as rules
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_date, format_datetime, gettext
from bot.parsing import parse_date
from bot.services.sessions import (
    Draft,
    SessionView,
    describe,
    lines_of,
)
from handlers.replies import h, reply, reply_lines, split_message
from storage.sessions import Minutes

log = logging.getLogger(__name__)

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


def _kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _confirm_kb(ok: str, edit: str) -> InlineKeyboardMarkup:
    return _kb([(gettext("Confirm"), ok), (gettext("Edit"), edit)])


async def _drop_markup(update: Update) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


def _id(text: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit():
        raise InvalidInput(
            N_("Please give the session number, for example: /session show 12"),
        )
    return int(value)


def _forget(context: CadreContext, *keys: str) -> None:
    for key in keys or (DRAFT_KEY, EDIT_KEY, BULK_KEY, MINUTES_KEY):
        context.user_data.pop(key, None)


def _kind_name(kind: str) -> str:
    return gettext(rules.KIND_NAMES[rules.Kind(kind)])


# /session: the router ---------------------------------------------------------------------


async def route(update: Update, context: CadreContext) -> int:
    args = context.args or []
    sub = args[0].lower() if args else ""
    rest = args[1:]
    try:
        if sub == "new":
            return await new_start(update, context, rest)
        if sub == "list":
            await show_list(update, context)
        elif sub == "show":
            await show_one(update, context, _need_id(rest))
        elif sub == "edit":
            return await edit_start(update, context, _need_id(rest))
        elif sub == "cancel":
            await cancel_ask(update, context, _need_id(rest))
        elif sub == "checkin":
            await open_checkin(update, context, _need_id(rest))
        elif sub == "close":
            return await close_start(update, context, _need_id(rest))
        elif sub == "minutes":
            return await minutes_start(update, context, _need_id(rest))
        elif sub == "bridge":
            await bridge_ask(update, context, rest)
        elif sub == "deadline":
            await deadline_ask(update, context, rest)
        elif sub == "report":
            await show_report(update, context, " ".join(rest) or None)
        else:
            await show_menu(update)
    except UserFacingError as error:
        await reply(update, error.render())
    return ConversationHandler.END


def _need_id(rest: list[str]) -> int:
    if not rest:
        raise InvalidInput(N_("Please give the session number, for example: /session show 12"))
    return _id(rest[0])


async def show_menu(update: Update) -> None:
    lines = [gettext("<b>Meetings</b> — what you can do:")]
    lines += [f"/session {h(name)} — {gettext(what)}" for name, what in SUBCOMMANDS]
    await reply(update, "\n".join(lines))


# /session new -----------------------------------------------------------------------------


async def new_start(update: Update, context: CadreContext, rest: list[str]) -> int:
    service = context.services.sessions
    _forget(context)
    if rest:
        unit = await service.unit_for(context.actor, rest[0])
        units = [unit]
    else:
        units = await service.managed_units(context.actor)
    if not units:
        await reply(update, gettext("You do not manage any unit's meetings."))
        return ConversationHandler.END
    context.user_data[DRAFT_KEY] = {}
    if len(units) > 1:
        await reply(
            update,
            gettext("Which unit is the meeting for?"),
            reply_markup=_kb(*[[(u.name, f"sesn:unit:{u.id}")] for u in units[:20]]),
        )
        return NEW_UNIT
    return await _ask_kind(update, context, units[0].id, units[0].name)


async def new_unit(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    unit_id = int((query.data or "").rsplit(":", 1)[1])
    for unit in await context.services.sessions.managed_units(context.actor):
        if unit.id == unit_id:
            return await _ask_kind(update, context, unit.id, unit.name)
    await reply(update, gettext("This button is no longer active. Please send the command again."))
    return ConversationHandler.END


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


async def new_kind(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    kind = (query.data or "").rsplit(":", 1)[1]
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None or kind not in {k.value for k in rules.Kind}:
        return await _expired(update, context)
    draft["kind"] = kind
    await reply(
        update,
        gettext("{kind}. Please send the topic of the meeting.").format(kind=_kind_name(kind)),
    )
    return NEW_TOPIC


async def new_topic(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    text = " ".join((update.effective_message.text or "").split())
    if not 5 <= len(text) <= 500:
        await reply(update, gettext("The topic must be 5 to 500 characters. Please send it again."))
        return NEW_TOPIC
    draft["topic"] = text
    campaign = await context.services.sessions.campaign()
    if campaign is None:
        draft["on_campaign"] = False
        await _ask_when(update)
        return NEW_WHEN
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


async def new_campaign(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    draft["on_campaign"] = query.data == "sesn:camp:yes"
    await _ask_when(update)
    return NEW_WHEN


async def _ask_when(update: Update) -> None:
    await reply(
        update,
        gettext(
            "When does it start? Send the date and time, for example 25/03/2026 19:30 or "
            "25/3 19:30."
        ),
    )


async def new_when(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    try:
        moment = context.services.sessions.parse_start(update.effective_message.text or "")
    except UserFacingError as error:
        await reply(update, error.render())
        return NEW_WHEN
    draft["starts_at"] = moment.isoformat()
    await reply(
        update,
        gettext("Start: <b>{time}</b> ({day}). Is this correct?").format(
            time=format_datetime(moment), day=format_date(moment, "long")
        ),
        reply_markup=_confirm_kb("sesn:when:ok", "sesn:when:edit"),
    )
    return NEW_WHEN_OK


async def new_when_ok(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    if query.data == "sesn:when:edit":
        await _ask_when(update)
        return NEW_WHEN
    await reply(update, gettext("Where? Send the place, or the link of the online meeting."))
    return NEW_PLACE


async def new_place(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    text = " ".join((update.effective_message.text or "").split())
    if not 2 <= len(text) <= 300:
        await reply(update, gettext("The place must be 2 to 300 characters. Please send it again."))
        return NEW_PLACE
    draft["place"] = text
    if draft.get("kind") == rules.Kind.THEMATIC:
        await reply(update, gettext("Who presents the topic? Send the presenter's full name."))
        return NEW_PRESENTER
    return await _summary(update, context)


async def new_presenter(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    text = " ".join((update.effective_message.text or "").split())
    if not 4 <= len(text) <= 100:
        await reply(update, gettext("Please send the presenter's full name, 4 to 100 characters."))
        return NEW_PRESENTER
    draft["presenter"] = text
    await reply(
        update,
        gettext(
            "Please send the lead-in text (the short text approved by the cell committee). "
            "It is sent to the members with the invitation."
        ),
    )
    return NEW_LEADIN


async def new_leadin(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    text = (update.effective_message.text or "").strip()
    if not 10 <= len(text) <= 3000:
        await reply(
            update, gettext("The lead-in must be 10 to 3000 characters. Please send it again.")
        )
        return NEW_LEADIN
    draft["lead_in"] = text
    return await _summary(update, context)


async def _summary(update: Update, context: CadreContext) -> int:
    draft = context.user_data[DRAFT_KEY]
    moment = datetime.fromisoformat(draft["starts_at"])
    lines = [
        gettext("Please check the meeting before the invitations go out:"),
        gettext("Unit: {unit}").format(unit=h(draft["unit_name"])),
        gettext("Kind: {kind}").format(kind=_kind_name(draft["kind"])),
        gettext("Topic: {topic}").format(topic=h(draft["topic"])),
        gettext("Time: {time}").format(time=format_datetime(moment)),
        gettext("Place: {place}").format(place=h(draft["place"])),
    ]
    if draft.get("on_campaign"):
        lines.append(gettext("On the campaign topic of the year."))
    if draft.get("presenter"):
        lines.append(gettext("Presenter: {name}").format(name=h(draft["presenter"])))
    if draft.get("lead_in"):
        lines.append(gettext("Lead-in:") + "\n<i>" + h(draft["lead_in"]) + "</i>")
    text = "\n".join(lines)
    await reply(
        update,
        split_message([text], 3500)[0],
        reply_markup=_kb(
            [(gettext("Confirm and invite"), "sesn:save"), (gettext("Start again"), "sesn:redo")]
        ),
    )
    return NEW_CONFIRM


async def new_save(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return await _expired(update, context)
    if query.data == "sesn:redo":
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
        await reply(update, error.render())
        if isinstance(error, InvalidInput):
            await _ask_when(update)
            return NEW_WHEN
        _forget(context)
        return ConversationHandler.END
    _forget(context)
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
    return ConversationHandler.END


async def _expired(update: Update, context: CadreContext) -> int:
    _forget(context)
    await reply(update, gettext("This step has expired. Please send the command again."))
    return ConversationHandler.END


async def cancel_conversation(update: Update, context: CadreContext) -> int:
    _forget(context)
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return ConversationHandler.END


# list / show ------------------------------------------------------------------------------


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
        lines.append("")
        lines.append(gettext("<b>Bridge points</b>"))
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
    if view.minutes is not None:
        lines.append(gettext("Minutes recorded: /session minutes {id}").format(id=session.id))
    return lines


async def show_one(update: Update, context: CadreContext, session_id: int) -> None:
    view = await context.services.sessions.view(context.actor, session_id)
    chunks = split_message(_show_lines(view, context.services.clock.now()))
    for index, chunk in enumerate(chunks):
        markup = (
            _kb([(gettext("Refresh"), f"ses:show:{session_id}")])
            if index == len(chunks) - 1
            else None
        )
        await reply(update, chunk, reply_markup=markup)


async def show_refresh(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        view = await context.services.sessions.view(context.actor, session_id)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    text = split_message(_show_lines(view, context.services.clock.now()))[0]
    with contextlib.suppress(BadRequest):  # unchanged text: nothing to do
        await query.edit_message_text(
            text, reply_markup=_kb([(gettext("Refresh"), f"ses:show:{session_id}")])
        )


# edit -------------------------------------------------------------------------------------


async def edit_start(update: Update, context: CadreContext, session_id: int) -> int:
    view = await context.services.sessions.view(context.actor, session_id)
    if not view.session.is_open:
        raise InvalidInput(
            N_("Session {id} is closed; it can no longer be changed."), id=session_id
        )
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


async def edit_field(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    state = context.user_data.get(EDIT_KEY)
    field = (query.data or "").rsplit(":", 1)[1]
    if state is None or field not in dict(EDIT_FIELDS):
        return await _expired(update, context)
    state["field"] = field
    if field == "starts_at":
        await _ask_when(update)
    else:
        await reply(
            update,
            gettext("Please send the new value for: {field}").format(
                field=gettext(dict(EDIT_FIELDS)[field])
            ),
        )
    return EDIT_VALUE


async def edit_value(update: Update, context: CadreContext) -> int:
    state = context.user_data.get(EDIT_KEY)
    if state is None or "field" not in state:
        return await _expired(update, context)
    text = (update.effective_message.text or "").strip()
    if state["field"] == "starts_at":
        try:
            moment = context.services.sessions.parse_start(text)
        except UserFacingError as error:
            await reply(update, error.render())
            return EDIT_VALUE
        state["value"] = moment.isoformat()
        shown = f"{format_datetime(moment)} ({format_date(moment, 'long')})"
    else:
        state["value"] = text
        shown = h(text)
    await reply(
        update,
        gettext("{field}: <b>{value}</b>\nIs this correct?").format(
            field=gettext(dict(EDIT_FIELDS)[state["field"]]), value=shown
        ),
        reply_markup=_confirm_kb("sesn:edit:ok", "sesn:edit:again"),
    )
    return EDIT_CONFIRM


async def edit_confirm(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    state = context.user_data.get(EDIT_KEY)
    if state is None or "value" not in state:
        return await _expired(update, context)
    if query.data == "sesn:edit:again":
        await reply(update, gettext("Please send the value again."))
        return EDIT_VALUE
    value: object = state["value"]
    if state["field"] == "starts_at":
        value = datetime.fromisoformat(state["value"])
    try:
        session = await context.services.sessions.edit(
            context.actor, state["id"], state["field"], value
        )
    except UserFacingError as error:
        await reply(update, error.render())
        if isinstance(error, InvalidInput):
            return EDIT_VALUE
        _forget(context)
        return ConversationHandler.END
    _forget(context)
    await reply(
        update,
        "\n".join(
            [gettext("Saved. The invitees are told of a new time or place."), *describe(session)]
        ),
    )
    if state["field"] in ("starts_at", "place"):
        context.application.create_task(
            context.services.sessions.send_change(session.id),
            update=update,
            name=f"change-session-{session.id}",
        )
    return ConversationHandler.END


# cancel -----------------------------------------------------------------------------------


async def cancel_ask(update: Update, context: CadreContext, session_id: int) -> None:
    view = await context.services.sessions.view(context.actor, session_id)
    if not view.session.is_open:
        raise InvalidInput(
            N_("Session {id} is closed; it can no longer be changed."), id=session_id
        )
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
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    service = context.services.sessions
    try:
        session, members = await service.cancel(context.actor, session_id)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        await _drop_markup(update)
        return
    await query.answer()
    await _drop_markup(update)
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
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        await context.services.sessions.rsvp(context.actor, session_id, True)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer(gettext("Thank you. You will attend."))
    await reply(update, gettext("Recorded: you will attend meeting {id}.").format(id=session_id))


async def rsvp_no(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    context.user_data[REASON_KEY] = session_id
    await reply(
        update,
        gettext(
            "Please send the reason you can't attend meeting {id}, e.g. ốm, đi công tác."
        ).format(id=session_id),
    )
    return ASK_REASON


async def rsvp_reason(update: Update, context: CadreContext) -> int:
    session_id = context.user_data.get(REASON_KEY)
    if session_id is None:
        return ConversationHandler.END
    text = " ".join((update.effective_message.text or "").split())
    try:
        await context.services.sessions.rsvp(context.actor, session_id, False, text)
    except UserFacingError as error:
        await reply(update, error.render())
        if isinstance(error, InvalidInput):
            return ASK_REASON
        context.user_data.pop(REASON_KEY, None)
        return ConversationHandler.END
    context.user_data.pop(REASON_KEY, None)
    await reply(
        update,
        gettext("Recorded: absent from meeting {id}, reason: {reason}.").format(
            id=session_id, reason=h(text)
        ),
    )
    return ConversationHandler.END


async def rsvp_cancel(update: Update, context: CadreContext) -> int:
    context.user_data.pop(REASON_KEY, None)
    await reply(update, gettext("Your answer is recorded without a reason."))
    return ConversationHandler.END


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
            await reply(update, error.render())
            return
        await reply(update, _attend_text(result.outcome, result.session.id, result.session.topic))
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


def _attend_text(outcome: str, session_id: int, topic: str) -> str:
    if outcome == "checked_in":
        return gettext("Checked in to meeting {id} ({topic}). Thank you, comrade.").format(
            id=session_id, topic=h(topic)
        )
    if outcome == "already":
        return gettext("You have already checked in to meeting {id}; it counts once.").format(
            id=session_id
        )
    if outcome == "pending":
        return gettext("Your report for meeting {id} is already waiting for the secretary.").format(
            id=session_id
        )
    return gettext(
        "Check-in has closed, so your attendance at meeting {id} was sent to the secretary to "
        "confirm."
    ).format(id=session_id)


async def attend_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        result = await context.services.sessions.attend_button(context.actor, session_id)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    await _drop_markup(update)
    await reply(update, _attend_text(result.outcome, session_id, result.session.topic))


async def late_decided(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    _, _, verdict, raw_session, raw_member = (query.data or "").split(":")
    try:
        session, invitee = await context.services.sessions.decide_late(
            context.actor, int(raw_session), int(raw_member), verdict == "ok"
        )
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        await _drop_markup(update)
        return
    await query.answer()
    label = gettext("Confirmed") if verdict == "ok" else gettext("Rejected")
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(
            gettext("{status}: <b>{name}</b>, meeting {id}").format(
                status=label, name=h(invitee.full_name), id=session.id
            )
        )


# Closing: the paper-style list, corrections, finalising -----------------------------------


def _list_lines(lines: list[rules.Line]) -> list[str]:
    return [h(rules.summary_line(rules.count_lines(lines)))] + [
        h(rules.format_line(line)) for line in lines
    ]


def _close_markup(session_id: int, lines: list[rules.Line]) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, str]]] = []
    if len(lines) <= 30:
        row: list[tuple[str, str]] = []
        for line in lines:
            row.append(
                (
                    f"{line.number} {rules.MARK_ICONS[line.mark]}",
                    f"ses:cyc:{session_id}:{line.number}",
                )
            )
            if len(row) == 5:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
    rows.append([(gettext("Close the meeting"), f"ses:fin:{session_id}")])
    return _kb(*rows)


async def close_start(update: Update, context: CadreContext, session_id: int) -> int:
    session, _unit, lines = await context.services.sessions.attendance(context.actor, session_id)
    if not session.is_open:
        raise InvalidInput(
            N_("Session {id} is closed; it can no longer be changed."), id=session_id
        )
    _forget(context)
    context.user_data[BULK_KEY] = {"id": session_id}
    await _send_list(update, session_id, lines, intro=True)
    return CLOSE_EDIT


async def _send_list(update: Update, session_id: int, lines: list[rules.Line], intro: bool) -> None:
    head = [gettext("<b>Attendance list</b>, meeting {id}").format(id=session_id)]
    body = _list_lines(lines)
    help_text = gettext(
        "To correct, press a line's button, or send corrections by number, e.g. "
        "<code>3 V ốm</code> or <code>5 P</code> (C present, P/V with a reason absent with "
        "reason, K absent without reason). Then press «Close the meeting»."
    )
    chunks = split_message([*head, *body, "", help_text] if intro else [*head, *body])
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await reply(update, chunk, reply_markup=_close_markup(session_id, lines) if last else None)


async def close_text(update: Update, context: CadreContext) -> int:
    state = context.user_data.get(BULK_KEY)
    if state is None:
        return await _expired(update, context)
    service = context.services.sessions
    try:
        _, _, lines = await service.attendance(context.actor, state["id"])
        changes = rules.parse_bulk(update.effective_message.text or "", len(lines))
    except UserFacingError as error:
        await reply(update, error.render())
        return CLOSE_EDIT
    state["changes"] = [[c.number, c.mark.value, c.reason] for c in changes]
    by_number = {line.number: line for line in lines}
    echo = [gettext("Change these lines?")]
    for change in changes:
        line = rules.Line(
            change.number,
            0,
            by_number[change.number].name,
            by_number[change.number].status,
            change.mark,
            change.reason,
        )
        echo.append(h(rules.format_line(line)))
    await reply(
        update,
        split_message(echo)[0],
        reply_markup=_confirm_kb(f"ses:bulk:ok:{state['id']}", f"ses:bulk:no:{state['id']}"),
    )
    return CLOSE_EDIT


async def bulk_decided(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    state = context.user_data.get(BULK_KEY) or {}
    _, _, verdict, raw_id = (query.data or "").split(":")
    if int(raw_id) != state.get("id") or "changes" not in state:
        await query.answer(gettext("This button is no longer active."), show_alert=True)
        return CLOSE_EDIT
    await _drop_markup(update)
    if verdict == "no":
        state.pop("changes", None)
        await query.answer()
        await reply(update, gettext("Not changed. Send the corrections again."))
        return CLOSE_EDIT
    changes = [rules.Change(n, rules.Mark(m), r) for n, m, r in state.pop("changes")]
    try:
        lines = await context.services.sessions.correct(context.actor, state["id"], changes)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return CLOSE_EDIT
    await query.answer(gettext("Saved."))
    await _send_list(update, state["id"], lines, intro=False)
    return CLOSE_EDIT


async def cycle_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    _, _, raw_id, raw_number = (query.data or "").split(":")
    service = context.services.sessions
    try:
        _, _, lines = await service.attendance(context.actor, int(raw_id))
        line = next(line for line in lines if line.number == int(raw_number))
        new_mark = rules.NEXT_MARK[line.mark]
        reason = line.reason if new_mark is rules.Mark.EXCUSED else ""
        lines = await service.correct(
            context.actor, int(raw_id), [rules.Change(line.number, new_mark, reason)]
        )
    except (UserFacingError, StopIteration) as error:
        text = (
            error.render()
            if isinstance(error, UserFacingError)
            else gettext("This button is no longer active.")
        )
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    head = [gettext("<b>Attendance list</b>, meeting {id}").format(id=raw_id)]
    chunks = split_message([*head, *_list_lines(lines)])
    if len(chunks) == 1:
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(chunks[0], reply_markup=_close_markup(int(raw_id), lines))


async def finalise_pressed(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        session, counts = await context.services.sessions.close(context.actor, session_id)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await _drop_markup(update)
    state = context.user_data.get(BULK_KEY)
    if state and state.get("id") == session_id:
        context.user_data.pop(BULK_KEY, None)
    await reply(
        update,
        gettext(
            "Meeting {id} is closed.\n{summary}\nRecord the minutes: /session minutes {id}"
        ).format(id=session.id, summary=h(rules.summary_line(counts))),
    )
    return ConversationHandler.END


# Minutes ----------------------------------------------------------------------------------


async def minutes_start(update: Update, context: CadreContext, session_id: int) -> int:
    service = context.services.sessions
    view = await service.minutes_context(context.actor, session_id)
    if view.minutes is not None:
        await _send_docx(update, context, session_id)
        await reply(
            update,
            gettext("The minutes of meeting {id} are recorded. Record them again?").format(
                id=session_id
            ),
            reply_markup=_kb([(gettext("Record again"), f"ses:minre:{session_id}")]),
        )
        return ConversationHandler.END
    return await _minutes_begin(update, context, view)


async def minutes_again(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    session_id = int((query.data or "").rsplit(":", 1)[1])
    try:
        view = await context.services.sessions.minutes_context(context.actor, session_id)
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await _drop_markup(update)
    return await _minutes_begin(update, context, view)


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
                gettext("Who chaired the meeting? Send the full name."),
            ]
        ),
    )
    return MIN_CHAIR


def _minutes_text(update: Update, low: int = 2, high: int = 3000) -> str:
    text = (update.effective_message.text or "").strip()
    if not low <= len(text) <= high:
        raise InvalidInput(N_("Please send {low} to {high} characters."), low=low, high=high)
    return text


async def _minutes_step(
    update: Update,
    context: CadreContext,
    key: str,
    state: int,
    next_state: int,
    prompt: str,
    *,
    skip: bool = False,
    high: int = 3000,
) -> int:
    data = context.user_data.get(MINUTES_KEY)
    if data is None:
        return await _expired(update, context)
    try:
        data[key] = " ".join(_minutes_text(update, high=high).split())
    except UserFacingError as error:
        await reply(update, error.render())
        return state
    markup = _kb([(gettext("Skip"), "sesn:min:skip")]) if skip else None
    await reply(update, gettext(prompt), reply_markup=markup)
    return next_state


async def min_chair(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "chair",
        MIN_CHAIR,
        MIN_TAKER,
        N_("Who took the minutes (the minute-taker)?"),
        high=100,
    )


async def min_taker(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "minute_taker",
        MIN_TAKER,
        MIN_GUESTS,
        N_("Guests, if any (names and positions)."),
        skip=True,
        high=500,
    )


async def min_guests(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "guests",
        MIN_GUESTS,
        MIN_AGENDA,
        N_("The agenda (leave it to use the meeting's topic)."),
        skip=True,
    )


async def min_agenda(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "agenda",
        MIN_AGENDA,
        MIN_SPEAKERS,
        SPEAKERS_PROMPT,
    )


SPEAKERS_PROMPT = N_(
    "The speakers and their opinions, one per line as «Name: opinion». Send several "
    "messages if you like, then press «Speakers done»."
)


async def min_skip(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    data = context.user_data.get(MINUTES_KEY)
    if data is None:
        return await _expired(update, context)
    if "guests" not in data:
        data["guests"] = ""
        await reply(
            update,
            gettext("The agenda (leave it to use the meeting's topic)."),
            reply_markup=_kb([(gettext("Skip"), "sesn:min:skip")]),
        )
        return MIN_AGENDA
    data["agenda"] = ""
    await reply(update, gettext(SPEAKERS_PROMPT))
    return MIN_SPEAKERS


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


async def min_speakers(update: Update, context: CadreContext) -> int:
    data = context.user_data.get(MINUTES_KEY)
    if data is None:
        return await _expired(update, context)
    try:
        speakers = parse_speakers(update.effective_message.text or "")
    except UserFacingError as error:
        await reply(update, error.render())
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


async def min_speakers_done(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    await reply(update, gettext("The difficulties and limits raised."))
    return MIN_DIFFICULTIES


async def min_difficulties(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "difficulties",
        MIN_DIFFICULTIES,
        MIN_SOLUTIONS,
        N_("The solutions proposed."),
    )


async def min_solutions(update: Update, context: CadreContext) -> int:
    return await _minutes_step(
        update,
        context,
        "solutions",
        MIN_SOLUTIONS,
        MIN_CONCLUSION,
        N_("The chair's conclusion."),
    )


async def min_conclusion(update: Update, context: CadreContext) -> int:
    data = context.user_data.get(MINUTES_KEY)
    if data is None:
        return await _expired(update, context)
    try:
        data["conclusion"] = _minutes_text(update)
    except UserFacingError as error:
        await reply(update, error.render())
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


async def min_save(update: Update, context: CadreContext) -> int:
    query = update.callback_query
    await query.answer()
    await _drop_markup(update)
    data = context.user_data.get(MINUTES_KEY)
    if data is None:
        return await _expired(update, context)
    if query.data == "sesn:min:redo":
        data["speakers"] = []
        await reply(update, gettext("Who chaired the meeting? Send the full name."))
        return MIN_CHAIR
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
        await reply(update, error.render())
        _forget(context)
        return ConversationHandler.END
    _forget(context)
    await reply(update, gettext("The minutes are saved. Here is the document:"))
    await _send_docx(update, context, data["id"])
    return ConversationHandler.END


async def _send_docx(update: Update, context: CadreContext, session_id: int) -> None:
    name, data = await context.services.sessions.minutes_docx(context.actor, session_id)
    await update.effective_message.reply_document(
        InputFile(data, filename=name),
        caption=gettext("Minutes of meeting {id}").format(id=session_id),
    )


# Bridge points and the study deadline ------------------------------------------------------


async def bridge_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session bridge ID [UNIT_CODE] COUNT [names…]"""
    if len(rest) < 2:
        raise InvalidInput(
            N_("Please write: /session bridge ID COUNT [names], e.g. /session bridge 7 25")
        )
    session_id = _id(rest[0])
    unit_code = None
    tail = rest[1:]
    if not tail[0].isdigit():
        unit_code, tail = tail[0], tail[1:]
    if not tail or not tail[0].isdigit():
        raise InvalidInput(N_("The head count must be a whole number, e.g. 25."))
    count = int(tail[0])
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
    query = update.callback_query
    data = context.user_data.get(BRIDGE_KEY)
    session_id = int((query.data or "").rsplit(":", 1)[1])
    if not data or data.get("id") != session_id:
        await query.answer(gettext("This button is no longer active."), show_alert=True)
        return
    try:
        _, point = await context.services.sessions.report_bridge(
            context.actor, session_id, data["unit"], data["count"], data["names"]
        )
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return
    context.user_data.pop(BRIDGE_KEY, None)
    await query.answer()
    await _drop_markup(update)
    await reply(
        update,
        gettext("Recorded for {unit}: {count} present.").format(
            unit=h(point.name), count=data["count"]
        ),
    )


async def deadline_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session deadline DATE [UNIT_CODE]"""
    if not rest:
        raise InvalidInput(N_("Please write: /session deadline 31/03/2026 [UNIT_CODE]"))
    service = context.services.sessions
    day = parse_date(rest[0], default_year=context.services.clock.today().year)
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
    query = update.callback_query
    data = context.user_data.get(DEADLINE_KEY)
    if not data:
        await query.answer(gettext("This button is no longer active."), show_alert=True)
        return
    service = context.services.sessions
    try:
        unit = await service.unit_for(context.actor, data["unit"])
        await service.set_study_deadline(context.actor, unit, date.fromisoformat(data["date"]))
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
        return
    context.user_data.pop(DEADLINE_KEY, None)
    await query.answer()
    await _drop_markup(update)
    await reply(
        update,
        gettext("Saved: {unit} studies the campaign topic by {date}.").format(
            unit=h(unit.name), date=format_date(date.fromisoformat(data["date"]))
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
    campaign, study = await service.study_report(context.actor)
    if campaign is not None and study:
        lines.append("")
        lines.append(
            gettext("<b>Study of the campaign topic {year}</b>").format(year=campaign.year)
        )
        top = study[0]
        lines.append(
            gettext("{done} of {total} units have finished.").format(
                done=top.state.leaves_done, total=top.state.leaves_total
            )
        )
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


async def export_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    _, _, fmt, raw_start, raw_end, code = (query.data or "").split(":", 5)
    start = datetime.strptime(raw_start, "%Y%m%d").date()
    end = datetime.strptime(raw_end, "%Y%m%d").date()
    try:
        name, data = await context.services.sessions.export_attendance(
            context.actor, code, start, end, fmt
        )
    except UserFacingError as error:
        await query.answer(error.render(), show_alert=True)
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
        await reply(
            update,
            split_message([text], 3800)[0],
            reply_markup=_kb(
                [
                    (gettext("I will attend"), f"ses:yes:{session.id}"),
                    (gettext("I can't attend"), f"ses:no:{session.id}"),
                ]
            ),
        )


# Wiring -----------------------------------------------------------------------------------


def register(application: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("session", route),
            CallbackQueryHandler(minutes_again, pattern=r"^ses:minre:\d+$"),
        ],
        states={
            NEW_UNIT: [CallbackQueryHandler(new_unit, pattern=r"^sesn:unit:\d+$")],
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
                CallbackQueryHandler(bulk_decided, pattern=r"^ses:bulk:(ok|no):\d+$"),
                CallbackQueryHandler(finalise_pressed, pattern=r"^ses:fin:\d+$"),
            ],
            MIN_CHAIR: [MessageHandler(text, min_chair)],
            MIN_TAKER: [MessageHandler(text, min_taker)],
            MIN_GUESTS: [
                MessageHandler(text, min_guests),
                CallbackQueryHandler(min_skip, pattern=r"^sesn:min:skip$"),
            ],
            MIN_AGENDA: [
                MessageHandler(text, min_agenda),
                CallbackQueryHandler(min_skip, pattern=r"^sesn:min:skip$"),
            ],
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
        name="session",
        persistent=True,
        allow_reentry=True,
        per_message=False,
    )
    application.add_handler(conversation)
    absence = ConversationHandler(
        entry_points=[CallbackQueryHandler(rsvp_no, pattern=r"^ses:no:\d+$")],
        states={ASK_REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, rsvp_reason)]},
        fallbacks=[CommandHandler("cancel", rsvp_cancel)],
        name="session_absence",
        persistent=True,
        allow_reentry=True,
        per_message=False,
    )
    application.add_handler(absence)
    for callback, pattern in (
        (rsvp_yes, r"^ses:yes:\d+$"),
        (attend_pressed, r"^ses:in:\d+$"),
        (late_decided, r"^ses:late:(ok|no):\d+:\d+$"),
        (cancel_confirmed, r"^ses:cancelok:\d+$"),
        (cycle_pressed, r"^ses:cyc:\d+:\d+$"),
        (finalise_pressed, r"^ses:fin:\d+$"),
        (show_refresh, r"^ses:show:\d+$"),
        (bridge_confirmed, r"^ses:brok:\d+$"),
        (deadline_confirmed, r"^ses:dlok$"),
        (export_pressed, r"^ses:exp:(csv|xlsx):\d{8}:\d{8}:.+$"),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CommandHandler("attend", attend))
    application.add_handler(CommandHandler("sessions", my_sessions))
