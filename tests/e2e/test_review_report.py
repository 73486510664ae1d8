"""/report review over HTTP: a committee member asks for the year-end review's figures and
receives the DOCX; a cell secretary asking for the committee's is refused."""

from __future__ import annotations

import io

from docx import Document

from tests.e2e.conftest import Harness
from tests.e2e.test_reports import AN, GIANG, filed  # noqa: F401 - the fixture


async def test_a_committee_member_receives_the_review_as_a_docx(filed: Harness) -> None:  # noqa: F811
    h = filed
    h.server.send_text(GIANG, "/report review 2026")
    sent = await h.next_new(GIANG)
    assert sent.kind == "document", sent
    assert sent.file_name == "tong-ket-2026-DU-NK.docx"
    assert "Tổng kết 2026" in sent.text and "Đảng ủy phường Ninh Kiều" in sent.text
    assert sent.file_bytes is not None
    document = Document(io.BytesIO(sent.file_bytes))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Số liệu tổng kết năm 2026" in text

    refused = await h.say(AN, "/report review 2026 H1 DU-NK")
    assert "không thuộc phạm vi đồng chí phụ trách" in refused.text, refused.text
    assert "Số liệu" not in refused.text and refused.kind == "text"
    wrong = await h.say(GIANG, "/report review")
    assert "/report review 2026" in wrong.text
