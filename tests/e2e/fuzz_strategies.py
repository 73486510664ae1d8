"""Hypothesis strategies for hostile Telegram updates (see tests/e2e/test_fuzz.py).

Texts: random Unicode (right-to-left scripts and marks, zero-width characters, combining
marks, emoji, control characters), 4096-character texts, HTML and Markdown injection, SQL
meta-characters, numbers and dates at and beyond their bounds. Commands: every command of
``bot.commands.COMMANDS`` with its subcommands and garbage arguments. Buttons: the real data
of every kind in ``bot.callbacks.BUTTONS`` with other people's ids, ids from nowhere and
the largest ones, besides raw garbage data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from bot import callbacks as cb
from bot.commands import COMMANDS
from fake_telegram import DEFAULT_BOT_USERNAME

# A token no reply of the bot contains unless it echoes what the person typed.
MARK = "ZQX"
INJECTIONS = (
    f"<b>{MARK}</b>",
    f"<i>{MARK}",
    f"</b>{MARK}",
    f"<script>alert('{MARK}')</script>",
    f'<a href="https://evil.example">{MARK}</a>',
    f"<tg-spoiler>{MARK}</tg-spoiler>",
    f"&lt;{MARK}&gt; &amp; &#60;b&#62;",
    f"*{MARK}* _{MARK}_ `{MARK}` [{MARK}](https://evil.example) ```{MARK}```",
    f"**{MARK}** __{MARK}__ ~~{MARK}~~ ||{MARK}|| \\*",
)
# What the bot must never send as markup: the typed tags, unescaped.
UNESCAPED = (
    f"<b>{MARK}",
    f"<i>{MARK}",
    f"</b>{MARK}",
    "<script",
    '<a href="https://evil.example"',
    f"<tg-spoiler>{MARK}",
)
PIECES = (
    *INJECTIONS,
    "مرحبا بالعالم",  # Arabic, right to left
    "שלום עולם",  # Hebrew
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e",  # right-to-left and left-to-right marks
    "a\u200bb\u200c\u200d\u2060\ufeff",  # zero-width characters
    "e\u0301\u0308\u0323",  # combining marks
    "Z\u0351\u0368\u036b\u0300\u0324\u0330A\u0353\u0336L\u0334G\u0335O\u0315",  # "zalgo"
    "Đảng viên Nguyễn Thị Ánh Tuyết — phường Hưng Lợi",
    "👍🏽🇻🇳👨‍👩‍👧‍👦",
    "𝕳𝖊𝖑𝖑𝖔 \U0001f600",  # outside the BMP: two UTF-16 units each
    "'; DROP TABLE members;--",
    '" OR 1=1 --',
    "%_\\' \\\"",
    "Robert'); DELETE FROM commitments WHERE ('1'='1",
    "-1",
    "0",
    "2026",
    "99999999999999999999999",
    "9223372036854775808",
    "²³",
    "31/02/2026",
    "25/03/2026 19:30",
    "1/1/1900 25:61",
    "29/02/2100",
    "\n",
    "\t",
    "\r\n",
    "\x00\x07\x1b[31m",  # control characters: refused at the door
    "   ",
    "/",
    "@",
    "#",
)


@st.composite
def _long(draw: st.DrawFn) -> str:
    """About Telegram's limit: 4096 characters (some of them two UTF-16 units)."""
    piece = draw(st.sampled_from(("a", "ố", "👍", "<b>", "&", "word ", "\n", "ﷺ")))
    length = draw(st.sampled_from((4096, 4095, 4097, 2048)))
    return (piece * length)[:length]


texts = st.one_of(
    st.sampled_from(PIECES),
    st.lists(st.sampled_from(PIECES), min_size=2, max_size=6).map(" ".join),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.text(
        st.characters(categories=("Mn", "Me", "Cf", "Zs", "Lo", "So", "Sk")),
        min_size=1,
        max_size=30,
    ),
    _long(),
)

# Subcommands that take arguments of their own (as in the robustness sweep).
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "session": (
        "new",
        "list",
        "show",
        "edit",
        "cancel",
        "checkin",
        "close",
        "minutes",
        "report",
        "bridge",
        "deadline",
    ),
    "invite": ("unit", "unit CB-1", "DV003"),
    "calendar": ("add", "edit", "remove", "attach"),
    "story": ("new", "list", "show", "edit", "cancel", "stats"),
    "dossier": ("cell", "cell CB-1", "DV002", "2026"),
    "report": ("review", "chart", "export", "CB-1", "DU-NK 2026 Q1"),
    "nominations": ("decided",),
    "commitments": ("2026", "CB-1"),
    "grade": ("2026",),
}
NUMBERS = ("1", "2", "3", "0", "-1", "999999", "99999999999999999999999", "2026", "2101")


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from([spec.name for spec in COMMANDS] + ["nonexistent", "START"]))
    words = [f"/{name}" + draw(st.sampled_from(("", "", f"@{DEFAULT_BOT_USERNAME}", "@other")))]
    if sub := draw(st.sampled_from(("", *SUBCOMMANDS.get(name, ()))) | st.just("")):
        words.append(sub)
    for _ in range(draw(st.integers(0, 2))):
        words.append(draw(st.sampled_from(NUMBERS) | texts))
    return " ".join(words)


# Answers a guided step may be waiting for, so that walks get deep into the flows.
PLAUSIBLE = (
    "Nguyễn Văn Dũng",
    "Trần Thị Bích",
    "25/03/2026 19:30",
    "20/3 19:30",
    "20/03",
    "2026",
    "1976",
    "85",
    "1",
    "1 K",
    "DV002",
    "CB-1",
    "Hội trường khu vực 1",
    "Học tập và viết thu hoạch chuyên đề năm 2026 về tinh thần trách nhiệm",
    "Đồng chí đã giúp đỡ bà con vùng lũ suốt ba tháng liền.",
)
answers = st.one_of(st.sampled_from(PLAUSIBLE), st.sampled_from(PLAUSIBLE), texts)
walk_steps = st.lists(
    st.one_of(
        st.tuples(st.just("press_shown"), st.integers(0, 3)),
        st.tuples(st.just("press_shown"), st.integers(0, 30)),
        st.tuples(st.just("text"), answers),
    ),
    min_size=1,
    max_size=10,
)


def _slot(slot: cb.Slot, ids: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    if slot.kind == "id":
        return ids
    if slot.kind == "date":
        return st.dates(date(2000, 1, 1), date(2100, 12, 31))
    return st.sampled_from(slot.choices)


def _ids(known_ids: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(0, 12),
        st.sampled_from(known_ids),
        st.sampled_from((2**63 - 1, 2**31, 2026, 2100, 1999)),
        st.integers(0, 2**63 - 1),
    )


def forged(button: cb.Button, known_ids: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Well-formed data of one kind of button, with ids of anything (``known_ids``: the
    rows and people there are)."""
    ids = _ids(known_ids)
    return st.tuples(*[_slot(slot, ids) for slot in button.slots]).map(lambda v: button(*v))


def sample(button: cb.Button) -> str:
    """One well-formed datum of the kind (to match a handler's pattern against)."""
    values = [
        1 if s.kind == "id" else date(2026, 3, 20) if s.kind == "date" else s.choices[0]
        for s in button.slots
    ]
    return button(*values)


def button_data(known_ids: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Well-formed data of every kind of button with ids of anything, or raw garbage of up
    to 64 bytes."""
    any_kind = st.sampled_from(cb.BUTTONS).flatmap(lambda button: forged(button, known_ids))
    raw = st.text(min_size=1, max_size=64).filter(lambda data: len(data.encode()) <= 64)
    return st.one_of(any_kind, any_kind, raw)
