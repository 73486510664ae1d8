"""The commitment rules alone: status machine, validation, lateness (grading: see
test_grading_rules.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import Conflict, InvalidInput
from bot.i18n import use_locale
from bot.rules.campaigns import default_campaign
from bot.rules.commitments import (
    ACTION_MAX,
    ACTION_MIN,
    ActionDraft,
    Event,
    Heading,
    Status,
    check_complete,
    check_heading,
    check_target_date,
    clean_action_text,
    headings_for,
    may_edit,
    monitoring_bucket,
    submission_is_late,
    transition,
)

CAMPAIGN = default_campaign(2026, "Tinh thần trách nhiệm, năng động, sáng tạo")


@pytest.mark.parametrize(
    ("status", "event", "expected"),
    [
        (Status.DRAFT, Event.SUBMIT, Status.SUBMITTED),
        (Status.SUBMITTED, Event.APPROVE, Status.APPROVED),
        (Status.SUBMITTED, Event.RETURN, Status.RETURNED),
        (Status.RETURNED, Event.SUBMIT, Status.SUBMITTED),
        (Status.APPROVED, Event.REVISE, Status.DRAFT),
        (Status.DRAFT, Event.EDIT, Status.DRAFT),
        (Status.RETURNED, Event.EDIT, Status.RETURNED),
    ],
)
def test_allowed_transitions(status: Status, event: Event, expected: Status) -> None:
    assert transition(status, event) is expected


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (Status.APPROVED, Event.APPROVE),  # approving twice
        (Status.APPROVED, Event.EDIT),  # an approved commitment is locked
        (Status.APPROVED, Event.SUBMIT),
        (Status.SUBMITTED, Event.EDIT),
        (Status.SUBMITTED, Event.SUBMIT),
        (Status.RETURNED, Event.APPROVE),
        (Status.DRAFT, Event.APPROVE),
        (Status.DRAFT, Event.RETURN),
    ],
)
def test_refused_transitions_explain_themselves(status: Status, event: Event) -> None:
    with pytest.raises(Conflict) as raised:
        transition(status, event)
    with use_locale("vi"):
        text = raised.value.render()
    assert text and text != raised.value.message  # translated


def test_only_drafts_and_returned_are_editable() -> None:
    assert may_edit("draft") and may_edit("returned")
    assert not may_edit("submitted") and not may_edit("approved")


def test_a_draft_revising_an_approved_commitment_counts_as_approved() -> None:
    assert monitoring_bucket("draft", 1) is Status.APPROVED
    assert monitoring_bucket("draft", None) is Status.DRAFT
    assert monitoring_bucket("submitted", 1) is Status.SUBMITTED


def test_action_text_bounds() -> None:
    assert clean_action_text("  Đọc   sách về Bác  ") == "Đọc sách về Bác"
    assert len(clean_action_text("x" * ACTION_MIN)) == ACTION_MIN
    assert len(clean_action_text("y" * ACTION_MAX)) == ACTION_MAX
    for bad in ("", "   ", "x" * (ACTION_MIN - 1), "y" * (ACTION_MAX + 1), "/commit now please"):
        with pytest.raises(InvalidInput):
            clean_action_text(bad)


def test_too_short_says_how_many_characters() -> None:
    with pytest.raises(InvalidInput) as raised, use_locale("vi"):
        clean_action_text("ngắn")
    with use_locale("vi"):
        assert "4" in raised.value.render() and "10" in raised.value.render()


def test_target_date_within_the_campaign_year() -> None:
    assert check_target_date(CAMPAIGN, date(2026, 12, 31)) == date(2026, 12, 31)
    for outside in (date(2025, 12, 31), date(2027, 1, 1)):
        with pytest.raises(InvalidInput):
            check_target_date(CAMPAIGN, outside)


def test_headings_and_the_example_section() -> None:
    assert len(headings_for(False)) == 4 and Heading.EXAMPLE not in headings_for(False)
    assert headings_for(True)[-1] is Heading.EXAMPLE
    assert check_heading("ethics", False) is Heading.ETHICS
    with pytest.raises(InvalidInput):
        check_heading("example", False)
    with pytest.raises(InvalidInput):
        check_heading("sports", True)


def test_completeness() -> None:
    with pytest.raises(InvalidInput):
        check_complete([], False)
    check_complete([ActionDraft("ideology", "x" * 20)], False)
    with pytest.raises(InvalidInput):
        check_complete([ActionDraft("ideology", "x" * 20)], True)  # a head needs "example"
    check_complete([ActionDraft("example", "x" * 20)], True)


def test_lateness_is_after_the_deadline_day() -> None:
    assert not submission_is_late(CAMPAIGN, date(2026, 3, 31))
    assert submission_is_late(CAMPAIGN, date(2026, 4, 1))


def test_every_commitment_message_has_a_vietnamese_translation() -> None:
    """Each msgid in the commitment modules is translated in the vi catalog."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "locales/vi/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    missing = []
    # The packages (bot/services/commitments/, handlers/commitments/), the modules named
    # after commitments (rules, render) and the grading rules.
    modules = [
        *sorted((root / "bot").rglob("*commitment*/**/*.py")),
        *sorted((root / "bot").rglob("*commitment*.py")),
        *sorted((root / "handlers").rglob("*commitment*/**/*.py")),
        *sorted((root / "handlers").rglob("*commitment*.py")),
        root / "bot/rules/grading.py",
        root / "handlers/campaigns.py",
        root / "handlers/flow.py",
    ]
    assert len(modules) >= 5
    names = {str(module.relative_to(root)) for module in modules}
    assert {
        "bot/services/commitments/filing.py",
        "bot/services/commitments/yearend.py",
        "bot/render/commitment_notices.py",
        "handlers/commitments/review.py",
        "handlers/commitments/yearend.py",
    } <= names
    for module in modules:
        for _, message, _, _ in extract_from_file(
            "python", str(module), keywords={"gettext": None, "N_": None, "_": None}
        ):
            entry = catalog.get(message)
            if entry is None or not entry.string:
                missing.append((module, message))
    assert missing == []
