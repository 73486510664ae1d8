"""bot/callbacks.py: the one codec for button data, and the table of every kind of button."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot import callbacks as cb
from bot.callbacks import BUTTONS, MAX_BYTES, Button, StaleButton, choice

BIGGEST_ID = 2**63 - 1


def _worst_values(button: Button) -> list[object]:
    values: list[object] = []
    for slot in button.slots:
        if slot.kind == "id":
            values.append(BIGGEST_ID)
        elif slot.kind == "date":
            values.append(date(9999, 12, 31))
        else:
            values.append(max(slot.choices, key=len))
    return values


@pytest.mark.parametrize("button", BUTTONS, ids=lambda b: b.name)
def test_every_button_fits_telegrams_64_bytes_at_its_largest(button: Button) -> None:
    assert button.worst_case_bytes <= MAX_BYTES
    data = button(*_worst_values(button))
    assert len(data.encode()) == button.worst_case_bytes
    assert button.parse(data) == tuple(_worst_values(button))


def test_no_two_kinds_of_button_accept_the_same_data() -> None:
    for button in BUTTONS:
        data = button(*_worst_values(button))
        takers = [other.name for other in BUTTONS if other.matches(data)]
        assert takers == [button.name], data


def test_round_trip_and_types() -> None:
    assert cb.RSVP_YES(12) == "ses:yes:12"
    assert cb.RSVP_YES.parse("ses:yes:12") == (12,)
    assert cb.PROPOSE(5, 2, "good") == "gp:5:2:good"
    assert cb.PROPOSE.parse("gp:5:2:good") == (5, 2, "good")
    data = cb.SESSION_EXPORT("xlsx", 3, date(2026, 1, 1), date(2026, 3, 31))
    assert data == "ses:exp:xlsx:3:20260101:20260331"
    assert cb.SESSION_EXPORT.parse(data) == ("xlsx", 3, date(2026, 1, 1), date(2026, 3, 31))
    assert re.match(cb.RSVP_YES.pattern, "ses:yes:12")
    assert not re.match(cb.RSVP_YES.pattern, "ses:yes:12:1")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "ses:yes",
        "ses:yes:",
        "ses:yes:abc",
        "ses:yes:-1",
        "ses:yes:99999999999999999999",  # 20 digits: more than any id
        "ses:yes:9223372036854775808",  # 2**63: over SQLite's integer
        "ses:yes:12:13",
        "ses:no:12",
        "gp:5:2:best",
        "cg:5:2:good",  # the grade button of the earlier flow (a grade given at once)
        "ses:exp:csv:3:20260231:20260331",  # 31 February
        "ses:exp:pdf:3:20260101:20260331",
    ],
)
def test_anything_else_is_a_stale_button(data: str | None) -> None:
    button = cb.SESSION_EXPORT if data and data.startswith("ses:exp") else cb.RSVP_YES
    if data and data.startswith(("cg", "gp")):
        button = cb.PROPOSE
    with pytest.raises(StaleButton):
        button.parse(data)


def test_bad_values_are_refused_when_building() -> None:
    with pytest.raises(ValueError):
        cb.RSVP_YES(-1)
    with pytest.raises(ValueError):
        cb.RSVP_YES("12")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cb.RSVP_YES(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cb.PROPOSE(1, 1, "best")
    with pytest.raises(ValueError):
        cb.RSVP_YES(1, 2)
    with pytest.raises(ValueError):
        choice("Not A Word")
    with pytest.raises(ValueError):
        Button("Bad Name")


def test_no_handler_parses_button_data_by_hand() -> None:
    """Button data is read through the codec only: no split(':') or regex of our own."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted([*(root / "handlers").rglob("*.py"), *(root / "bot").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        if ".data or" in text and 'split(":")' in text:
            offenders.append(path.name)
        if re.search(r'pattern=r?"\^', text):
            offenders.append(path.name)
    assert offenders == []


def test_a_pattern_for_one_value_of_the_first_slot() -> None:
    pattern = re.compile(cb.GO.pattern_for("commit"))
    assert pattern.match(cb.GO("commit", 0)) and pattern.match(cb.GO("commit", 2026))
    assert not pattern.match(cb.GO("commitments", 2026))
    assert not pattern.match("go:commit:x") and not pattern.match("go:commit:1:2")
    with pytest.raises(ValueError):
        cb.GO.pattern_for("nothing")
