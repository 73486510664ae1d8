"""bot/render/commitment_form.py (the printed form, read back with python-docx) and
bot/render/commitment_notices.py (the texts the service sends)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from docx import Document

from bot.context import Services
from bot.i18n import use_locale
from bot.render.commitment_form import build_document, commitment_docx
from bot.render.commitment_notices import decision_notice, grade_notice, submitted_notice
from bot.render.documents import document_date, vietnamese_place_date
from bot.rules.grading import Grade
from bot.rules.organisation import Letterhead
from bot.services.commitments import CommitmentForm, CommitmentView, Confirmation
from storage.commitments import ActionRecord, CommitmentRecord, VersionRecord
from storage.records import Campaign, Member, Unit
from tests.conftest import TIMEZONE
from tests.unit.commitment_helpers import ACTION, actor_for


def _header(document) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]


def _signatures(document) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for cell in document.tables[1].rows[0].cells for p in cell.paragraphs if p.text]


def test_the_date_line_has_leading_zeros_for_days_1_to_9_and_months_1_and_2() -> None:
    assert document_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert document_date(date(2022, 3, 10)) == "ngày 10 tháng 3 năm 2022"
    assert document_date(date(2026, 1, 31)) == "ngày 31 tháng 01 năm 2026"
    assert document_date(date(2026, 12, 9)) == "ngày 09 tháng 12 năm 2026"
    assert vietnamese_place_date("Cần Thơ", date(2026, 2, 5)) == (
        "Cần Thơ, ngày 05 tháng 02 năm 2026"
    )
    # Without a date of its own (a working copy), the paper form's blanks.
    assert vietnamese_place_date("", None, 2026) == "....., ngày ..... tháng ..... năm 2026"


async def test_a_secretarys_own_form_is_confirmed_by_the_level_that_approved_it(
    setup: Services, clock
) -> None:
    services = setup
    head = await actor_for(services, "DV001", 700001)  # CB-BT1's secretary, a unit head
    committee = await actor_for(services, "DV010", 700010)  # on the committee of QU-BT
    action = await services.commitments.add_action(head, "ideology", ACTION)
    await services.commitments.set_target(head, action.id, "30/06/2026")
    await services.commitments.add_action(head, "example", "Gương mẫu đi đầu trong công việc")
    view, _ = await services.commitments.submit(head)
    # Before its approval the level above is to confirm it.
    pending = build_document(await services.commitments.document(committee, view.commitment.id))
    texts = [text for _, text in pending.blocks]
    assert texts[texts.index("XÁC NHẬN CỦA QUẬN ỦY BẾN TRE XANH") + 1] == "(Chưa duyệt)"
    assert pending.place_date == "Phù Sa (thử nghiệm), ngày 10 tháng 3 năm 2026"  # submitted
    # 06:30 in Vietnam is 23:30 UTC the day before: the form must say the local day.
    clock.moment = datetime(2026, 3, 11, 6, 30, tzinfo=TIMEZONE)
    await services.commitments.decide(committee, view.commitment.id, 1, approve=True)
    clock.moment = datetime(2026, 12, 20, 9, 0, tzinfo=TIMEZONE)  # printed much later
    form = await services.commitments.document(committee, view.commitment.id)
    document = Document(io.BytesIO(commitment_docx(form)))

    assert _header(document) == [
        "ĐẢNG BỘ QUẬN BẾN TRE XANH",  # the superior as a Party organisation
        "CHI BỘ KHU PHỐ ĐÔNG HƯNG",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Phù Sa (thử nghiệm), ngày 11 tháng 3 năm 2026",  # the approval's local day
    ]
    date_line = document.tables[0].rows[0].cells[1].paragraphs[1].runs[0]
    assert date_line.italic
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:3] == [
        "BẢN CAM KẾT",
        "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh năm 2026",
        "-----",
    ]
    body = texts[texts.index("Họ và tên: Trần Thị Bích") :]
    assert body == [
        "Họ và tên: Trần Thị Bích",
        "Chức vụ: Bí thư chi bộ",
        "Đơn vị công tác: .....",  # not in the roster: left to be written by hand
        "Chi bộ: Khu phố Đông Hưng",
        "Đảng bộ: quận Bến Tre Xanh",
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
        "XÁC NHẬN CỦA QUẬN ỦY BẾN TRE XANH",
        "Quận ủy Bến Tre Xanh đã duyệt bản cam kết ngày 11/03/2026 (đồng chí Tô Văn Lực).",
    ]
    assert _signatures(document) == [
        "T/M QUẬN ỦY",
        "QUẬN ỦY VIÊN",  # the approver's role on the level that approved
        "Tô Văn Lực",
        "NGƯỜI CAM KẾT",
        "(Ký, ghi rõ họ tên)",
        "Trần Thị Bích",
    ]
    # Each run in the Normal style's font, unless it names its own.
    normal = document.styles["Normal"].font.name
    fonts = {run.font.name or normal for p in document.paragraphs for run in p.runs}
    assert fonts == {"Times New Roman"}


async def test_a_members_form_is_confirmed_by_the_cells_secretary_on_its_own_date(
    setup: Services, clock
) -> None:
    services = setup
    # An imported organisation name and work unit; the configured locality.
    await services.organisation.import_units(
        b"code,name,kind,parent_code,org_name\n"
        b"QU-BT,Qu\xe1\xba\xadn \xe1\xbb\xa7y B\xe1\xba\xbfn Tre Xanh,committee,TU-DEMO,"
        b"\xc4\x90\xe1\xba\xa3ng b\xe1\xbb\x99 Qu\xe1\xba\xadn B\xe1\xba\xbfn Tre\n",
        actor="test",
    )
    await services.organisation.import_members(
        "code,full_name,unit_code,status,position,work_unit\n"
        "DV002,Nguyễn Văn Đức,CB-BT1,official,Chuyên viên,UBND phường An Hòa\n".encode(),
        actor="test",
    )
    services.commitments.locality = "Cần Thơ"
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    clock.moment = datetime(2026, 2, 3, 20, 0, tzinfo=TIMEZONE)
    await services.commitments.add_action(member, "ideology", ACTION)
    view, _ = await services.commitments.submit(member)
    # Approved at 06:15 on 5 February local time (23:15 UTC on the 4th), printed in December.
    clock.moment = datetime(2026, 2, 5, 6, 15, tzinfo=TIMEZONE)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=TIMEZONE)
    form = await services.commitments.document(member, view.commitment.id)
    document = Document(io.BytesIO(commitment_docx(form)))
    assert _header(document) == [
        "ĐẢNG BỘ QUẬN BẾN TRE",  # imported: it wins over the derived name
        "CHI BỘ KHU PHỐ ĐÔNG HƯNG",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Cần Thơ, ngày 05 tháng 02 năm 2026",
    ]
    texts = [p.text for p in document.paragraphs if p.text]
    assert "Đơn vị công tác: UBND phường An Hòa" in texts
    assert "Đảng bộ: Quận Bến Tre" in texts
    confirmation = texts[texts.index("XÁC NHẬN CỦA CHI BỘ") + 1]
    assert confirmation == ("Chi bộ đã duyệt bản cam kết ngày 05/02/2026 (đồng chí Trần Thị Bích).")
    assert _signatures(document)[:3] == ["T/M CHI BỘ", "BÍ THƯ", "Trần Thị Bích"]


def _form_after_the_review(grade: str | None) -> CommitmentForm:
    """A form built by hand: the year-end self-assessment done, ``grade`` in force."""
    campaign = Campaign(1, 2026, "Nêu gương", date(2026, 3, 31), date(2026, 3, 31),
                        date(2026, 12, 1), date(2026, 12, 31))  # fmt: skip
    member = Member(2, "DV002", "Nguyễn Văn Đức", "official", "", False, "vi", 1, "active",
                    None, None)  # fmt: skip
    unit = Unit(4, "CB-1", "Chi bộ Khu vực 1", "cell", 2, "/1/2/4/")
    decided = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    version = VersionRecord(7, 3, 1, 4, decided, date(2026, 3, 1), False, "approved", 1,
                            "Nguyễn Văn An", decided, None)  # fmt: skip
    record = CommitmentRecord(3, 2, 1, 4, "approved", 1, 1, False, decided, grade,
                              80 if grade else None, None, None, None)  # fmt: skip
    actions = [
        ActionRecord(1, 7, "ideology", 1, "Đọc tác phẩm", None, "done", "Bài thu hoạch"),
        ActionRecord(2, 7, "ethics", 1, "Giúp đỡ hộ nghèo", None, "partly", None),
        ActionRecord(3, 7, "tasks", 1, "Hoàn thành kế hoạch", None, None, None),
    ]
    view = CommitmentView(campaign, member, unit, record, actions, [version], version)
    head = Letterhead("Chi bộ Khu vực 1", "Chi bộ Khu vực 1", "Đảng bộ phường Ninh Kiều", "")
    confirmation = Confirmation(unit, "secretary", "Nguyễn Văn An", date(2026, 3, 2), "An")
    return CommitmentForm(view, head, confirmation, date(2026, 3, 2))


def test_after_the_year_end_review_the_form_has_the_ratings_and_the_grade_in_force() -> None:
    with use_locale("en"):  # the form is Vietnamese whatever the reader's language
        doc = build_document(_form_after_the_review("good"))
    texts = [text for _, text in doc.blocks]
    assert texts[texts.index("Đọc tác phẩm") + 1] == (
        "Tự đánh giá: Đã hoàn thành; minh chứng: Bài thu hoạch."
    )
    assert texts[texts.index("Giúp đỡ hộ nghèo") + 1] == "Tự đánh giá: Hoàn thành một phần."
    assert texts[texts.index("Hoàn thành kế hoạch") + 1] == "Tự đánh giá: ....."
    grade = texts.index("KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CUỐI NĂM")
    assert texts[grade + 1] == "Xếp loại: Hoàn thành tốt nhiệm vụ (80 điểm)."
    assert grade < texts.index("XÁC NHẬN CỦA CHI BỘ")
    assert doc.place_date == "....., ngày 02 tháng 3 năm 2026"  # no locality known
    work_unit = texts.index("Đơn vị công tác: .....")
    assert texts[work_unit + 1 : work_unit + 3] == [
        "Chi bộ: Khu vực 1",
        "Đảng bộ: phường Ninh Kiều",
    ]
    ungraded = [text for _, text in build_document(_form_after_the_review(None)).blocks]
    assert "KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CUỐI NĂM" not in ungraded


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
