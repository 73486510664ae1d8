"""The texts of year-end grading as the cell and the committee see them: the figures of the
20% rule ("Xuất sắc x / tối đa n"), a member's proposal and decided grade, the temporary
cell's comments. Telegram-free text; people's own words are HTML-escaped here."""

from __future__ import annotations

from bot.i18n import format_date, gettext
from bot.rules.grading import GRADE_LABELS, GRASSROOTS_COMMITTEE, Grade, Tally
from bot.services.commitments import GradingItem
from bot.services.commitments.grading_state import Entry, Figures
from handlers.commitments.rendering import grade_label
from handlers.replies import h


def cap_text(tally: Tally) -> str:
    """ "Xuất sắc x / tối đa n" """
    return gettext("Excellent {excellent} / at most {cap}").format(
        excellent=tally.excellent, cap=tally.cap
    )


def cap_line(unit_name: str, tally: Tally) -> str:
    return gettext("{unit}: {figures} (20% of the {good} graded \u201cGood\u201d)").format(
        unit=h(unit_name), figures=cap_text(tally), good=tally.good
    )


def counts_line(tally: Tally) -> str:
    return " · ".join(
        f"{gettext(GRADE_LABELS[grade])} {count}"
        for grade, count in zip(
            Grade, (tally.excellent, tally.good, tally.fulfilled, tally.not_fulfilled), strict=True
        )
    )


def figures_lines(figures: Figures) -> list[str]:
    """What the cell sees while proposing: the organisation's figures, if every proposal
    waiting were decided, and who decides."""
    unit = figures.unit
    lines = [cap_line(unit.name, figures.outlook)]
    if unit.kind == GRASSROOTS_COMMITTEE:
        lines.append(
            gettext(
                "The cells propose; {unit} decides, for all its cells at once. Members are "
                "told only the decided grade."
            ).format(unit=h(unit.name))
        )
    else:
        lines.append(
            gettext("{unit} is a grassroots cell: its grade is the decision.").format(
                unit=h(unit.name)
            )
        )
    return lines


def proposal_lines(item: GradingItem) -> list[str]:
    """The proposal in force and the comments of a temporary cell, under the card."""
    lines: list[str] = []
    proposal = item.proposal
    record = item.record
    if proposal is not None and record.awaiting_decision:
        by = (
            gettext("changed by the committee, comrade {name}")
            if proposal.source == "decider"
            else gettext("comrade {name}")
        ).format(name=h(proposal.proposed_by_name or "—"))
        lines.append(
            gettext("Proposed: <b>{grade}</b>, by {by}").format(
                grade=grade_label(proposal.grade, proposal.points), by=by
            )
        )
        lines.append(gettext("Comment: {comment}").format(comment=h(proposal.comment)))
        decider = item.placement.decider
        if decider is not None and not item.placement.decides_itself:
            lines.append(
                gettext("(waiting for the decision of {unit})").format(unit=h(decider.name))
            )
    for remark in item.remarks:
        lines.append(
            gettext(
                "Comment of {unit} (where the member attends temporarily), {date}: <i>{text}</i>"
            ).format(
                unit=h(remark.unit.name),
                date=format_date(remark.record.written_at),
                text=h(remark.record.remark),
            )
        )
    return lines


def entry_line(number: int, entry: Entry) -> str:
    """One member on the committee's board."""
    record, proposal = entry.record, entry.proposal
    name = h(entry.member.full_name)
    if record.awaiting_decision and proposal is not None:
        text = gettext("{number}. {name} — proposed: {grade}").format(
            number=number, name=name, grade=grade_label(proposal.grade, proposal.points)
        )
        if record.grade:
            text += " " + gettext("(decided before: {grade})").format(
                grade=grade_label(record.grade, record.points)
            )
        return text
    if record.grade:
        return gettext("{number}. {name} — decided: {grade}").format(
            number=number, name=name, grade=grade_label(record.grade, record.points)
        )
    return gettext("{number}. {name} — no proposal yet").format(number=number, name=name)


def item_label(item: GradingItem) -> str:
    """A button naming a member with their proposal or decided grade."""
    record, proposal = item.record, item.proposal
    name = item.view.member.full_name
    if record.awaiting_decision and proposal is not None:
        return gettext("{name} — {grade} (proposed)").format(
            name=name, grade=grade_label(proposal.grade, proposal.points)
        )
    assert record.grade is not None
    return f"{name} — {grade_label(record.grade, record.points)}"
