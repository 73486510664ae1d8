"""The year end: the member's self-assessment (/review), action by action, and the grade
given by whoever oversees them (/grade), with optional points, a comment and a
confirmation; a grade may be changed until the review window closes."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import format_date, gettext
from bot.parsing import parse_whole_number
from bot.rules.commitments import HEADING_LABELS, RATING_LABELS, Heading, Rating
from bot.rules.grading import GRADE_BANDS, GRADE_LABELS, Grade, check_points, parse_points
from bot.services.commitments import CommitmentView, ReviewClosed
from handlers import flow
from handlers.commitments.rendering import grade_label, render_commitment, send_lines
from handlers.commitments.steps import open_step, stop, use_buttons
from handlers.replies import h, reply
from handlers.ui import answer, drop_markup, keyboard, parse_button, pressed, refuse_button

SELF_REVIEW = "commitment_self_review"
GRADING = "commitment_grade"

# Conversation states.
RATE, EVIDENCE = 20, 21
POINTS, GRADE_COMMENT, GRADE_CONFIRM = 30, 31, 32

RATE_KEY = "cr_action"
GRADE_KEY = "cg_target"


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


# Grading: /grade ---------------------------------------------------------------------------


def _grade_markup(view: CommitmentView) -> InlineKeyboardMarkup:
    """The four labels; each carries the grade in force (its revision, 0 for none), so a
    press after someone else graded or changed it is refused instead of overwriting."""
    record = view.commitment
    assert record is not None
    return keyboard(
        *[
            [(gettext(GRADE_LABELS[g]), cb.GRADE(record.id, record.grade_revision, g.value))]
            for g in Grade
        ]
    )


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
            label = f"{view.member.full_name} — {grade_label(record.grade, record.points)}"
            rows.append([(label, cb.GRADE_CHANGE(record.id))])
        await reply(
            update,
            gettext(
                "Already graded: {count}. A grade can be changed until the year-end review "
                "closes on {date}; the earlier grade stays on record. Choose a member to change:"
            ).format(count=len(graded), date=format_date(graded[0].campaign.review_closes)),
            reply_markup=keyboard(*rows),
        )


async def pressed_change(update: Update, context: CadreContext) -> None:
    """A graded member's card again, with the labels, to change the grade."""
    values = parse_button(cb.GRADE_CHANGE, update)
    if values is None:
        await refuse_button(update, gettext("This button is no longer active."))
        return
    try:
        view = await context.services.commitments.view_for_reviewer(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return
    await answer(update)
    lines = render_commitment(view, ratings=True)
    lines += ["", gettext("Choose the new grade:")]
    await send_lines(update, lines, reply_markup=_grade_markup(view))


async def pressed_grade(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.GRADE, update)
    if values is None:
        await refuse_button(update, gettext("This button is no longer active."))
        return ConversationHandler.END
    commitment_id, revision, grade = values
    if await flow.refuse_if_busy(update, context, GRADING):
        return ConversationHandler.END
    try:
        warn = await context.services.commitments.grade_warning(
            context.actor, commitment_id, grade, revision
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return flow.close(context, GRADING)
    await answer(update)
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
        reply_markup=keyboard([(gettext("Skip"), cb.GRADE_SKIP_POINTS())]),
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
    await pressed(update)
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
        reply_markup=keyboard(
            [
                (gettext("Confirm"), cb.GRADE_CONFIRM("ok")),
                (gettext("Cancel"), cb.GRADE_CONFIRM("no")),
            ]
        ),
    )
    return GRADE_CONFIRM


async def grade_confirm(update: Update, context: CadreContext) -> int:
    target = context.user_data.pop(GRADE_KEY, None)
    await drop_markup(update)
    if not target or parse_button(cb.GRADE_CONFIRM, update) != ("ok",):
        await answer(update)
        return await stop(update, context, GRADING)
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
        await answer(update, error.render(), alert=True)
        await reply(update, error.render_html())
        return flow.close(context, GRADING)
    await answer(update)
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
    return await stop(update, context, GRADING, GRADE_KEY)


async def confirm_text(update: Update, context: CadreContext) -> int:
    await use_buttons(update)
    return GRADE_CONFIRM
