"""/nominate: a member proposes an example of good people, good deeds (conversation
``nomination_new``).

The person's name, where they work (optional), the deed, the unit it goes to (the member's
own by default; asked only when there is a choice), a photo (optional); then a summary to
confirm, and only then is anything saved and the board told.
"""

from __future__ import annotations

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
from bot.errors import UserFacingError
from bot.i18n import N_, gettext
from bot.render.nomination_notices import MARK
from bot.rules.nominations import Field
from bot.services.nominations import Draft
from handlers import flow
from handlers.replies import h, reply, reply_lines
from handlers.sessions.shared import expired, flow_step
from handlers.ui import keyboard, parse_button

NAME = "nomination_new"
DRAFT_KEY = "nomination_draft"
FLOW = flow.FlowSpec(NAME, N_("a nomination (good people, good deeds)"), draft_keys=(DRAFT_KEY,))
NOMINEE, INFO, DEED, UNIT, PHOTO, CONFIRM = range(6)


async def start(update: Update, context: CadreContext) -> int:
    if await flow.refuse_if_busy(update, context, NAME):
        return flow.END
    try:
        targets = await context.services.nominations.targets(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    context.user_data[DRAFT_KEY] = {"unit_id": targets[0].id, "unit_name": targets[0].name}
    return await _ask_nominee(update)


async def _ask_nominee(update: Update) -> int:
    await reply(
        update,
        gettext(
            "{mark} <b>Nominate an example of good people, good deeds</b>\n"
            "Who do you nominate? Please send the person's full name (a party member or not)."
        ).format(mark=MARK)
        + "\n"
        + gettext("Send /cancel at any time to stop; nothing is saved before you confirm."),
    )
    return NOMINEE


async def _take(update: Update, context: CadreContext, draft: dict, field: Field) -> bool:
    """Check a typed answer and keep it; say what is wrong otherwise."""
    try:
        draft[field.value] = context.services.nominations.check(
            field, update.effective_message.text or ""
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return False
    return True


@flow_step(NAME, DRAFT_KEY)
async def nominee(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, context, draft, Field.NOMINEE):
        return NOMINEE
    await reply(
        update,
        gettext(
            "Where does {name} work or live (their unit, workplace or residential area)? "
            "Send it, or press Skip."
        ).format(name=h(draft["nominee"])),
        reply_markup=keyboard([(gettext("Skip"), cb.NOMINATE_SKIP("info"))]),
    )
    return INFO


@flow_step(NAME, DRAFT_KEY)
async def info(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, context, draft, Field.NOMINEE_INFO):
        return INFO
    return await _ask_deed(update)


@flow_step(NAME, DRAFT_KEY, button=True)
async def skip_info(update: Update, context: CadreContext, draft: dict) -> int:
    if parse_button(cb.NOMINATE_SKIP, update) != ("info",):
        return await expired(update, context, NAME)
    draft["nominee_info"] = ""
    return await _ask_deed(update)


async def _ask_deed(update: Update) -> int:
    await reply(
        update,
        gettext(
            "Please describe the good deed: what the person did, when and where (at least 20 "
            "characters)."
        ),
    )
    return DEED


@flow_step(NAME, DRAFT_KEY)
async def deed(update: Update, context: CadreContext, draft: dict) -> int:
    if not await _take(update, context, draft, Field.DEED):
        return DEED
    try:
        targets = await context.services.nominations.targets(context.actor)
    except UserFacingError as error:  # no longer a member meanwhile
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    if len(targets) == 1:
        return await _ask_photo(update)
    rows = [[(unit.name, cb.NOMINATE_UNIT(unit.id))] for unit in targets]
    await reply(
        update,
        gettext(
            "Which unit should the nomination go to? It reaches the propaganda board over that "
            "unit. Usually it is your own unit: <b>{unit}</b>."
        ).format(unit=h(targets[0].name)),
        reply_markup=keyboard(*rows),
    )
    return UNIT


@flow_step(NAME, DRAFT_KEY, button=True)
async def unit(update: Update, context: CadreContext, draft: dict) -> int:
    (unit_id,) = parse_button(cb.NOMINATE_UNIT, update) or (None,)
    try:
        targets = await context.services.nominations.targets(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    for target in targets:
        if target.id == unit_id:
            draft.update(unit_id=target.id, unit_name=target.name)
            return await _ask_photo(update)
    return await expired(update, context, NAME)


async def _ask_photo(update: Update) -> int:
    await reply(
        update,
        gettext(
            "If you have a photo of the person or the deed, send it now; otherwise press Skip."
        ),
        reply_markup=keyboard([(gettext("Skip"), cb.NOMINATE_SKIP("photo"))]),
    )
    return PHOTO


@flow_step(NAME, DRAFT_KEY)
async def photo(update: Update, context: CadreContext, draft: dict) -> int:
    sizes = update.effective_message.photo
    try:
        draft["photo"] = context.services.nominations.check_photo(sizes[-1].file_id)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return PHOTO
    return await _summary(update, draft)


@flow_step(NAME, DRAFT_KEY)
async def not_a_photo(update: Update, context: CadreContext, draft: dict) -> int:
    await reply(update, gettext("Please send a photo (as a picture, not a file), or press Skip."))
    return PHOTO


@flow_step(NAME, DRAFT_KEY, button=True)
async def skip_photo(update: Update, context: CadreContext, draft: dict) -> int:
    if parse_button(cb.NOMINATE_SKIP, update) != ("photo",):
        return await expired(update, context, NAME)
    draft["photo"] = None
    return await _summary(update, draft)


async def _summary(update: Update, draft: dict) -> int:
    lines = [
        gettext("Please check your nomination before it is sent:"),
        gettext("Nominee: {nominee}").format(
            nominee=f"<b>{h(draft['nominee'])}</b>"
            + (f" ({h(draft['nominee_info'])})" if draft.get("nominee_info") else "")
        ),
        gettext("The good deed: {deed}").format(deed=h(draft["deed"])),
        gettext("Sent to: {unit}").format(unit=h(draft["unit_name"])),
        gettext("Photo: attached") if draft.get("photo") else gettext("Photo: none"),
    ]
    await reply_lines(
        update,
        lines,
        keyboard(
            [
                (gettext("Send"), cb.NOMINATE_SAVE("send")),
                (gettext("Start again"), cb.NOMINATE_SAVE("redo")),
            ]
        ),
    )
    return CONFIRM


@flow_step(NAME, DRAFT_KEY, button=True)
async def save(update: Update, context: CadreContext, draft: dict) -> int:
    choice = parse_button(cb.NOMINATE_SAVE, update)
    if choice == ("redo",):
        return await _ask_nominee(update)
    if choice != ("send",) or "deed" not in draft:
        return await expired(update, context, NAME)
    try:
        sent = await context.services.nominations.submit(
            context.actor,
            Draft(
                nominee=draft["nominee"],
                nominee_info=draft.get("nominee_info", ""),
                deed=draft["deed"],
                unit_id=draft["unit_id"],
                photo=draft.get("photo"),
            ),
        )
    except UserFacingError as error:  # e.g. no longer in that unit: start again
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    mine = (
        "/nominations mine"
        if context.services.nominations.is_board(context.actor)
        else "/nominations"
    )
    if sent.alerted:
        text = gettext(
            "Thank you, comrade. Nomination {id} has been sent to the propaganda board over "
            "{unit}; you will be told their decision. See your nominations with {mine}."
        )
    else:
        text = gettext(
            "Thank you, comrade. Nomination {id} is saved, but no propaganda board over {unit} "
            "can be reached in the bot yet; it will be reviewed when one is named. See your "
            "nominations with {mine}."
        )
    await reply(
        update, text.format(id=sent.nomination.id, unit=h(sent.nomination.unit_name), mine=mine)
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
        entry_points=[CommandHandler("nominate", start)],
        states={
            NOMINEE: [MessageHandler(text, nominee)],
            INFO: [
                MessageHandler(text, info),
                CallbackQueryHandler(skip_info, pattern=cb.NOMINATE_SKIP.pattern),
            ],
            DEED: [MessageHandler(text, deed)],
            UNIT: [CallbackQueryHandler(unit, pattern=cb.NOMINATE_UNIT.pattern)],
            PHOTO: [
                MessageHandler(filters.PHOTO, photo),
                CallbackQueryHandler(skip_photo, pattern=cb.NOMINATE_SKIP.pattern),
                MessageHandler((text | filters.ATTACHMENT) & ~filters.COMMAND, not_a_photo),
            ],
            CONFIRM: [CallbackQueryHandler(save, pattern=cb.NOMINATE_SAVE.pattern)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
