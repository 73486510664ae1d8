"""Hostile text: control characters, UTF-16 lengths and splitting HTML without breaking it.
Each split is checked by the fake server's parser, which fails the way Telegram does."""

from __future__ import annotations

import io
import random
from html import escape

import pytest

from bot.render.text import (
    has_control_characters,
    strip_control,
    utf16_len,
    visible_len,
)
from fake_telegram.html import parse_html
from fake_telegram.html import utf16_len as telegram_utf16_len
from handlers.replies import split_message


def _check(chunks: list[str], limit: int) -> str:
    """Each chunk parses as Telegram parses it and fits; the text they show together."""
    shown = []
    for chunk in chunks:
        plain, _ = parse_html(chunk)
        assert telegram_utf16_len(plain) <= limit
        assert plain.strip() or len(chunks) == 1
        shown.append(plain)
    return "".join(shown)


def _words(text: str) -> str:
    return "".join(text.split())


def test_control_characters_are_stripped_for_files_and_refused_at_the_door() -> None:
    assert strip_control("Nguyễn\x01 Văn\x07 An\x00\x1f\x7f\x85") == "Nguyễn Văn An"
    assert strip_control("dòng 1\ndòng 2\tcột\r\n") == "dòng 1\ndòng 2\tcột\r\n"
    assert strip_control("\ufffe\uffff\ud800") == ""
    assert has_control_characters("tên\x07") and has_control_characters("\x1b[31m")
    assert not has_control_characters("Dòng 1\nDòng 2\tcột\r\n😀 <b> & =1+2")


def test_lengths_count_as_telegram_counts() -> None:
    for text in ("", "abc", "Nguyễn", "😀", "a😀b🇻🇳", "\U0001f600" * 1000):
        assert utf16_len(text) == telegram_utf16_len(text)
    assert utf16_len("😀" * 1000) == 2000
    assert visible_len("<b>a &amp; b</b> &lt;i&gt;") == len("a & b <i>")
    assert visible_len("R&D") == 3  # a lone ampersand is text


def test_a_long_tagged_line_is_cut_with_its_tags_closed_and_reopened() -> None:
    lead_in = escape("Đảng viên <gương mẫu> & nêu gương. " * 200, quote=False)
    lines = ["<b>Sinh hoạt chuyên đề</b>", "Bài đề dẫn:\n<i>" + lead_in + "</i>", "Hết"]
    chunks = split_message(lines, 1000)
    assert len(chunks) > 5
    shown = _check(chunks, 1000)
    assert _words(shown) == _words(parse_html("\n".join(lines))[0])
    assert all(chunk.count("<i>") == chunk.count("</i>") for chunk in chunks)
    # Cut between words, never inside one.
    assert all(chunk.rstrip("</i>").endswith((" ", ".")) for chunk in chunks[1:-1])


def test_whole_lines_stay_together_when_they_fit() -> None:
    lines = [f"<b>Dòng {n}</b> " + "x" * 90 for n in range(100)]
    chunks = split_message(lines, 1000)
    _check(chunks, 1000)
    assert [line for chunk in chunks for line in chunk.split("\n")] == lines


def test_emoji_are_two_units_and_never_split() -> None:
    chunks = split_message(["😀" * 3000], 4096)
    assert len(chunks) == 2
    _check(chunks, 4096)
    assert "".join(chunks) == "😀" * 3000


def test_character_references_are_never_cut() -> None:
    chunks = split_message(["&lt;&amp;&gt;" * 500], 100)
    assert _check(chunks, 100) == "<&>" * 500


def test_an_empty_or_blank_input_is_one_message() -> None:
    assert split_message([]) == [""]
    assert split_message(["", "a", ""]) == ["a"]


@pytest.mark.parametrize("seed", range(40))
def test_random_html_always_parses_and_loses_nothing(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["a", " ", "ă", "😀", "<", ">", "&", "\n", "đ", "=", "\u200d"]
    lines = []
    for _ in range(rng.randint(1, 6)):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 5, 60, 700, 5000])))
        tag = rng.choice(["", "b", "i", "a", "nest"])
        if tag == "a":
            lines.append(f'<a href="https://x.vn/?a=1&amp;b=2">{escape(text)}</a> <i>x</i>')
        elif tag == "nest":
            lines.append(f"<b>đầu <i>{escape(text, quote=False)}</i> cuối</b>")
        elif tag:
            lines.append(f"<{tag}>{escape(text, quote=False)}</{tag}>")
        else:
            lines.append(escape(text, quote=False))
    limit = rng.choice([4096, 500, 37])
    shown = _check(split_message(lines, limit), limit)
    assert _words(shown) == _words(parse_html("\n".join(lines))[0])


def test_a_whole_party_document_is_stripped_and_then_renders() -> None:
    """The one line bot/render/documents.py needs: ``doc = strip_control_in(doc)`` at the top
    of ``render_docx``. Checked here without touching that module."""
    from docx import Document

    from bot.render.documents import PartyDocument, Signature, render_docx
    from bot.render.text import strip_control_in

    doc = PartyDocument(
        issuing_parent="ĐẢNG BỘ PHƯỜNG\x01 NINH KIỀU",
        issuing_body="CHI BỘ KHU VỰC 1",
        place_date="Cần Thơ, ngày 10 tháng 3 năm 2026",
        kind="BẢN CAM KẾT",
        blocks=[("bullet", "Đọc sách\x07 mỗi ngày"), ("paragraph", "Tab\tvà\nxuống dòng")],
        signatures=[Signature("NGƯỜI CAM KẾT", name="Trần\x0b Thị Bích")],
    )
    cleaned = strip_control_in(doc)
    assert doc.blocks[0][1] == "Đọc sách\x07 mỗi ngày"  # a copy: the original is untouched
    assert cleaned.blocks == [("bullet", "Đọc sách mỗi ngày"), ("paragraph", "Tab\tvà\nxuống dòng")]
    assert cleaned.signatures[0].name == "Trần Thị Bích"
    texts = [p.text for p in Document(io.BytesIO(render_docx(cleaned))).paragraphs]
    assert "- Đọc sách mỗi ngày" in texts


async def test_a_long_notice_goes_in_parts_with_its_buttons_on_the_last(services, fake_bot) -> None:
    """An invitation with a long lead-in and topic, queued and sent by the outbox: each part
    within Telegram's limit, none cutting the italic lead-in in a way Telegram would refuse,
    the answer buttons last."""
    from bot.delivery.templates import template
    from bot.services.notifications import Recipient

    lead_in = escape("Nêu gương <tự giác> & trách nhiệm. " * 140, quote=False)

    @template("test.long_invitation")
    def _long(params: dict):  # type: ignore[no-untyped-def]
        text = "<b>Giấy mời</b>\nChủ đề: " + "Đ" * 500 + "\nBài đề dẫn:\n<i>" + lead_in + "</i>"
        return text, [[("Tôi sẽ tham dự", "rsvp:yes:1")]]

    async with services.db.write() as store:
        queued = await services.notifications.queue(
            store, kind="test", template="test.long_invitation", to=[Recipient(4242)]
        )
    assert queued == 1
    sent = fake_bot.to(4242)
    assert len(sent) == 3  # the heading and topic, then the lead-in in two parts
    _check([m.text for m in sent], 4096)
    assert [m.reply_markup is not None for m in sent] == [False, False, True]


def test_a_document_with_control_characters_still_renders() -> None:
    from io import BytesIO

    from docx import Document

    from bot.render.documents import PartyDocument, render_docx

    doc = PartyDocument("ĐẢNG BỘ PHƯỜNG\x01", "CHI BỘ KHU VỰC 1", "Cần Thơ, ngày …", "BIÊN BẢN")
    doc.blocks.append(("text", "Đồng chí Nguyễn\x07 Văn An"))
    data = render_docx(doc)  # would raise "All strings must be XML compatible" unstripped
    text = "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)
    assert "Nguyễn Văn An" in text and "\x07" not in text


def test_control_characters_are_unicodes_cc_and_cs_less_newline_tab_and_return() -> None:
    """The door's test is one regex (issue 13): it must match Unicode's categories for
    every code point, as the per-character lookup it replaced did."""
    import unicodedata

    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t\r"
        assert has_control_characters(f"a{char}b") is expected, hex(code)
