"""bot/render for sessions: the notices (text and buttons, escaped, per locale), the minutes
DOCX read back with python-docx, and the attendance register as a table, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from bot import callbacks as cb
from bot import i18n
from bot.i18n import use_locale
from bot.render import session_notices as notices
from bot.render.attendance import attendance_file, attendance_table
from bot.render.minutes import build_minutes, minutes_file
from bot.rules.organisation import Letterhead
from bot.services.sessions import AttendanceEntry, AttendanceExport, MinutesData
from storage.records import Member, Unit
from storage.sessions import Invitee, Minutes, Session
from tests.conftest import TIMEZONE

STARTS = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)  # 19:30 in Ho Chi Minh City


@pytest.fixture(autouse=True)
def _local_time(_restore_i18n: None) -> None:
    i18n.configure("vi", TIMEZONE)


def _unit(unit_id: int, code: str, name: str, parent: int | None = None) -> Unit:
    path = f"/{parent}/{unit_id}/" if parent else f"/{unit_id}/"
    return Unit(unit_id, code, name, "cell" if parent else "committee", parent, path)


CELL = _unit(4, "CB-1", "Chi bộ Khu vực 1", 2)
HEAD = Letterhead("Chi bộ Khu vực 1", "Chi bộ Khu vực 1", "Đảng bộ phường Ninh Kiều", "Cần Thơ")
ENDS = datetime(2026, 3, 20, 14, 15, tzinfo=UTC)  # 21:15 in Ho Chi Minh City


def _session(**extra: object) -> Session:
    fields: dict = {
        "id": 7,
        "unit_id": CELL.id,
        "kind": "thematic",
        "topic": "Nêu gương <người đứng đầu> & tập thể",
        "campaign_id": 1,
        "starts_at": STARTS,
        "place": "Hội trường khu vực 1, Cần Thơ",
        "presenter": "Trần Thị Bích",
        "lead_in": "Bài đề dẫn <ngắn>.",
        "status": "closed",
        "checkin_code": None,
        "checkin_opens": None,
        "checkin_closes": None,
        "created_by": None,
        "closed_at": None,
    }
    fields.update(extra)
    return Session(**fields)


def _invitee(member_id: int, name: str, status: str = "official", **extra: object) -> Invitee:
    fields: dict = {
        "session_id": 7,
        "member_id": member_id,
        "unit_id": CELL.id,
        "full_name": name,
        "status": status,
        "rsvp": None,
        "rsvp_reason": None,
        "checked_in_at": None,
        "checkin_via": None,
        "late_reported_at": None,
        "late_status": None,
        "mark": None,
        "reason": None,
    }
    fields.update(extra)
    return Invitee(**fields)


INVITEES = [
    _invitee(1, "Nguyễn Văn An", mark="present"),
    _invitee(2, "Trần Thị Bích", "probationary", mark="excused", reason="ốm"),
    _invitee(3, "Lê Hoàng Cường", mark="absent"),
    _invitee(4, "Cụ Miễn Sinh Hoạt", "exempt", mark="absent"),
]
# The minutes' list: one temporarily attached, and absentees out of roster order.
MINUTES_INVITEES = [
    _invitee(6, "Đặng Văn Anh", mark="absent"),
    *INVITEES,
    _invitee(5, "Võ Thị Ánh", "temporary", mark="present"),
]


def _data(session: Session | None = None, unit: Unit = CELL, **minutes: object) -> MinutesData:
    fields: dict = {
        "session_id": 7,
        "chair": "Nguyễn Văn An",
        "minute_taker": "Trần Thị Bích",
        "guests": "",
        "agenda": "",
        "speakers": (("Lê Hoàng Cường", "Cần gắn chuyên đề với công việc"),),
        "difficulties": "Một số đảng viên lớn tuổi",
        "solutions": "",
        "conclusion": "Chi bộ thống nhất thực hiện.",
        "ends_at": ENDS,
    }
    fields.update(minutes)
    return MinutesData(
        session or _session(), unit, HEAD, MINUTES_INVITEES, Minutes(**fields), TIMEZONE
    )


def _data_of(rows: object) -> list[str]:
    return [data for row in rows for _, data in row]  # type: ignore[attr-defined]


# Notices ------------------------------------------------------------------------------------


def test_the_invitation_escapes_and_carries_the_answer_buttons() -> None:
    with use_locale("vi"):
        text, rows = notices.invitation(_session(), CELL)
    assert text.splitlines()[0] == "<b>Giấy mời</b> của Chi bộ Khu vực 1"
    assert "Nêu gương &lt;người đứng đầu&gt; &amp; tập thể" in text
    assert "19:30, 20/03/2026" in text and "Người trình bày: Trần Thị Bích" in text
    assert "<i>Bài đề dẫn &lt;ngắn&gt;.</i>" in text
    assert _data_of(rows) == [cb.RSVP_YES(7), cb.RSVP_NO(7)]
    with use_locale("en"):
        text, rows = notices.invitation(_session(), CELL)
    assert text.startswith("<b>Invitation</b> from") and rows[0][0][0] == "I will attend"


def test_change_cancellation_and_late_notices() -> None:
    session = _session(kind="regular", presenter="", lead_in="", campaign_id=None)
    with use_locale("vi"):
        changed, rows = notices.changed(session)
        cancelled, none = notices.cancelled(session)
        member = Member(
            9, "DV009", "Dương <Ngọc> Trâm", "official", "", False, "vi", 9, "active", None, None
        )
        request, decide = notices.late_request(session, member)
        confirmed, _ = notices.late_decision(session, True)
        rejected, no_buttons = notices.late_decision(session, False)
    assert changed.startswith("<b>Thay đổi</b>") and _data_of(rows) == [
        cb.RSVP_YES(7),
        cb.RSVP_NO(7),
    ]
    assert "Người trình bày" not in changed and "chuyên đề năm" not in changed
    assert cancelled.startswith("<b>Hủy buổi sinh hoạt</b>") and none is None
    assert "Đồng chí <b>Dương &lt;Ngọc&gt; Trâm</b>" in request
    assert [cb.LATE_DECIDE.parse(d) for d in _data_of(decide)] == [("ok", 7, 9), ("no", 7, 9)]
    assert "đã xác nhận" in confirmed and "không xác nhận" in rejected and no_buttons is None


# The minutes ---------------------------------------------------------------------------------


def _paragraphs(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    cells = [p.text for table in document.tables for cell in table._cells for p in cell.paragraphs]
    return cells + [p.text for p in document.paragraphs]


def test_the_minutes_docx_reads_back_in_the_party_layout() -> None:
    name, content = minutes_file(_data())
    assert name == "bien-ban-7.docx" and content[:2] == b"PK"
    document = Document(io.BytesIO(content))
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    assert header == [
        "ĐẢNG BỘ PHƯỜNG NINH KIỀU",
        "CHI BỘ KHU VỰC 1",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Cần Thơ, ngày 20 tháng 3 năm 2026",  # the locality, not the meeting's address
    ]
    assert document.tables[0].rows[0].cells[1].paragraphs[1].runs[0].italic
    assert [p.text for p in document.paragraphs if p.text] == [
        "BIÊN BẢN",
        "Sinh hoạt chuyên đề: Nêu gương <người đứng đầu> & tập thể",  # plain text, no HTML
        "-----",
        "Thời gian: từ 19 giờ 30 phút đến 21 giờ 15 phút, ngày 20 tháng 3 năm 2026.",
        "Địa điểm: Hội trường khu vực 1, Cần Thơ.",
        "Chủ trì: đồng chí Nguyễn Văn An.",
        "Thư ký: đồng chí Trần Thị Bích.",
        "I. THÀNH PHẦN",
        "Tổng số đảng viên: 4 đồng chí; trong đó: chính thức 3, dự bị 1.",
        "Đảng viên sinh hoạt tạm thời: 1 đồng chí.",
        "Đảng viên được miễn sinh hoạt: 1 đồng chí.",
        "Có mặt: 2 đồng chí.",
        "Vắng: 3 đồng chí (có lý do: 1, không lý do: 2).",
        # The absentees in roster order (given name first); the exempt is not one.
        "- Đồng chí Đặng Văn Anh: vắng không lý do.",
        "- Đồng chí Trần Thị Bích: vắng có lý do (ốm).",
        "- Đồng chí Lê Hoàng Cường: vắng không lý do.",
        "II. NỘI DUNG",
        "Chương trình: Nêu gương <người đứng đầu> & tập thể",  # no agenda: the topic
        "Đồng chí Trần Thị Bích trình bày bài đề dẫn chuyên đề:",
        "Bài đề dẫn <ngắn>.",  # the thematic lead-in
        "Ý kiến phát biểu:",
        "- Đồng chí Lê Hoàng Cường: Cần gắn chuyên đề với công việc",
        "Khó khăn, hạn chế: Một số đảng viên lớn tuổi",  # no solutions given: no line
        "III. KẾT LUẬN",
        "Chi bộ thống nhất thực hiện.",
        "Buổi sinh hoạt kết thúc lúc 21 giờ 15 phút cùng ngày.",
        "Biên bản đã được thông qua trước chi bộ.",
    ]
    assert not any("·" in p.text for p in document.paragraphs)
    signatures = [p.text for cell in document.tables[1].rows[0].cells for p in cell.paragraphs]
    assert [text for text in signatures if text] == [
        "THƯ KÝ",
        "(Ký, ghi rõ họ tên)",
        "Trần Thị Bích",
        "CHỦ TRÌ",
        "(Ký, ghi rõ họ tên)",
        "Nguyễn Văn An",
    ]


def test_an_online_meeting_is_dated_at_the_locality_and_guests_are_listed() -> None:
    online = _session(kind="conference", place="https://meet.example.org/x", presenter="")
    doc = build_minutes(_data(online, guests="Đại diện Đảng ủy phường", agenda="Quán triệt"))
    assert doc.place_date == "Cần Thơ, ngày 20 tháng 3 năm 2026"  # never "Trực tuyến"
    assert doc.subtitle.startswith("Hội nghị (trực tuyến): ")
    texts = [text for _, text in doc.blocks]
    assert "Địa điểm: trực tuyến (https://meet.example.org/x)." in texts
    assert "Khách mời: Đại diện Đảng ủy phường." in texts
    assert "Chương trình: Quán triệt" in texts
    assert texts[-2:] == [
        "Hội nghị kết thúc lúc 21 giờ 15 phút cùng ngày.",
        "Biên bản đã được thông qua trước hội nghị.",
    ]
    assert [s.title for s in doc.signatures] == ["THƯ KÝ", "CHỦ TRÌ"]


def test_minutes_dated_in_local_time_with_leading_zeros_and_a_missing_end_left_blank() -> None:
    # 06:30 on 5 February in Vietnam is 23:30 UTC on the 4th.
    early = _session(kind="regular", starts_at=datetime(2026, 2, 4, 23, 30, tzinfo=UTC))
    doc = build_minutes(_data(early, ends_at=None))  # minutes recorded before the end time
    assert doc.place_date == "Cần Thơ, ngày 05 tháng 02 năm 2026"
    texts = [text for _, text in doc.blocks]
    assert (
        texts[0]
        == "Thời gian: từ 6 giờ 30 phút đến ..... giờ ..... phút, ngày 05 tháng 02 năm 2026."
    )
    assert "Buổi sinh hoạt kết thúc lúc ..... giờ ..... phút cùng ngày." in texts
    assert "Bài đề dẫn <ngắn>." not in texts  # a regular meeting: no lead-in


def test_the_minutes_of_a_mass_organisation_branch_name_its_members() -> None:
    branch = Unit(9, "CD-1", "Chi đoàn Khu vực 1", "mass_org_branch", 2, "/2/9/")
    texts = [text for _, text in build_minutes(_data(unit=branch, difficulties="")).blocks]
    assert "Tổng số đoàn viên: 4 đồng chí." in texts
    assert "Đoàn viên sinh hoạt tạm thời: 1 đồng chí." in texts
    assert "Đoàn viên được miễn sinh hoạt: 1 đồng chí." in texts
    assert texts[-1] == "Biên bản đã được thông qua trước chi đoàn."
    assert not any("đảng viên" in text.lower() for text in texts)


# The attendance register ---------------------------------------------------------------------


def _export(fmt: str) -> AttendanceExport:
    session = _session(kind="regular")
    entries = [
        AttendanceEntry(session, CELL, invitee, f"DV00{invitee.member_id}") for invitee in INVITEES
    ]
    return AttendanceExport(CELL, date(2026, 3, 1), date(2026, 3, 31), fmt, entries)


def test_the_register_table_in_the_readers_language() -> None:
    with use_locale("vi"):
        header, rows = attendance_table(_export("csv"))
    assert header == [
        "Buổi sinh hoạt",
        "Ngày",
        "Giờ bắt đầu",
        "Đơn vị",
        "Loại sinh hoạt",
        "Chủ đề",
        "Mã đảng viên",
        "Họ và tên",
        "Trạng thái",
        "Điểm danh",
        "Lý do",
    ]
    by_name = {row[7]: row for row in rows}
    # The meeting by its date and topic (never an id); its day a date, for a date cell.
    assert by_name["Nguyễn Văn An"][:4] == [
        f"20/03/2026 – {by_name['Nguyễn Văn An'][5]}",
        date(2026, 3, 20),
        "19:30",
        "Chi bộ Khu vực 1",
    ]
    assert by_name["Trần Thị Bích"][8:] == ["Đảng viên dự bị", "Vắng có lý do", "ốm"]
    assert by_name["Lê Hoàng Cường"][9] == "Vắng không lý do"
    # Exempt and not there: "exempt", not "absent without reason".
    assert by_name["Cụ Miễn Sinh Hoạt"][8:10] == ["Miễn sinh hoạt", "Miễn sinh hoạt"]
    with use_locale("en"):
        header, rows = attendance_table(_export("csv"))
    assert header[7] == "Full name" and rows[0][9] == "Present"


def test_the_register_files() -> None:
    name, content = attendance_file(_export("csv"))
    # Named after the unit's name (ASCII) and the period, never its code.
    assert name == "diem-danh-2026-03-chi-bo-khu-vuc-1.csv"
    assert content.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 5 and rows[2][7] == "Trần Thị Bích"
    assert rows[2][1:3] == ["20/03/2026", "19:30"]
    name, content = attendance_file(_export("xlsx"))
    assert name == "diem-danh-2026-03-chi-bo-khu-vuc-1.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "Điểm danh" and sheet.max_row == 5
    assert sheet.cell(row=3, column=11).value == "ốm"
    day = sheet.cell(row=3, column=2)
    assert day.is_date and day.value.date() == date(2026, 3, 20)
    assert day.number_format == "DD/MM/YYYY"


def test_the_register_keeps_hostile_reasons_and_names_inert() -> None:
    """An absence reason typed like a formula, a name holding control characters: the file
    is built, the formula is a string cell in XLSX and neutralised in CSV."""
    reason = '=HYPERLINK("http://evil.example","Xem")'
    invitees = [
        _invitee(1, "Nguyễn\x01 Văn\x07 An", mark="excused", reason=reason),
        _invitee(2, "@Trần Thị Bích", mark="present"),
    ]
    session = _session(kind="regular", topic="-Sinh hoạt\x0b tháng 3")
    entries = [AttendanceEntry(session, CELL, i, f"DV00{i.member_id}") for i in invitees]
    for fmt in ("xlsx", "csv"):
        export = AttendanceExport(CELL, date(2026, 1, 1), date(2026, 3, 31), fmt, entries)
        name, content = attendance_file(export)
        assert name == f"diem-danh-2026-q1-chi-bo-khu-vuc-1.{fmt}"
        if fmt == "xlsx":
            rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))
            an = rows[0]
            assert an[7].value == "Nguyễn Văn An" and an[10].value == reason
            assert an[10].data_type == "s" and an[0].value == "20/03/2026 – -Sinh hoạt tháng 3"
            assert all(cell.data_type != "f" for row in rows for cell in row)
        else:
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
            assert rows[0][7] == "Nguyễn Văn An" and rows[0][10] == "'" + reason
            assert rows[1][7] == "'@Trần Thị Bích" and rows[0][5] == "'-Sinh hoạt tháng 3"
