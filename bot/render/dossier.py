"""The year-end dossier (hồ sơ kiểm điểm cuối năm) as a Party document, from the data the
dossier service gathers (:class:`bot.services.reports.dossier.Dossier`). Vietnamese whatever
the reader's language, as the commitment form and the minutes are.

    ĐẢNG BỘ QUẬN BẾN TRE XANH             ĐẢNG CỘNG SẢN VIỆT NAM
    CHI BỘ KHU PHỐ ĐÔNG HƯNG          Phù Sa, ngày 05 tháng 12 năm 2026
               *
                  HỒ SƠ KIỂM ĐIỂM CUỐI NĂM 2026
                     Đồng chí Nguyễn Văn Đức
                             -----
    I. THÔNG TIN ĐẢNG VIÊN: name, code, status, position, work unit, cell, organisation
    II. THỰC HIỆN BẢN CAM KẾT: the version in force, a table of the actions by heading with
        the self-ratings and evidence
    III. THAM GIA SINH HOẠT: the counts, a table of the year's closed sessions with the
        mark and the reason
    IV. NGƯỜI TỐT, VIỆC TỐT; BIỂU DƯƠNG, KHEN THƯỞNG: the good deeds the member was
        nominated for in the year (approved, or waiting), whether a story was made of it
    V. ĐÁNH GIÁ, XẾP LOẠI: every proposal and decision in a table, the grade in force,
        the remarks of a temporary cell
    then T/M CHI BỘ / BÍ THƯ and the member's signature.

A cell's file holds each member's dossier from the top of a new page, one section each.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.i18n import gettext, use_locale
from bot.render.commitment_form import VI_HEADINGS
from bot.render.documents import (
    BLANK,
    PartyDocument,
    Signature,
    render_docx,
    render_many_docx,
    vietnamese_place_date,
)
from bot.render.exports import file_name
from bot.render.minutes import VI_KIND
from bot.rules.commitments import RATING_LABELS, Rating, Status, headings_for
from bot.rules.grading import GRADE_LABELS, Grade
from bot.rules.organisation import MASS_ORG, collective, member_noun, role_title, split_name
from bot.rules.sessions import Mark

if TYPE_CHECKING:
    from bot.services.reports.dossier import Dossier, GradeStep, NominationLine, SessionLine

TITLE = "HỒ SƠ KIỂM ĐIỂM CUỐI NĂM"
SIGN_NOTE = "(Ký, ghi rõ họ tên)"
STATUS_VI = {
    "official": "Đảng viên chính thức",
    "probationary": "Đảng viên dự bị",
    "temporary": "Sinh hoạt tạm thời",
    "exempt": "Miễn sinh hoạt",
}
COMMITMENT_VI = {
    Status.DRAFT: "Bản nháp",
    Status.SUBMITTED: "Đã nộp, chờ duyệt",
    Status.RETURNED: "Trả lại để chỉnh sửa",
    Status.APPROVED: "Đã duyệt",
}
MARK_VI = {
    Mark.PRESENT: "Có mặt",
    Mark.EXCUSED: "Vắng có lý do",
    Mark.ABSENT: "Vắng không lý do",
}
LATE_VI = {
    "confirmed": "Báo cáo tham dự sau giờ điểm danh, đã được xác nhận",
    "rejected": "Báo cáo tham dự sau giờ điểm danh, không được xác nhận",
    "pending": "Báo cáo tham dự sau giờ điểm danh, chưa được xác nhận",
}
# Column widths (cm) within the 16 cm between the margins.
ACTION_WIDTHS = [1.0, 6.5, 2.3, 2.7, 3.5]
SESSION_WIDTHS = [1.0, 2.4, 5.6, 3.0, 4.0]
GRADE_WIDTHS = [3.4, 2.4, 2.8, 2.9, 1.3, 3.2]
DEED_WIDTHS = [1.0, 10.0, 5.0]


def _vi(label: str) -> str:
    """A label of the rules (a grade, a self-rating) as WORDING.md has it in Vietnamese."""
    with use_locale("vi"):
        return gettext(label)


def _day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _labelled(name: str, fallback: str) -> tuple[str, str]:
    """("Chi bộ", "Khu vực 1") from "Chi bộ Khu vực 1"; (fallback, name) for another name."""
    word, rest = split_name(name)
    return (word, rest) if word else (fallback, name)


def _noun(d: Dossier) -> str:
    """What the member is called: "đảng viên", or in a mass-organisation branch "đoàn
    viên" / "hội viên"."""
    unit = d.issuer or d.unit
    return member_noun(unit.kind, unit.name) if unit else "đảng viên"


def _grade_label(grade: str, points: int | None) -> str:
    label = _vi(GRADE_LABELS[Grade(grade)])
    return f"{label} ({points} điểm)" if points is not None else label


# The sections -----------------------------------------------------------------------------------


def _member(doc: PartyDocument, d: Dossier) -> None:
    member, noun = d.member, _noun(d)
    doc.heading(f"I. THÔNG TIN {noun.upper()}")
    doc.paragraph(f"Họ và tên: {member.full_name}")
    if member.code:
        doc.paragraph(f"Mã số: {member.code}")
    unit = d.issuer or d.unit
    if unit is not None and unit.kind == MASS_ORG and member.status in ("official", "probationary"):
        status = noun.capitalize()
    else:
        status = STATUS_VI.get(member.status, member.status)
    doc.paragraph(f"Tình trạng: {status}")
    doc.paragraph(f"Chức vụ: {member.position or BLANK}")
    doc.paragraph(f"Đơn vị công tác: {member.work_unit or BLANK}")
    head = d.letterhead
    if head is None:
        doc.paragraph(f"Chi bộ: {BLANK}")
    else:
        label, own = _labelled(head.organisation, "Tổ chức đảng")
        doc.paragraph(f"{label}: {own}")
        if head.superior:
            above, rest = _labelled(head.superior, "Trực thuộc")
            doc.paragraph(f"{above}: {rest}" if above != label else f"Trực thuộc: {head.superior}")
    if d.temporary:
        if d.unit is not None:
            doc.paragraph(f"Nơi sinh hoạt tạm thời: {d.unit.name}")
        if d.official is None:
            doc.italic(
                "Chi bộ nơi đồng chí sinh hoạt chính thức chưa có trên hệ thống; đồng chí được "
                "đánh giá, xếp loại tại chi bộ đó."
            )
    if d.exempt:
        doc.italic(
            "Đồng chí được miễn sinh hoạt: không tính vào tỷ lệ tham gia sinh hoạt, không "
            "đánh giá, xếp loại trong thời gian miễn sinh hoạt."
        )
    doc.paragraph(f"Chuyên đề năm {d.year}: {d.campaign.topic}")


def _commitment(doc: PartyDocument, d: Dossier) -> None:
    doc.heading("II. THỰC HIỆN BẢN CAM KẾT")
    part = d.commitment
    if part is None:
        doc.italic(f"Chưa lập bản cam kết năm {d.year}.")
        return
    if part.version is None:
        doc.italic(f"Bản cam kết năm {d.year} chưa được nộp (đang soạn).")
        return
    state = COMMITMENT_VI[part.status]
    details = [f"bản số {part.version.number}", f"nộp ngày {_day(part.version.submitted_on)}"]
    if part.version.late:
        details.append("nộp muộn")
    if part.approved_on:
        details.append(f"duyệt ngày {_day(part.approved_on)}")
    doc.paragraph(f"Bản cam kết: {state} ({', '.join(details)}).")
    rows: list[list[str]] = []
    spans: list[int] = []
    number = 0
    for index, heading in enumerate(headings_for(d.member.is_head), start=1):
        actions = [a for a in part.actions if a.heading == heading]
        spans.append(len(rows))
        rows.append([f"{index}. {VI_HEADINGS[heading]}"])
        if not actions:
            rows.append(["", "(Không có nội dung)", "", "", ""])
        for action in actions:
            number += 1
            rating = _vi(RATING_LABELS[Rating(action.self_rating)]) if action.self_rating else ""
            rows.append(
                [
                    str(number),
                    action.text,
                    _day(action.target_date),
                    rating,
                    action.evidence or "",
                ]
            )
    doc.table(
        ["TT", "Nội dung cam kết", "Thời hạn", "Tự đánh giá", "Minh chứng"],
        rows,
        widths=ACTION_WIDTHS,
        spans=spans,
    )
    if part.self_reviewed_on:
        doc.paragraph(f"Đồng chí đã tự đánh giá xong ngày {_day(part.self_reviewed_on)}.")
    else:
        doc.italic("Đồng chí chưa tự đánh giá đủ các nội dung cam kết.")


def _session_note(line: SessionLine) -> str:
    notes = []
    if line.reason:
        notes.append(line.reason)
    if line.declined:
        notes.append(f"Báo vắng trước: {line.declined}")
    if line.late:
        notes.append(LATE_VI.get(line.late, ""))
    return "; ".join(note for note in notes if note)


def _sessions(doc: PartyDocument, d: Dossier) -> None:
    doc.heading("III. THAM GIA SINH HOẠT")
    if not d.sessions:
        doc.italic(f"Không có buổi sinh hoạt nào đã kết thúc trong năm {d.year} mời đồng chí.")
        return
    exempt = len(d.sessions) - len(d.counted)
    counts = (
        f"Số buổi sinh hoạt trong năm {d.year} (đã kết thúc): {len(d.sessions)}; có mặt: "
        f"{d.present}; vắng có lý do: {d.excused}; vắng không lý do: {d.absent}"
    )
    doc.paragraph(counts + (f"; miễn sinh hoạt: {exempt}." if exempt else "."))
    if d.counted:
        doc.paragraph(f"Tỷ lệ tham gia: {round(100 * d.present / len(d.counted))}%.")
    rows = []
    for number, line in enumerate(d.sessions, start=1):
        kind = VI_KIND.get(line.session.kind, line.session.kind)
        mark = "Miễn sinh hoạt" if line.exempt else MARK_VI[line.mark]
        rows.append(
            [
                str(number),
                line.starts_at.strftime("%d/%m/%Y"),
                f"{kind}: {line.session.topic}",
                line.unit.name,
                f"{mark}. {_session_note(line)}" if _session_note(line) else mark,
            ]
        )
    doc.table(["TT", "Ngày", "Buổi sinh hoạt", "Đơn vị", "Tham gia"], rows, widths=SESSION_WIDTHS)


def _deed_outcome(line: NominationLine) -> str:
    if not line.approved:
        return f"Đề xuất ngày {_day(line.on)}, đang chờ xem xét"
    story = "; đã có bài viết tuyên truyền" if line.story else ""
    return f"Đã duyệt, biểu dương ngày {_day(line.on)}{story}"


def _nominations(doc: PartyDocument, d: Dossier) -> None:
    doc.heading("IV. NGƯỜI TỐT, VIỆC TỐT; BIỂU DƯƠNG, KHEN THƯỞNG")
    if not d.nominations:
        doc.italic("(Không có)")
        return
    approved = sum(line.approved for line in d.nominations)
    doc.paragraph(
        f"Được đề xuất gương người tốt, việc tốt trong năm {d.year}: {len(d.nominations)}; "
        f"được duyệt, biểu dương: {approved}."
    )
    doc.table(
        ["TT", "Việc tốt", "Kết quả"],
        [
            [str(number), line.deed, _deed_outcome(line)]
            for number, line in enumerate(d.nominations, start=1)
        ],
        widths=DEED_WIDTHS,
    )


def _step_label(step: GradeStep) -> str:
    if step.kind == "proposal":
        who = "Cấp ủy điều chỉnh đề xuất" if step.source == "decider" else "Đề xuất"
        place = f" ({step.unit.name})" if step.unit else ""
        return f"{who}{place}, lần {step.revision}"
    place = f" ({step.unit.name})" if step.unit else ""
    return f"Quyết định{place}, lần {step.revision}"


def _grade(doc: PartyDocument, d: Dossier) -> None:
    doc.heading("V. ĐÁNH GIÁ, XẾP LOẠI")
    part = d.grade
    if not part.graded:
        doc.italic(
            "Đồng chí được miễn sinh hoạt nên không đánh giá, xếp loại chất lượng trong thời "
            "gian miễn sinh hoạt."
        )
        return
    if part.cell is not None:
        doc.paragraph(f"Chi bộ nhận xét, đề xuất: {part.cell.name}.")
    if part.decider is not None:
        doc.paragraph(f"Cấp quyết định: {part.decider.name}.")
    if part.steps:
        doc.table(
            ["Bước", "Ngày", "Người thực hiện", "Xếp loại", "Điểm", "Nhận xét"],
            [
                [
                    _step_label(step),
                    _day(step.on),
                    step.by,
                    _vi(GRADE_LABELS[Grade(step.grade)]),
                    "" if step.points is None else str(step.points),
                    step.comment,
                ]
                for step in part.steps
            ],
            widths=GRADE_WIDTHS,
        )
    if part.grade:
        doc.heading(f"Kết quả xếp loại: {_grade_label(part.grade, part.points)}.")
        if part.comment:
            doc.paragraph(f"Nhận xét: {part.comment}")
    elif part.awaiting:
        doc.italic("Chi bộ đã đề xuất; đang chờ cấp có thẩm quyền quyết định.")
    else:
        doc.italic("Chưa đánh giá, xếp loại.")
    if part.awaiting and part.grade:
        doc.italic("Một đề xuất mới đang chờ cấp có thẩm quyền quyết định.")
    for remark in part.remarks:
        by = f" (đồng chí {remark.by}, ngày {_day(remark.on)})" if remark.by else ""
        doc.paragraph(f"Nhận xét của {remark.unit.name}, nơi sinh hoạt tạm thời{by}:")
        doc.note(remark.text)


def _signatures(d: Dossier) -> list[Signature]:
    issuer = d.issuer
    if issuer is None:
        cell = Signature("T/M CHI BỘ", role="BÍ THƯ")
    else:
        cell = Signature(
            f"T/M {collective(issuer.name)}",
            role=role_title("secretary", issuer.name, issuer.kind),
        )
    noun = _noun(d)
    return [cell, Signature(noun.upper(), name=d.member.full_name, note=SIGN_NOTE)]


# The document -----------------------------------------------------------------------------------


def build_dossier(d: Dossier) -> PartyDocument:
    head = d.letterhead
    doc = PartyDocument(
        issuing_parent=head.superior if head else "",
        issuing_body=head.body if head else "",
        place_date=vietnamese_place_date(head.locality if head else "", d.dated, d.year),
        kind=f"{TITLE} {d.year}",
        subtitle=f"Đồng chí {d.member.full_name}",
    )
    _member(doc, d)
    _commitment(doc, d)
    _sessions(doc, d)
    _nominations(doc, d)
    _grade(doc, d)
    doc.signatures = _signatures(d)
    return doc


def dossier_name(d: Dossier) -> str:
    """``ho-so-kiem-diem-2026-nguyen-van-duc.docx``: ASCII, no code."""
    return file_name("ho-so-kiem-diem", str(d.year), [d.member.full_name], "docx")


def cell_units(dossiers: list[Dossier]) -> list[str]:
    """The names the file covers: the issuing unit every dossier falls under (the cell),
    else each issuing unit, top first."""
    issuers = sorted(
        {d.issuer.id: d.issuer for d in dossiers if d.issuer}.values(), key=lambda u: u.path
    )
    if issuers and all(issuers[0].contains(unit) for unit in issuers):
        return [issuers[0].name]
    return [unit.name for unit in issuers]


def cell_name(dossiers: list[Dossier]) -> str:
    """``ho-so-kiem-diem-2026-chi-bo-khu-pho-dong-hung.docx``: ASCII, no code."""
    year = str(dossiers[0].year) if dossiers else ""
    return file_name("ho-so-kiem-diem", year, cell_units(dossiers), "docx")


def dossier_docx(d: Dossier) -> bytes:
    """One member's dossier as a DOCX file's bytes."""
    return render_docx(build_dossier(d))


def cell_docx(dossiers: list[Dossier]) -> bytes:
    """Every member's dossier in one file, each from the top of a new page."""
    return render_many_docx([build_dossier(d) for d in dossiers])
