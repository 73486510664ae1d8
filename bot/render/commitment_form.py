"""The printed commitment form (bản cam kết), as a :class:`PartyDocument` and as DOCX.

The form is Vietnamese whatever the reader's language, as the paper form is. The service
gives the data (:class:`bot.services.commitments.CommitmentForm`: the version, the
letterhead, the confirmation and the form's own date); the handler calls the builder here.

    ĐẢNG BỘ PHƯỜNG NINH KIỀU              ĐẢNG CỘNG SẢN VIỆT NAM
        CHI BỘ KHU VỰC 1              Cần Thơ, ngày 05 tháng 02 năm 2026
               *
                          BẢN CAM KẾT
    Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh năm 2026
                             -----
    Họ và tên / Chức vụ / Đơn vị công tác / Chi bộ: Khu vực 1 / Đảng bộ: phường Ninh Kiều
    the topic, the actions by heading (with the self-rating after the year-end review),
    the grade in force, the confirmation, then T/M CHI BỘ / BÍ THƯ and NGƯỜI CAM KẾT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import gettext, use_locale
from bot.render.documents import BLANK, PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.rules.commitments import RATING_LABELS, Rating, headings_for
from bot.rules.grading import GRADE_LABELS, Grade
from bot.rules.organisation import collective, role_title, split_name

if TYPE_CHECKING:
    from bot.services.commitments import CommitmentForm, Confirmation

VI_HEADINGS = {
    "ideology": "Về tư tưởng chính trị",
    "ethics": "Về phẩm chất đạo đức, lối sống",
    "discipline": "Về ý thức tổ chức kỷ luật",
    "tasks": "Về kết quả thực hiện chức trách, nhiệm vụ được giao",
    "example": "Trách nhiệm nêu gương của người đứng đầu",
}
SIGN_NOTE = "(Ký, ghi rõ họ tên)"


def _vi(label: str) -> str:
    """A label of the rules (a grade, a self-rating) as WORDING.md has it in Vietnamese."""
    with use_locale("vi"):
        return gettext(label)


def _labelled(name: str, fallback: str) -> tuple[str, str]:
    """("Chi bộ", "Khu vực 1") from "Chi bộ Khu vực 1"; (fallback, name) for another name."""
    word, rest = split_name(name)
    return (word, rest) if word else (fallback, name)


def _unit_lines(doc: PartyDocument, form: CommitmentForm) -> None:
    """ "Chi bộ: Khu vực 1" and "Đảng bộ: phường Ninh Kiều" (the superior's organisation)."""
    head = form.letterhead
    if head is None:
        doc.paragraph(f"Chi bộ: {BLANK}")
        return
    label, own = _labelled(head.organisation, "Tổ chức đảng")
    doc.paragraph(f"{label}: {own}")
    if head.superior:
        above, rest = _labelled(head.superior, "Trực thuộc")
        doc.paragraph(f"{above}: {rest}" if above != label else f"Trực thuộc: {head.superior}")


def _confirmation(doc: PartyDocument, form: CommitmentForm) -> Signature:
    """The confirmation's heading and text; returns its signature block."""
    confirmation: Confirmation | None = form.confirmation
    if confirmation is None:
        doc.heading("XÁC NHẬN CỦA CHI BỘ")
        doc.italic("(Chưa duyệt)")
        return Signature("T/M CHI BỘ", role="BÍ THƯ")
    level = confirmation.unit
    own_level = form.view.unit is not None and level.id == form.view.unit.id
    body = collective(level.name)
    doc.heading(f"XÁC NHẬN CỦA {(body if own_level else level.name).upper()}")
    if confirmation.approved_on is not None:
        by = f" (đồng chí {confirmation.approved_by})" if confirmation.approved_by else ""
        doc.paragraph(
            f"{body if own_level else level.name} đã duyệt bản cam kết ngày "
            f"{confirmation.approved_on.strftime('%d/%m/%Y')}{by}."
        )
    else:
        doc.italic("(Chưa duyệt)")
    return Signature(
        f"T/M {body}",
        name=confirmation.name,
        role=role_title(confirmation.role, level.name, level.kind),
    )


def build_document(form: CommitmentForm) -> PartyDocument:
    """The paper form: header, topic, actions by heading, the year-end results when there
    are any, the confirmation and the signatures."""
    view = form.view
    member = view.member
    head = form.letterhead
    doc = PartyDocument(
        issuing_parent=head.superior if head else "",
        issuing_body=head.body if head else "",
        place_date=vietnamese_place_date(
            head.locality if head else "", form.dated, view.campaign.year
        ),
        kind="BẢN CAM KẾT",
        subtitle=(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
            f"năm {view.campaign.year}"
        ),
    )
    doc.paragraph(f"Họ và tên: {member.full_name}")
    doc.paragraph(f"Chức vụ: {member.position or BLANK}")
    doc.paragraph(f"Đơn vị công tác: {member.work_unit or BLANK}")
    _unit_lines(doc, form)
    doc.paragraph(f"Chuyên đề năm {view.campaign.year}: {view.campaign.topic}")
    doc.paragraph("Tôi xin cam kết thực hiện những nội dung sau:")
    record = view.commitment
    reviewed = (record is not None and record.self_review_at is not None) or any(
        a.self_rating for a in view.actions
    )
    for index, heading in enumerate(headings_for(member.is_head), start=1):
        doc.heading(f"{index}. {VI_HEADINGS[heading]}")
        actions = [a for a in view.actions if a.heading == heading]
        if not actions:
            doc.italic("(Không có nội dung)")
        for action in actions:
            suffix = (
                f" (thời hạn: {action.target_date.strftime('%d/%m/%Y')})"
                if action.target_date
                else ""
            )
            doc.bullet(action.text + suffix)
            if reviewed:
                rating = (
                    _vi(RATING_LABELS[Rating(action.self_rating)]) if action.self_rating else BLANK
                )
                evidence = f"; minh chứng: {action.evidence}" if action.evidence else ""
                doc.note(f"Tự đánh giá: {rating}{evidence}" + ("." if action.self_rating else ""))
    if record is not None and record.grade:
        doc.heading("KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CUỐI NĂM")
        points = f" ({record.points} điểm)" if record.points is not None else ""
        doc.paragraph(f"Xếp loại: {_vi(GRADE_LABELS[Grade(record.grade)])}{points}.")
    doc.signatures = [
        _confirmation(doc, form),
        Signature("NGƯỜI CAM KẾT", name=member.full_name, note=SIGN_NOTE),
    ]
    return doc


def commitment_docx(form: CommitmentForm) -> bytes:
    """The form as a DOCX file's bytes."""
    return render_docx(build_document(form))
