"""The bot as a real process: graceful SIGTERM, and webhook mode checking the secret."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import httpx

from fake_telegram import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(server: FakeTelegramServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        CADREBOT_DB=str(tmp_path / "bot.sqlite3"),
        **extra,
    )
    return env


async def _start(env: dict[str, str], tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_sigterm_stops_the_bot_gracefully(server: FakeTelegramServer, tmp_path) -> None:
    server.add_user(4242, "Someone", language_code="vi")
    process = await _start(_env(server, tmp_path), tmp_path)
    try:
        await server.wait_for_request("getUpdates", timeout=30)
        server.send_text(4242, "/start")
        reply = await server.next_message(4242, timeout=15)
        assert "mã mời" in reply.text
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
    output = (await process.stdout.read()).decode()
    assert code == 0, output
    assert "Traceback" not in output
    assert server.token not in output


async def test_webhook_mode_requires_the_secret_token(server: FakeTelegramServer, tmp_path) -> None:
    port = _free_port()
    env = _env(
        server,
        tmp_path,
        CADREBOT_WEBHOOK_URL="https://bot.example.org/telegram",
        CADREBOT_WEBHOOK_LISTEN="127.0.0.1",
        CADREBOT_WEBHOOK_PORT=str(port),
        CADREBOT_WEBHOOK_SECRET="s3cret-Value_1",
        CADREBOT_LOG_LEVEL="DEBUG",  # python-telegram-bot logs setWebhook's parameters
    )
    server.add_user(4343, "Someone", language_code="en")
    process = await _start(env, tmp_path)
    try:
        await server.wait_for_request("setWebhook", timeout=30)
        assert server.webhook["secret_token"] == "s3cret-Value_1"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1767225600,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                "chat": {"id": 4343, "type": "private", "first_name": "Someone"},
                "from": {
                    "id": 4343,
                    "is_bot": False,
                    "first_name": "Someone",
                    "language_code": "en",
                },
            },
        }
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the server may take a moment to listen
                try:
                    refused = await client.post(url, json=update)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert refused.status_code == 403
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status_code == 403
            await server.no_message(4343, wait=0.5)
            accepted = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Value_1"}
            )
            assert accepted.status_code == 200
        reply = await server.next_message(4343, timeout=15)
        assert "invite code" in reply.text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
        output = (await process.stdout.read()).decode()
        assert "setWebhook" in output or "webhook" in output.lower()  # DEBUG did log
        assert "s3cret-Value_1" not in output and server.token not in output
    finally:
        if process.returncode is None:
            process.kill()


async def _queue_broadcast(db_path: Path, chats: range) -> None:
    """Messages waiting in the outbox before the bot starts, one per chat, each its own text."""
    from datetime import UTC

    from bot.clock import Clock
    from bot.delivery import Outbox, Recipient
    from storage import Database

    async with Database(db_path) as db:
        outbox = Outbox(Clock(UTC))
        async with db.write() as store:
            queued = await outbox.queue(
                store,
                kind="test",
                template="text",
                to=[Recipient(chat, params={"text": f"Tin số {chat}"}) for chat in chats],
            )
    assert queued == len(chats)


def _sent_to(server: FakeTelegramServer, chats: range) -> dict[int, int]:
    counts = dict.fromkeys(chats, 0)
    for record in server.requests_for("sendMessage"):
        chat = int(record.params.get("chat_id", 0))
        if record.ok and chat in counts:
            counts[chat] += 1
    return counts


async def test_a_broadcast_killed_midway_resumes_with_nothing_lost(
    server: FakeTelegramServer, tmp_path
) -> None:
    chats = range(7000, 7150)
    for chat in chats:
        server.add_user(chat, f"Người {chat}")
    server.enforce_limits(overall=30, per_chat=1.0)
    env = _env(server, tmp_path)
    await _queue_broadcast(tmp_path / "bot.sqlite3", chats)
    process = await _start(env, tmp_path)
    try:
        for _ in range(600):  # until about half has gone out
            if sum(_sent_to(server, chats).values()) >= len(chats) // 2:
                break
            await asyncio.sleep(0.05)
        process.kill()  # SIGKILL: no shutdown of any kind
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
    at_kill = sum(_sent_to(server, chats).values())
    assert 0 < at_kill < len(chats)
    process = await _start(env, tmp_path)
    try:
        for _ in range(1200):
            if all(_sent_to(server, chats).values()):
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        if process.returncode is None:
            process.kill()
    counts = _sent_to(server, chats)
    assert all(counts.values()), "a message was lost"
    duplicates = sum(count - 1 for count in counts.values())
    # Only a message on the wire at the kill can arrive twice; at 30 a second that is one.
    assert duplicates <= 2, duplicates


async def test_sigterm_does_not_wait_for_a_whole_broadcast(
    server: FakeTelegramServer, tmp_path
) -> None:
    chats = range(8000, 9000)
    for chat in chats:
        server.add_user(chat, f"Người {chat}")
    await _queue_broadcast(tmp_path / "bot.sqlite3", chats)
    process = await _start(_env(server, tmp_path), tmp_path)
    try:
        for _ in range(600):
            if sum(_sent_to(server, chats).values()) >= 30:
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        if process.returncode is None:
            process.kill()
    sent = sum(_sent_to(server, chats).values())
    # At 30 a second the broadcast needs over half a minute; the bot stopped long before, and
    # what it did not send waits in the outbox for the next start.
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        queued = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").fetchone()[0]
    assert sent < len(chats) and queued == len(chats) - sent
