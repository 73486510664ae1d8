"""Large files built in a child process, end to end: the workbook typed with /report export
and a cell's dossiers arrive, built by another process; while every build slot is taken the
person is told to wait, and a build that fails gives one plain message while the bot keeps
answering."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.builds import BuiltFile, FileBuilder
from bot.context import services_of
from storage import Database
from tests.e2e.conftest import Harness

AN, GIANG = 1001, 1007  # CB-1's secretary, DU-NK's committee member
BUSY = "Hệ thống đang chuẩn bị một tệp lớn khác. Đồng chí vui lòng đợi một, hai phút"
FAILED = "Chưa tạo được tệp. Đồng chí vui lòng thử lại sau ít phút"


@pytest.fixture
async def ready(org: Harness) -> Harness:
    code, _, err = await org.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    return org


def builder_of(harness: Harness) -> FileBuilder:
    assert harness.app is not None
    return services_of(harness.app).builder


def record_builds(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> list[BuiltFile]:
    """Every file the bot's builder hands back, with the pid of the process that built it."""
    builder = builder_of(harness)
    real = builder.build
    built: list[BuiltFile] = []

    async def recording(function, *args):  # type: ignore[no-untyped-def]
        result = await real(function, *args)
        built.append(result)
        return result

    monkeypatch.setattr(builder, "build", recording)
    return built


def audited(harness: Harness, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(harness.db_path) as conn:
        return conn.execute(
            "SELECT target, outcome FROM audit_log WHERE action = ? ORDER BY id", (action,)
        ).fetchall()


async def test_the_workbook_and_a_cells_dossiers_are_built_in_another_process(
    ready: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = record_builds(ready, monkeypatch)
    book = await ready.say(GIANG, "/report export DU-NK 2026", timeout=60)
    assert book.kind == "document" and (book.file_name or "").endswith(".xlsx"), book
    assert "Đảng viên" in load_workbook(io.BytesIO(book.file_bytes or b"")).sheetnames
    assert "(7 đảng viên)" in book.plain_text
    assert audited(ready, "report.export") == [("DU-NK", "ok")]

    cell = await ready.say(AN, "/dossier cell CB-1", timeout=60)
    assert cell.kind == "document"
    assert cell.file_name == "ho-so-kiem-diem-2026-chi-bo-khu-vuc-1.docx"
    assert len(Document(io.BytesIO(cell.file_bytes or b"")).sections) == 4

    assert [b.name for b in built] == [book.file_name, cell.file_name]
    assert all(b.pid not in (0, os.getpid()) for b in built)
    assert built[0].content == book.file_bytes


async def test_while_every_slot_builds_the_person_is_told_to_wait(ready: Harness) -> None:
    builder = builder_of(ready)
    with builder.slot(), builder.slot():
        busy = await ready.say(GIANG, "/report export DU-NK 2026")
        assert busy.kind == "text" and busy.plain_text.startswith(BUSY), busy.plain_text
        review = await ready.say(GIANG, "/report review 2026")
        assert review.kind == "text" and review.plain_text.startswith(BUSY)
        help_text = await ready.say(AN, "/help")  # everyone else is answered meanwhile
        assert help_text.kind == "text" and "/dossier" in help_text.plain_text
    book = await ready.say(GIANG, "/report export DU-NK 2026", timeout=60)
    assert book.kind == "document"


async def test_a_failing_build_is_one_plain_message_and_the_bot_keeps_answering(
    ready: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = builder_of(ready)
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database, " * 512)
    builder.db = Database(broken)  # what the child opens: it fails there, not in the bot
    failed = await ready.say(GIANG, "/report export DU-NK 2026", timeout=60)
    assert failed.kind == "text" and failed.plain_text.startswith(FAILED), failed.plain_text
    assert "Traceback" not in failed.plain_text and "database" not in failed.plain_text
    assert "failed in its process" in caplog.text
    assert audited(ready, "report.export") == []  # nothing was exported
    cell = await ready.say(AN, "/dossier cell CB-1", timeout=60)
    assert cell.plain_text.startswith(FAILED)
    help_text = await ready.say(GIANG, "/help")
    assert help_text.kind == "text" and "/report" in help_text.plain_text
