"""The report's files in the chat, end to end: the charts arrive as photos with a caption,
the workbook as a document people can open, and a secretary asking for another cell's
workbook is refused. ``/report`` (another part of issue 12) will call these functions; until
it is wired, the test reaches them through a handler of its own, behind the real gate."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.context import CadreContext, services_of
from bot.services.reports.model import Figures, MonthAttendance, Overview, Period
from handlers.reports.files_send import send_chart, send_workbook
from tests.e2e.conftest import Harness

SECRETARY, EM, GIANG = 1001, 1005, 1007  # CB-1's and CB-2's secretaries, DU-NK's committee
H1 = Period(2026, date(2026, 1, 1), date(2026, 6, 30), "2026-H1")
PNG = b"\x89PNG\r\n\x1a\n"


async def _units(org: Harness) -> dict:
    assert org.app is not None
    async with services_of(org.app).db.read() as store:
        return {unit.code: unit for unit in await store.units.all()}


@pytest.fixture
async def wired(org: Harness, tmp_path: Path) -> Harness:
    """``files chart CODE`` and ``files xlsx CODE`` typed by a registered member reach the
    two functions (after the gate, as /report will)."""
    units = await _units(org)

    async def chart(update: Update, context: CadreContext) -> None:
        code = context.matches[0].group(1)  # type: ignore[index]
        rows = [
            Figures(units["CB-1"], members=4, expected=4, filed=3, invited=8, present=7),
            Figures(units["CB-2"], members=2, expected=1, filed=0, invited=2, present=1),
        ]
        total = Figures(units[code], members=6, expected=5, filed=3, invited=10, present=8)
        trend = [
            MonthAttendance(date(2026, 1, 1), 4, 3),
            MonthAttendance(date(2026, 2, 1), 0, 0),
            MonthAttendance(date(2026, 3, 1), 6, 5),
        ]
        if code == "CB-2":  # nothing filed or held yet
            overview = Overview(H1, Figures(units[code]), [], [])
        else:
            overview = Overview(H1, total, rows if code == "DU-NK" else [], trend)
        await send_chart(update, context, overview)
        raise ApplicationHandlerStop  # as a command's handler would: nothing else answers

    async def workbook(update: Update, context: CadreContext) -> None:
        code = context.matches[0].group(1)  # type: ignore[index]
        await send_workbook(update, context, units[code], H1)
        raise ApplicationHandlerStop

    assert org.app is not None
    org.app.add_handler(MessageHandler(filters.Regex(r"^files chart (\S+)$"), chart), group=-5)
    org.app.add_handler(MessageHandler(filters.Regex(r"^files xlsx (\S+)$"), workbook), group=-5)
    return org


async def test_the_charts_arrive_as_photos_with_a_caption(wired: Harness) -> None:
    wired.server.send_text(GIANG, "files chart DU-NK")
    bars, trend = await wired.server.next_messages(GIANG, 2)
    assert bars.kind == "photo" and trend.kind == "photo"
    assert bars.plain_text.startswith("Đảng ủy phường Ninh Kiều · 6 tháng đầu năm 2026\n")
    assert "đường nét đứt là mục tiêu: 100% với bản cam kết, 90% với tỷ lệ tham gia sinh hoạt" in (
        bars.plain_text
    )
    assert trend.plain_text.endswith("\nTỷ lệ tham gia sinh hoạt từng tháng.")
    for photo in (bars, trend):
        assert photo.file_bytes is not None and photo.file_bytes.startswith(PNG)


async def test_the_workbook_arrives_as_a_document_people_can_open(wired: Harness) -> None:
    wired.server.send_text(GIANG, "files xlsx DU-NK")
    sent = await wired.server.next_message(GIANG)
    assert sent.kind == "document"
    assert sent.file_name == "bao-cao-2026-h1-dang-uy-phuong-ninh-kieu.xlsx"
    assert re.search(r"\(7 đảng viên\)", sent.plain_text), sent.plain_text
    book = load_workbook(io.BytesIO(sent.file_bytes))
    assert book.sheetnames[0] == "Đảng viên"
    names = [row[3] for row in book["Đảng viên"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(
        [
            "Nguyễn Văn An",
            "Trần Thị Bích",
            "Lê Hoàng Cường",
            "Phạm Thu Dung",
            "Võ Minh Em",
            "Đặng Văn Phúc",
            "Hồ Thị Giang",
        ]
    )


async def test_a_secretary_gets_her_cell_only(wired: Harness) -> None:
    wired.server.send_text(SECRETARY, "files xlsx CB-2")
    refused = await wired.server.next_message(SECRETARY)
    assert refused.kind == "text"
    assert "Chỉ bí thư, phó bí thư hoặc cấp ủy cấp trên của Chi bộ Khu vực 2" in (
        refused.plain_text
    )
    assert "báo cáo của đơn vị mình" in refused.plain_text
    wired.server.send_text(SECRETARY, "files xlsx CB-1")
    own = await wired.server.next_message(SECRETARY)
    book = load_workbook(io.BytesIO(own.file_bytes))
    units = {row[1] for row in book["Đảng viên"].iter_rows(min_row=2, values_only=True)}
    assert units == {"Chi bộ Khu vực 1"}


async def test_a_cell_without_figures_gets_one_clear_picture(wired: Harness) -> None:
    wired.server.send_text(EM, "files chart CB-2")
    photo = await wired.server.next_message(EM)
    assert photo.kind == "photo" and photo.file_bytes.startswith(PNG)
    assert photo.plain_text == (
        "Chi bộ Khu vực 2 · 6 tháng đầu năm 2026\nChưa có số liệu cho kỳ này."
    )
    await wired.server.wait_idle()
    assert len(wired.server.messages(EM)) == 1  # no trend without a meeting held


async def test_report_offers_the_chart_the_workbook_and_the_dossier(org: Harness) -> None:
    """The real /report: its buttons bring the charts, the workbook and a member's dossier;
    a forged button for a unit out of scope is refused."""
    code, _, err = await org.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    overview = await org.say(GIANG, "/report 2026")
    labels = [label for label, _ in overview.buttons]
    assert "📊 Biểu đồ" in labels and "📥 Tệp Excel" in labels, labels
    org.server.press_button(GIANG, overview, button_text="📊 Biểu đồ")
    bars = await org.next_new(GIANG)
    assert bars.kind == "photo" and bars.file_bytes and bars.file_bytes.startswith(PNG)
    org.server.press_button(GIANG, overview, button_text="📥 Tệp Excel")
    book = await org.next_new(GIANG)
    assert book.kind == "document" and (book.file_name or "").endswith(".xlsx")
    assert book.file_bytes is not None
    assert "Đảng viên" in load_workbook(io.BytesIO(book.file_bytes)).sheetnames

    cell = await org.press(GIANG, overview, "Chi bộ Khu vực 1")
    one = await org.press(GIANG, cell, "Trần Thị Bích")
    org.server.press_button(GIANG, one, button_text="Hồ sơ")
    dossier = await org.next_new(GIANG)
    assert dossier.kind == "document" and (dossier.file_name or "").endswith(".docx")

    # The cell secretary forges the committee's chart, export and dossier buttons: refused
    # in an alert, nothing sent.
    own = await org.say(SECRETARY, "/report 2026")
    du_nk = units["DU-NK"].id if (units := await _units(org)) else 0
    with sqlite3.connect(org.db_path) as conn:
        em = conn.execute("SELECT id FROM members WHERE code = 'DV005'").fetchone()[0]
    for forged in (f"rp:c:{du_nk}:2026:y", f"rp:x:{du_nk}:2026:y", f"rp:d:{em}:2026"):
        query = org.server.press_button(SECRETARY, own, forged)
        answer = await org.server.wait_callback_answer(query)
        assert answer.show_alert, forged
    await org.server.no_message(SECRETARY)
    typed = await org.say(SECRETARY, "/report export DU-NK 2026")
    assert typed.kind == "text" and "không thuộc phạm vi" in (typed.plain_text or "")
