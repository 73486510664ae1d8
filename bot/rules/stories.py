"""Stories of the propaganda board: their tags, audiences and limits. Pure: no I/O.

An audience is one of:
- ``scope``: everyone in the board's scope (the unit the story is written in and below);
- ``units``: the members of chosen unit subtrees (each person once, however many they are in);
- ``role``: the holders of a role (secretaries, say) in the scope;
- ``mass_org``: the members of the mass-organisation branches in the scope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.render.text import has_control_characters, utf16_len

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MIN, BODY_MAX = 10, 12_000  # UTF-16 units, as Telegram counts; long bodies are split


class Tag(StrEnum):
    MODEL = "model"
    GOOD_DEED = "good_deed"
    HOLIDAY = "holiday"
    STUDY = "study"


TAG_LABELS = {
    Tag.MODEL: N_("Exemplary model"),
    Tag.GOOD_DEED: N_("Good people, good deeds"),
    Tag.HOLIDAY: N_("Holidays and anniversaries"),
    Tag.STUDY: N_("Study material"),
}


class AudienceKind(StrEnum):
    SCOPE = "scope"
    UNITS = "units"
    ROLE = "role"
    MASS_ORG = "mass_org"


AUDIENCE_ROLES = ("secretary", "deputy", "committee", "propaganda")
AUDIENCE_ROLE_LABELS = {
    "secretary": N_("Cell secretaries"),
    "deputy": N_("Deputy secretaries"),
    "committee": N_("Committee members"),
    "propaganda": N_("Propaganda board members"),
}


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind = AudienceKind.SCOPE
    unit_ids: tuple[int, ...] = field(default=())
    role: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"kind": self.kind.value, "unit_ids": list(self.unit_ids), "role": self.role}
        )

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text)
        return cls(AudienceKind(data["kind"]), tuple(data.get("unit_ids") or ()), data.get("role"))


def check_audience(audience: Audience) -> Audience:
    if audience.kind is AudienceKind.UNITS and not audience.unit_ids:
        raise InvalidInput(N_("Choose at least one unit for the audience."))
    if audience.kind is AudienceKind.ROLE and audience.role not in AUDIENCE_ROLES:
        raise InvalidInput(N_("Choose a role for the audience."))
    return audience


def clean_title(text: str) -> str:
    title = " ".join(text.split())
    _check_text(title, TITLE_MIN, TITLE_MAX, N_("The title must be {low} to {high} characters."))
    return title


def clean_body(html: str) -> str:
    """The body as Telegram HTML (from the message's entities, or converted Markdown)."""
    body = html.strip()
    _check_text(body, BODY_MIN, BODY_MAX, N_("The story must be {low} to {high} characters."))
    return body


def _check_text(text: str, low: int, high: int, message: str) -> None:
    if has_control_characters(text):
        raise InvalidInput(N_("The text contains invisible control characters; type it again."))
    if not low <= utf16_len(text) <= high:
        raise InvalidInput(message, low=low, high=high)


def current_status(status: str, send_at: datetime | None, now: datetime) -> str:
    """A scheduled story whose time has come is on its way: from then on it is sent (the
    outbox took it over; the stored status need not change for that)."""
    if status == "scheduled" and send_at is not None and send_at <= now:
        return "sent"
    return status


def stamp(fields: Iterable[object]) -> int:
    """A short fingerprint of what a story is (its text, audience, status and time), carried
    by the buttons under a preview: pressed after the story changed, they are refused instead
    of acting on something the person has not seen. 56 bits: it fits a button's id slot."""
    digest = hashlib.blake2b(digest_size=7)
    for value in fields:
        digest.update(repr(value).encode())
        digest.update(b"\x00")
    return int.from_bytes(digest.digest(), "big")
