"""A streaming XLSX writer for big tables: the same file openpyxl's write-only mode makes
(inline strings, the same styles, a frozen header, sized columns), written as XML text.

Why not openpyxl itself: its write-only mode spends about 5 µs on each cell (a cell object,
then lxml's incremental writer), so a city's export of 7 million cells took 40 s. Here a row
is one formatted string: about ten times faster, and nothing but the file is kept.
:mod:`bot.render.exports` decides what each value becomes (formula safety, control
characters, dates); this module only writes cells:

- ``str``: an inline string cell (``t="inlineStr"``), never a formula or an error;
- ``bool``, ``int``, ``float``: a boolean or number cell, numbers with a column's format;
- ``date``: a number cell (Excel's day serial) formatted as :data:`DATE_FORMAT`;
- ``None`` or ``""``: no value.

When a sheet's column widths are not given, they are measured on the way and the rows wait
in a temporary file (Excel wants ``<cols>`` before the rows), so a table is read only once.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import IO

from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.theme import theme_xml

DATE_FORMAT = "DD/MM/YYYY"  # the Vietnamese way, in Excel's number-format language
WIDTH_MIN = 6
FLUSH_ROWS = 2000  # rows joined into one write

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument"
_HEADER_STYLE = 1  # cellXfs: 0 the default, 1 bold, then number formats as first used
_DEFAULT_DATE = "yyyy-mm-dd"  # openpyxl registers it in every workbook: numFmtId 164


def escape(text: str) -> str:
    """Text as XML character data, as lxml writes it (a carriage return as ``&#13;``, so
    that a reader gets it back rather than a normalised line end)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def _string_cell(ref: str, text: str, style: str = "") -> str:
    if not text:
        return f'<c r="{ref}"{style} t="inlineStr"></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _ascii(xml: str) -> bytes:
    """XML text as bytes the way openpyxl's writer (lxml, no encoding) gives it: ASCII,
    anything else as a character reference (``&#259;``)."""
    return xml.encode("ascii", "xmlcharrefreplace")


def _number(value: float) -> str:
    """As openpyxl writes a number (``%.16g``; nothing for NaN and infinities)."""
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    return f"{value:.16g}"


class XlsxBook:
    """A workbook written sheet by sheet into a ZIP in memory; :meth:`save` gives its bytes.
    ``text`` turns any value that is not a number, a boolean, a date or None into the text
    of its cell, ``clean`` a ``str`` (most cells: the short way); formula safety and control
    characters are the caller's (exports.py)."""

    def __init__(
        self,
        text: Callable[[object], str],
        clean: Callable[[str], str],
        *,
        creator: str = "openpyxl",
        title: str = "",
    ) -> None:
        self.creator = creator
        self.title = title
        self._text = text
        self._clean = clean
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._sheets: list[str] = []
        self._formats: list[str] = []  # the number formats of cellXfs 2, 3, …: first used first
        self._serials: dict[date, str] = {}  # a date's serial, once per distinct day

    def _style(self, fmt: str) -> str:
        """The style attribute of a number format, given ids in the order of first use (as
        openpyxl does, so that the files are the same to the byte)."""
        if fmt not in self._formats:
            self._formats.append(fmt)
        return f' s="{_HEADER_STYLE + 1 + self._formats.index(fmt)}"'

    def _serial(self, day: date) -> str:
        found = self._serials.get(day)
        if found is None:
            found = self._serials[day] = _number(to_excel(day))
        return found

    def add_sheet(
        self,
        title: str,
        header: Sequence[object],
        rows: Iterable[Sequence[object]],
        widths: Sequence[int],
        number_formats: dict[int, str] | None = None,
        measure: Callable[[object], int] | None = None,
    ) -> None:
        """One sheet: ``header`` in bold and frozen, then ``rows`` as they come (read once).
        ``widths`` (characters) sizes the columns; with ``measure`` (a value's width), each
        column of the header widens to fit its values, the rows waiting in a temporary
        file meanwhile."""
        self._sheets.append(title)
        styles = number_formats or {}
        letters = [get_column_letter(i) for i in range(1, len(header) + 1)]
        first = "".join(
            _string_cell(f"{letters[i]}1", self._text(v), f' s="{_HEADER_STYLE}"')
            for i, v in enumerate(header)
        )
        path = f"xl/worksheets/sheet{len(self._sheets)}.xml"
        with self._zip.open(path, "w", force_zip64=True) as out:
            if measure is None:
                out.write(self._top(widths).encode())
                out.write(_ascii(f'<row r="1">{first}</row>'))
                self._rows(out, rows, letters, styles, None)
            else:
                measured = list(widths)
                with tempfile.TemporaryFile() as spool:
                    self._rows(spool, rows, letters, styles, (measured, measure))
                    out.write(self._top(measured).encode())
                    out.write(_ascii(f'<row r="1">{first}</row>'))
                    spool.seek(0)
                    shutil.copyfileobj(spool, out, 1 << 20)
            out.write(
                b'</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" '
                b'header="0.5" footer="0.5"/></worksheet>'
            )

    def _top(self, widths: Sequence[int]) -> str:
        cols = "".join(
            f'<col width="{max(WIDTH_MIN, w) + 2}" customWidth="1" min="{i}" max="{i}"/>'
            for i, w in enumerate(widths, start=1)
        )
        return (
            f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" '
            'summaryRight="1"/><pageSetUpPr/></sheetPr><sheetViews><sheetView '
            'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/>'
            '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
            f"{'<cols>' + cols + '</cols>' if cols else ''}<sheetData>"
        )

    def _rows(
        self,
        out: IO[bytes],
        rows: Iterable[Sequence[object]],
        letters: list[str],
        formats: dict[int, str],
        measure: tuple[list[int], Callable[[object], int]] | None,
    ) -> None:
        """Writes the rows from the second on; with ``measure`` (widths, width of a value),
        widens the columns of the header to fit the values, up to the width's own cap."""
        text, clean, serial = self._text, self._clean, self._serial
        date_style = ""  # until the first date: its style
        styles: dict[int, str] = {}  # a column's number format's style, from its first number
        widths, width = measure if measure else ([], None)
        columns = len(widths) if width else 0
        chunk: list[str] = []
        for number, row in enumerate(rows, start=2):
            r = str(number)
            parts = [f'<row r="{r}">']
            for index, value in enumerate(row):
                if value is None:
                    continue
                if index < columns:
                    shown = width(value)  # type: ignore[misc]
                    if shown > widths[index]:
                        widths[index] = shown
                if index >= len(letters):
                    letters.append(get_column_letter(index + 1))
                ref = letters[index] + r
                if type(value) is str:
                    parts.append(_string_cell(ref, clean(value)))
                elif isinstance(value, bool):
                    parts.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, int | float):
                    style = ""
                    if index in formats:
                        style = styles.get(index) or styles.setdefault(
                            index, self._style(formats[index])
                        )
                    parts.append(f'<c r="{ref}"{style} t="n"><v>{_number(value)}</v></c>')
                elif isinstance(value, date) and not isinstance(value, datetime):
                    date_style = date_style or self._style(DATE_FORMAT)
                    parts.append(f'<c r="{ref}"{date_style} t="n"><v>{serial(value)}</v></c>')
                else:
                    parts.append(_string_cell(ref, text(value)))
            parts.append("</row>")
            chunk.append("".join(parts))
            if len(chunk) >= FLUSH_ROWS:
                out.write(_ascii("".join(chunk)))
                chunk.clear()
        if chunk:
            out.write(_ascii("".join(chunk)))

    def save(self) -> bytes:
        """Writes the workbook's other parts and closes it: the file's bytes."""
        sheets = range(1, len(self._sheets) + 1)
        self._part(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.spreadsheetml.'
            'styles+xml"/><Override PartName="/xl/theme/theme1.xml" ContentType="'
            f'{_TYPES}.theme+xml"/><Override PartName="/docProps/core.xml" ContentType="'
            'application/vnd.openxmlformats-package.core-properties+xml"/><Override '
            f'PartName="/docProps/app.xml" ContentType="{_TYPES}.extended-properties+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="'
                f'{_TYPES}.spreadsheetml.worksheet+xml"/>'
                for i in sheets
            )
            + f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.spreadsheetml.'
            'sheet.main+xml"/></Types>',
        )
        self._part(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Type="{_REL}/officeDocument" '
            'Target="xl/workbook.xml" Id="rId1"/><Relationship Type="'
            f'{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml" Id="rId2"/>'
            f'<Relationship Type="{_REL}/extended-properties" Target="docProps/app.xml" '
            'Id="rId3"/></Relationships>',
        )
        self._part(
            "docProps/app.xml",
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>Microsoft Excel Compatible / cadrebot'
            "</Application><AppVersion>3.1</AppVersion></Properties>",
        )
        self._part("docProps/core.xml", self._core())
        self._part(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}"><workbookPr/><workbookProtection/><bookViews>'
            '<workbookView visibility="visible" minimized="0" showHorizontalScroll="1" '
            'showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" '
            'activeTab="0" autoFilterDateGrouping="1"/></bookViews><sheets>'
            + "".join(
                f'<sheet xmlns:r="{_REL}" name="{_attribute(name)}" sheetId="{i}" '
                f'state="visible" r:id="rId{i}"/>'
                for i, name in enumerate(self._sheets, start=1)
            )
            + '</sheets><definedNames/><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>',
        )
        count = len(self._sheets)
        self._part(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Type="{_REL}/worksheet" Target="/xl/worksheets/sheet{i}.xml" '
                f'Id="rId{i}"/>'
                for i in sheets
            )
            + f'<Relationship Type="{_REL}/styles" Target="styles.xml" Id="rId{count + 1}"/>'
            f'<Relationship Type="{_REL}/theme" Target="theme/theme1.xml" '
            f'Id="rId{count + 2}"/></Relationships>',
        )
        self._part("xl/styles.xml", self._styles())
        self._part("xl/theme/theme1.xml", theme_xml)
        self._zip.close()
        return self._buffer.getvalue()

    def _part(self, path: str, xml: str) -> None:
        self._zip.writestr(path, xml.encode())

    def _core(self) -> str:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        terms = 'xmlns:dcterms="http://purl.org/dc/terms/"'
        xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="dcterms:W3CDTF"'
        title = (
            f'<dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">{escape(self.title)}</dc:title>'
            if self.title
            else ""
        )
        return (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties"><dc:creator xmlns:dc="http://purl.org/dc/elements/'
            f'1.1/">{escape(self.creator)}</dc:creator>{title}'
            f"<dcterms:created {terms} {xsi}>{now}</dcterms:created>"
            f"<dcterms:modified {terms} {xsi}>{now}</dcterms:modified></cp:coreProperties>"
        )

    def _styles(self) -> str:
        custom: list[tuple[int, str]] = [(164, _DEFAULT_DATE)]
        ids = []
        for fmt in self._formats:
            found = BUILTIN_FORMATS_REVERSE.get(fmt)
            if found is None:
                found = 164 + len(custom)
                custom.append((found, fmt))
            ids.append(found)
        xf = '<xf numFmtId="{}" fontId="{}" fillId="0" borderId="0" pivotButton="0" '
        xf += 'quotePrefix="0" xfId="0"/>'
        cells = [xf.format(0, 0), xf.format(0, 1), *(xf.format(i, 0) for i in ids)]
        colors = "".join(f'<rgbColor rgb="{rgb}"/>' for rgb in COLOR_INDEX[:64])
        formats = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attribute(code)}"/>' for i, code in custom
        )
        return (
            f'<styleSheet xmlns="{_MAIN}"><numFmts count="{len(custom)}">{formats}</numFmts>'
            '<fonts count="2"><font><name val="Calibri"/><family val="2"/><color theme="1"/>'
            '<sz val="11"/><scheme val="minor"/></font><font><b val="1"/></font></fonts>'
            '<fills count="2"><fill><patternFill/></fill><fill><patternFill '
            'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
            '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
            'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(cells)}">{"".join(cells)}</cellXfs><cellStyles count="1">'
            '<cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles>'
            '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
            f'defaultPivotStyle="PivotStyleLight16"/><colors><indexedColors>{colors}'
            "</indexedColors></colors></styleSheet>"
        )
