"""Year-end grading at the grassroots committee: /decide shows its cells' proposals with
the figures of the 20% rule; the committee changes some (each member's card, as at the
cell) and decides them all at once. Telegram only: the rules and the writes are in
:mod:`bot.services.commitments.deciding`."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import gettext
from bot.parsing import parse_whole_number
from bot.rules.names import sorted_by_name
from bot.services.commitments import BoardChanged, CapExceeded, DecisionBoard
from handlers.commitments.grading_text import cap_line, cap_text, counts_line, entry_line
from handlers.commitments.rendering import grade_label, send_lines
from handlers.replies import h, reply
from handlers.ui import answer, drop_markup, keyboard, parse_button, refuse_button, stale_text

MAX_BUTTONS = 90


async def decide_command(update: Update, context: CadreContext) -> None:
    year = parse_whole_number(context.args[0]) if context.args else None
    service = context.services.commitments
    try:
        choices = await service.deciding_choices(context.actor, year)
        if len(choices) == 1:
            board = await service.decision_board(context.actor, choices[0].unit.id, year)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    if not choices:
        await reply(
            update,
            gettext(
                "You decide for no grassroots committee. The grades of a grassroots cell are "
                "decided by the cell itself, with /grade."
            ),
        )
        return
    if len(choices) == 1:
        await _send_board(update, board)
        return
    rows = [
        [
            (
                gettext("{unit} — waiting: {count}").format(unit=c.unit.name, count=c.waiting),
                cb.DECIDE_BOARD(c.unit.id, c.year),
            )
        ]
        for c in choices[:MAX_BUTTONS]
    ]
    await reply(update, gettext("Choose the grassroots committee:"), reply_markup=keyboard(*rows))


def board_lines(board: DecisionBoard) -> list[str]:
    lines = [
        gettext("<b>Year-end grading of members, {year}: {unit}</b>").format(
            year=board.campaign.year, unit=h(board.unit.name)
        )
    ]
    for section in board.cells:
        lines += ["", f"<b>{h(section.cell.name)}</b>"]
        if not section.entries:
            lines.append(gettext("   (no approved commitment to grade yet)"))
        for number, entry in enumerate(section.entries, start=1):
            lines.append(entry_line(number, entry))
            if entry.record.awaiting_decision and entry.proposal is not None:
                lines.append(f"   <i>{h(entry.proposal.comment)}</i>")
        if section.exempt:
            lines.append(
                gettext("Exempt from meetings, not graded: {names}").format(
                    names=", ".join(h(m.full_name) for m in section.exempt)
                )
            )
    figures = board.figures
    lines += [
        "",
        gettext("Decided so far: {figures}").format(figures=cap_text(figures.decided)),
        gettext("Waiting for a decision: {count}").format(count=board.waiting),
        gettext("Once decided as proposed:"),
        "   " + counts_line(board.after),
        "   " + cap_line(board.unit.name, board.after),
    ]
    if board.after.over_cap and board.waiting:
        lines.append(
            gettext(
                "⚠️ Above the 20% limit: change some proposals (\u201cChange a proposal\u201d) "
                "before deciding."
            )
        )
    if board.own_waiting:
        lines.append(gettext("Your own proposal is decided by another member of the committee."))
    if not board.may_change:
        lines.append(gettext("The review window has closed: decided grades stand."))
    return lines


def board_markup(board: DecisionBoard) -> InlineKeyboardMarkup:
    year = board.campaign.year
    rows = []
    if board.waiting:
        rows.append(
            [
                (
                    gettext("Decide as proposed ({count})").format(count=board.waiting),
                    cb.DECIDE_ALL(board.unit.id, year, board.stamp),
                )
            ]
        )
    rows.append([(gettext("Change a proposal"), cb.DECIDE_EDIT(board.unit.id, year))])
    return keyboard(*rows)


async def _send_board(update: Update, board: DecisionBoard) -> None:
    await send_lines(update, board_lines(board), reply_markup=board_markup(board))


async def _board_of(
    update: Update, context: CadreContext, button: cb.Button
) -> DecisionBoard | None:
    """The board a pressed button names (unit, year); None after saying why not."""
    values = parse_button(button, update)
    if values is None:
        await refuse_button(update, stale_text())
        return None
    unit_id, year = values
    try:
        board = await context.services.commitments.decision_board(context.actor, unit_id, year)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return None
    await answer(update)
    return board


async def pressed_board(update: Update, context: CadreContext) -> None:
    board = await _board_of(update, context, cb.DECIDE_BOARD)
    if board is not None:
        await _send_board(update, board)


async def pressed_decide(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.DECIDE_ALL, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    unit_id, year, stamp = values
    service = context.services.commitments
    try:
        outcome = await service.decide_grades(context.actor, unit_id, year, stamp)
    except CapExceeded as error:  # the figures, and the board stays for changes
        await refuse_button(update, error, drop=False)
        await reply(update, error.render_html())
        return
    except BoardChanged as error:  # proposals moved on: the fresh board replaces this one
        await refuse_button(update, error, drop=True)
        try:
            board = await service.decision_board(context.actor, unit_id, year)
        except UserFacingError as again:
            await reply(update, again.render_html())
            return
        await _send_board(update, board)
        return
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return
    await answer(update)
    await drop_markup(update)
    lines = [
        gettext("Decided for {unit}: {count} members. Each is told the decided grade.").format(
            unit=h(outcome.unit.name), count=len(outcome.decided)
        )
    ]
    for number, item in enumerate(outcome.decided, start=1):
        lines.append(
            f"{number}. {h(item.member.full_name)} — {grade_label(item.grade, item.points)}"
        )
    lines += ["", cap_line(outcome.unit.name, outcome.figures.decided)]
    if outcome.own_waiting:
        lines.append(gettext("Your own proposal is decided by another member of the committee."))
    await send_lines(update, lines)


async def pressed_edit(update: Update, context: CadreContext) -> None:
    """The members whose proposal (or decided grade) the committee may change."""
    board = await _board_of(update, context, cb.DECIDE_EDIT)
    if board is None:
        return
    entries = sorted_by_name(
        [e for s in board.cells for e in s.entries if e.proposal or e.record.grade],
        lambda e: e.member.full_name,
    )
    if not entries:
        await reply(update, gettext("No proposal to change yet."))
        return
    rows = []
    for entry in entries[:MAX_BUTTONS]:
        shown = entry.proposal if entry.record.awaiting_decision else None
        if shown is not None:
            grade = grade_label(shown.grade, shown.points)
        elif entry.record.grade:
            grade = grade_label(entry.record.grade, entry.record.points)
        else:
            continue
        rows.append([(f"{entry.member.full_name} — {grade}", cb.PROPOSE_CARD(entry.record.id))])
    await reply(
        update,
        gettext(
            "Choose the member whose proposal to change. The change is recorded as the "
            "committee's; then decide from the list again."
        ),
        reply_markup=keyboard(*rows),
    )
