"""bot/invites.py: invite code shape and when an invite may be used (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.i18n import gettext, use_locale
from bot.invites import (
    ALPHABET,
    CODE_LENGTH,
    deep_link,
    invite_problem,
    new_code,
    normalise_code,
)
from storage.records import Invite

TODAY = date(2026, 3, 10)
VALID = Invite(
    id=1,
    code="ABCD2345",
    member_id=None,
    unit_id=4,
    max_uses=3,
    uses=1,
    expires_on=date(2026, 3, 31),
    created_by="cli",
    created_at=datetime(2026, 3, 1, tzinfo=UTC),
    revoked_at=None,
)


def test_new_codes_use_the_unambiguous_alphabet() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) > 190
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)


def test_normalise_code() -> None:
    assert normalise_code(" abcd-2345 ") == "ABCD2345"
    assert normalise_code("abcd 2345") == "ABCD2345"
    assert normalise_code("\tab cd\n") == "ABCD"


def test_normalise_code_is_idempotent() -> None:
    code = new_code()
    assert normalise_code(code) == code
    assert normalise_code(code.lower()) == code
    assert normalise_code(f"{code[:4]}-{code[4:]}") == code


def test_valid_invite_has_no_problem() -> None:
    assert invite_problem(VALID, TODAY) is None
    assert invite_problem(replace(VALID, expires_on=None), TODAY) is None
    # The expiry date is the last valid day, inclusive.
    assert invite_problem(replace(VALID, expires_on=TODAY), TODAY) is None


@pytest.mark.parametrize(
    ("invite", "fragment"),
    [
        (None, "is not valid"),
        (replace(VALID, expires_on=date(2026, 3, 9)), "expired on {date}"),
        (replace(VALID, uses=3), "already been used"),
        (replace(VALID, uses=5), "already been used"),
        (replace(VALID, revoked_at=datetime(2026, 3, 2, tzinfo=UTC)), "withdrawn"),
    ],
    ids=["unknown", "expired", "used-up", "over-used", "revoked"],
)
def test_invite_problems(invite: Invite | None, fragment: str) -> None:
    problem = invite_problem(invite, TODAY)
    assert problem is not None and fragment in problem
    with use_locale("vi"):
        translated = gettext(problem)
    assert translated != problem and translated.strip()


def test_revoked_wins_over_other_problems() -> None:
    revoked = replace(
        VALID, revoked_at=datetime(2026, 3, 2, tzinfo=UTC), uses=3, expires_on=date(2026, 1, 1)
    )
    assert "withdrawn" in (invite_problem(revoked, TODAY) or "")


def test_deep_link() -> None:
    assert deep_link("cadre_bot", "ABCD2345") == "https://t.me/cadre_bot?start=ABCD2345"
    assert deep_link(None, "ABCD2345") is None
    assert deep_link("", "ABCD2345") is None
