"""The figures section of a committee's sơ kết / tổng kết report, as a DOCX in the Party
layout (bot/render/documents.py): the period's figures against the previous period's, the
units below side by side, the nominations and, at year end, each grassroots organisation's
grades against the 20% rule. The committee writes the assessment itself: the document leaves
marked places for it. Party documents are written in Vietnamese whatever the reader's
language."""

from __future__ import annotations

from bot.render.documents import PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.rules.grading import excellent_cap
from bot.rules.organisation import collective
from bot.rules.review import change
from bot.services.reports.model import Figures, Period
from bot.services.reports.review import ReviewReport

TO_WRITE = "[Phần cấp ủy viết: {what}]"
DASH = "—"


def percent(value: float | None) -> str:
    """ "87,5%" as Vietnamese documents write it; a dash when there is nothing to count."""
    if value is None:
        return DASH
    text = f"{value * 100:.1f}".replace(".", ",")
    return f"{text.removesuffix(',0')}%"


def signed(value: float | int | None, *, share: bool = False) -> str:
    """The change against the previous period: "+3", "−2,5 điểm %", "0"."""
    if value is None:
        return DASH
    if share:
        points = f"{abs(value) * 100:.1f}".replace(".", ",").removesuffix(",0")
        number = f"{points} điểm %"
    else:
        number = str(abs(int(value)))
    if value > 0:
        return f"+{number}"
    if value < 0:
        return f"−{number}"
    return "0"


def period_name(period: Period) -> str:
    if period.label.endswith("H1"):
        return f"6 tháng đầu năm {period.year}"
    if period.label.endswith("H2"):
        return f"6 tháng cuối năm {period.year}"
    return f"năm {period.year}"


def _count_row(label: str, now: int, before: int) -> list[str]:
    return [label, str(now), str(before), signed(now - before)]


def _share_row(label: str, now: float | None, before: float | None) -> list[str]:
    return [label, percent(now), percent(before), signed(change(now, before), share=True)]


def _held(figures: Figures, kind: str) -> str:
    held, due = (
        (figures.regular_held, figures.regular_due)
        if kind == "regular"
        else (figures.thematic_held, figures.thematic_due)
    )
    return f"{held}/{due}"


def build_review(report: ReviewReport) -> PartyDocument:
    head = report.letterhead
    period, before = report.now.period, report.before.period
    now_total, before_total = report.now.total, report.before.total
    kind = "tổng kết" if report.year_end else "sơ kết"
    doc = PartyDocument(
        issuing_parent=head.superior,
        issuing_body=head.body,
        place_date=vietnamese_place_date(head.locality, report.dated),
        kind="BÁO CÁO",
        subtitle=(
            f"Số liệu {kind} {period_name(period)} việc học tập và làm theo tư tưởng, "
            "đạo đức, phong cách Hồ Chí Minh"
        ),
    )
    doc.italic(
        f"Số liệu do hệ thống tổng hợp đến ngày {report.dated.strftime('%d/%m/%Y')}, "
        f"so sánh với {period_name(before)}. Các phần trong ngoặc vuông do cấp ủy viết."
    )
    header = ["Chỉ tiêu", period_name(period).capitalize(), period_name(before).capitalize(),
              "Tăng/giảm"]  # fmt: skip
    widths = [7.0, 3.0, 3.0, 3.0]

    doc.heading("I. KẾT QUẢ THỰC HIỆN")
    doc.heading("1. Đảng viên và bản cam kết")
    doc.table(
        header,
        [
            _count_row("Đảng viên", now_total.members, before_total.members),
            _count_row("Đảng viên phải lập cam kết", now_total.expected, before_total.expected),
            _count_row("Đã nộp bản cam kết", now_total.filed, before_total.filed),
            _share_row("Tỷ lệ đã nộp", now_total.filed_rate, before_total.filed_rate),
            _count_row("Được duyệt", now_total.approved, before_total.approved),
            _count_row("Nộp muộn", now_total.late, before_total.late),
        ],
        widths=widths,
    )
    doc.heading("2. Sinh hoạt chi bộ")
    doc.table(
        header,
        [
            [
                "Sinh hoạt thường kỳ (đã tổ chức/theo quy định)",
                _held(now_total, "regular"),
                _held(before_total, "regular"),
                signed(now_total.regular_held - before_total.regular_held),
            ],
            [
                "Sinh hoạt chuyên đề (đã tổ chức/theo quy định)",
                _held(now_total, "thematic"),
                _held(before_total, "thematic"),
                signed(now_total.thematic_held - before_total.thematic_held),
            ],
            _share_row(
                "Tỷ lệ đảng viên dự sinh hoạt",
                now_total.attendance_rate,
                before_total.attendance_rate,
            ),
        ],
        widths=widths,
    )
    doc.heading("3. Học tập, quán triệt chuyên đề")
    doc.table(
        header,
        [
            [
                "Đơn vị hoàn thành đúng hạn",
                f"{now_total.study_done}/{now_total.study_units}",
                f"{before_total.study_done}/{before_total.study_units}",
                signed(now_total.study_done - before_total.study_done),
            ]
        ],
        widths=widths,
    )
    doc.heading("4. Tuyên truyền gương điển hình, người tốt việc tốt")
    doc.table(
        header,
        [
            _count_row(
                "Lượt nhận bài viết", now_total.stories_delivered, before_total.stories_delivered
            ),
            _count_row("Lượt “Đã đọc, học tập”", now_total.stories_read, before_total.stories_read),
            _share_row("Tỷ lệ hưởng ứng", now_total.engagement_rate, before_total.engagement_rate),
            _count_row(
                "Người tốt việc tốt được đề xuất",
                report.nominations.submitted,
                report.nominations_before.submitted,
            ),
            _count_row(
                "Được ghi nhận", report.nominations.approved, report.nominations_before.approved
            ),
        ],
        widths=widths,
    )
    if report.now.rows:
        doc.heading("5. Số liệu các đơn vị trực thuộc")
        doc.table(
            ["Đơn vị", "Nộp cam kết", "Dự sinh hoạt", "Thường kỳ", "Chuyên đề", "Học tập"],
            [
                [
                    row.unit.name,
                    percent(row.filed_rate),
                    percent(row.attendance_rate),
                    _held(row, "regular"),
                    _held(row, "thematic"),
                    f"{row.study_done}/{row.study_units}",
                ]
                for row in report.now.rows
            ],
            widths=[5.0, 2.2, 2.2, 2.2, 2.2, 2.2],
        )
    if report.year_end:
        _grades(doc, report)
    doc.heading("II. ĐÁNH GIÁ CHUNG")
    doc.italic(TO_WRITE.format(what="ưu điểm, hạn chế, nguyên nhân"))
    doc.heading("III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI")
    doc.italic(TO_WRITE.format(what="phương hướng, nhiệm vụ, giải pháp"))
    doc.heading("IV. ĐỀ XUẤT, KIẾN NGHỊ")
    doc.italic(TO_WRITE.format(what="đề xuất, kiến nghị với cấp trên (nếu có)"))
    doc.signatures = [
        Signature(f"T/M {collective(head.body).upper()}", name=report.signer, role="BÍ THƯ")
    ]
    return doc


def _grades(doc: PartyDocument, report: ReviewReport) -> None:
    doc.heading(
        f"{6 if report.now.rows else 5}. Đánh giá, xếp loại đảng viên năm {report.period.year}"
    )
    if not report.organisations:
        doc.italic("(Chưa có kết quả xếp loại.)")
        return
    rows = []
    for organisation in report.organisations:
        tally = organisation.tally
        cap = excellent_cap(tally.good)
        rows.append(
            [
                organisation.unit.name,
                str(tally.excellent),
                str(tally.good),
                str(tally.fulfilled),
                str(tally.not_fulfilled),
                f"{tally.excellent}/{cap}" + (" (vượt)" if tally.over_cap else ""),
            ]
        )
    doc.table(
        ["Tổ chức cơ sở đảng", "HTXS", "HTT", "HT", "KHT", "HTXS/tối đa 20% HTT"],
        rows,
        widths=[5.0, 1.6, 1.6, 1.6, 1.6, 3.6],
    )
    over = [o.unit.name for o in report.organisations if o.tally.over_cap]
    if over:
        doc.paragraph(
            "Số đảng viên xếp loại “Hoàn thành xuất sắc nhiệm vụ” vượt quá 20% số xếp loại "
            f"“Hoàn thành tốt nhiệm vụ” tại: {', '.join(over)}."
        )
    else:
        doc.paragraph(
            "Tỷ lệ “Hoàn thành xuất sắc nhiệm vụ” không vượt quá 20% số “Hoàn thành tốt "
            "nhiệm vụ” ở tất cả tổ chức cơ sở đảng."
        )


def review_docx(report: ReviewReport) -> bytes:
    return render_docx(build_review(report))


def review_file_name(report: ReviewReport) -> str:
    """ "so-ket-2026-H1-DU-NK.docx", "tong-ket-2026-DU-NK.docx"."""
    kind = "tong-ket" if report.year_end else "so-ket"
    code = "".join(c if c.isalnum() or c in "-_" else "-" for c in report.unit.code)
    return f"{kind}-{report.period.label}-{code}.docx"
