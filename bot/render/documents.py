"""Printable Party documents as DOCX, in the layout of Hướng dẫn 36-HD/VPTW.

Top left the issuing body under its superior (named as a Party organisation, see
:mod:`bot.rules.organisation`) with a "*" under it; top right "ĐẢNG CỘNG SẢN VIỆT NAM"
underlined, with the locality and the document's own date below in italics ("Cần Thơ, ngày
05 tháng 02 năm 2026"); then the document's kind in capitals, its name, a short rule
"-----", the body and the signatures, all in Times New Roman. Features (the commitment form,
the minutes, the year-end dossier) fill a :class:`PartyDocument`; several of them make one
file with :func:`render_many_docx`, each starting on a new page (a section of its own).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from bot.render.text import strip_control_in

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(13)
TABLE_TEXT, TABLE_TEXT_ID = "Table Text", "TableText"  # a paragraph style: its name, its id
TABLE_GRID_ID = "TableGrid"  # the id of python-docx's template's "Table Grid" style
PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"
RULE = "-----"  # the short rule under the document's name


BLANK = "....."  # what the paper form leaves to be written by hand


def document_date(day: date | None, year: int | None = None) -> str:
    """ "ngày 05 tháng 02 năm 2026": days 1–9 and months 1–2 with a leading zero, as
    Hướng dẫn 36-HD/VPTW writes them (so that no digit can be added by hand). Without a day,
    blanks to fill in, with ``year`` when it is known."""
    if day is None:
        return f"ngày {BLANK} tháng {BLANK} năm {year or BLANK}"
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def vietnamese_place_date(place: str, day: date | None, year: int | None = None) -> str:
    """ "Cần Thơ, ngày 05 tháng 02 năm 2026": the document's locality and its own date."""
    return f"{place or BLANK}, {document_date(day, year)}"


def clock_time(moment: datetime | None) -> str:
    """ "19 giờ 30 phút" (local time is the caller's); blanks without a time."""
    if moment is None:
        return f"{BLANK} giờ {BLANK} phút"
    return f"{moment.hour} giờ {moment.minute:02d} phút"


@dataclass
class Signature:
    title: str  # e.g. "NGƯỜI CAM KẾT", "T/M CHI BỘ"
    name: str = ""
    note: str = ""  # e.g. "(Ký, ghi rõ họ tên)"
    role: str = ""  # under a "T/M …" title, the signer's office: "BÍ THƯ"


@dataclass
class Table:
    """A grid with a header row, in the body. ``spans`` are the indexes of rows shown as
    one cell across the table (a heading inside it); ``widths`` in cm, empty: even."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)


@dataclass
class PartyDocument:
    issuing_parent: str  # "ĐẢNG BỘ PHƯỜNG NINH KIỀU" ("" at the root: one line)
    issuing_body: str  # "CHI BỘ KHU VỰC 1"
    place_date: str  # vietnamese_place_date(...)
    kind: str  # "BẢN CAM KẾT", "BIÊN BẢN"
    subtitle: str = ""  # the document's name under the kind
    blocks: list[tuple[str, str | Table]] = field(default_factory=list)  # (style, text)
    signatures: list[Signature] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(("heading", text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullet(self, text: str) -> None:
        self.blocks.append(("bullet", text))

    def italic(self, text: str) -> None:
        self.blocks.append(("italic", text))

    def note(self, text: str) -> None:
        """A remark on the bullet above it, indented under it, in italics."""
        self.blocks.append(("note", text))

    def table(
        self,
        header: list[str],
        rows: list[list[str]],
        *,
        widths: list[float] | None = None,
        spans: list[int] | None = None,
    ) -> None:
        self.blocks.append(("table", Table(header, rows, widths or [], spans or [])))


def _style_run(
    run,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = BODY_SIZE,
) -> None:  # type: ignore[no-untyped-def]
    """Only what differs from the paragraph's style (:func:`_page`: Normal has the font, in
    every slot, and the body size, not bold, italic or underlined; ``size`` None: the
    style's): each property set on a run is an element inserted in order, and a cell's
    dossiers have thousands of runs."""
    if size is not None and size != BODY_SIZE:
        run.font.size = size
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if underline:
        run.underline = True


def _cell_line(cell, text: str, **style: object) -> None:  # type: ignore[no-untyped-def]
    paragraph = cell.add_paragraph() if cell.paragraphs[0].text else cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    _style_run(paragraph.add_run(text), **style)  # type: ignore[arg-type]


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    # The East-Asian font slot too, so Word never substitutes another face for Vietnamese.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    # A table's text: set once here rather than on each of thousands of cells.
    table_text = document.styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = TABLE_SIZE
    table_text.paragraph_format.space_after = Pt(0)


def _table_cell(cell, text: str, *, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    paragraph = cell.paragraphs[0]
    paragraph._p.style = TABLE_TEXT_ID  # by id: no lookup of the style by name per cell
    _style_run(paragraph.add_run(text), bold=bold, size=None)


def _table(document: DocxDocument, table: Table) -> None:
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid._tbl.tblStyle_val = TABLE_GRID_ID  # by id: naming it looks through every style
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = list(grid.rows)  # once: python-docx finds a row by index from the first
    for cell, text in zip(rows[0].cells, table.header, strict=True):
        _table_cell(cell, text, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for index, row in enumerate(table.rows):
        cells = rows[index + 1].cells
        if index in table.spans:
            merged = cells[0].merge(cells[-1])
            _table_cell(merged, row[0] if row else "", bold=True)
            continue
        for cell, text in zip(cells, row, strict=False):
            _table_cell(cell, text)
    if table.widths:
        for grid_row in rows:
            for cell, width in zip(grid_row.cells, table.widths, strict=False):
                cell.width = Cm(width)


def _write(document: DocxDocument, doc: PartyDocument) -> None:
    """One Party document into ``document``, from where it stands."""
    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    if doc.issuing_parent:
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
    rule = document.add_paragraph()
    rule.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _style_run(rule.add_run(RULE))

    for style, text in doc.blocks:
        if isinstance(text, Table):
            _table(document, text)
            continue
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
        elif style == "note":
            paragraph.paragraph_format.left_indent = Cm(1.25)
            _style_run(paragraph.add_run(text), italic=True)
        else:
            paragraph.paragraph_format.first_line_indent = Cm(1)
            _style_run(paragraph.add_run(text))

    if doc.signatures:
        document.add_paragraph()
        table = document.add_table(rows=1, cols=len(doc.signatures))
        for cell, signature in zip(table.rows[0].cells, doc.signatures, strict=True):
            _cell_line(cell, signature.title.upper(), bold=True)
            if signature.role:
                _cell_line(cell, signature.role.upper(), bold=True)
            if signature.note:
                _cell_line(cell, signature.note, italic=True)
            for _ in range(3):
                _cell_line(cell, "")
            if signature.name:
                _cell_line(cell, signature.name, bold=True)


def _bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_docx(doc: PartyDocument) -> bytes:
    # XML cannot hold control characters: one member's name with \x01 must not break the file.
    document = Document()
    _page(document)
    _write(document, strip_control_in(doc))
    return _bytes(document)


def render_many_docx(docs: list[PartyDocument]) -> bytes:
    """Several documents in one file, each from the top of a new page, in a section of its
    own (the page setup carries over)."""
    document = Document()
    _page(document)
    for index, doc in enumerate(docs):
        if index:
            document.add_section(WD_SECTION.NEW_PAGE)
        _write(document, strip_control_in(doc))
    return _bytes(document)
