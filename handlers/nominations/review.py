"""/nominations: the propaganda board's review (the waiting ones, the decided ones, one
opened with its photo; approve, reject with a reason, make an approved one a story draft),
and, for everyone else, their own nominations with the outcome.

Rejecting asks for the reason: a small conversation (``nomination_reject``) entered by the
button, so the typed reason cannot be taken by anything else.
"""

from __future__ import annotations

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
from bot.render import nomination_notices as render
from handlers import flow
from handlers.replies import h, reply, reply_lines
from handlers.sessions.shared import flow_step
from handlers.stories.shared import show_story
from handlers.ui import answer, drop_markup, keyboard, parse_button, refuse_button, stale_text

REJECT = "nomination_reject"
REJECT_KEY = "nomination_reject"
REJECT_FLOW = flow.FlowSpec(
    REJECT, N_("the reason for not approving a nomination"), draft_keys=(REJECT_KEY,)
)
REASON = 0


async def nominations(update: Update, context: CadreContext) -> None:
    service = context.services.nominations
    args = [a.lower() for a in context.args or []]
    try:
        if not service.is_board(context.actor) or args[:1] == ["mine"]:
            await reply_lines(update, render.mine(await service.mine(context.actor)))
            return
        decided = args[:1] == ["decided"]
        found = await service.board_list(context.actor, decided=decided)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    lines, rows = render.board_list(found.items, found.total, decided=decided)
    await reply_lines(update, lines, keyboard(*rows))


async def pressed_list(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.NOMINATION_LIST, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    decided = values == ("decided",)
    try:
        found = await context.services.nominations.board_list(context.actor, decided=decided)
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)
    lines, rows = render.board_list(found.items, found.total, decided=decided)
    await reply_lines(update, lines, keyboard(*rows))


async def pressed_open(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.NOMINATION_OPEN, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        found = await context.services.nominations.get(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)
    await show_story(
        update, "\n".join(render.card(found)), render.review_buttons(found), found.photo
    )


async def pressed_approve(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.NOMINATION_APPROVE, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        decided = await context.services.nominations.approve(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return
    await answer(update)
    await drop_markup(update)
    await reply(
        update,
        gettext(
            "Nomination {id} ({nominee}) is approved; the nominator will be told. You can make "
            "it into a story draft now, or later from /nominations."
        ).format(id=decided.id, nominee=h(decided.nominee))
        + "\n"
        + render.member_line(decided),
        reply_markup=keyboard(*render.review_buttons(decided)),
    )


async def pressed_story(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.NOMINATION_STORY, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        linked, story = await context.services.nominations.make_story(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return
    await answer(update)
    await drop_markup(update)
    await reply(update, render.story_made(linked, story.id))


# Rejecting, with the reason -------------------------------------------------------------------


async def pressed_reject(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.NOMINATION_REJECT, update)
    if values is None:
        await refuse_button(update, stale_text())
        return flow.END
    try:
        found = await context.services.nominations.check_decidable(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return flow.END
    if await flow.refuse_if_busy(update, context, REJECT):
        return flow.END
    await answer(update)
    context.user_data[REJECT_KEY] = {"id": found.id}
    await reply(
        update,
        gettext(
            "Why is nomination {id} ({nominee}) not approved? Please send the reason: the "
            "nominator will read it. Send /cancel to leave it undecided."
        ).format(id=found.id, nominee=h(found.nominee)),
    )
    return REASON


@flow_step(REJECT, REJECT_KEY)
async def reason(update: Update, context: CadreContext, data: dict) -> int:
    try:
        decided = await context.services.nominations.reject(
            context.actor, data["id"], update.effective_message.text or ""
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput):
            return REASON  # the reason itself: write it again
        return flow.close(context, REJECT)
    await reply(
        update,
        gettext(
            "Nomination {id} ({nominee}) is not approved; the nominator will be told why."
        ).format(id=decided.id, nominee=h(decided.nominee)),
    )
    return flow.close(context, REJECT)


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. The nomination is still waiting for a decision."))
    return flow.close(context, REJECT)


def reject_conversation(application: Application) -> ConversationHandler:
    return flow.conversation(
        application,
        REJECT_FLOW,
        entry_points=[CallbackQueryHandler(pressed_reject, pattern=cb.NOMINATION_REJECT.pattern)],
        states={REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, reason)]},
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("nominations", nominations),
        CallbackQueryHandler(pressed_list, pattern=cb.NOMINATION_LIST.pattern),
        CallbackQueryHandler(pressed_open, pattern=cb.NOMINATION_OPEN.pattern),
        CallbackQueryHandler(pressed_approve, pattern=cb.NOMINATION_APPROVE.pattern),
        CallbackQueryHandler(pressed_story, pattern=cb.NOMINATION_STORY.pattern),
    ]
