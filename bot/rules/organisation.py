"""The names a unit goes by in Party documents. Pure functions: no I/O.

Hướng dẫn 36-HD/VPTW heads a document with the issuing body under its direct superior, the
superior named as a Party organisation: "ĐẢNG BỘ PHƯỜNG NINH KIỀU" above "CHI BỘ KHU VỰC 1".
So a unit has two names:

- its committee, which issues and signs: "Đảng ủy phường Ninh Kiều", "Thành ủy Cần Thơ";
- its Party organisation: "Đảng bộ phường Ninh Kiều", "Đảng bộ thành phố Cần Thơ".

A cell is both ("Chi bộ Khu vực 1"), and so is a party group. The stored name is the one the
unit signs with; the organisation's name is derived from it where the rule is regular
("Thành ủy X" → "Đảng bộ thành phố X", "Đảng ủy X" → "Đảng bộ X", …), and an imported
``org_name`` wins where it is given. Also here: the locality written on the date line, the
words of a confirmation ("T/M CHI BỘ" / "BÍ THƯ") and what members are called.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storage.records import Unit

COMMITTEE_KINDS = frozenset({"city_committee", "committee", "grassroots_committee"})
MASS_ORG = "mass_org_branch"

# A committee's word, and the words its Party organisation is named with.
_ORGANISATION_OF = {
    "thành ủy": "Đảng bộ thành phố",
    "tỉnh ủy": "Đảng bộ tỉnh",
    "quận ủy": "Đảng bộ quận",
    "huyện ủy": "Đảng bộ huyện",
    "thị ủy": "Đảng bộ thị xã",
    "đảng ủy": "Đảng bộ",
}
# Every word a unit's name may start with, saying what kind of body it is.
_BODY_WORDS = (*_ORGANISATION_OF, "đảng bộ", "chi bộ", "tổ đảng", "chi đoàn", "chi hội")
# The word of an administrative unit, left off the locality ("thành phố Cần Thơ" → "Cần Thơ").
_ADMINISTRATIVE = ("thành phố", "thị trấn", "thị xã", "tỉnh", "quận", "huyện", "phường", "xã")


def _fold(text: str) -> str:
    """Lower case, composed, with the old tone placement "uỷ" read as "ủy"."""
    return unicodedata.normalize("NFC", text).lower().replace("uỷ", "ủy")


def _strip_word(name: str, words: Sequence[str]) -> tuple[str, str]:
    """(the leading word as written, the rest) when ``name`` starts with one of ``words``
    followed by a space; ("", name) otherwise."""
    name = " ".join(unicodedata.normalize("NFC", name).split())
    folded = _fold(name)
    for word in sorted(words, key=len, reverse=True):
        if folded.startswith(word + " ") and len(name) > len(word) + 1:
            return name[: len(word)], name[len(word) + 1 :]
    return "", name


def split_name(name: str) -> tuple[str, str]:
    """The kind of body and its own name: "Chi bộ Khu vực 1" → ("Chi bộ", "Khu vực 1"),
    "Đảng bộ phường Ninh Kiều" → ("Đảng bộ", "phường Ninh Kiều"); ("", name) when the name
    does not start with a known word."""
    return _strip_word(name, _BODY_WORDS)


def organisation_name(name: str, kind: str, given: str | None = None) -> str:
    """The unit as a Party organisation: ``given`` (imported) when there is one; for a
    committee its Đảng bộ ("Quận ủy Bình Thủy" → "Đảng bộ quận Bình Thủy", "Đảng ủy phường
    Ninh Kiều" → "Đảng bộ phường Ninh Kiều"); every other unit keeps its name."""
    if given and given.strip():
        return " ".join(given.split())
    if kind not in COMMITTEE_KINDS:
        return " ".join(name.split())
    word, rest = _strip_word(name, tuple(_ORGANISATION_OF))
    if not word:
        return " ".join(name.split())
    return f"{_ORGANISATION_OF[_fold(word)]} {rest}"


def locality_of(name: str) -> str:
    """The place a body's name is of, as the date line writes it: "Thành ủy Cần Thơ" and
    "Đảng bộ thành phố Cần Thơ" → "Cần Thơ", "Đảng ủy phường 5" → "Phường 5" (a number keeps
    its word). "" when the name is not a committee's or an organisation's."""
    word, rest = _strip_word(name, (*_ORGANISATION_OF, "đảng bộ"))
    if not word:
        return ""
    admin, place = _strip_word(rest, _ADMINISTRATIVE)
    if admin and not place.replace(" ", "").isdigit():
        return place
    return rest[:1].upper() + rest[1:]


def collective(name: str) -> str:
    """The collective that signs for a unit ("T/M CHI BỘ", "T/M ĐẢNG ỦY", "T/M QUẬN ỦY"): the
    kind of body its name starts with, else the whole name."""
    word, _ = split_name(name)
    return word or " ".join(name.split())


def role_title(role: str, name: str, kind: str) -> str:
    """The signer's title under "T/M …": "Bí thư", "Phó Bí thư", and a committee member by
    the committee's name ("Chi ủy viên", "Đảng ủy viên", "Quận ủy viên"); "" for a role that
    does not sign for the unit."""
    word = _fold(split_name(name)[0])
    if kind == "party_group":
        return {"secretary": "Tổ trưởng", "deputy": "Tổ phó"}.get(role, "")
    if word == "chi hội":
        return {"secretary": "Chi hội trưởng", "deputy": "Chi hội phó"}.get(role, "")
    if role == "secretary":
        return "Bí thư"
    if role == "deputy":
        return "Phó Bí thư"
    if role == "committee":
        if kind == "cell":
            return "Chi ủy viên"
        if word in _ORGANISATION_OF:
            return f"{word.capitalize()} viên"
        return "Cấp ủy viên"
    return ""


def member_noun(kind: str, name: str = "") -> str:
    """What a unit's members are called: "đảng viên"; in a mass-organisation branch
    "đoàn viên" (Đoàn Thanh niên, Công đoàn) or "hội viên" (the associations)."""
    if kind != MASS_ORG:
        return "đảng viên"
    folded = _fold(name)
    if folded.startswith(("chi đoàn", "đoàn", "công đoàn")):
        return "đoàn viên"
    return "hội viên"


@dataclass(frozen=True)
class Letterhead:
    """The top left of a document and the place on its date line."""

    body: str  # the issuing unit, as it signs: "Chi bộ Khu vực 1", "Đảng ủy phường Ninh Kiều"
    organisation: str  # the issuing unit as an organisation: "Đảng bộ phường Ninh Kiều"
    superior: str  # its direct superior as an organisation; "" at the root
    locality: str  # the configured locality, else the root unit's; "" when unknown


def letterhead(
    unit: Unit,
    ancestors: Sequence[Unit],
    given: Mapping[int, str],
    configured_locality: str | None = None,
) -> Letterhead:
    """The letterhead of ``unit``; ``ancestors`` from the root down to its parent, ``given``
    the imported organisation names by unit id."""
    parent = ancestors[-1] if ancestors else None
    root = ancestors[0] if ancestors else unit
    return Letterhead(
        body=unit.name,
        organisation=organisation_name(unit.name, unit.kind, given.get(unit.id)),
        superior=(
            organisation_name(parent.name, parent.kind, given.get(parent.id)) if parent else ""
        ),
        locality=(configured_locality or "").strip() or locality_of(root.name),
    )
