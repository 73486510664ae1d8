"""Commitments in Telegram: /commit, /pending, /mycommitments, /review, /grade, /commitments.

Telegram only: every rule and every write lives in CommitmentService. Callback data
carries ids (and the version where a decision depends on it), so a press on an old
message is checked against the database and answered politely when the state moved on.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CadreContext
from bot.errors import Conflict, NotFound, UserFacingError
from bot.i18n import N_, format_date, gettext
from bot.parsing import parse_whole_number
from bot.rules.access import Actor
from bot.rules.commitments import (
    ACTION_MAX,
    ACTION_MIN,
    GRADE_BANDS,
    GRADE_LABELS,
    HEADING_LABELS,
    LATE_LABEL,
    RATING_LABELS,
    STATUS_LABELS,
    Grade,
    Rating,
    Status,
    check_points,
    headings_for,
    may_edit,
    monitoring_bucket,
    parse_points,
)
from bot.services.commitments import ActionRecord, CommitmentView
from handlers import flow
from handlers.replies import MAX_MESSAGE, h, reply, split_message

FILING = "commitment_filing"
RETURNING = "commitment_return"
SELF_REVIEW = "commitment_self_review"
GRADING = "commitment_grade"

# Conversation states.
MENU, ADD_TEXT, ADD_DATE, EDIT_TEXT = range(4)
ASK_COMMENT = 10
RATE, EVIDENCE = 20, 21
POINTS, GRADE_COMMENT, GRADE_CONFIRM = 30, 31, 32

HEADING_KEY = "cf_heading"
ACTION_KEY = "cf_action"
DECISION_KEY = "cd_target"
RATE_KEY = "cr_action"
GRADE_KEY = "cg_target"

Markup = InlineKeyboardMarkup


def _kb(rows: list[list[tuple[str, str]]]) -> Markup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# Rendering -----------------------------------------------------------------------------


def status_text(view: CommitmentView) -> str:
    record = view.commitment
    if record is None:
        return gettext("Not started")
    bucket = monitoring_bucket(record.status, record.approved_version)
    text = gettext(STATUS_LABELS[Status(record.status)])
    if bucket != Status(record.status):
        text = gettext("{status} (revising approved version {number})").format(
            status=text, number=record.approved_version
        )
    if record.late:
        text += f" — {gettext(LATE_LABEL)}"
    return text


def _returned_note(view: CommitmentView) -> list[str]:
    """The reviewer's comment when the latest version was returned."""
    latest = view.latest
    if latest is None or latest.decision != "returned" or not latest.comment:
        return []
    return [
        gettext("Returned by comrade {name}: <i>{comment}</i>").format(
            name=h(latest.decided_by_name or ""), comment=h(latest.comment)
        )
    ]


def _grade_label(grade: str, points: int | None) -> str:
    return gettext(GRADE_LABELS[Grade(grade)]) + (f" ({points})" if points is not None else "")


def render_commitment(view: CommitmentView, *, ratings: bool = False) -> list[str]:
    """The commitment as its reviewer sees it; the member's preview is the same text."""
    member = view.member
    lines = [
        gettext("<b>Commitment for {year}</b>").format(year=view.campaign.year),
        gettext("Comrade: <b>{name}</b>").format(name=h(member.full_name))
        + (f" — {h(member.position)}" if member.position else ""),
        gettext("Unit: {unit}").format(unit=h(view.unit.name if view.unit else "—")),
        gettext("Topic: <i>{topic}</i>").format(topic=h(view.campaign.topic)),
        gettext("Status: {status}").format(status=status_text(view)),
    ]
    if view.version is not None:
        lines.append(
            gettext("Version {number}, submitted {date}").format(
                number=view.version.number, date=format_date(view.version.submitted_at)
            )
        )
    lines += _returned_note(view)
    for index, heading in enumerate(headings_for(member.is_head), start=1):
        lines.append("")
        lines.append(f"<b>{index}. {gettext(HEADING_LABELS[heading])}</b>")
        actions = [a for a in view.actions if a.heading == heading]
        if not actions:
            lines.append(gettext("   (nothing yet)"))
        for number, action in enumerate(actions, start=1):
            line = f"{index}.{number}. {h(action.text)}"
            if action.target_date:
                line += " " + gettext("(by {date})").format(date=format_date(action.target_date))
            lines.append(line)
            if ratings and action.self_rating:
                lines.append(
                    "   → "
                    + gettext(RATING_LABELS[Rating(action.self_rating)])
                    + (f": <i>{h(action.evidence)}</i>" if action.evidence else "")
                )
    record = view.commitment
    if record is not None and record.grade:
        lines.append("")
        lines.append(
            gettext("Year-end grade: <b>{grade}</b>").format(
                grade=gettext(GRADE_LABELS[Grade(record.grade)])
            )
            + (f" ({record.points})" if record.points is not None else "")
        )
        for earlier in view.grades[:-1]:  # every grade given is kept; the last is in force
            lines.append(
                gettext("Earlier grade: {grade}, by comrade {name}, {date}").format(
                    grade=_grade_label(earlier.grade, earlier.points),
                    name=h(earlier.graded_by_name or "—"),
                    date=format_date(earlier.graded_at),
                )
            )
    return lines


async def send_lines(update: Update, lines: list[str], reply_markup: Markup | None = None) -> None:
    """Send long content in pieces under Telegram's limit; the keyboard on the last one."""
    chunks = split_message(lines, MAX_MESSAGE)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await reply(update, chunk, reply_markup=reply_markup if last else None)


async def _answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(text, show_alert=alert)
        except BadRequest:
            pass  # too old to answer: nothing else to do


async def _drop_markup(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass


def _arg(update: Update, index: int) -> str:
    return (update.callback_query.data or "").split(":")[index]


async def _own_action(update: Update, context: CadreContext) -> ActionRecord | None:
    """The member's action named by the pressed button, or None after a polite alert
    (deleted meanwhile, or the commitment is no longer editable)."""
    try:
        action = await context.services.commitments.action(context.actor, int(_arg(update, 2)))
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return None
    await _answer(update)
    return action


async def _stop(update: Update, context: CadreContext, name: str, *keys: str) -> int:
    """/cancel inside a conversation: forget its keys, say nothing changed, close it."""
    _forget(context, *keys)
    await reply(update, gettext("Cancelled. Nothing was changed."))
    return flow.close(context, name)


async def _use_buttons(update: Update) -> None:
    await reply(update, gettext("Please choose one of the buttons above, or send /cancel."))


# Filing: /commit -----------------------------------------------------------------------


def _menu_markup(view: CommitmentView | None, is_head: bool) -> Markup:
    rows = []
    for index, heading in enumerate(headings_for(is_head), start=1):
        count = len([a for a in view.actions if a.heading == heading]) if view else 0
        label = f"➕ {index}. {gettext(HEADING_LABELS[heading])}"
        if count:
            label += f" ({count})"
        rows.append([(label, f"cf:add:{heading}")])
    rows.append([(gettext("Preview"), "cf:prev"), (gettext("Edit"), "cf:list")])
    rows.append([(gettext("Send"), "cf:submit"), (gettext("Cancel"), "cf:cancel")])
    return _kb(rows)


async def _show_menu(update: Update, context: CadreContext) -> int:
    campaign, view = await context.services.commitments.filing(context.actor)
    member = context.actor.member
    assert member is not None
    lines = [
        gettext("<b>Commitment for {year}</b>").format(year=campaign.year),
        gettext("Topic: <i>{topic}</i>").format(topic=h(campaign.topic)),
        gettext("Deadline: {date}").format(date=format_date(campaign.commit_deadline)),
    ]
    if view is not None:
        lines.append(gettext("Status: {status}").format(status=status_text(view)))
        if view.status is Status.RETURNED:
            lines += _returned_note(view)
    if view is not None and not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await send_lines(update, render_commitment(view))
        if view.status is Status.APPROVED:
            await reply(
                update,
                gettext(
                    "Your commitment is approved and locked. A change makes a new version "
                    "for the secretary to approve; the approved one stays on record."
                ),
                reply_markup=_kb(
                    [[(gettext("Edit"), "cf:revise"), (gettext("Cancel"), "cf:cancel")]]
                ),
            )
            return MENU
        await reply(update, gettext("Your commitment is waiting for the secretary's review."))
        return flow.close(context, FILING)
    lines.append(
        gettext(
            "Add concrete, checkable actions under each heading; at least one in all. "
            "Everything is saved as you go."
        )
    )
    if member.is_head:
        lines.append(gettext("As a head, please also fill the section on setting an example."))
    await reply(update, "\n".join(lines), reply_markup=_menu_markup(view, member.is_head))
    return MENU


async def _open(
    update: Update, context: CadreContext, name: str, first: Callable, *keys: str
) -> int:
    """Start conversation ``name`` unless another is open; a refusal from the service
    (no campaign, window closed, …) is said and closes it again."""
    if await flow.refuse_if_busy(update, context, name):
        return ConversationHandler.END
    _forget(context, *keys)
    try:
        return await first(update, context)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, name)


async def commit_start(update: Update, context: CadreContext) -> int:
    return await _open(update, context, FILING, _show_menu, HEADING_KEY, ACTION_KEY)


async def filing_text_in_menu(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Please use the buttons above, or send /cancel to stop."))
    return MENU


async def pressed_add(update: Update, context: CadreContext) -> int:
    heading = _arg(update, 2)
    member = context.actor.member
    if member is None or heading not in headings_for(member.is_head):
        await _answer(update, gettext("This button is no longer active."), alert=True)
        return MENU
    try:
        _, view = await context.services.commitments.filing(context.actor)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return MENU
    if view is not None and not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await _answer(update, gettext("This commitment can no longer be changed."), alert=True)
        return MENU
    await _answer(update)
    context.user_data[HEADING_KEY] = heading
    await reply(
        update,
        gettext(
            "<b>{heading}</b>\nSend one concrete action, {low} to {high} characters. "
            "Send /cancel to stop."
        ).format(
            heading=gettext(HEADING_LABELS[heading]),  # type: ignore[index]
            low=ACTION_MIN,
            high=ACTION_MAX,
        ),
    )
    return ADD_TEXT


def _date_prompt(action_id: int) -> tuple[str, Markup]:
    return (
        gettext(
            "Saved. Send a target date within the campaign year (e.g. 30/06/2026), or press Skip."
        ),
        _kb([[(gettext("Skip"), f"cf:skip:{action_id}")]]),
    )


async def action_text(update: Update, context: CadreContext) -> int:
    heading = context.user_data.get(HEADING_KEY)
    if not heading:
        return await _show_menu(update, context)
    try:
        action = await context.services.commitments.add_action(
            context.actor, heading, update.effective_message.text or ""
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return ADD_TEXT
    context.user_data.pop(HEADING_KEY, None)
    context.user_data[ACTION_KEY] = action.id
    text, markup = _date_prompt(action.id)
    await reply(update, text, reply_markup=markup)
    return ADD_DATE


async def action_date(update: Update, context: CadreContext) -> int:
    return await _change_pending_action(
        update,
        context,
        context.services.commitments.set_target,
        ADD_DATE,
        lambda action: gettext("Target date: {date}").format(
            date=format_date(action.target_date)  # type: ignore[arg-type]
        ),
    )


async def _change_pending_action(
    update: Update,
    context: CadreContext,
    change: Callable[[Actor, int, str], Awaitable[ActionRecord]],
    retry_state: int,
    confirmation: Callable[[ActionRecord], str],
) -> int:
    """Apply the typed text to the action this step is about, then back to the menu.

    Bad text asks again; an action that is gone or locked meanwhile returns to the menu.
    """
    action_id = context.user_data.get(ACTION_KEY)
    if not action_id:
        return await _show_menu(update, context)
    try:
        action = await change(context.actor, int(action_id), update.effective_message.text or "")
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, NotFound | Conflict):
            context.user_data.pop(ACTION_KEY, None)
            return await _show_menu(update, context)
        return retry_state
    context.user_data.pop(ACTION_KEY, None)
    await reply(update, confirmation(action))
    return await _show_menu(update, context)


async def pressed_skip(update: Update, context: CadreContext) -> int:
    await _answer(update)
    await _drop_markup(update)
    action_id = int(_arg(update, 2))
    if context.user_data.get(ACTION_KEY) == action_id and _arg(update, 1) == "nodate":
        try:
            await context.services.commitments.set_target(context.actor, action_id, None)
        except UserFacingError as error:
            await reply(update, error.render_html())
    context.user_data.pop(ACTION_KEY, None)
    return await _show_menu(update, context)


async def pressed_menu(update: Update, context: CadreContext) -> int:
    await _answer(update)
    _forget(context, HEADING_KEY, ACTION_KEY)
    return await _show_menu(update, context)


async def pressed_preview(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await _answer(update, gettext("Nothing to show yet: add an action first."), alert=True)
        return MENU
    await _answer(update)
    await send_lines(
        update,
        [gettext("This is how the secretary will see it:"), "", *render_commitment(view)],
        reply_markup=_kb([[(gettext("Send"), "cf:submit"), (gettext("Back"), "cf:menu")]]),
    )
    return MENU


async def pressed_list(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await _answer(update, gettext("Nothing to edit yet: add an action first."), alert=True)
        return MENU
    if not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await _answer(update, gettext("This commitment can no longer be changed."), alert=True)
        return MENU
    await _answer(update)
    rows = []
    headings = headings_for(view.member.is_head)
    for index, heading in enumerate(headings, start=1):
        for number, action in enumerate([a for a in view.actions if a.heading == heading], 1):
            short = action.text if len(action.text) <= 40 else action.text[:39] + "…"
            rows.append([(f"{index}.{number}. {short}", f"cf:act:{action.id}")])
    rows.append([(gettext("Back"), "cf:menu")])
    await reply(update, gettext("Choose the action to edit or delete:"), reply_markup=_kb(rows))
    return MENU


async def pressed_action(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context)
    if action is None:
        return MENU
    text = f"<b>{gettext(HEADING_LABELS[action.heading])}</b>\n{h(action.text)}"  # type: ignore[index]
    if action.target_date:
        text += "\n" + gettext("Target date: {date}").format(date=format_date(action.target_date))
    await reply(
        update,
        text,
        reply_markup=_kb(
            [
                [
                    (gettext("Edit"), f"cf:edit:{action.id}"),
                    (gettext("Delete"), f"cf:del:{action.id}"),
                ],
                [(gettext("Target date"), f"cf:date:{action.id}"), (gettext("Back"), "cf:menu")],
            ]
        ),
    )
    return MENU


async def pressed_edit(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context)
    if action is None:
        return MENU
    context.user_data[ACTION_KEY] = action.id
    await reply(
        update,
        gettext("Send the new text, {low} to {high} characters.").format(
            low=ACTION_MIN, high=ACTION_MAX
        ),
    )
    return EDIT_TEXT


async def edited_text(update: Update, context: CadreContext) -> int:
    return await _change_pending_action(
        update,
        context,
        context.services.commitments.edit_action,
        EDIT_TEXT,
        lambda _: gettext("Saved."),
    )


async def pressed_date(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context)
    if action is None:
        return MENU
    context.user_data[ACTION_KEY] = action.id
    await reply(
        update,
        gettext("Send the target date (e.g. 30/06/2026), or press Skip to remove it."),
        reply_markup=_kb([[(gettext("Skip"), f"cf:nodate:{action.id}")]]),
    )
    return ADD_DATE


async def pressed_delete(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context)
    if action is None:
        return MENU
    await reply(
        update,
        gettext("Delete this action?\n<i>{text}</i>").format(text=h(action.text)),
        reply_markup=_kb(
            [[(gettext("Confirm"), f"cf:delok:{action.id}"), (gettext("Back"), "cf:menu")]]
        ),
    )
    return MENU


async def pressed_delete_ok(update: Update, context: CadreContext) -> int:
    action_id = int(_arg(update, 2))
    try:
        await context.services.commitments.delete_action(context.actor, action_id)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return MENU
    await _answer(update, gettext("Deleted."))
    await _drop_markup(update)
    return await _show_menu(update, context)


async def pressed_submit(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await _answer(
            update, gettext("Please add at least one action before submitting."), alert=True
        )
        return MENU
    if not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await _answer(update, gettext("This commitment has already been submitted."), alert=True)
        return MENU
    await _answer(update)
    await send_lines(
        update,
        [*render_commitment(view), "", gettext("Send this commitment to the secretary?")],
        reply_markup=_kb([[(gettext("Confirm"), "cf:subok"), (gettext("Back"), "cf:menu")]]),
    )
    return MENU


async def pressed_submit_ok(update: Update, context: CadreContext) -> int:
    try:
        view, version = await context.services.commitments.submit(context.actor)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return MENU
    await _answer(update)
    await _drop_markup(update)
    text = gettext(
        "Comrade {name}, your commitment for {year} has been submitted (version {number}). "
        "You will get a message when the secretary has reviewed it."
    ).format(name=h(view.member.full_name), year=view.campaign.year, number=version.number)
    if version.late:
        text += "\n" + gettext(
            "It was submitted after the deadline ({date}) and is marked late."
        ).format(date=format_date(view.campaign.commit_deadline))
    await reply(update, text)
    _forget(context, HEADING_KEY, ACTION_KEY)
    return flow.close(context, FILING)


async def pressed_revise(update: Update, context: CadreContext) -> int:
    try:
        await context.services.commitments.revise(context.actor)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return MENU
    await _answer(update)
    await _drop_markup(update)
    await reply(
        update,
        gettext(
            "A new version is open. The approved version stays valid until this one is approved."
        ),
    )
    return await _show_menu(update, context)


async def filing_cancel(update: Update, context: CadreContext) -> int:
    await _answer(update)
    _forget(context, HEADING_KEY, ACTION_KEY)
    await reply(
        update,
        gettext("Stopped. Everything you entered is saved as a draft; send /commit to continue."),
    )
    return flow.close(context, FILING)


def _forget(context: CadreContext, *keys: str) -> None:
    for key in keys:
        context.user_data.pop(key, None)


# Review: /pending, approve, return -------------------------------------------------------


def _decision_markup(view: CommitmentView) -> Markup:
    record = view.commitment
    assert record is not None
    key = f"{record.id}:{record.last_version}"
    return _kb(
        [
            [(gettext("Approve"), f"cd:ok:{key}"), (gettext("Return"), f"cd:ret:{key}")],
            [(gettext("Document (DOCX)"), f"cx:doc:{key}")],
        ]
    )


async def list_pending(update: Update, context: CadreContext) -> None:
    views = await context.services.commitments.pending(context.actor)
    if not views:
        await reply(update, gettext("No commitments are waiting for review."))
        return
    await reply(update, gettext("Commitments waiting for review: {count}").format(count=len(views)))
    for view in views[:30]:
        await send_lines(update, render_commitment(view), reply_markup=_decision_markup(view))


def _decision_args(update: Update) -> tuple[int, int]:
    _, _, cid, version = (update.callback_query.data or "").split(":")
    return int(cid), int(version)


async def pressed_approve(update: Update, context: CadreContext) -> None:
    commitment_id, version = _decision_args(update)
    try:
        decision = await context.services.commitments.decide(
            context.actor, commitment_id, version, approve=True
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        await _drop_markup(update)
        return
    await _answer(update)
    await _mark_decided(update, decision.view, gettext("Approved"))


async def _mark_decided(update: Update, view: CommitmentView, what: str) -> None:
    """The card becomes the decision; the decided version's form stays a tap away."""
    query = update.callback_query
    record, version = view.commitment, view.version
    assert record is not None and version is not None
    text = gettext("{status}: <b>{name}</b> ({year})").format(
        status=what, name=h(view.member.full_name), year=view.campaign.year
    )
    markup = _kb([[(gettext("Document (DOCX)"), f"cx:doc:{record.id}:{version.number}")]])
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        await reply(update, text, reply_markup=markup)


async def pressed_return(update: Update, context: CadreContext) -> int:
    commitment_id, version = _decision_args(update)
    if await flow.refuse_if_busy(update, context, RETURNING):
        return ConversationHandler.END
    try:
        name = await context.services.commitments.check_decidable(
            context.actor, commitment_id, version
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        await _drop_markup(update)
        return flow.close(context, RETURNING)
    await _answer(update)
    context.user_data[DECISION_KEY] = [
        commitment_id,
        version,
        update.callback_query.message.message_id,
    ]
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
    commitment_id, version, _ = target
    try:
        decision = await context.services.commitments.decide(
            context.actor,
            int(commitment_id),
            int(version),
            approve=False,
            comment=update.effective_message.text or "",
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        if error.message.startswith(("The text", "Please write")):
            return ASK_COMMENT
        context.user_data.pop(DECISION_KEY, None)
        return flow.close(context, RETURNING)
    context.user_data.pop(DECISION_KEY, None)
    await reply(
        update,
        gettext("Returned to comrade {name} for revision. They have been notified.").format(
            name=h(decision.view.member.full_name)
        ),
    )
    return flow.close(context, RETURNING)


async def return_cancel(update: Update, context: CadreContext) -> int:
    return await _stop(update, context, RETURNING, DECISION_KEY)


# The member's history, documents -------------------------------------------------------


async def my_commitments(update: Update, context: CadreContext) -> None:
    try:
        views = await context.services.commitments.mine(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    if not views:
        await reply(update, gettext("You have no commitments yet. Send /commit to file one."))
        return
    for view in views:
        lines = render_commitment(view, ratings=True)
        record = view.commitment
        assert record is not None
        if len(view.versions) > 1:
            lines.append(gettext("Versions kept: {count}").format(count=len(view.versions)))
        if record.grade and record.grade_comment:
            lines.append(gettext("Comment: {comment}").format(comment=h(record.grade_comment)))
        markup = _kb([[(gettext("Document (DOCX)"), f"cx:doc:{record.id}")]])
        await send_lines(update, lines, reply_markup=markup)


async def pressed_document(update: Update, context: CadreContext) -> None:
    parts = (update.callback_query.data or "").split(":")
    version = int(parts[3]) if len(parts) > 3 else None
    try:
        name, data = await context.services.commitments.document(
            context.actor, int(parts[2]), version
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return
    await _answer(update)
    await update.effective_message.reply_document(
        document=io.BytesIO(data),
        filename=name,
        caption=gettext("The commitment form, ready to print."),
    )


# Monitoring and export -----------------------------------------------------------------


async def show_progress(update: Update, context: CadreContext) -> None:
    year = None
    if context.args:
        year = parse_whole_number(context.args[0])
        if year is None:
            await reply(
                update, gettext("Please write the year as a number, e.g. /commitments 2026")
            )
            return
    try:
        campaign, rows = await context.services.commitments.progress(context.actor, year)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    lines = [
        gettext("<b>Commitments {year}</b> — deadline {date}").format(
            year=campaign.year, date=format_date(campaign.commit_deadline)
        )
    ]
    if not rows:
        lines.append(gettext("No members in your units."))
    for row in rows:
        lines.append("")
        lines.append(f"<b>{h(row.unit.name)}</b>")
        lines.append(
            gettext(
                "Expected {expected} · drafts {draft} · submitted {submitted} · approved "
                "{approved} · returned {returned} · missing {missing} · late {late}"
            ).format(
                expected=row.expected,
                draft=row.draft,
                submitted=row.submitted,
                approved=row.approved,
                returned=row.returned,
                missing=row.missing,
                late=row.late,
            )
        )
        if row.missing_names:
            lines.append(
                gettext("Missing: {names}").format(names=", ".join(h(n) for n in row.missing_names))
            )
    markup = _kb(
        [[("CSV", f"cx:csv:{campaign.year}"), ("Excel (XLSX)", f"cx:xlsx:{campaign.year}")]]
    )
    await send_lines(update, lines, reply_markup=markup)


async def pressed_export(update: Update, context: CadreContext) -> None:
    fmt, year = _arg(update, 1), int(_arg(update, 2))
    try:
        name, data = await context.services.commitments.export(fmt, year=year, actor=context.actor)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return
    await _answer(update)
    await update.effective_message.reply_document(
        document=io.BytesIO(data),
        filename=name,
        caption=gettext("Commitments {year}").format(year=year),
    )


# Year-end self-assessment: /review ---------------------------------------------------------


def _rating_markup(action_id: int) -> Markup:
    return _kb([[(gettext(RATING_LABELS[r]), f"cr:{action_id}:{r.value}")] for r in Rating])


async def _next_rating(update: Update, context: CadreContext) -> int:
    view = await context.services.commitments.self_review(context.actor)
    total = len(view.actions)
    for position, action in enumerate(view.actions, start=1):
        if action.self_rating and action.evidence:
            continue
        context.user_data[RATE_KEY] = action.id
        text = gettext("Action {position} of {total} ({heading}):\n<i>{text}</i>").format(
            position=position,
            total=total,
            heading=gettext(HEADING_LABELS[action.heading]),  # type: ignore[index]
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
    return await _open(update, context, SELF_REVIEW, _next_rating)


async def pressed_rating(update: Update, context: CadreContext) -> int:
    _, raw_id, rating = (update.callback_query.data or "").split(":")
    try:
        action = await context.services.commitments.rate(context.actor, int(raw_id), rating)
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return RATE
    await _answer(update)
    await _drop_markup(update)
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
    except UserFacingError as error:
        await reply(update, error.render_html())
        return EVIDENCE


async def rate_text(update: Update, context: CadreContext) -> int:
    await _use_buttons(update)
    return RATE


async def review_cancel(update: Update, context: CadreContext) -> int:
    context.user_data.pop(RATE_KEY, None)
    await reply(
        update, gettext("Stopped. Your ratings so far are saved; send /review to continue.")
    )
    return flow.close(context, SELF_REVIEW)


# Grading: /grade -------------------------------------------------------------------------


def _grade_markup(view: CommitmentView) -> Markup:
    """The four labels; each carries the grade in force (its revision, 0 for none), so a
    press after someone else graded or changed it is refused instead of overwriting."""
    record = view.commitment
    assert record is not None
    key = f"{record.id}:{record.grade_revision}"
    return _kb([[(gettext(GRADE_LABELS[g]), f"cg:{key}:{g.value}")] for g in Grade])


async def list_gradable(update: Update, context: CadreContext) -> None:
    year = parse_whole_number(context.args[0]) if context.args else None
    service = context.services.commitments
    try:
        views = await service.gradable(context.actor, year)
        graded = await service.gradable(context.actor, year, graded=True)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    if not views:
        await reply(update, gettext("Nobody is waiting for a grade."))
    else:
        bands = ", ".join(
            f"{gettext(GRADE_LABELS[g])} {low}–{high}" for g, (low, high) in GRADE_BANDS.items()
        )
        await reply(
            update,
            gettext("Members to grade: {count}\nPoints: {bands}").format(
                count=len(views), bands=bands
            ),
        )
    for view in views[:30]:
        record = view.commitment
        assert record is not None
        lines = render_commitment(view, ratings=True)
        if record.self_review_at is None:
            lines.append(gettext("(The member has not finished the self-assessment.)"))
        await send_lines(update, lines, reply_markup=_grade_markup(view))
    if graded:
        rows = []
        for view in graded[:30]:
            record = view.commitment
            assert record is not None and record.grade is not None
            label = f"{view.member.full_name} — {_grade_label(record.grade, record.points)}"
            rows.append([(label, f"cgx:{record.id}")])
        await reply(
            update,
            gettext(
                "Already graded: {count}. A grade can be changed until the year-end review "
                "closes on {date}; the earlier grade stays on record. Choose a member to change:"
            ).format(count=len(graded), date=format_date(graded[0].campaign.review_closes)),
            reply_markup=_kb(rows),
        )


async def pressed_change(update: Update, context: CadreContext) -> None:
    """A graded member's card again, with the labels, to change the grade."""
    try:
        view = await context.services.commitments.view_for_reviewer(
            context.actor, int(_arg(update, 1))
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        return
    await _answer(update)
    record = view.commitment
    assert record is not None
    lines = render_commitment(view, ratings=True)
    lines += ["", gettext("Choose the new grade:")]
    await send_lines(update, lines, reply_markup=_grade_markup(view))


def _grade_args(update: Update) -> tuple[int, int, str]:
    """(commitment id, revision, grade) from cg:ID:REV:GRADE, or the older cg:ID:GRADE."""
    parts = (update.callback_query.data or "").split(":")
    if len(parts) == 3:
        return int(parts[1]), 0, parts[2]
    return int(parts[1]), int(parts[2]), parts[3]


async def pressed_grade(update: Update, context: CadreContext) -> int:
    commitment_id, revision, grade = _grade_args(update)
    if grade not in {g.value for g in Grade}:
        await _answer(update, gettext("This button is no longer active."), alert=True)
        return ConversationHandler.END
    if await flow.refuse_if_busy(update, context, GRADING):
        return ConversationHandler.END
    try:
        warn = await context.services.commitments.grade_warning(
            context.actor, commitment_id, grade, revision
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        await _drop_markup(update)
        return flow.close(context, GRADING)
    await _answer(update)
    context.user_data[GRADE_KEY] = {
        "id": commitment_id,
        "rev": revision,
        "grade": grade,
        "warn": warn,
    }
    low, high = GRADE_BANDS[Grade(grade)]
    await reply(
        update,
        gettext("{grade}. Send the points ({low}–{high}), or press Skip.").format(
            grade=gettext(GRADE_LABELS[Grade(grade)]), low=low, high=high
        ),
        reply_markup=_kb([[(gettext("Skip"), "cg:skip")]]),
    )
    return POINTS


async def grade_points(update: Update, context: CadreContext) -> int:
    target = context.user_data.get(GRADE_KEY)
    if not target:
        return flow.close(context, GRADING)
    try:
        points = check_points(target["grade"], parse_points(update.effective_message.text or ""))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return POINTS
    target["points"] = points
    return await _ask_grade_comment(update)


async def grade_skip_points(update: Update, context: CadreContext) -> int:
    await _answer(update)
    await _drop_markup(update)
    target = context.user_data.get(GRADE_KEY)
    if not target:
        return flow.close(context, GRADING)
    target["points"] = None
    return await _ask_grade_comment(update)


async def _ask_grade_comment(update: Update) -> int:
    await reply(update, gettext("Send the cell's comment on this member."))
    return GRADE_COMMENT


async def grade_comment(update: Update, context: CadreContext) -> int:
    target = context.user_data.get(GRADE_KEY)
    if not target:
        return flow.close(context, GRADING)
    target["comment"] = update.effective_message.text or ""
    grade = Grade(target["grade"])
    lines = [
        gettext("Grade: <b>{grade}</b>").format(grade=gettext(GRADE_LABELS[grade])),
    ]
    if target.get("points") is not None:
        lines.append(gettext("Points: {points}").format(points=target["points"]))
    lines.append(gettext("Comment: {comment}").format(comment=h(target["comment"])))
    if target.get("warn"):
        lines.append("")
        lines.append(
            gettext(
                "⚠️ Warning: with this grade, \u201cexcellent\u201d would be more than 20% of "
                "those graded \u201cgood\u201d in this unit."
            )
        )
    await reply(
        update,
        "\n".join(lines),
        reply_markup=_kb([[(gettext("Confirm"), "cg:ok"), (gettext("Cancel"), "cg:no")]]),
    )
    return GRADE_CONFIRM


async def grade_confirm(update: Update, context: CadreContext) -> int:
    target = context.user_data.pop(GRADE_KEY, None)
    await _drop_markup(update)
    if not target or (update.callback_query.data or "") == "cg:no":
        await _answer(update)
        return await _stop(update, context, GRADING)
    revision = int(target.get("rev", 0))
    try:
        view = await context.services.commitments.grade(
            context.actor,
            target["id"],
            target["grade"],
            points=target.get("points"),
            comment=target.get("comment", ""),
            revision=revision,
        )
    except UserFacingError as error:
        await _answer(update, error.render(), alert=True)
        await reply(update, error.render_html())
        return flow.close(context, GRADING)
    await _answer(update)
    saved = (
        gettext("Changed: comrade {name} — {grade}. The earlier grade stays on record.")
        if revision
        else gettext("Saved: comrade {name} — {grade}.")
    )
    await reply(
        update,
        saved.format(
            name=h(view.member.full_name), grade=gettext(GRADE_LABELS[Grade(target["grade"])])
        ),
    )
    return flow.close(context, GRADING)


async def grade_cancel(update: Update, context: CadreContext) -> int:
    return await _stop(update, context, GRADING, GRADE_KEY)


async def use_buttons(update: Update, context: CadreContext) -> int:
    await _use_buttons(update)
    return GRADE_CONFIRM


# Wiring --------------------------------------------------------------------------------

TEXT = filters.TEXT & ~filters.COMMAND


def _filing_buttons() -> list[CallbackQueryHandler]:
    pairs: list[tuple[str, Callable]] = [
        (r"^cf:add:\w+$", pressed_add),
        (r"^cf:(skip|nodate):\d{1,18}$", pressed_skip),
        (r"^cf:menu$", pressed_menu),
        (r"^cf:prev$", pressed_preview),
        (r"^cf:list$", pressed_list),
        (r"^cf:act:\d{1,18}$", pressed_action),
        (r"^cf:edit:\d{1,18}$", pressed_edit),
        (r"^cf:date:\d{1,18}$", pressed_date),
        (r"^cf:del:\d{1,18}$", pressed_delete),
        (r"^cf:delok:\d{1,18}$", pressed_delete_ok),
        (r"^cf:submit$", pressed_submit),
        (r"^cf:subok$", pressed_submit_ok),
        (r"^cf:revise$", pressed_revise),
        (r"^cf:cancel$", filing_cancel),
    ]
    return [CallbackQueryHandler(callback, pattern=pattern) for pattern, callback in pairs]


FLOWS = {
    FILING: flow.FlowSpec(
        FILING,
        N_("filing your commitment (/commit)"),
        draft_keys=(HEADING_KEY, ACTION_KEY),
        resume=N_("Your draft is kept: send /commit to continue."),
    ),
    RETURNING: flow.FlowSpec(RETURNING, N_("writing a return comment"), draft_keys=(DECISION_KEY,)),
    SELF_REVIEW: flow.FlowSpec(
        SELF_REVIEW,
        N_("your year-end self-assessment (/review)"),
        draft_keys=(RATE_KEY,),
        resume=N_("Your ratings so far are kept: send /review to continue."),
    ),
    GRADING: flow.FlowSpec(GRADING, N_("grading a member (/grade)"), draft_keys=(GRADE_KEY,)),
}


def _conversation(
    application: Application,
    name: str,
    entry: CommandHandler | CallbackQueryHandler,
    states: dict[object, list],
    cancel: Callable,
) -> ConversationHandler:
    return flow.conversation(
        application,
        FLOWS[name],
        entry_points=[entry],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def register(application: Application) -> None:
    buttons = _filing_buttons()
    rating = CallbackQueryHandler(pressed_rating, pattern=r"^cr:\d{1,18}:\w+$")
    conversations = [
        _conversation(
            application,
            FILING,
            CommandHandler("commit", commit_start),
            {
                MENU: [*buttons, MessageHandler(TEXT, filing_text_in_menu)],
                ADD_TEXT: [*buttons, MessageHandler(TEXT, action_text)],
                ADD_DATE: [*buttons, MessageHandler(TEXT, action_date)],
                EDIT_TEXT: [*buttons, MessageHandler(TEXT, edited_text)],
            },
            filing_cancel,
        ),
        _conversation(
            application,
            RETURNING,
            CallbackQueryHandler(pressed_return, pattern=r"^cd:ret:\d{1,18}:\d{1,18}$"),
            {ASK_COMMENT: [MessageHandler(TEXT, return_comment)]},
            return_cancel,
        ),
        _conversation(
            application,
            SELF_REVIEW,
            CommandHandler("review", review_start),
            {
                RATE: [rating, MessageHandler(TEXT, rate_text)],
                EVIDENCE: [rating, MessageHandler(TEXT, evidence_text)],
            },
            review_cancel,
        ),
        _conversation(
            application,
            GRADING,
            CallbackQueryHandler(pressed_grade, pattern=r"^cg:\d{1,18}:(\d{1,18}:)?[a-z_]+$"),
            {
                POINTS: [
                    CallbackQueryHandler(grade_skip_points, pattern=r"^cg:skip$"),
                    MessageHandler(TEXT, grade_points),
                ],
                GRADE_COMMENT: [MessageHandler(TEXT, grade_comment)],
                GRADE_CONFIRM: [
                    CallbackQueryHandler(grade_confirm, pattern=r"^cg:(ok|no)$"),
                    MessageHandler(TEXT, use_buttons),
                ],
            },
            grade_cancel,
        ),
    ]
    for conversation in conversations:
        application.add_handler(conversation)
    application.add_handler(
        CallbackQueryHandler(pressed_approve, pattern=r"^cd:ok:\d{1,18}:\d{1,18}$")
    )
    application.add_handler(
        CallbackQueryHandler(pressed_document, pattern=r"^cx:doc:\d{1,18}(:\d{1,18})?$")
    )
    application.add_handler(CallbackQueryHandler(pressed_export, pattern=r"^cx:(csv|xlsx):\d{4}$"))
    application.add_handler(CallbackQueryHandler(pressed_change, pattern=r"^cgx:\d{1,18}$"))
    application.add_handler(CommandHandler("pending", list_pending))
    application.add_handler(CommandHandler("mycommitments", my_commitments))
    application.add_handler(CommandHandler("commitments", show_progress))
    application.add_handler(CommandHandler("grade", list_gradable))
