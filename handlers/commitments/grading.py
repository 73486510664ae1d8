"""Year-end grading at the cell: /grade lists whom the cell appraises; a grade pressed on a
card asks for the points (required), the comment, and a confirmation, then records the
cell's proposal (at a grassroots cell, the decision). The cell where a temporarily attached
member attends gives its comment instead ("Comment"). Telegram only: the rules and the
writes are in :mod:`bot.services.commitments.grading`."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import format_date, gettext
from bot.parsing import parse_whole_number
from bot.rules.grading import (
    GRADE_BANDS,
    GRADE_LABELS,
    Grade,
    Tally,
    check_points,
    clean_comment,
    parse_points,
)
from bot.services.commitments import (
    CapExceeded,
    GradeClosed,
    GradingBoard,
    GradingItem,
    ProposalStart,
)
from handlers import flow
from handlers.commitments.grading_text import (
    cap_line,
    figures_lines,
    item_label,
    proposal_lines,
)
from handlers.commitments.rendering import render_commitment, send_lines
from handlers.commitments.steps import stop, use_buttons
from handlers.replies import h, reply
from handlers.ui import answer, drop_markup, keyboard, parse_button, refuse_button, stale_text

GRADING = "commitment_grade"
REMARKING = "commitment_remark"

# Conversation states.
POINTS, GRADE_COMMENT, GRADE_CONFIRM = 30, 31, 32
REMARK_TEXT = 40

# The working data of a proposal being made (a new key: drafts of the earlier flow, which
# gave a grade at once, are not picked up).
PROPOSAL_KEY = "gp_target"
REMARK_KEY = "grm_target"
MAX_CARDS = 30
MAX_BUTTONS = 90


def _grade_markup(item: GradingItem) -> InlineKeyboardMarkup:
    """The four labels; each carries the proposal in force (its revision, 0 for none), so
    a press after someone else proposed or changed it is refused instead of overwriting."""
    record = item.record
    return keyboard(
        *[
            [(gettext(GRADE_LABELS[g]), cb.PROPOSE(record.id, record.proposal_revision, g.value))]
            for g in Grade
        ]
    )


def _card(item: GradingItem) -> list[str]:
    lines = render_commitment(item.view, ratings=True)
    if item.record.self_review_at is None:
        lines.append(gettext("(The member has not finished the self-assessment.)"))
    extra = proposal_lines(item)
    return [*lines, "", *extra] if extra else lines


# /grade --------------------------------------------------------------------------------------


async def list_gradable(update: Update, context: CadreContext) -> None:
    year = parse_whole_number(context.args[0]) if context.args else None
    try:
        board = await context.services.commitments.grading_board(context.actor, year)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    await reply(update, "\n".join(_header(board)))
    for item in board.to_grade[:MAX_CARDS]:
        await send_lines(update, _card(item), reply_markup=_grade_markup(item))
    if board.graded and board.may_change:
        rows = [[(item_label(i), cb.PROPOSE_CARD(i.record.id))] for i in board.graded]
        await reply(
            update,
            gettext(
                "Already graded: {count}. A grade can be changed until the year-end review "
                "closes on {date}; the earlier grade stays on record. Choose a member to change:"
            ).format(count=len(board.graded), date=format_date(board.campaign.review_closes)),
            reply_markup=keyboard(*rows[:MAX_BUTTONS]),
        )
    if board.remark_only:
        await _remark_list(update, board)


def _header(board: GradingBoard) -> list[str]:
    if board.to_grade:
        bands = ", ".join(
            f"{gettext(GRADE_LABELS[g])} {low}–{high}" for g, (low, high) in GRADE_BANDS.items()
        )
        lines = [
            gettext("Members to grade: {count}\nPoints: {bands}").format(
                count=len(board.to_grade), bands=bands
            )
        ]
    else:
        lines = [gettext("Nobody is waiting for a grade.")]
    for figures in board.figures:
        lines += ["", *figures_lines(figures)]
    if board.exempt:
        lines += [
            "",
            gettext("Exempt from meetings, so not graded and not counted: {names}").format(
                names=", ".join(h(m.full_name) for m in board.exempt)
            ),
        ]
    return lines


async def _remark_list(update: Update, board: GradingBoard) -> None:
    lines = [
        gettext(
            "Temporarily attached to your cell: {count}. They are graded by the cell of their "
            "official membership; your cell gives its comment."
        ).format(count=len(board.remark_only))
    ]
    rows = []
    for item in board.remark_only:
        official = (
            gettext("graded by {cell}").format(cell=h(item.official.name))
            if item.official
            else gettext("official cell not in the bot: not graded here")
        )
        done = " ✓" if item.remark else ""
        lines.append(f"• {h(item.member.full_name)} ({official}){done}")
        rows.append(
            [
                (
                    gettext("Comment: {name}").format(name=item.member.full_name),
                    cb.REMARK(item.member.id, item.campaign.id),
                )
            ]
        )
    await reply(update, "\n".join(lines), reply_markup=keyboard(*rows[:MAX_BUTTONS]))


async def pressed_card(update: Update, context: CadreContext) -> None:
    """A member's card again, with the labels, to change the proposal (the cell, or the
    deciding committee from /decide)."""
    values = parse_button(cb.PROPOSE_CARD, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        item = await context.services.commitments.grading_card(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return
    await answer(update)
    lines = [*_card(item), "", gettext("Choose the new grade:")]
    await send_lines(update, lines, reply_markup=_grade_markup(item))


# The proposal: grade, points, comment, confirmation -------------------------------------------


async def pressed_grade(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.PROPOSE, update)
    if values is None:
        await refuse_button(update, stale_text())
        return ConversationHandler.END
    commitment_id, revision, grade = values
    if await flow.refuse_if_busy(update, context, GRADING):
        return ConversationHandler.END
    try:
        start = await context.services.commitments.start_proposal(
            context.actor, commitment_id, grade, revision
        )
    except CapExceeded as error:  # a grassroots cell: this grade would break the 20% rule
        await refuse_button(update, error, drop=False)
        await reply(update, error.render_html())
        return flow.close(context, GRADING)
    except GradeClosed as error:  # proposed, decided or closed meanwhile: the card is done
        await refuse_button(update, error, drop=True)
        return flow.close(context, GRADING)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return flow.close(context, GRADING)
    await answer(update)
    context.user_data[PROPOSAL_KEY] = _target(commitment_id, revision, grade, start)
    low, high = GRADE_BANDS[Grade(grade)]
    await reply(
        update,
        gettext(
            "{grade}. Send the points ({low}–{high}); they are required with the grade."
        ).format(grade=gettext(GRADE_LABELS[Grade(grade)]), low=low, high=high),
    )
    return POINTS


def _target(commitment_id: int, revision: int, grade: str, start: ProposalStart) -> dict:
    decider = start.placement.decider
    return {
        "id": commitment_id,
        "rev": revision,
        "grade": grade,
        "decides": start.decides,
        "unit": decider.name if decider else "",
        "unit_id": decider.id if decider else 0,
        "after": [start.after.excellent, start.after.good],
    }


async def grade_points(update: Update, context: CadreContext) -> int:
    target = context.user_data.get(PROPOSAL_KEY)
    if not target:
        return flow.close(context, GRADING)
    try:
        points = check_points(target["grade"], parse_points(update.effective_message.text or ""))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return POINTS
    target["points"] = points
    await reply(update, gettext("Send the cell's comment on this member."))
    return GRADE_COMMENT


async def grade_comment(update: Update, context: CadreContext) -> int:
    """Check the comment first; only a comment that passes is shown back (escaped)."""
    target = context.user_data.get(PROPOSAL_KEY)
    if not target:
        return flow.close(context, GRADING)
    try:
        comment = clean_comment(update.effective_message.text or "")
    except InvalidInput as error:
        await reply(update, error.render_html())
        return GRADE_COMMENT
    target["comment"] = comment
    grade = Grade(target["grade"])
    excellent, good = target.get("after", [0, 0])
    after = Tally(excellent=excellent, good=good)
    lines = [
        gettext("Grade: <b>{grade}</b>").format(grade=gettext(GRADE_LABELS[grade])),
        gettext("Points: {points}").format(points=target["points"]),
        gettext("Comment: {comment}").format(comment=h(comment)),
        "",
        cap_line(target.get("unit", ""), after),
    ]
    if target.get("decides"):
        lines.append(gettext("This grade is the decision: the member will be told."))
    else:
        lines.append(
            gettext(
                "This is the cell's proposal: {unit} decides, and the member is told only the "
                "decision."
            ).format(unit=h(target.get("unit", "")))
        )
        if after.over_cap:
            lines.append(
                gettext(
                    "⚠️ With this proposal \u201cexcellent\u201d is above 20% of \u201cgood\u201d "
                    "in {unit}: the committee will have to change some proposals before it "
                    "can decide."
                ).format(unit=h(target.get("unit", "")))
            )
    await reply(
        update,
        "\n".join(lines),
        reply_markup=keyboard(
            [
                (gettext("Confirm"), cb.PROPOSE_CONFIRM("ok")),
                (gettext("Cancel"), cb.PROPOSE_CONFIRM("no")),
            ]
        ),
    )
    return GRADE_CONFIRM


async def grade_confirm(update: Update, context: CadreContext) -> int:
    target = context.user_data.pop(PROPOSAL_KEY, None)
    await drop_markup(update)
    if not target or parse_button(cb.PROPOSE_CONFIRM, update) != ("ok",):
        await answer(update)
        return await stop(update, context, GRADING)
    revision = int(target.get("rev", 0))
    try:
        outcome = await context.services.commitments.propose(
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
    name = h(outcome.view.member.full_name)
    label = gettext(GRADE_LABELS[Grade(outcome.proposal.grade)])
    if outcome.decided:
        saved = (
            gettext("Changed: comrade {name} — {grade}. The earlier grade stays on record.")
            if len(outcome.view.grades) > 1
            else gettext("Saved: comrade {name} — {grade}.")
        ).format(name=name, grade=label)
        markup = None
    else:
        saved = gettext(
            "Proposal recorded: comrade {name} — {grade} ({points}). {unit} decides; the "
            "member hears nothing until then."
        ).format(
            name=name,
            grade=label,
            points=outcome.proposal.points,
            unit=h(outcome.figures.unit.name),
        )
        markup = None
        if outcome.proposal.source == "decider":
            markup = keyboard(
                [
                    (
                        gettext("Back to the decision"),
                        cb.DECIDE_BOARD(outcome.figures.unit.id, outcome.view.campaign.year),
                    )
                ]
            )
    await reply(
        update,
        "\n".join([saved, cap_line(outcome.figures.unit.name, outcome.figures.outlook)]),
        reply_markup=markup,
    )
    return flow.close(context, GRADING)


async def grade_cancel(update: Update, context: CadreContext) -> int:
    return await stop(update, context, GRADING, PROPOSAL_KEY)


async def confirm_text(update: Update, context: CadreContext) -> int:
    await use_buttons(update)
    return GRADE_CONFIRM


# The temporary cell's comment ----------------------------------------------------------------


async def pressed_remark(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.REMARK, update)
    if values is None:
        await refuse_button(update, stale_text())
        return ConversationHandler.END
    if await flow.refuse_if_busy(update, context, REMARKING):
        return ConversationHandler.END
    member_id, campaign_id = values
    try:
        item = await context.services.commitments.remark_target(
            context.actor, member_id, campaign_id
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return flow.close(context, REMARKING)
    await answer(update)
    context.user_data[REMARK_KEY] = {"member": member_id, "campaign": campaign_id}
    lines = [
        gettext(
            "Send the comment of {cell} on comrade {name}, who attends your cell temporarily."
        ).format(cell=h(item.attending.name), name=h(item.member.full_name))
    ]
    if item.remark is not None:
        lines.append(
            gettext("It replaces the comment given on {date}: <i>{text}</i>").format(
                date=format_date(item.remark.written_at), text=h(item.remark.remark)
            )
        )
    await reply(update, "\n".join(lines))
    return REMARK_TEXT


async def remark_text(update: Update, context: CadreContext) -> int:
    target = context.user_data.get(REMARK_KEY)
    if not target:
        return flow.close(context, REMARKING)
    try:
        item = await context.services.commitments.add_remark(
            context.actor,
            int(target["member"]),
            int(target["campaign"]),
            update.effective_message.text or "",
        )
    except InvalidInput as error:  # the text itself: ask again
        await reply(update, error.render_html())
        return REMARK_TEXT
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, REMARKING)
    if item.official is not None:
        text = gettext(
            "Saved. {cell}, which grades comrade {name}, will see the comment on the card."
        ).format(cell=h(item.official.name), name=h(item.member.full_name))
    else:
        text = gettext(
            "Saved. The official cell of comrade {name} is not in the bot, so the member is "
            "not graded here; the comment is kept on record."
        ).format(name=h(item.member.full_name))
    await reply(update, text)
    return flow.close(context, REMARKING)


async def remark_cancel(update: Update, context: CadreContext) -> int:
    return await stop(update, context, REMARKING, REMARK_KEY)
