"""The sandbox in a real browser: `cadrebot sandbox` as a newcomer starts it, and Debian's
chromium (driven by Playwright, never a downloaded browser) walks a member through filing
her commitment with the buttons, then checks what the secretary sees."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

if TYPE_CHECKING:  # imported in the test, so a missing playwright fails with a clear message
    from playwright.sync_api import Locator
    from playwright.sync_api._context_manager import PlaywrightContextManager

CHROMIUM = Path(os.environ.get("CADREBOT_CHROMIUM", "/usr/bin/chromium"))
BICH, AN = 1002, 1001  # a member of Chi bộ Khu phố 1, and its secretary
HOSTILE = 'Học tập <b>nghị quyết</b> <img src=x onerror="window.__pwned=1"> đầy đủ'
URL_LINE = re.compile(r"^\s*(http://127\.0\.0\.1:\d+)\s*$")
STARTUP = 60.0  # seconds for the sandbox to seed and start on a busy machine


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[str]:
    """The sandbox as a separate process (as `make sandbox` runs it) on a free port; its URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "CADREBOT_"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--dir", str(tmp_path / "sb")],
        cwd=tmp_path,  # no developer .env is read
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    found: list[str] = []
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:  # a thread: readline would block the test past a hung start
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if (match := URL_LINE.match(line)) and not found:
                found.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(STARTUP) or not found:
            process.kill()
            _, err = process.communicate(timeout=10)
            pytest.fail(f"the sandbox did not start:\n{''.join(seen)}\n{err}")
        yield found[0]
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _browser_or_fail() -> Callable[[], PlaywrightContextManager]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the sandbox's browser test needs Debian's chromium. "
            "`make test` installs it (apt-get install -y chromium); install it by hand if that "
            "failed, or set CADREBOT_CHROMIUM to a chromium binary."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: install the test extra (`make test`)")
    return sync_playwright


def test_member_files_a_commitment_in_the_browser(sandbox: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year  # the sandbox's campaign year
    with _browser_or_fail()() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="vi-VN")
            page.set_default_timeout(20_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(sandbox)
            expect(page.locator("#featured .persona")).to_have_count(4)

            def bot_says(text: str) -> Locator:
                """The newest bot message containing ``text``, once it is shown."""
                found = page.locator(".msg.bot", has_text=text).last
                expect(found).to_be_visible()
                return found

            def press(message: Locator, label: str) -> None:
                message.locator("button.inline-btn", has_text=label).first.click()

            def type_line(text: str) -> None:
                page.fill("#input", text)
                page.press("#input", "Enter")

            page.click(f'.persona[data-persona="{BICH}"]')
            expect(page.locator("#chat-title")).to_have_text("Trần Thị Bích")
            # The demo already reached her: the invitations and the story sent at start.
            bot_says("Giấy mời")

            type_line("/commit")
            expect(page.locator(".msg.user").last).to_have_text(re.compile("/commit"))
            menu = bot_says(f"Bản cam kết năm {year}")
            expect(menu.locator("b", has_text=f"Bản cam kết năm {year}")).to_be_visible()
            press(menu, "Về tư tưởng chính trị")
            bot_says("ký tự")
            type_line(HOSTILE)
            saved = bot_says("Đã lưu")
            press(saved, "Bỏ qua")
            menu = bot_says("(1)")
            expect(menu.locator("button.inline-btn", has_text="Về tư tưởng chính trị (1)"))
            press(menu, "Xem trước")
            # The bot escaped her text; the page shows it as text and runs none of it.
            preview = bot_says('<img src=x onerror="window.__pwned=1">')
            expect(preview.locator("b", has_text="Trần Thị Bích")).to_be_visible()
            assert page.evaluate("window.__pwned") is None
            assert page.locator(".messages img:not(.photo)").count() == 0
            press(preview, "Gửi")
            confirm = bot_says("Nộp bản cam kết này")
            press(confirm, "Xác nhận")
            bot_says(f"đã nộp bản cam kết năm {year} (phiên bản 1)")

            # A document from the bot: her year's dossier, downloadable from the page.
            type_line("/dossier")
            document = page.locator('.msg.bot[data-kind="document"]').last
            expect(document.locator("a.download")).to_have_text(re.compile(r"\.docx$"))
            href = document.locator("a.download").get_attribute("href")
            assert href is not None
            download = page.request.get(sandbox + href)
            assert download.ok and download.body()[:2] == b"PK"  # a DOCX is a ZIP

            # The secretary of her cell was told, in her own chat.
            page.click(f'.persona[data-persona="{AN}"]')
            expect(page.locator("#chat-title")).to_have_text("Nguyễn Văn An")
            bot_says("Trần Thị Bích đã nộp")

            page.click(f'.persona[data-persona="{BICH}"]')
            bot_says(f"đã nộp bản cam kết năm {year}")
            shot = tmp_path / "sandbox.png"
            page.screenshot(path=str(shot), full_page=True)
            assert errors == []
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
