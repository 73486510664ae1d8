"""Vietnamese order for people's names, as rosters are sorted.

A roster is sorted by given name (the last word), then family name (the first word), then
the middle names. Letters follow the Vietnamese alphabet, in which ă and â come after a,
đ after d, ê after e, ô and ơ after o, ư after u; the tone marks only break ties, in the
dictionary order: none, huyền, hỏi, ngã, sắc, nặng. So "Đặng" sorts after "Dương" and
before "Giang", and "Võ" after "Vân". Python's default order (by code point) puts every
accented letter after z.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

ALPHABET = [
    "a",
    "ă",
    "â",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "ê",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "ô",
    "ơ",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "ư",
    "v",
    "w",
    "x",
    "y",
    "z",
]
_LETTER = {letter: index for index, letter in enumerate(ALPHABET)}
# Marks that make another letter (breve, circumflex, horn) and those that are tones.
_SHAPES = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

WordKey = tuple[tuple[int, ...], tuple[int, ...]]


@lru_cache(maxsize=65536)
def word_key(word: str) -> WordKey:
    """(the letters, in the alphabet's order; the tones) of one word, case-insensitive."""
    letters: list[int] = []
    tones: list[int] = []
    for char in word.lower():
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        shape = "".join(mark for mark in marks if mark in _SHAPES)
        tone = next((_TONES[mark] for mark in marks if mark in _TONES), 0)
        letter = unicodedata.normalize("NFC", base + shape)
        if letter in _LETTER:
            letters.append(100 + _LETTER[letter])
        elif letter.isalnum():
            letters.append(1000 + ord(letter))  # a foreign letter: after the alphabet
        else:
            letters.append(ord(letter) % 100)  # spaces, hyphens, digits: before letters
        tones.append(tone)
    return tuple(letters), tuple(tones)


def name_key(full_name: str) -> tuple:
    """Sort key: given name, then family name, then middle names; tones break ties."""
    words = full_name.split()
    if not words:
        return ()
    given, family, middle = words[-1], words[0] if len(words) > 1 else "", words[1:-1]
    keys = [word_key(given), word_key(family), *(word_key(w) for w in middle)]
    return (tuple(k[0] for k in keys), tuple(k[1] for k in keys))


def match_key(full_name: str) -> tuple:
    """The key two spellings of one name share, for telling whether a typed name is a
    member's. Two names with equal :func:`name_key` have equal keys here; besides, the
    text is read in composed form (NFC: a name typed with combining marks is the same
    name), and each word keeps its tones but not their place in the word (a syllable has
    one tone, which "Hoà" and "Hòa", "Thuỷ" and "Thủy" put on different vowels). Case
    and spacing do not count; letters and tones do ("Lê" is not "Le")."""
    words = unicodedata.normalize("NFC", full_name).split()
    keys = [word_key(word) for word in words]
    return tuple((letters, tuple(tone for tone in tones if tone)) for letters, tones in keys)


def sorted_by_name(items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:
    """``items`` in roster order; ``name`` gives each item's full name."""
    return sorted(items, key=lambda item: name_key(name(item)))
