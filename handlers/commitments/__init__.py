"""Commitments in Telegram: /commit, /pending, /mycommitments, /review, /grade, /decide,
/commitments.

Telegram only: every rule and every write lives in CommitmentService. Button data is built
and read with :mod:`bot.callbacks`; it carries ids (and the version or grade revision where
a decision depends on it), so a press on an old message is checked against the database
and answered politely when the state moved on.

- :mod:`.rendering`: the text of a commitment (the reviewer's card, the member's preview);
- :mod:`.filing`: /commit; :mod:`.review`: /pending, approve, return with a comment;
- :mod:`.monitoring`: /commitments and its export, /mycommitments, the printed form;
- :mod:`.yearend`: /review (self-assessment);
- :mod:`.grading`: /grade (the cell's appraisal and proposal; a temporary cell's comment);
- :mod:`.deciding`: /decide (the grassroots committee's decision).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.i18n import N_
from handlers import flow, shortcuts
from handlers.commitments import deciding, filing, grading, monitoring, review, yearend
from handlers.commitments.filing import FILING
from handlers.commitments.grading import GRADING, REMARKING
from handlers.commitments.review import RETURNING
from handlers.commitments.yearend import SELF_REVIEW

FLOWS = {
    FILING: flow.FlowSpec(
        FILING,
        N_("filing your commitment (/commit)"),
        draft_keys=(filing.HEADING_KEY, filing.ACTION_KEY),
        resume=N_("Your draft is kept: send /commit to continue."),
        replay=True,  # each action is added once, a submission confirmed once
    ),
    RETURNING: flow.FlowSpec(
        RETURNING, N_("writing a return comment"), draft_keys=(review.DECISION_KEY,)
    ),
    SELF_REVIEW: flow.FlowSpec(
        SELF_REVIEW,
        N_("your year-end self-assessment (/review)"),
        draft_keys=(yearend.RATE_KEY,),
        resume=N_("Your ratings so far are kept: send /review to continue."),
    ),
    GRADING: flow.FlowSpec(
        GRADING, N_("grading a member (/grade)"), draft_keys=(grading.PROPOSAL_KEY,)
    ),
    REMARKING: flow.FlowSpec(
        REMARKING,
        N_("the cell's comment on a temporarily attached member (/grade)"),
        draft_keys=(grading.REMARK_KEY,),
    ),
}

TEXT = filters.TEXT & ~filters.COMMAND


def _button(button: cb.Button, callback: Callable) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=button.pattern)


def _filing_buttons() -> list[CallbackQueryHandler]:
    pairs: list[tuple[cb.Button, Callable]] = [
        (cb.FILE_ADD, filing.pressed_add),
        (cb.FILE_SKIP_DATE, filing.pressed_skip),
        (cb.FILE_NO_DATE, filing.pressed_no_date),
        (cb.FILE_MENU, filing.pressed_menu),
        (cb.FILE_PREVIEW, filing.pressed_preview),
        (cb.FILE_LIST, filing.pressed_list),
        (cb.FILE_ACTION, filing.pressed_action),
        (cb.FILE_EDIT, filing.pressed_edit),
        (cb.FILE_DATE, filing.pressed_date),
        (cb.FILE_DELETE, filing.pressed_delete),
        (cb.FILE_DELETE_OK, filing.pressed_delete_ok),
        (cb.FILE_SUBMIT, filing.pressed_submit),
        (cb.FILE_SUBMIT_PREVIEWED, filing.pressed_submit),
        (cb.FILE_SUBMIT_OK, filing.pressed_submit_ok),
        (cb.FILE_REVISE, filing.pressed_revise),
        (cb.FILE_CANCEL, filing.filing_cancel),
    ]
    return [_button(button, callback) for button, callback in pairs]


def _conversation(
    application: Application,
    name: str,
    entry: list[CommandHandler | CallbackQueryHandler],
    states: dict[object, list],
    cancel: Callable,
) -> ConversationHandler:
    return flow.conversation(
        application,
        FLOWS[name],
        entry_points=entry,
        states=states,
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def register(application: Application) -> None:
    buttons = _filing_buttons()
    rating = _button(cb.RATE, yearend.pressed_rating)
    conversations = [
        _conversation(
            application,
            FILING,
            [
                CommandHandler("commit", filing.commit_start),
                shortcuts.entry("commit", filing.commit_start, FILING),
            ],
            {
                filing.MENU: [*buttons, MessageHandler(TEXT, filing.filing_text_in_menu)],
                filing.ADD_TEXT: [*buttons, MessageHandler(TEXT, filing.action_text)],
                filing.ADD_DATE: [*buttons, MessageHandler(TEXT, filing.action_date)],
                filing.EDIT_TEXT: [*buttons, MessageHandler(TEXT, filing.edited_text)],
            },
            filing.filing_cancel,
        ),
        _conversation(
            application,
            RETURNING,
            [_button(cb.REVIEW_RETURN, review.pressed_return)],
            {review.ASK_COMMENT: [MessageHandler(TEXT, review.return_comment)]},
            review.return_cancel,
        ),
        _conversation(
            application,
            SELF_REVIEW,
            [
                CommandHandler("review", yearend.review_start),
                shortcuts.entry("review", yearend.review_start, SELF_REVIEW),
            ],
            {
                yearend.RATE: [rating, MessageHandler(TEXT, yearend.rate_text)],
                yearend.EVIDENCE: [rating, MessageHandler(TEXT, yearend.evidence_text)],
            },
            yearend.review_cancel,
        ),
        _conversation(
            application,
            GRADING,
            [_button(cb.PROPOSE, grading.pressed_grade)],
            {
                grading.POINTS: [MessageHandler(TEXT, grading.grade_points)],
                grading.GRADE_COMMENT: [MessageHandler(TEXT, grading.grade_comment)],
                grading.GRADE_CONFIRM: [
                    _button(cb.PROPOSE_CONFIRM, grading.grade_confirm),
                    MessageHandler(TEXT, grading.confirm_text),
                ],
            },
            grading.grade_cancel,
        ),
        _conversation(
            application,
            REMARKING,
            [_button(cb.REMARK, grading.pressed_remark)],
            {grading.REMARK_TEXT: [MessageHandler(TEXT, grading.remark_text)]},
            grading.remark_cancel,
        ),
    ]
    for conversation in conversations:
        application.add_handler(conversation)
    for button, callback in (
        (cb.REVIEW_APPROVE, review.pressed_approve),
        (cb.DOCUMENT, monitoring.pressed_document),
        (cb.DOCUMENT_VERSION, monitoring.pressed_document),
        (cb.COMMITMENT_EXPORT, monitoring.pressed_export),
        (cb.PROPOSE_CARD, grading.pressed_card),
        (cb.DECIDE_BOARD, deciding.pressed_board),
        (cb.DECIDE_ALL, deciding.pressed_decide),
        (cb.DECIDE_EDIT, deciding.pressed_edit),
    ):
        application.add_handler(_button(button, callback))
    for command, callback in (
        ("pending", review.list_pending),
        ("mycommitments", monitoring.my_commitments),
        ("commitments", monitoring.show_progress),
        ("grade", grading.list_gradable),
        ("decide", deciding.decide_command),
    ):
        application.add_handler(CommandHandler(command, callback))
    # The reminders' "Monitoring" and "Grade": as if /commitments YEAR, /grade YEAR were typed.
    application.add_handler(shortcuts.handler("commitments", monitoring.show_progress))
    application.add_handler(shortcuts.handler("grade", grading.list_gradable))
