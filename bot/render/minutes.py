"""The minutes of a session (BIÊN BẢN) as a Party document, from the data the session
service returns. The text is Vietnamese whatever the reader's language, as the paper form is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render.documents import PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.rules import sessions as rules

if TYPE_CHECKING:
    from bot.services.sessions import MinutesData

VI_KIND = {
    "regular": "Sinh hoạt chi bộ thường kỳ",
    "thematic": "Sinh hoạt chuyên đề",
    "conference": "Hội nghị (trực tuyến)",
}
STATUSES = ("official", "probationary", "temporary", "exempt")


def build_minutes(data: MinutesData) -> PartyDocument:
    """BIÊN BẢN in the Party's layout."""
    session, unit, parent, invitees, minutes = (
        data.session,
        data.unit,
        data.parent,
        data.invitees,
        data.minutes,
    )
    local = session.starts_at.astimezone(data.tz)
    place = session.place if not session.place.startswith("http") else "Trực tuyến"
    doc = PartyDocument(
        issuing_parent=parent.name if parent else "",
        issuing_body=unit.name,
        place_date=vietnamese_place_date(place.split(",")[-1].strip() or "....", local.date()),
        kind="BIÊN BẢN",
        subtitle=f"{VI_KIND[session.kind]}: {session.topic}",
    )
    lines = rules.lines_of(invitees)
    counts = rules.count_lines(lines)
    by_status = {s: sum(i.status == s for i in invitees) for s in STATUSES}
    doc.paragraph(
        f"Thời gian: bắt đầu lúc {local.hour} giờ {local.minute:02d} phút, "
        f"ngày {local.day} tháng {local.month} năm {local.year}."
    )
    doc.paragraph(f"Địa điểm: {session.place}.")
    doc.paragraph(f"Chủ trì: đồng chí {minutes.chair}.")
    doc.paragraph(f"Thư ký: đồng chí {minutes.minute_taker}.")
    if minutes.guests:
        doc.paragraph(f"Khách mời: {minutes.guests}.")
    doc.heading("I. THÀNH PHẦN")
    doc.paragraph(
        f"Tổng số đảng viên: {len(invitees)} đồng chí; trong đó: chính thức "
        f"{by_status['official']}, dự bị {by_status['probationary']}, sinh hoạt tạm thời "
        f"{by_status['temporary']}, miễn sinh hoạt {by_status['exempt']}."
    )
    doc.paragraph(
        f"Sĩ số {counts.total} · Có mặt {counts.present} · Vắng có lý do {counts.excused} · "
        f"Vắng không lý do {counts.absent}."
    )
    for line in lines:
        if line.mark is rules.Mark.EXCUSED:
            doc.bullet(f"Đồng chí {line.name}: vắng có lý do ({line.reason or 'không ghi'}).")
        elif line.mark is rules.Mark.ABSENT and not line.exempt:
            doc.bullet(f"Đồng chí {line.name}: vắng không lý do.")
    doc.heading("II. NỘI DUNG")
    doc.paragraph(f"Chương trình: {minutes.agenda or session.topic}")
    if session.presenter:
        doc.paragraph(f"Đồng chí {session.presenter} trình bày chuyên đề.")
    if minutes.speakers:
        doc.paragraph("Ý kiến phát biểu:")
        for name, opinion in minutes.speakers:
            doc.bullet(f"Đồng chí {name}: {opinion}")
    if minutes.difficulties:
        doc.paragraph(f"Khó khăn, hạn chế: {minutes.difficulties}")
    if minutes.solutions:
        doc.paragraph(f"Giải pháp đề xuất: {minutes.solutions}")
    doc.heading("III. KẾT LUẬN")
    doc.paragraph(minutes.conclusion)
    doc.italic("Biên bản đã được thông qua trước chi bộ.")
    doc.signatures = [
        Signature("THƯ KÝ", minutes.minute_taker, "(Ký, ghi rõ họ tên)"),
        Signature("CHỦ TRÌ", minutes.chair, "(Ký, ghi rõ họ tên)"),
    ]
    return doc


def minutes_file(data: MinutesData) -> tuple[str, bytes]:
    """The DOCX file's name and bytes."""
    return f"bien-ban-{data.session.id}.docx", render_docx(build_minutes(data))
