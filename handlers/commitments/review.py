"""/pending for secretaries and committees: the commitments waiting for them, each with
Approve, Return (which asks for a comment) and its printed form.

The decision buttons carry the commitment and the version, so a press on an old card is
checked against the database and refused politely, naming who decided.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import gettext
from bot.services.commitments import CommitmentView
from handlers import flow
from handlers.commitments.rendering import render_commitment, send_lines
from handlers.commitments.steps import stop
from handlers.replies import h, reply
from handlers.ui import answer, keyboard, parse_button, refuse_button, stale_text

RETURNING = "commitment_return"

# Conversation state.
ASK_COMMENT = 10

DECISION_KEY = "cd_target"


def _decision_markup(view: CommitmentView) -> InlineKeyboardMarkup:
    record = view.commitment
    assert record is not None
    key = (record.id, record.last_version)
    return keyboard(
        [
            (gettext("Approve"), cb.REVIEW_APPROVE(*key)),
            (gettext("Return"), cb.REVIEW_RETURN(*key)),
        ],
        [(gettext("Document (DOCX)"), cb.DOCUMENT_VERSION(*key))],
    )


async def list_pending(update: Update, context: CadreContext) -> None:
    views = await context.services.commitments.pending(context.actor)
    if not views:
        await reply(update, gettext("No commitments are waiting for review."))
        return
    await reply(update, gettext("Commitments waiting for review: {count}").format(count=len(views)))
    for view in views[:30]:
        await send_lines(update, render_commitment(view), reply_markup=_decision_markup(view))


async def pressed_approve(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.REVIEW_APPROVE, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    commitment_id, version = values
    try:
        decision = await context.services.commitments.decide(
            context.actor, commitment_id, version, approve=True
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return
    await answer(update)
    await _mark_decided(update, decision.view, gettext("Approved"))


async def _mark_decided(update: Update, view: CommitmentView, what: str) -> None:
    """The card becomes the decision; the decided version's form stays a tap away."""
    query = update.callback_query
    record, version = view.commitment, view.version
    assert record is not None and version is not None
    text = gettext("{status}: <b>{name}</b> ({year})").format(
        status=what, name=h(view.member.full_name), year=view.campaign.year
    )
    markup = keyboard(
        [(gettext("Document (DOCX)"), cb.DOCUMENT_VERSION(record.id, version.number))]
    )
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        await reply(update, text, reply_markup=markup)


async def pressed_return(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.REVIEW_RETURN, update)
    if values is None:
        await refuse_button(update, stale_text())
        return ConversationHandler.END
    commitment_id, version = values
    if await flow.refuse_if_busy(update, context, RETURNING):
        return ConversationHandler.END
    try:
        name = await context.services.commitments.check_decidable(
            context.actor, commitment_id, version
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return flow.close(context, RETURNING)
    await answer(update)
    context.user_data[DECISION_KEY] = [commitment_id, version]
    await reply(
        update,
        gettext(
            "Send the comment for comrade {name}: what should be revised? Send /cancel to stop."
        ).format(name=h(name)),
    )
    return ASK_COMMENT


async def return_comment(update: Update, context: CadreContext) -> int:
    target = context.user_data.get(DECISION_KEY)
    if not target:
        return flow.close(context, RETURNING)
    commitment_id, version = target[:2]  # (a third item, the card's message, was dropped)
    try:
        decision = await context.services.commitments.decide(
            context.actor,
            int(commitment_id),
            int(version),
            approve=False,
            comment=update.effective_message.text or "",
        )
    except InvalidInput as error:  # the comment itself (empty, too short, …): ask again
        await reply(update, error.render_html())
        return ASK_COMMENT
    except UserFacingError as error:  # decided meanwhile (DecisionClosed), out of scope, …
        await reply(update, error.render_html())
        return flow.close(context, RETURNING)
    await reply(
        update,
        gettext("Returned to comrade {name} for revision. They have been notified.").format(
            name=h(decision.view.member.full_name)
        ),
    )
    return flow.close(context, RETURNING)


async def return_cancel(update: Update, context: CadreContext) -> int:
    return await stop(update, context, RETURNING, DECISION_KEY)
