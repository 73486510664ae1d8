"""bot/rules/names.py: Vietnamese roster order."""

from __future__ import annotations

from bot.rules.names import name_key, sorted_by_name, word_key


def test_letters_follow_the_vietnamese_alphabet() -> None:
    words = ["Đặng", "Dương", "Giang", "Ân", "Ăn", "An", "Ơn", "Ôn", "On", "Ưng", "Ung", "Võ"]
    assert sorted(words, key=word_key) == [
        "An", "Ăn", "Ân", "Dương", "Đặng", "Giang", "On", "Ôn", "Ơn", "Ung", "Ưng", "Võ",
    ]  # fmt: skip


def test_tones_only_break_ties_in_dictionary_order() -> None:
    # ngang, huyền, hỏi, ngã, sắc, nặng
    assert sorted(["má", "mạ", "mà", "ma", "mả", "mã"], key=word_key) == [
        "ma", "mà", "mả", "mã", "má", "mạ",
    ]  # fmt: skip
    # A letter difference always outweighs a tone difference.
    assert word_key("ác") < word_key("ăn")


def test_rosters_sort_by_given_name_then_family_name() -> None:
    roster = [
        "Võ Minh Em",
        "Đặng Văn Phúc",
        "Nguyễn Văn An",
        "Trần Thị Bích",
        "Lê Hoàng Cường",
        "Phạm Thu Dung",
        "Đỗ Văn An",
        "Hồ Thị Giang",
    ]
    assert sorted_by_name(roster) == [
        "Đỗ Văn An",  # the same given name: Đ comes before N
        "Nguyễn Văn An",
        "Trần Thị Bích",
        "Lê Hoàng Cường",
        "Phạm Thu Dung",
        "Võ Minh Em",
        "Hồ Thị Giang",
        "Đặng Văn Phúc",
    ]


def test_case_spaces_and_odd_names_do_not_break_the_order() -> None:
    assert name_key("  nguyễn  văn AN ") == name_key("Nguyễn Văn An")
    assert name_key("") == ()
    assert sorted_by_name(["Zoë", "Anh", "Łukasz"]) == ["Anh", "Zoë", "Łukasz"]
    people = [{"name": "Võ Em"}, {"name": "Đặng An"}]
    assert sorted_by_name(people, lambda p: p["name"]) == [{"name": "Đặng An"}, {"name": "Võ Em"}]
