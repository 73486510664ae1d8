"""/session new: the guided creation of a session (conversation ``session_new``).

Unit (when the person manages several), kind, topic, whether it is on the year's campaign
topic, the start (echoed with the long date), the place, and for a thematic session the
presenter and the lead-in; then a summary to confirm, and the invitations go out.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from telegram import Update
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
from bot.i18n import gettext
from bot.render.session_notices import detail_lines
from bot.rules import sessions as rules
from bot.services.sessions import Draft
from handlers import flow, shortcuts
from handlers.replies import h, reply, reply_lines
from handlers.sessions import shared
from handlers.sessions.shared import flow_step, kind_name, text_of
from handlers.ui import keyboard, parse_button

NAME = "session_new"
DRAFT_KEY = "session_draft"
# Replayable: the steps fill the draft, and saving it twice makes one meeting (its key).
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(DRAFT_KEY,), replay=True)
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
) = range(10)
UNITS_SHOWN = 20


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    service = context.services.sessions
    context.user_data.pop(DRAFT_KEY, None)
    if rest:
        units = [await service.unit_for(context.actor, rest[0])]
    else:
        units = await service.managed_units(context.actor)
    if not units:
        await reply(update, gettext("You do not manage any unit's meetings."))
        return flow.close(context, NAME)
    # Its own key: saving it twice (handled again after a restart) makes one meeting.
    context.user_data[DRAFT_KEY] = {"key": secrets.token_urlsafe(12)}
    if len(units) > 1:
        await reply(
            update,
            gettext("Which unit is the meeting for?"),
            reply_markup=keyboard(*[[(u.name, cb.NEW_UNIT(u.id))] for u in units[:UNITS_SHOWN]]),
        )
        return NEW_UNIT
    return await _ask_kind(update, context, units[0].id, units[0].name)


@flow_step(NAME, DRAFT_KEY, button=True)
async def new_unit(update: Update, context: CadreContext, draft: dict) -> int:
    (unit_id,) = parse_button(cb.NEW_UNIT, update) or (None,)
    for unit in await context.services.sessions.managed_units(context.actor):
        if unit.id == unit_id:
            return await _ask_kind(update, context, unit.id, unit.name)
    return await shared.expired(update, context, NAME)


async def _ask_kind(update: Update, context: CadreContext, unit_id: int, name: str) -> int:
    draft = context.user_data.setdefault(DRAFT_KEY, {})
    draft.update(unit_id=unit_id, unit_name=name)
    kinds = await context.services.sessions.kinds_for(unit_id)
    await reply(
        update,
        gettext("New meeting for <b>{unit}</b>. What kind of meeting?").format(unit=h(name)),
        reply_markup=keyboard(*[[(kind_name(k), cb.NEW_KIND(k.value))] for k in kinds]),
    )
    return NEW_KIND


@flow_step(NAME, DRAFT_KEY, button=True)
async def new_kind(update: Update, context: CadreContext, draft: dict) -> int:
    values = parse_button(cb.NEW_KIND, update)
    if values is None:
        return await shared.expired(update, context, NAME)
    (kind,) = values
    draft["kind"] = kind
    await reply(
        update,
        gettext("{kind}. Please send the topic of the meeting.").format(kind=kind_name(kind)),
    )
    return NEW_TOPIC


async def _take(update: Update, draft: dict, field: str) -> bool:
    """Check a free-text answer and keep it; say what is wrong otherwise."""
    try:
        draft[field] = rules.check_field(field, text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return False
    return True


@flow_step(NAME, DRAFT_KEY)
async def new_topic(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "topic"):
        return NEW_TOPIC
    campaign = await context.services.sessions.campaign()
    if campaign is None:
        draft["on_campaign"] = False
        return await shared.ask_when(update, NEW_WHEN)
    await reply(
        update,
        gettext("Is this meeting on the campaign topic of {year}?\n<i>{topic}</i>").format(
            year=campaign.year, topic=h(campaign.topic)
        ),
        reply_markup=keyboard(
            [
                (gettext("Yes, the campaign topic"), cb.NEW_ON_CAMPAIGN("yes")),
                (gettext("No"), cb.NEW_ON_CAMPAIGN("no")),
            ]
        ),
    )
    return NEW_CAMPAIGN


@flow_step(NAME, DRAFT_KEY, button=True)
async def new_campaign(update: Update, context: CadreContext, draft: dict) -> int:
    draft["on_campaign"] = parse_button(cb.NEW_ON_CAMPAIGN, update) == ("yes",)
    return await shared.ask_when(update, NEW_WHEN)


@flow_step(NAME, DRAFT_KEY)
async def new_when(update: Update, context: CadreContext, draft: dict) -> int:
    retry = await shared.read_when(
        update, context, draft, NEW_WHEN, cb.NEW_WHEN("ok"), cb.NEW_WHEN("edit")
    )
    return NEW_WHEN_OK if retry is None else retry


@flow_step(NAME, DRAFT_KEY, button=True)
async def new_when_ok(update: Update, context: CadreContext, draft: dict) -> int:
    if parse_button(cb.NEW_WHEN, update) != ("ok",) or "starts_at" not in draft:
        return await shared.ask_when(update, NEW_WHEN)
    await reply(update, gettext("Where? Send the place, or the link of the online meeting."))
    return NEW_PLACE


@flow_step(NAME, DRAFT_KEY)
async def new_place(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "place"):
        return NEW_PLACE
    if draft.get("kind") == rules.Kind.THEMATIC:
        await reply(update, gettext("Who presents the topic? Send the presenter's full name."))
        return NEW_PRESENTER
    return await _summary(update, draft)


@flow_step(NAME, DRAFT_KEY)
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


@flow_step(NAME, DRAFT_KEY)
async def new_leadin(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, draft, "lead_in"):
        return NEW_LEADIN
    return await _summary(update, draft)


async def _summary(update: Update, draft: dict) -> int:
    lines = [
        gettext("Please check the meeting before the invitations go out:"),
        gettext("Unit: {unit}").format(unit=h(draft["unit_name"])),
        gettext("Kind: {kind}").format(kind=kind_name(draft["kind"])),
        *detail_lines(
            topic=draft["topic"],
            starts_at=datetime.fromisoformat(draft["starts_at"]),
            place=draft["place"],
            on_campaign=bool(draft.get("on_campaign")),
            presenter=draft.get("presenter", ""),
            lead_in=draft.get("lead_in", ""),
        ),
    ]
    await reply_lines(
        update,
        lines,
        keyboard(
            [
                (gettext("Confirm and invite"), cb.NEW_SAVE("save")),
                (gettext("Start again"), cb.NEW_SAVE("redo")),
            ]
        ),
    )
    return NEW_CONFIRM


@flow_step(NAME, DRAFT_KEY, button=True)
async def new_save(update: Update, context: CadreContext, draft: dict) -> int:
    if parse_button(cb.NEW_SAVE, update) != ("save",):
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
                request_key=draft.get("key"),
            ),
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput):  # the time has passed while confirming
            return await shared.ask_when(update, NEW_WHEN)
        return flow.close(context, NAME)
    await reply(
        update,
        gettext(
            "Meeting {id} is saved. Invitations are going to {count} members.\n"
            "See the answers with /session show {id}."
        ).format(id=session.id, count=invited),
    )
    return flow.close(context, NAME)


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, NAME)


def conversation(application: Application) -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    return flow.conversation(
        application,
        FLOW,
        entry_points=[
            CommandHandler("session", start, filters=shared.subcommand("new")),
            shortcuts.entry("session_new", start, NAME),
        ],
        states={
            NEW_UNIT: [CallbackQueryHandler(new_unit, pattern=cb.NEW_UNIT.pattern)],
            NEW_KIND: [CallbackQueryHandler(new_kind, pattern=cb.NEW_KIND.pattern)],
            NEW_TOPIC: [MessageHandler(text, new_topic)],
            NEW_CAMPAIGN: [CallbackQueryHandler(new_campaign, pattern=cb.NEW_ON_CAMPAIGN.pattern)],
            NEW_WHEN: [MessageHandler(text, new_when)],
            NEW_WHEN_OK: [
                CallbackQueryHandler(new_when_ok, pattern=cb.NEW_WHEN.pattern),
                MessageHandler(text, new_when),
            ],
            NEW_PLACE: [MessageHandler(text, new_place)],
            NEW_PRESENTER: [MessageHandler(text, new_presenter)],
            NEW_LEADIN: [MessageHandler(text, new_leadin)],
            NEW_CONFIRM: [CallbackQueryHandler(new_save, pattern=cb.NEW_SAVE.pattern)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
