"""/commit: the member files their commitment, action by action, previews and submits it.

Every step writes the working copy through the service, so nothing here is lost when the
conversation ends; the conversation keeps only which heading or action it is asking about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import Conflict, InvalidInput, NotFound, UserFacingError
from bot.i18n import format_date, gettext
from bot.rules.access import Actor
from bot.rules.commitments import (
    ACTION_MAX,
    ACTION_MIN,
    HEADING_LABELS,
    Heading,
    Status,
    headings_for,
    may_edit,
)
from bot.services.commitments import ActionRecord, CommitmentView
from handlers import flow
from handlers.commitments.rendering import render_commitment, returned_note, send_lines, status_text
from handlers.commitments.steps import open_step
from handlers.replies import h, reply
from handlers.ui import (
    answer,
    drop_markup,
    forget,
    keyboard,
    parse_button,
    pressed,
    refuse_button,
    stale_text,
)

FILING = "commitment_filing"

# Conversation states.
MENU, ADD_TEXT, ADD_DATE, EDIT_TEXT = range(4)

HEADING_KEY = "cf_heading"
ACTION_KEY = "cf_action"


# The menu ----------------------------------------------------------------------------------


def _menu_markup(view: CommitmentView | None, is_head: bool) -> InlineKeyboardMarkup:
    rows = []
    for index, heading in enumerate(headings_for(is_head), start=1):
        count = len([a for a in view.actions if a.heading == heading]) if view else 0
        label = f"➕ {index}. {gettext(HEADING_LABELS[heading])}"
        if count:
            label += f" ({count})"
        rows.append([(label, cb.FILE_ADD(heading.value))])
    rows.append([(gettext("Preview"), cb.FILE_PREVIEW()), (gettext("Edit"), cb.FILE_LIST())])
    rows.append([(gettext("Send"), cb.FILE_SUBMIT()), (gettext("Cancel"), cb.FILE_CANCEL())])
    return keyboard(*rows)


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
            lines += returned_note(view)
    if view is not None and not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await send_lines(update, render_commitment(view))
        if view.status is Status.APPROVED:
            await reply(
                update,
                gettext(
                    "Your commitment is approved and locked. A change makes a new version "
                    "for the secretary to approve; the approved one stays on record."
                ),
                reply_markup=keyboard(
                    [(gettext("Edit"), cb.FILE_REVISE()), (gettext("Cancel"), cb.FILE_CANCEL())]
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


async def commit_start(update: Update, context: CadreContext) -> int:
    return await open_step(update, context, FILING, _show_menu, HEADING_KEY, ACTION_KEY)


async def filing_text_in_menu(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Please use the buttons above, or send /cancel to stop."))
    return MENU


async def pressed_menu(update: Update, context: CadreContext) -> int:
    await answer(update)
    forget(context, HEADING_KEY, ACTION_KEY)
    return await _show_menu(update, context)


# Adding an action --------------------------------------------------------------------------


async def pressed_add(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.FILE_ADD, update)
    member = context.actor.member
    if values is None or member is None or Heading(values[0]) not in headings_for(member.is_head):
        await refuse_button(update, gettext("This button is no longer active."))
        return MENU
    heading = Heading(values[0])
    try:
        _, view = await context.services.commitments.filing(context.actor)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return MENU
    if view is not None and not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await refuse_button(update, gettext("This commitment can no longer be changed."))
        return MENU
    await answer(update)
    context.user_data[HEADING_KEY] = heading.value
    await reply(
        update,
        gettext(
            "<b>{heading}</b>\nSend one concrete action, {low} to {high} characters. "
            "Send /cancel to stop."
        ).format(heading=gettext(HEADING_LABELS[heading]), low=ACTION_MIN, high=ACTION_MAX),
    )
    return ADD_TEXT


async def action_text(update: Update, context: CadreContext) -> int:
    heading = context.user_data.get(HEADING_KEY)
    if not heading:
        return await _show_menu(update, context)
    try:
        action = await context.services.commitments.add_action(
            context.actor, heading, update.effective_message.text or ""
        )
    except UserFacingError as error:
        return await _refused(update, context, error, ADD_TEXT)
    context.user_data.pop(HEADING_KEY, None)
    context.user_data[ACTION_KEY] = action.id
    await reply(
        update,
        gettext(
            "Saved. Send a target date within the campaign year (e.g. 30/06/2026), or press Skip."
        ),
        reply_markup=keyboard([(gettext("Skip"), cb.FILE_SKIP_DATE(action.id))]),
    )
    return ADD_DATE


async def _refused(
    update: Update, context: CadreContext, error: UserFacingError, retry_state: int
) -> int:
    """A typed step the service refused. By the error's type, not its text: bad text
    (InvalidInput) is asked for again; an action gone or a commitment locked or full
    meanwhile (NotFound, Conflict) returns to the menu; anything else ends the filing."""
    await reply(update, error.render_html())
    if isinstance(error, InvalidInput):
        return retry_state
    forget(context, HEADING_KEY, ACTION_KEY)
    if isinstance(error, NotFound | Conflict):
        return await _show_menu(update, context)
    return flow.close(context, FILING)


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
    """Apply the typed text to the action this step is about, then back to the menu
    (a refusal: see :func:`_refused`)."""
    action_id = context.user_data.get(ACTION_KEY)
    if not action_id:
        return await _show_menu(update, context)
    try:
        action = await change(context.actor, int(action_id), update.effective_message.text or "")
    except UserFacingError as error:
        return await _refused(update, context, error, retry_state)
    context.user_data.pop(ACTION_KEY, None)
    await reply(update, confirmation(action))
    return await _show_menu(update, context)


async def pressed_skip(update: Update, context: CadreContext) -> int:
    """Skip (no target date) right after adding an action: back to the menu."""
    await pressed(update)
    context.user_data.pop(ACTION_KEY, None)
    return await _show_menu(update, context)


async def pressed_no_date(update: Update, context: CadreContext) -> int:
    """Skip while changing an action's date: the date is removed."""
    await pressed(update)
    values = parse_button(cb.FILE_NO_DATE, update)
    if values is not None and context.user_data.get(ACTION_KEY) == values[0]:
        try:
            await context.services.commitments.set_target(context.actor, values[0], None)
        except UserFacingError as error:
            await reply(update, error.render_html())
    context.user_data.pop(ACTION_KEY, None)
    return await _show_menu(update, context)


# Preview, editing, deleting ----------------------------------------------------------------


async def pressed_preview(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await refuse_button(update, gettext("Nothing to show yet: add an action first."))
        return MENU
    await answer(update)
    await send_lines(
        update,
        [gettext("This is how the secretary will see it:"), "", *render_commitment(view)],
        reply_markup=keyboard(
            [(gettext("Send"), cb.FILE_SUBMIT_PREVIEWED()), (gettext("Back"), cb.FILE_MENU())]
        ),
    )
    return MENU


async def pressed_list(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await refuse_button(update, gettext("Nothing to edit yet: add an action first."))
        return MENU
    if not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await refuse_button(update, gettext("This commitment can no longer be changed."))
        return MENU
    await answer(update)
    rows = []
    headings = headings_for(view.member.is_head)
    for index, heading in enumerate(headings, start=1):
        for number, action in enumerate([a for a in view.actions if a.heading == heading], 1):
            short = action.text if len(action.text) <= 40 else action.text[:39] + "…"
            rows.append([(f"{index}.{number}. {short}", cb.FILE_ACTION(action.id))])
    rows.append([(gettext("Back"), cb.FILE_MENU())])
    await reply(
        update, gettext("Choose the action to edit or delete:"), reply_markup=keyboard(*rows)
    )
    return MENU


async def _own_action(
    update: Update, context: CadreContext, button: cb.Button
) -> ActionRecord | None:
    """The member's action named by the pressed button, or None after a polite alert
    (deleted meanwhile, or the commitment is no longer editable)."""
    values = parse_button(button, update)
    if values is None:
        await refuse_button(update, stale_text())
        return None
    try:
        action = await context.services.commitments.action(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return None
    await answer(update)
    return action


async def pressed_action(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context, cb.FILE_ACTION)
    if action is None:
        return MENU
    text = f"<b>{gettext(HEADING_LABELS[Heading(action.heading)])}</b>\n{h(action.text)}"
    if action.target_date:
        text += "\n" + gettext("Target date: {date}").format(date=format_date(action.target_date))
    await reply(
        update,
        text,
        reply_markup=keyboard(
            [
                (gettext("Edit"), cb.FILE_EDIT(action.id)),
                (gettext("Delete"), cb.FILE_DELETE(action.id)),
            ],
            [(gettext("Target date"), cb.FILE_DATE(action.id)), (gettext("Back"), cb.FILE_MENU())],
        ),
    )
    return MENU


async def pressed_edit(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context, cb.FILE_EDIT)
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
    action = await _own_action(update, context, cb.FILE_DATE)
    if action is None:
        return MENU
    context.user_data[ACTION_KEY] = action.id
    await reply(
        update,
        gettext("Send the target date (e.g. 30/06/2026), or press Skip to remove it."),
        reply_markup=keyboard([(gettext("Skip"), cb.FILE_NO_DATE(action.id))]),
    )
    return ADD_DATE


async def pressed_delete(update: Update, context: CadreContext) -> int:
    action = await _own_action(update, context, cb.FILE_DELETE)
    if action is None:
        return MENU
    await reply(
        update,
        gettext("Delete this action?\n<i>{text}</i>").format(text=h(action.text)),
        reply_markup=keyboard(
            [(gettext("Confirm"), cb.FILE_DELETE_OK(action.id)), (gettext("Back"), cb.FILE_MENU())]
        ),
    )
    return MENU


async def pressed_delete_ok(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.FILE_DELETE_OK, update)
    if values is None:
        await refuse_button(update, stale_text())
        return MENU
    try:
        await context.services.commitments.delete_action(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return MENU
    await answer(update, gettext("Deleted."))
    await drop_markup(update)
    return await _show_menu(update, context)


# Submitting, revising, stopping ------------------------------------------------------------


async def pressed_submit(update: Update, context: CadreContext) -> int:
    _, view = await context.services.commitments.filing(context.actor)
    if view is None or not view.actions:
        await refuse_button(update, gettext("Please add at least one action before submitting."))
        return MENU
    if not may_edit(view.commitment.status):  # type: ignore[union-attr]
        await refuse_button(update, gettext("This commitment has already been submitted."))
        return MENU
    await answer(update)
    question = await _submit_question(context)
    # Pressed under the preview, the commitment is on the screen already: once is enough.
    shown = (
        []
        if cb.FILE_SUBMIT_PREVIEWED.matches(update.callback_query.data)
        else [
            *render_commitment(view),
            "",
        ]
    )
    await send_lines(
        update,
        [*shown, question],
        reply_markup=keyboard(
            [(gettext("Confirm"), cb.FILE_SUBMIT_OK()), (gettext("Back"), cb.FILE_MENU())]
        ),
    )
    return MENU


async def _reviewer_unit_name(context: CadreContext) -> str | None:
    """The reviewing unit's name when it is not the member's own cell (a secretary's own
    commitment goes to the level above); None for the usual case."""
    reviewing = await context.services.commitments.reviewing_unit(context.actor)
    own = context.actor.units[0] if context.actor.units else None
    if reviewing is None or (own is not None and reviewing.id == own.id):
        return None
    return reviewing.name


async def _submit_question(context: CadreContext) -> str:
    above = await _reviewer_unit_name(context)
    if above is None:
        return gettext("Submit this commitment to the cell secretary?")
    return gettext("Submit this commitment for review by {unit}?").format(unit=h(above))


async def pressed_submit_ok(update: Update, context: CadreContext) -> int:
    try:
        view, version = await context.services.commitments.submit(context.actor)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return MENU
    await pressed(update)
    above = await _reviewer_unit_name(context)
    text = gettext(
        "Comrade {name}, your commitment for {year} has been submitted (version {number})."
    ).format(name=h(view.member.full_name), year=view.campaign.year, number=version.number)
    text += " " + (
        gettext("You will get a message when the cell secretary has reviewed it.")
        if above is None
        else gettext("You will get a message when {unit} has reviewed it.").format(unit=h(above))
    )
    if version.late:
        text += "\n" + gettext(
            "It was submitted after the deadline ({date}) and is marked late."
        ).format(date=format_date(view.campaign.commit_deadline))
    await reply(update, text)
    forget(context, HEADING_KEY, ACTION_KEY)
    return flow.close(context, FILING)


async def pressed_revise(update: Update, context: CadreContext) -> int:
    try:
        await context.services.commitments.revise(context.actor)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return MENU
    await pressed(update)
    await reply(
        update,
        gettext(
            "A new version is open. The approved version stays valid until this one is approved."
        ),
    )
    return await _show_menu(update, context)


async def filing_cancel(update: Update, context: CadreContext) -> int:
    await answer(update)
    forget(context, HEADING_KEY, ACTION_KEY)
    _, view = await context.services.commitments.filing(context.actor)
    if view is not None and not may_edit(view.commitment.status):  # type: ignore[union-attr]
        # Approved (locked) or waiting for review: there is no draft to speak of.
        await reply(update, gettext("Cancelled. Nothing was changed."))
    else:
        await reply(
            update,
            gettext(
                "Stopped. Everything you entered is saved as a draft; send /commit to continue."
            ),
        )
    return flow.close(context, FILING)
