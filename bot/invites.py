"""Invite codes: how they look and when one may be used. Pure functions."""

from __future__ import annotations

import secrets
from datetime import date

from bot.i18n import N_
from storage.records import Invite

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return text.strip().upper().replace(" ", "").replace("-", "")


def invite_problem(invite: Invite | None, today: date) -> str | None:
    """Why this invite cannot be used today (a message id), or None when it can."""
    if invite is None:
        return N_("This invite code is not valid. Please check it, or ask your cell secretary.")
    if invite.revoked_at is not None:
        return N_(
            "This invite code has been withdrawn. Please ask your cell secretary for a new one."
        )
    if invite.expires_on is not None and today > invite.expires_on:
        return N_(
            "This invite code expired on {date}. Please ask your cell secretary for a new one."
        )
    if invite.uses >= invite.max_uses:
        return N_(
            "This invite code has already been used. Please ask your cell secretary for a new one."
        )
    return None


def deep_link(bot_username: str | None, code: str) -> str | None:
    return f"https://t.me/{bot_username}?start={code}" if bot_username else None
