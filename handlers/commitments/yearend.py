"""The year end: the member's self-assessment (/review), action by action, each rated with
a note of evidence. The grading that follows is in :mod:`.grading` (/grade, the cell) and
:mod:`.deciding` (/decide, the grassroots committee)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import gettext
from bot.rules.commitments import HEADING_LABELS, RATING_LABELS, Heading, Rating
from bot.services.commitments import ReviewClosed
from handlers import flow
from handlers.commitments.rendering import render_commitment, send_lines
from handlers.commitments.steps import open_step, use_buttons
from handlers.replies import h, reply
from handlers.ui import keyboard, parse_button, pressed, refuse_button

SELF_REVIEW = "commitment_self_review"

# Conversation states.
RATE, EVIDENCE = 20, 21

RATE_KEY = "cr_action"


# The self-assessment: /review --------------------------------------------------------------


def _rating_markup(action_id: int) -> InlineKeyboardMarkup:
    return keyboard(*[[(gettext(RATING_LABELS[r]), cb.RATE(action_id, r.value))] for r in Rating])


async def _next_rating(update: Update, context: CadreContext) -> int:
    """Ask about the first action not yet rated with evidence; the summary when none is."""
    view = await context.services.commitments.self_review(context.actor)
    total = len(view.actions)
    for position, action in enumerate(view.actions, start=1):
        if action.self_rating and action.evidence:
            continue
        context.user_data[RATE_KEY] = action.id
        text = gettext("Action {position} of {total} ({heading}):\n<i>{text}</i>").format(
            position=position,
            total=total,
            heading=gettext(HEADING_LABELS[Heading(action.heading)]),
            text=h(action.text),
        )
        if action.self_rating:
            text += "\n" + gettext(
                "Your rating: {rating}. Now send a short note of evidence."
            ).format(rating=gettext(RATING_LABELS[Rating(action.self_rating)]))
            await reply(update, text)
            return EVIDENCE
        await reply(
            update,
            text + "\n" + gettext("How far did you carry it out?"),
            reply_markup=_rating_markup(action.id),
        )
        return RATE
    context.user_data.pop(RATE_KEY, None)
    await send_lines(
        update,
        [
            gettext("Thank you. Your self-assessment is complete:"),
            "",
            *render_commitment(view, ratings=True),
        ],
    )
    return flow.close(context, SELF_REVIEW)


async def review_start(update: Update, context: CadreContext) -> int:
    return await open_step(update, context, SELF_REVIEW, _next_rating)


async def pressed_rating(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.RATE, update)
    if values is None:
        await refuse_button(update, gettext("This button is no longer active."))
        return RATE
    try:
        action = await context.services.commitments.rate(context.actor, *values)
    except ReviewClosed as error:  # graded, window closed, list out of date: nothing to do
        await refuse_button(update, error, drop=True)
        return flow.close(context, SELF_REVIEW)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return RATE
    await pressed(update)
    context.user_data[RATE_KEY] = action.id
    await reply(
        update,
        gettext("{rating}. Send a short note of evidence (what was done, results).").format(
            rating=gettext(RATING_LABELS[Rating(action.self_rating)])  # type: ignore[arg-type]
        ),
    )
    return EVIDENCE


async def evidence_text(update: Update, context: CadreContext) -> int:
    action_id = context.user_data.get(RATE_KEY)
    try:
        if not action_id:
            return await _next_rating(update, context)
        await context.services.commitments.add_evidence(
            context.actor, int(action_id), update.effective_message.text or ""
        )
        return await _next_rating(update, context)
    except InvalidInput as error:  # the note itself: ask for it again
        await reply(update, error.render_html())
        return EVIDENCE
    except UserFacingError as error:  # graded or closed meanwhile: asking again won't help
        await reply(update, error.render_html())
        return flow.close(context, SELF_REVIEW)


async def rate_text(update: Update, context: CadreContext) -> int:
    await use_buttons(update)
    return RATE


async def review_cancel(update: Update, context: CadreContext) -> int:
    context.user_data.pop(RATE_KEY, None)
    await reply(
        update, gettext("Stopped. Your ratings so far are saved; send /review to continue.")
    )
    return flow.close(context, SELF_REVIEW)
