"""/dossier end to end: a member types it and receives their year-end dossier as a DOCX
document; the secretary gets the whole cell in one file, one section per member; a member
naming someone else is refused with what to do instead; the operator writes one from the
CLI."""

from __future__ import annotations

import io

from docx import Document

from fake_telegram import BotMessage
from tests.e2e.conftest import Harness

AN, BICH, EM = 1001, 1002, 1005


async def _campaign(h: Harness) -> None:
    code, _, err = await h.cli(
        "campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm, năng động"
    )
    assert code == 0, err


def _docx(message: BotMessage) -> Document:
    assert message.kind == "document" and message.file_name.endswith(".docx"), message
    return Document(io.BytesIO(message.file_bytes))


async def test_a_member_types_dossier_and_receives_a_docx(org: Harness) -> None:
    h = org
    await _campaign(h)
    sent = await h.say(BICH, "/dossier")
    document = _docx(sent)
    assert sent.file_name == "ho-so-kiem-diem-2026-tran-thi-bich.docx"
    assert sent.plain_text == "Hồ sơ kiểm điểm cuối năm 2026: Trần Thị Bích."
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    assert header[:3] == ["ĐẢNG BỘ PHƯỜNG NINH KIỀU", "CHI BỘ KHU VỰC 1", "*"]
    texts = [p.text for p in document.paragraphs]
    assert "HỒ SƠ KIỂM ĐIỂM CUỐI NĂM 2026" in texts and "Đồng chí Trần Thị Bích" in texts
    assert "Chưa lập bản cam kết năm 2026." in texts

    # Someone else's, as a plain member: refused, saying what to do instead.
    refused = await h.say(BICH, "/dossier DV001")
    assert refused.kind == "text" and "/dossier" in refused.text
    assert "bí thư" in refused.text.lower()
    # Their own by code is theirs.
    assert (await h.say(BICH, "/dossier DV002 2026")).kind == "document"
    # A year without a campaign, and a year out of range: plain answers.
    assert "2031" in (await h.say(BICH, "/dossier 2031")).text
    assert "2000" in (await h.say(BICH, "/dossier 99999")).text


async def test_a_secretary_gets_the_cell_in_one_file(org: Harness) -> None:
    h = org
    await _campaign(h)
    sent = await h.say(AN, "/dossier cell CB-1")
    document = _docx(sent)
    assert sent.file_name == "ho-so-kiem-diem-2026-chi-bo-khu-vuc-1.docx"
    assert "4" in sent.plain_text and "Chi bộ Khu vực 1" in sent.plain_text
    assert len(document.sections) == 4
    member = await h.say(AN, "/dossier DV002")
    assert member.kind == "document" and "Trần Thị Bích" in member.plain_text
    # Another cell's secretary does not oversee CB-1.
    refused = await h.say(EM, "/dossier cell CB-1")
    assert refused.kind == "text" and "Chi bộ Khu vực 1" in refused.text


async def test_the_operator_writes_a_dossier_from_the_cli(org: Harness) -> None:
    h = org
    await _campaign(h)
    out = h.tmp_path / "out" / "dv002.docx"
    code, stdout, err = await h.cli(
        "dossier", "--member", "DV002", "--year", "2026", "--out", str(out)
    )
    assert code == 0, err
    assert str(out) in stdout
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert "Đồng chí Trần Thị Bích" in texts
    code, _, err = await h.cli("dossier", "--unit", "CB-1", "--year", "2026", "--out", str(out))
    assert code == 0, err
    assert len(Document(str(out)).sections) == 4
    code, _, err = await h.cli("dossier", "--member", "NOBODY", "--year", "2026")
    assert code == 2 and "NOBODY" in err
