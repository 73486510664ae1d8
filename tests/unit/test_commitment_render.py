"""bot/render/commitment_form.py (the printed form, read back with python-docx) and
bot/render/commitment_notices.py (the texts the service sends)."""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document

from bot.context import Services
from bot.i18n import use_locale
from bot.render.commitment_form import commitment_docx, place_of
from bot.render.commitment_notices import decision_notice, grade_notice, submitted_notice
from bot.rules.grading import Grade
from storage.records import Unit
from tests.conftest import TIMEZONE
from tests.unit.commitment_helpers import ACTION, actor_for


def _unit(name: str) -> Unit:
    return Unit(id=1, code="X", name=name, kind="committee", parent_id=None, path="/1/")


def test_the_place_is_the_root_units_name_without_its_kind() -> None:
    assert place_of(_unit("Thành ủy Cần Thơ")) == "Cần Thơ"
    assert place_of(_unit("Đảng ủy phường Ninh Kiều")) == "phường Ninh Kiều"
    assert place_of(_unit("Chi bộ Khu vực 1")) == "Chi bộ Khu vực 1"
    assert place_of(None) == ""


async def test_the_form_read_back_and_the_approval_dated_in_local_time(
    setup: Services, clock
) -> None:
    services = setup
    head = await actor_for(services, "DV001", 700001)
    committee = await actor_for(services, "DV010", 700010)
    # 06:30 in Vietnam is 23:30 UTC the day before: the form must say the local day.
    clock.moment = datetime(2026, 3, 11, 6, 30, tzinfo=TIMEZONE)
    action = await services.commitments.add_action(head, "ideology", ACTION)
    await services.commitments.set_target(head, action.id, "30/06/2026")
    await services.commitments.add_action(head, "example", "Gương mẫu đi đầu trong công việc")
    view, _ = await services.commitments.submit(head)
    await services.commitments.decide(committee, view.commitment.id, 1, approve=True)
    form = await services.commitments.document(committee, view.commitment.id)
    data = commitment_docx(form.view, form.ancestors, form.printed_on, form.tz)
    document = Document(io.BytesIO(data))

    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    assert header == [
        "QUẬN ỦY BẾN TRE XANH",
        "CHI BỘ KHU PHỐ ĐÔNG HƯNG",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Phù Sa (thử nghiệm), ngày 11 tháng 3 năm 2026",
    ]
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:2] == [
        "BẢN CAM KẾT",
        "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh năm 2026",
    ]
    body = texts[texts.index("Họ và tên: Trần Thị Bích") :]
    assert body == [
        "Họ và tên: Trần Thị Bích",
        "Chức vụ: Bí thư chi bộ",
        "Chi bộ: Chi bộ Khu phố Đông Hưng",
        "Đảng bộ: Quận ủy Bến Tre Xanh",
        "Chuyên đề năm 2026: Tinh thần trách nhiệm, năng động, sáng tạo",
        "Tôi xin cam kết thực hiện những nội dung sau:",
        "1. Về tư tưởng chính trị",
        f"- {ACTION} (thời hạn: 30/06/2026)",
        "2. Về phẩm chất đạo đức, lối sống",
        "(Không có nội dung)",
        "3. Về ý thức tổ chức kỷ luật",
        "(Không có nội dung)",
        "4. Về kết quả thực hiện chức trách, nhiệm vụ được giao",
        "(Không có nội dung)",
        "5. Trách nhiệm nêu gương của người đứng đầu",  # a head's section
        "- Gương mẫu đi đầu trong công việc",
        "XÁC NHẬN CỦA CHI BỘ",
        "Chi bộ đã duyệt bản cam kết ngày 11/03/2026 (đồng chí Tô Văn Lực).",
    ]
    signatures = [p.text for cell in document.tables[1].rows[0].cells for p in cell.paragraphs]
    assert signatures[0] == "T/M CHI BỘ" and "NGƯỜI CAM KẾT" in signatures
    assert signatures[-1] == "Trần Thị Bích"
    fonts = {run.font.name for p in document.paragraphs for run in p.runs}
    assert fonts == {"Times New Roman"}


def test_the_notices_in_each_language_with_peoples_text_escaped() -> None:
    with use_locale("vi"):
        text, buttons = submitted_notice("Lê <Văn> A", 2026)
        assert text == (
            "Đồng chí Lê &lt;Văn&gt; A đã nộp bản cam kết năm 2026. Gửi /pending để duyệt."
        )
        assert buttons is None
        approved, _ = decision_notice("Bích", 2026, "An", approved=True, comment=None)
        assert approved == "Bản cam kết năm 2026 của đồng chí Bích đã được đồng chí An duyệt."
    with use_locale("en"):
        returned, _ = decision_notice(
            "Bích", 2026, "An & Co", approved=False, comment="Add <dates>"
        )
        assert "returned for revision by comrade An &amp; Co" in returned
        assert "<i>Add &lt;dates&gt;</i>" in returned and "/commit" in returned
        first, _ = grade_notice(2026, Grade.GOOD, previous=None, points=80, comment="Well <done>")
        assert first.split("\n") == [
            "Your year-end grade for 2026: <b>Good</b>",
            "Points: 80",
            "Comment: Well &lt;done&gt;",
        ]
        changed, _ = grade_notice(
            2026, Grade.FULFILLED, previous=Grade.GOOD, points=None, comment="Corrected"
        )
        assert "changed to <b>Fulfilled</b> (previously: Good)" in changed
        assert "Points" not in changed
        decided, _ = grade_notice(
            2026, Grade.GOOD, previous=None, points=85, comment="Tốt", decided_by="Đảng ủy <A>"
        )
        assert decided.split("\n")[:2] == [
            "Your year-end grade for 2026: <b>Good</b>",
            "Decided by: Đảng ủy &lt;A&gt;",
        ]
