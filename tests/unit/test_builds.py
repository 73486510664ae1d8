"""bot/builds: a file built in a child process that reads the same database file, in the
asker's language and at the moment they asked; refusals come back as themselves, failures
and dead children as one plain message, and a full builder says so at once."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.builds import BuilderBusy, BuildFailed, FileBuilder
from bot.clock import FixedClock
from bot.context import Services
from bot.errors import NotFound
from bot.i18n import use_locale
from storage import Database
from tests.unit import build_helpers


@pytest.fixture
def builder(services: Services) -> FileBuilder:
    return services.builder


async def test_a_build_runs_in_a_child_on_the_same_file(
    builder: FileBuilder, db: Database, clock: FixedClock
) -> None:
    async with db.write() as store:
        await store.conn.execute(
            "INSERT INTO units (code, name, kind, path, created_at, updated_at) "
            "VALUES ('CB-9', 'Chi bộ 9', 'cell', '/9/', '2026-01-01', '2026-01-01')"
        )
    with use_locale("en"):
        english = await builder.build(build_helpers.reads, "hello")
    built = await builder.build(build_helpers.reads, "xin chào")
    assert built.pid == built.facts["pid"] != os.getpid()
    assert english.pid != built.pid  # one child per build: each exits when done
    assert built.name == "echo.txt" and built.content == "xin chào".encode()
    assert built.facts["units"] == 1  # the parent's committed write, read by the child
    assert (english.facts["locale"], english.facts["word"]) == ("en", "Year")
    assert (built.facts["locale"], built.facts["word"]) == ("vi", "Năm")
    assert built.facts["today"] == clock.today()


async def test_a_refusal_in_the_child_comes_back_as_itself(builder: FileBuilder) -> None:
    with pytest.raises(NotFound) as refused:
        await builder.build(build_helpers.refuses, "X-1")
    assert refused.value.render() == "Không có đơn vị nào có mã 'X-1'."


async def test_a_failing_child_is_a_plain_message_and_a_log_line(
    builder: FileBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    logged = caplog.at_level(logging.ERROR, logger="bot.builds.runner")
    with logged, pytest.raises(BuildFailed) as failed:
        await builder.build(build_helpers.fails)
    assert "the renderer broke" in caplog.text and "Traceback" in caplog.text
    assert "renderer" not in failed.value.render()
    assert failed.value.render().startswith("Chưa tạo được tệp.")
    # The slot is free again and the next build works.
    assert (await builder.build(build_helpers.reads, "again")).content == b"again"


async def test_a_child_that_dies_is_a_plain_message(
    builder: FileBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.builds.runner"), pytest.raises(BuildFailed):
        await builder.build(build_helpers.dies)
    assert "ended without a result" in caplog.text


async def test_a_build_past_its_time_is_stopped(builder: FileBuilder) -> None:
    builder.timeout = 0.5
    with pytest.raises(BuildFailed):
        await builder.build(build_helpers.hangs)
    builder.timeout = 60
    assert (await builder.build(build_helpers.reads, "after")).content == b"after"


async def test_a_full_builder_says_so_at_once(builder: FileBuilder) -> None:
    assert builder.slots == 2  # CADREBOT_FILE_BUILDS' default
    with builder.slot(), builder.slot(), pytest.raises(BuilderBusy) as busy:
        await builder.build(build_helpers.reads, "too many")
    assert busy.value.render().startswith("Hệ thống đang chuẩn bị một tệp lớn khác.")
    with builder.slot():  # one of two taken: there is room
        assert (await builder.build(build_helpers.reads, "room")).content == b"room"


async def test_a_database_in_memory_is_built_in_this_process(
    clock: FixedClock, tmp_path: Path
) -> None:
    builder = FileBuilder(Database(":memory:"), clock, timezone="Asia/Ho_Chi_Minh")
    assert builder.in_process
    with pytest.raises(NotFound):
        await builder.build(build_helpers.refuses, "X-2")
