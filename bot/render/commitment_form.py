"""The printed commitment form (bản cam kết), as a :class:`PartyDocument` and as DOCX.

The form is Vietnamese whatever the reader's language, as the paper form is. The service
gives the data (:class:`bot.services.commitments.CommitmentForm`); the handler and the CLI
call the builder here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Protocol

from bot.render.documents import PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.rules.commitments import headings_for
from storage.commitments import ActionRecord, VersionRecord
from storage.records import Campaign, Member, Unit

# A unit's name less its kind is the locality: "Thành ủy Cần Thơ" → "Cần Thơ".
PLACE_PREFIXES = ("Thành ủy ", "Tỉnh ủy ", "Đảng ủy ", "Quận ủy ", "Huyện ủy ", "Đảng bộ ")

VI_HEADINGS = {
    "ideology": "Về tư tưởng chính trị",
    "ethics": "Về phẩm chất đạo đức, lối sống",
    "discipline": "Về ý thức tổ chức kỷ luật",
    "tasks": "Về kết quả thực hiện chức trách, nhiệm vụ được giao",
    "example": "Trách nhiệm nêu gương của người đứng đầu",
}


class PrintableCommitment(Protocol):
    """What the form needs of a commitment (a ``CommitmentView`` has it): typed by shape,
    so that this builder does not depend on the service layer."""

    @property
    def campaign(self) -> Campaign: ...

    @property
    def member(self) -> Member: ...

    @property
    def unit(self) -> Unit | None: ...

    @property
    def actions(self) -> Sequence[ActionRecord]: ...

    @property
    def version(self) -> VersionRecord | None: ...


def place_of(root: Unit | None) -> str:
    """The place on the date line: the root unit's name without its kind."""
    name = root.name if root else ""
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def build_document(
    view: PrintableCommitment, ancestors: Sequence[Unit], today: date, tz: tzinfo
) -> PartyDocument:
    """The paper form: header, topic, actions by heading, the cell's confirmation.

    ``ancestors`` are the units above the member's, the root first; ``today`` is the date
    printed on the form; ``tz`` the organisation's time zone, in which the approval (stored
    in UTC) is dated.
    """
    unit = view.unit
    parent = ancestors[-1].name if ancestors else ""
    root = ancestors[0] if ancestors else unit
    member = view.member
    doc = PartyDocument(
        issuing_parent=parent,
        issuing_body=unit.name if unit else "",
        place_date=vietnamese_place_date(place_of(root), today),
        kind="BẢN CAM KẾT",
        subtitle=(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
            f"năm {view.campaign.year}"
        ),
    )
    doc.paragraph(f"Họ và tên: {member.full_name}")
    if member.position:
        doc.paragraph(f"Chức vụ: {member.position}")
    doc.paragraph(f"Chi bộ: {unit.name if unit else ''}")
    if parent:
        doc.paragraph(f"Đảng bộ: {parent}")
    doc.paragraph(f"Chuyên đề năm {view.campaign.year}: {view.campaign.topic}")
    doc.paragraph("Tôi xin cam kết thực hiện những nội dung sau:")
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
    # The confirmation belongs to the version printed: a revision under review is unconfirmed
    # even while an earlier version stands approved.
    approved = view.version if view.version and view.version.decision == "approved" else None
    doc.heading("XÁC NHẬN CỦA CHI BỘ")
    if approved is not None and approved.decided_at is not None:
        decided_on = approved.decided_at.astimezone(tz)
        doc.paragraph(
            f"Chi bộ đã duyệt bản cam kết ngày {decided_on.strftime('%d/%m/%Y')}"
            + (f" (đồng chí {approved.decided_by_name})." if approved.decided_by_name else ".")
        )
    else:
        doc.italic("(Chưa duyệt)")
    doc.signatures = [
        Signature("T/M CHI BỘ", note="(Ký, ghi rõ họ tên)"),
        Signature("NGƯỜI CAM KẾT", name=member.full_name, note="(Ký, ghi rõ họ tên)"),
    ]
    return doc


def commitment_docx(
    view: PrintableCommitment, ancestors: Sequence[Unit], today: date, tz: tzinfo
) -> bytes:
    """The form as a DOCX file's bytes."""
    return render_docx(build_document(view, ancestors, today, tz))
