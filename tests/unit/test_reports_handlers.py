"""handlers/reports: reading the words after /report, pages of long lists, the buttons'
data (which must read back whole), and the place the other report features plug in."""

from __future__ import annotations

import pytest

from bot import callbacks as cb
from bot.errors import InvalidInput
from handlers.reports import extras, view


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], (None, None, None)),
        (["2026"], (None, 2026, None)),
        (["2026", "h1"], (None, 2026, "h1")),
        (["Q3", "2025"], (None, 2025, "Q3")),
        (["CB-1", "2026", "M05"], ("CB-1", 2026, "M05")),
        (["cb-1"], ("cb-1", None, None)),
        (["H7"], (None, None, "H7")),  # read as a part: the period then says what is wrong
    ],
)
def test_words_in_any_order(words: list[str], expected: tuple) -> None:
    assert view.parse_args(words) == expected


@pytest.mark.parametrize(
    "words",
    [["CB-1", "CB-2"], ["Lorem", "ipsum"], ["1999"], ["99999999999999999999999"], ["0"]],
)
def test_what_cannot_be_read(words: list[str]) -> None:
    with pytest.raises(InvalidInput):
        view.parse_args(words)


def test_pages() -> None:
    items = list(range(75))
    assert view._page(items, 0) == (items[:30], 0, 3)
    assert view._page(items, 2) == (items[60:], 2, 3)
    assert view._page(items, 9) == (items[60:], 2, 3)  # a stale page: the last one
    assert view._page([], 0) == ([], 0, 1)


def test_labels_are_short_and_clean() -> None:
    assert view._label("Chi bộ\x01 Khu vực 1") == "Chi bộ Khu vực 1"
    long = view._label("Đảng bộ " + "rất dài " * 20)
    assert len(long) == view.LABEL_MAX and long.endswith("…")


def test_buttons_fit_and_read_back_whole() -> None:
    for button in (cb.REPORT_UNIT, cb.REPORT_MEMBERS, cb.REPORT_MEMBER):
        assert button.worst_case_bytes <= cb.MAX_BYTES
    big = 2**63 - 1
    assert cb.REPORT_UNIT.parse(cb.REPORT_UNIT(big, 2100, "m12", "99")) == (big, 2100, "m12", "99")
    # "1" begins "10", "11", ...: a choice reads whole, never its first characters.
    assert cb.REPORT_MEMBERS.parse("rp:m:7:2026:y:10") == (7, 2026, "y", "10")
    assert cb.REPORT_MEMBER.parse("rp:p:7:2026:q1") == (7, 2026, "q1")
    assert not cb.REPORT_UNIT.matches("rp:u:7:2026:q9:0")
    assert not cb.REPORT_UNIT.matches("rp:u:7:2026:y:100")


def test_features_plug_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extras, "SUBCOMMANDS", {})
    monkeypatch.setattr(extras, "OVERVIEW_BUTTONS", [])

    @extras.subcommand("Chart", "the chart", usage="[YEAR]")
    async def chart(update, context, args):  # type: ignore[no-untyped-def]
        return None

    @extras.overview_buttons
    def button(overview):  # type: ignore[no-untyped-def]
        return [("Chart", "x")]

    assert extras.SUBCOMMANDS["chart"].run is chart
    assert extras.SUBCOMMANDS["chart"].usage == "[YEAR]"
    assert [button] == extras.OVERVIEW_BUTTONS
