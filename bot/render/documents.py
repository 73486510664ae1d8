"""Printable Party documents as DOCX, in the layout of Hướng dẫn 36-HD/VPTW.

Top left the issuing body, top right "ĐẢNG CỘNG SẢN VIỆT NAM" underlined with the place and
date below, then the document's kind in capitals, the body and the signatures, all in
Times New Roman. Features (the commitment form, the minutes) fill a :class:`PartyDocument`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"


def vietnamese_place_date(place: str, day: date) -> str:
    """ "Cần Thơ, ngày 10 tháng 3 năm 2022" (the Party form, without leading zeros)."""
    return f"{place}, ngày {day.day} tháng {day.month} năm {day.year}"


@dataclass
class Signature:
    title: str  # e.g. "NGƯỜI CAM KẾT", "T/M CHI BỘ"
    name: str = ""
    note: str = ""  # e.g. "(Ký, ghi rõ họ tên)"


@dataclass
class PartyDocument:
    issuing_parent: str  # "ĐẢNG BỘ PHƯỜNG NINH KIỀU"
    issuing_body: str  # "CHI BỘ KHU VỰC 1"
    place_date: str  # vietnamese_place_date(...)
    kind: str  # "BẢN CAM KẾT", "BIÊN BẢN"
    subtitle: str = ""  # the document's name under the kind
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (style, text)
    signatures: list[Signature] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(("heading", text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullet(self, text: str) -> None:
        self.blocks.append(("bullet", text))

    def italic(self, text: str) -> None:
        self.blocks.append(("italic", text))


def _style_run(
    run, *, bold: bool = False, italic: bool = False, underline: bool = False, size: Pt = BODY_SIZE
) -> None:  # type: ignore[no-untyped-def]
    run.font.name = FONT
    run.font.size = size
    run.bold = bold
    run.italic = italic
    run.underline = underline
    # East-Asian font slot too, so Word never substitutes another face for Vietnamese.
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _cell_line(cell, text: str, **style: object) -> None:  # type: ignore[no-untyped-def]
    paragraph = cell.add_paragraph() if cell.paragraphs[0].text else cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    _style_run(paragraph.add_run(text), **style)  # type: ignore[arg-type]


def render_docx(doc: PartyDocument) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    _cell_line(left, doc.issuing_parent.upper(), size=Pt(14))
    _cell_line(left, doc.issuing_body.upper(), bold=True, size=Pt(14))
    _cell_line(left, "*", size=Pt(14))
    _cell_line(right, PARTY_TITLE, bold=True, underline=True, size=Pt(15))
    _cell_line(right, doc.place_date, italic=True, size=Pt(14))

    document.add_paragraph()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _style_run(title.add_run(doc.kind.upper()), bold=True, size=Pt(16))
    if doc.subtitle:
        sub = document.add_paragraph()
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _style_run(sub.add_run(doc.subtitle), bold=True)

    for style, text in doc.blocks:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.space_after = Pt(4)
        if style == "heading":
            _style_run(paragraph.add_run(text), bold=True)
        elif style == "bullet":
            paragraph.paragraph_format.left_indent = Cm(0.75)
            _style_run(paragraph.add_run(f"- {text}"))
        elif style == "italic":
            _style_run(paragraph.add_run(text), italic=True)
        else:
            paragraph.paragraph_format.first_line_indent = Cm(1)
            _style_run(paragraph.add_run(text))

    if doc.signatures:
        document.add_paragraph()
        table = document.add_table(rows=1, cols=len(doc.signatures))
        for cell, signature in zip(table.rows[0].cells, doc.signatures, strict=True):
            _cell_line(cell, signature.title.upper(), bold=True)
            if signature.note:
                _cell_line(cell, signature.note, italic=True)
            for _ in range(3):
                _cell_line(cell, "")
            if signature.name:
                _cell_line(cell, signature.name, bold=True)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
