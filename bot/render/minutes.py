"""The minutes of a session (BIÊN BẢN) as a Party document, from the data the session
service returns. The text is Vietnamese whatever the reader's language, as the paper form is.

    ĐẢNG BỘ PHƯỜNG NINH KIỀU              ĐẢNG CỘNG SẢN VIỆT NAM
        CHI BỘ KHU VỰC 1              Cần Thơ, ngày 20 tháng 3 năm 2026
               *
                           BIÊN BẢN
              Sinh hoạt chuyên đề: <the session's topic>
                             -----
    Thời gian: từ 19 giờ 30 phút đến 21 giờ 15 phút, ngày 20 tháng 3 năm 2026.
    Địa điểm, Chủ trì, Thư ký, Khách mời
    I. THÀNH PHẦN: Tổng số đảng viên …; sinh hoạt tạm thời …; miễn sinh hoạt …;
       Có mặt: … đồng chí. / Vắng: … đồng chí (có lý do: …, không lý do: …). / the absentees
    II. NỘI DUNG: the agenda, the thematic lead-in, the speakers, difficulties, solutions
    III. KẾT LUẬN, the end time, THƯ KÝ and CHỦ TRÌ.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bot.render.documents import (
    PartyDocument,
    Signature,
    clock_time,
    document_date,
    render_docx,
    vietnamese_place_date,
)
from bot.rules import sessions as rules
from bot.rules.names import sorted_by_name
from bot.rules.organisation import MASS_ORG, member_noun, split_name

if TYPE_CHECKING:
    from bot.services.sessions import MinutesData

VI_KIND = {
    "regular": "Sinh hoạt chi bộ thường kỳ",
    "thematic": "Sinh hoạt chuyên đề",
    "conference": "Hội nghị (trực tuyến)",
}
SIGN_NOTE = "(Ký, ghi rõ họ tên)"


def _attendance(doc: PartyDocument, data: MinutesData) -> None:
    """The members as the paper form counts them, then who was absent and why."""
    noun = member_noun(data.unit.kind, data.unit.name)
    by_status = Counter(invitee.status for invitee in data.invitees)
    official, probationary = by_status["official"], by_status["probationary"]
    if data.unit.kind == MASS_ORG:
        doc.paragraph(f"Tổng số {noun}: {official + probationary} đồng chí.")
    else:
        doc.paragraph(
            f"Tổng số {noun}: {official + probationary} đồng chí; trong đó: chính thức "
            f"{official}, dự bị {probationary}."
        )
    noun = noun.capitalize()
    doc.paragraph(f"{noun} sinh hoạt tạm thời: {by_status['temporary']} đồng chí.")
    doc.paragraph(f"{noun} được miễn sinh hoạt: {by_status['exempt']} đồng chí.")
    lines = rules.lines_of(data.invitees)
    counts = rules.count_lines(lines)
    doc.paragraph(f"Có mặt: {counts.present} đồng chí.")
    doc.paragraph(
        f"Vắng: {counts.excused + counts.absent} đồng chí (có lý do: {counts.excused}, "
        f"không lý do: {counts.absent})."
    )
    for line in sorted_by_name(lines, lambda line: line.name):
        if line.exempt:
            continue
        if line.mark is rules.Mark.EXCUSED:
            doc.bullet(f"Đồng chí {line.name}: vắng có lý do ({line.reason or 'không ghi'}).")
        elif line.mark is rules.Mark.ABSENT:
            doc.bullet(f"Đồng chí {line.name}: vắng không lý do.")


def build_minutes(data: MinutesData) -> PartyDocument:
    """BIÊN BẢN in the Party's layout."""
    session, unit, minutes, head = data.session, data.unit, data.minutes, data.letterhead
    start = session.starts_at.astimezone(data.tz)
    end = minutes.ends_at.astimezone(data.tz) if minutes.ends_at else None
    doc = PartyDocument(
        issuing_parent=head.superior,
        issuing_body=head.body,
        place_date=vietnamese_place_date(head.locality, start.date()),
        kind="BIÊN BẢN",
        subtitle=f"{VI_KIND[session.kind]}: {session.topic}",
    )
    doc.paragraph(
        f"Thời gian: từ {clock_time(start)} đến {clock_time(end)}, {document_date(start.date())}."
    )
    online = session.place.startswith("http")
    doc.paragraph(
        f"Địa điểm: trực tuyến ({session.place})." if online else f"Địa điểm: {session.place}."
    )
    doc.paragraph(f"Chủ trì: đồng chí {minutes.chair}.")
    doc.paragraph(f"Thư ký: đồng chí {minutes.minute_taker}.")
    if minutes.guests:
        doc.paragraph(f"Khách mời: {minutes.guests}.")
    doc.heading("I. THÀNH PHẦN")
    _attendance(doc, data)
    doc.heading("II. NỘI DUNG")
    doc.paragraph(f"Chương trình: {minutes.agenda or session.topic}")
    if session.kind == rules.Kind.THEMATIC and (session.presenter or session.lead_in):
        presenter = f"Đồng chí {session.presenter} trình bày" if session.presenter else "Trình bày"
        if session.lead_in:
            doc.paragraph(f"{presenter} bài đề dẫn chuyên đề:")
            for text in session.lead_in.splitlines():
                if text.strip():
                    doc.italic(text.strip())
        else:
            doc.paragraph(f"{presenter} chuyên đề.")
    elif session.presenter:
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
    if session.kind == rules.Kind.CONFERENCE:
        what, before = "Hội nghị", "hội nghị"
    else:
        word, _ = split_name(unit.name)
        what, before = "Buổi sinh hoạt", word.lower() if word else unit.name
    doc.paragraph(f"{what} kết thúc lúc {clock_time(end)} cùng ngày.")
    doc.italic(f"Biên bản đã được thông qua trước {before}.")
    doc.signatures = [
        Signature("THƯ KÝ", minutes.minute_taker, SIGN_NOTE),
        Signature("CHỦ TRÌ", minutes.chair, SIGN_NOTE),
    ]
    return doc


def minutes_file(data: MinutesData) -> tuple[str, bytes]:
    """The DOCX file's name and bytes."""
    return f"bien-ban-{data.session.id}.docx", render_docx(build_minutes(data))
