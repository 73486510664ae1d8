"""Good-deed nominations end to end: a member nominates with a photo through /nominate, the
propaganda board is alerted, opens it from /nominations, approves it and makes a story
draft; the story is sent, and the nominator is told of the approval and of the story. A
rejection with its reason reaches the nominator too; the yearly list is exported. A
nomination naming a member goes into that member's year-end dossier, until the operator
unlinks it."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from docx import Document

from bot.context import services_of
from fake_telegram import BotMessage
from tests.e2e.conftest import Harness

AN, BICH, GIANG = 1001, 1002, 1007
DEED = "Đồng chí đã lặn xuống kênh cứu hai em nhỏ bị đuối nước chiều 8/3, rồi lặng lẽ ra về."
PHOTO = b"\xff\xd8\xff\xe0 an invented photo"


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def _board(h: Harness) -> None:
    """Giang holds the propaganda board of DU-NK (the ward), over both cells."""
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err


async def _nominate(h: Harness, name: str, *, info: str | None, photo: bool) -> BotMessage:
    """Bích walks /nominate to the end; returns the bot's last answer."""
    ask = await h.say(BICH, "/nominate")
    assert "người tốt, việc tốt" in ask.plain_text and "họ và tên" in ask.text, ask.text
    ask_info = await h.say(BICH, name)
    assert "Bỏ qua" in [label for label, _ in ask_info.buttons]
    if info is None:
        ask_deed = await h.press(BICH, ask_info, "Bỏ qua")
    else:
        ask_deed = await h.say(BICH, info)
    assert "việc tốt" in ask_deed.text, ask_deed.text
    too_short = await h.say(BICH, "Tốt lắm")
    assert "quá ngắn" in too_short.text
    ask_unit = await h.say(BICH, DEED)
    assert [label for label, _ in ask_unit.buttons] == [
        "Chi bộ Khu vực 1",
        "Đảng ủy phường Ninh Kiều",
        "Thành ủy Cần Thơ",
    ]
    ask_photo = await h.press(BICH, ask_unit, "Chi bộ Khu vực 1")
    assert "ảnh" in ask_photo.text
    not_photo = await h.say(BICH, "ảnh đây")
    assert "Bỏ qua" in not_photo.text
    if photo:
        h.server.send_photo(BICH, PHOTO)
        summary = await h.server.next_message(BICH)
    else:
        summary = await h.press(BICH, ask_photo, "Bỏ qua")
    assert name in summary.plain_text and "Chi bộ Khu vực 1" in summary.plain_text
    assert ("Ảnh: có" if photo else "Ảnh: không có") in summary.plain_text
    assert _rows(h.db_path, "SELECT COUNT(*) FROM nominations WHERE nominee = '" + name + "'") == [
        (0,)
    ]  # nothing saved before the confirmation
    return await h.press(BICH, summary, "Gửi")


async def test_nominate_approve_make_a_story_and_tell_the_nominator(org: Harness) -> None:
    h = org
    await _board(h)
    done = await _nominate(h, "Nguyễn Văn Dũng", info="Tổ dân phố 5, phường Ninh Kiều", photo=True)
    assert "Đề xuất 1" in done.plain_text and "Chi bộ Khu vực 1" in done.plain_text, done.text
    # The board is alerted, with the photo and the decision buttons.
    alert = await h.server.next_message(GIANG)
    assert alert.kind == "photo", alert
    assert "Nguyễn Văn Dũng" in alert.plain_text and "Trần Thị Bích" in alert.plain_text
    assert "Duyệt" in [label for label, _ in alert.buttons]
    # An (a secretary, not the board) sees only their own list.
    mine = await h.say(AN, "/nominations")
    assert "chưa đề xuất" in mine.plain_text
    listed = await h.say(GIANG, "/nominations")
    assert "Nguyễn Văn Dũng" in listed.plain_text, listed.text
    card = await h.press(GIANG, listed, "1 · Nguyễn Văn Dũng")
    assert card.kind == "photo" and DEED in card.plain_text
    approved = await h.press(GIANG, card, "Duyệt")
    assert "đã được duyệt" in approved.plain_text, approved.text
    # Nobody of that name in the cell: the board is told the deed stays in nobody's dossier.
    assert "Không xác định được đồng chí nào mang tên này" in approved.plain_text
    # Pressing the alert's button again is refused plainly: decided already, by whom.
    query = h.server.press_button(GIANG, alert, button_text="Duyệt")
    again = await h.server.wait_callback_answer(query)
    assert "Hồ Thị Giang" in again.text, again
    await h.delivered()
    told = [
        m.plain_text for m in h.server.messages(BICH) if "đã được Ban Tuyên giáo" in (m.text or "")
    ]
    assert len(told) == 1 and "Nguyễn Văn Dũng" in told[0]
    made = await h.press(GIANG, approved, "Tạo bản nháp bài viết")
    assert "/story show" in made.plain_text and "/story edit" in made.plain_text, made.text
    (story_id,) = _rows(h.db_path, "SELECT story_id FROM nominations WHERE id = 1")[0]
    assert story_id is not None
    title, body, photo, tag = _rows(
        h.db_path, f"SELECT title, body, photo, tag FROM stories WHERE id = {story_id}"
    )[0]
    assert "Nguyễn Văn Dũng" in title and DEED in body and photo and tag == "good_deed"
    # The story is sent (through the service: /story is built elsewhere).
    services = services_of(h.app)
    giang = await services.registration.identify(GIANG)
    await services.stories.send_now(giang, story_id)
    await h.delivered()
    published = [
        m.plain_text
        for m in h.server.messages(BICH)
        if "đã được Ban Tuyên giáo đăng" in (m.plain_text or "")
    ]
    assert len(published) == 1 and "Nguyễn Văn Dũng" in published[0], published
    # The yearly list: approved, the story sent.
    out = h.tmp_path / "list.csv"
    code, _, err = await h.cli(
        "export", "nominations", "--unit", "DU-NK", "--year", "2026", "--out", str(out)
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8-sig")
    assert "Nguyễn Văn Dũng" in text and "Trần Thị Bích" in text and "Hồ Thị Giang" in text
    assert text.strip().splitlines()[-1].endswith(",có")
    code, _, err = await h.cli("export", "nominations", "--unit", "NOPE", "--year", "2026")
    assert code == 2 and "NOPE" in err


async def test_a_rejection_reaches_the_nominator_with_its_reason(org: Harness) -> None:
    h = org
    await _board(h)
    await _nominate(h, "Lê Thị Hoa", info=None, photo=False)
    alert = await h.server.next_message(GIANG)
    assert alert.kind != "photo" and "Lê Thị Hoa" in alert.plain_text
    ask = await h.press(GIANG, alert, "Không duyệt")
    assert "lý do" in ask.text, ask.text
    short = await h.say(GIANG, "Chưa")
    assert "quá ngắn" in short.text
    decided = await h.say(GIANG, "Chưa xác minh được sự việc với tổ dân phố <5>")
    assert "không được duyệt" in decided.plain_text, decided.text
    await h.delivered()
    told = [m for m in h.server.messages(BICH) if "không được" in (m.plain_text or "")]
    assert len(told) == 1
    assert "Chưa xác minh được sự việc với tổ dân phố <5>" in told[0].plain_text
    h.server.skip_pending(BICH)  # the notice, read above
    mine = await h.say(BICH, "/nominations")
    assert "Lê Thị Hoa" in mine.plain_text and "Không được duyệt" in mine.plain_text
    decided_list = await h.say(GIANG, "/nominations decided")
    assert "Lê Thị Hoa" in decided_list.plain_text
    assert _rows(h.db_path, "SELECT status, reason FROM nominations") == [
        ("rejected", "Chưa xác minh được sự việc với tổ dân phố <5>")
    ]


async def test_a_refusal_too_long_for_an_alert_is_said_in_the_chat(org: Harness) -> None:
    h = org
    await _board(h)
    await _nominate(h, "Lê Thị Hoa", info=None, photo=False)
    long_name = "Chi bộ " + "Khu dân cư số một phường Ninh Kiều " * 5
    with sqlite3.connect(h.db_path) as conn:
        conn.execute("UPDATE units SET name = ? WHERE code = 'CB-1'", (long_name.strip(),))
    # An, not on the board, forges the approve button on a message of theirs.
    last = await h.say(AN, "/help")
    h.server.press_button(AN, last, "nm:ok:1")
    refusal = await h.next_new(AN)
    assert "Khu dân cư số một" in refusal.plain_text and "/nominations" in refusal.plain_text
    assert _rows(h.db_path, "SELECT status FROM nominations") == [("submitted",)]


def _deeds(message: BotMessage) -> list[list[str]]:
    """The rows of the good deeds' section of a dossier sent as a DOCX."""
    assert message.kind == "document", message
    document = Document(io.BytesIO(message.file_bytes))
    texts = [p.text for p in document.paragraphs]
    section = texts.index("IV. NGƯỜI TỐT, VIỆC TỐT; BIỂU DƯƠNG, KHEN THƯỞNG")
    if texts[section + 1] == "(Không có)":
        return []
    [table] = [t for t in document.tables if t.rows[0].cells[1].text == "Việc tốt"]
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


async def test_an_approved_deed_goes_into_the_named_members_dossier(org: Harness) -> None:
    h = org
    await _board(h)
    code, _, err = await h.cli(
        "campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm, năng động"
    )
    assert code == 0, err
    await _nominate(h, "lê hoàng cường", info=None, photo=False)  # DV003, typed in lower case
    alert = await h.server.next_message(GIANG)
    approved = await h.press(GIANG, alert, "Duyệt")
    assert "đã được duyệt" in approved.plain_text, approved.text
    assert (
        "Việc tốt được ghi vào hồ sơ kiểm điểm cuối năm của đồng chí Lê Hoàng Cường (DV003)."
        in approved.plain_text
    ), approved.text
    # The secretary prints Cường's dossier: the deed is in it, approved today.
    [row] = _deeds(await h.say(AN, "/dossier DV003"))
    assert row[:2] == ["1", DEED] and row[2].startswith("Đã duyệt, biểu dương ngày ")
    assert _deeds(await h.say(AN, "/dossier DV004")) == []
    # The operator corrects it: it names nobody, and the dossier says so.
    code, out, err = await h.cli("nominations", "link", "--id", "1", "--unlink")
    assert code == 0 and "1" in out, err
    assert _deeds(await h.say(AN, "/dossier DV003")) == []
    code, out, err = await h.cli("nominations", "link", "--id", "1", "--member", "DV004")
    assert code == 0 and "Phạm Thu Dung" in out, err
    assert len(_deeds(await h.say(AN, "/dossier DV004"))) == 1
