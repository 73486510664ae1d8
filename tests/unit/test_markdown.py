"""bot/render/markdown.py: Markdown stories become the HTML Telegram accepts, never raw HTML."""

from __future__ import annotations

from bot.render.markdown import split_title, to_telegram_html
from fake_telegram.html import parse_html


def test_emphasis_links_and_code_become_telegram_tags() -> None:
    html = to_telegram_html(
        "Đồng chí **An** đã *giúp* bà con ~~cũ~~ [vùng lũ](https://example.vn/a?b=1&c=2) `mã`."
    )
    assert html == (
        "Đồng chí <b>An</b> đã <i>giúp</i> bà con <s>cũ</s> "
        '<a href="https://example.vn/a?b=1&amp;c=2">vùng lũ</a> <code>mã</code>.'
    )


def test_raw_html_and_unsafe_links_stay_text() -> None:
    html = to_telegram_html('<b onclick="x">đậm</b> & [bấm](javascript:alert(1)) [a](ftp://x)')
    assert "<b onclick" not in html
    assert html.startswith("&lt;b onclick=")
    assert "&amp;" in html and "<a " not in html
    assert "javascript" in html  # shown as text, not a link
    parse_html(html)  # Telegram would accept it


def test_blocks_become_chat_lines() -> None:
    source = (
        "## Kết quả\n\nĐoạn một\ndòng tiếp.\n\n- một\n- hai\n  - con\n\n3. ba\n4. bốn\n\n"
        "> trích dẫn\n\n```\ncode <x>\n```\n\n---\n\n![Ảnh lũ](http://x/y.png)"
    )
    assert to_telegram_html(source) == (
        "<b>Kết quả</b>\n\nĐoạn một\ndòng tiếp.\n\n• một\n• hai\n    • con\n\n3. ba\n4. bốn\n\n"
        "<blockquote>trích dẫn</blockquote>\n\n<pre>code &lt;x&gt;</pre>\n\n———\n\nẢnh lũ"
    )
    _plain, entities = parse_html(to_telegram_html(source))
    assert {e["type"] for e in entities} == {"bold", "blockquote", "pre"}


def test_the_leading_heading_is_the_title() -> None:
    title, rest = split_title("# Tấm gương **vượt lũ**\n\nNội dung *bài*.\n")
    assert title == "Tấm gương vượt lũ"
    assert to_telegram_html(rest) == "Nội dung <i>bài</i>."
    assert split_title("Không có tiêu đề.\n# Sau") == (None, "Không có tiêu đề.\n# Sau")


def test_a_quote_inside_a_quote_is_flattened_as_telegram_refuses_nesting() -> None:
    html = to_telegram_html("> a\n>\n> > b\n\nafter")
    assert html == "<blockquote>a\n\nb</blockquote>\n\nafter"
    assert html.count("<blockquote>") == html.count("</blockquote>") == 1
