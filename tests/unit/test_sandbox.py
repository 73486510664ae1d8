"""The sandbox without a browser: the demo's seed, and the page's API over a fake world."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.context import Services
from bot.sandbox import web
from bot.sandbox.seed import MEMBERS, commit_deadline, members_csv, personas, seed
from fake_telegram import BotApi, World
from fake_telegram.types import Upload

BICH = 1002


def test_commit_deadline_is_the_plans_until_it_has_passed() -> None:
    assert commit_deadline(date(2026, 2, 1)) == date(2026, 3, 31)
    assert commit_deadline(date(2026, 3, 31)) == date(2026, 3, 31)
    assert commit_deadline(date(2026, 11, 29)) == date(2026, 12, 31)


def test_personas_put_the_four_roles_first_and_cover_every_member() -> None:
    people = personas()
    assert [p.featured for p in people[:4]] == ["member", "secretary", "committee", "propaganda"]
    assert {p.telegram_id for p in people} == {m[6] for m in MEMBERS}
    assert people[0].full_name == "Trần Thị Bích" and people[0].unit == "Chi bộ Khu phố 1"
    # A position with a comma is quoted, so the roster imports as one field.
    assert '"Bí thư chi bộ, Hiệu trưởng"' in members_csv()


async def test_seed_loads_the_demo_through_the_operators_commands(
    services: Services, settings, tmp_path
) -> None:
    await seed(settings, services, tmp_path / "demo")
    async with services.db.read() as store:
        bich = await store.members.by_telegram_id(BICH)
        assert bich is not None and bich.full_name == "Trần Thị Bích"
    campaign = await services.campaigns.current()
    assert campaign is not None and campaign.year == 2026  # the clock's year
    assert campaign.commit_deadline == date(2026, 3, 31)
    secretary = await services.registration.identify(1001)
    assert secretary.is_registered and secretary.grants
    member = await services.registration.identify(BICH)
    assert len(await services.sessions.upcoming_for_member(member)) == 2  # her cell's two
    async with services.db.read() as store:
        rows = await store.outbox.summary()
    assert sum(count for _kind, _status, count in rows) > 15  # invitations and the story


# --- the page's API --------------------------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient, World]]:
    world = World()
    people = personas()
    for persona in people:
        world.add_user(persona.telegram_id, persona.full_name.split()[-1])
    async with TestClient(TestServer(web.make_app(world, people))) as test_client:
        yield test_client, world


async def test_the_page_and_its_files_are_served_with_a_strict_policy(client) -> None:
    http, _ = client
    page = await http.get("/")
    assert page.status == 200 and "cadrebot" in await page.text()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = await http.get("/static/app.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "innerHTML" not in await script.text()  # the page never parses HTML
    assert (await http.get("/static/..%2fweb.py")).status == 404
    assert (await http.get("/static/seed.py")).status == 404
    people = await (await http.get("/api/personas")).json()
    assert people["personas"][0]["name"] == "Trần Thị Bích"


async def test_a_person_types_and_the_chat_shows_it_with_the_bots_answer(client) -> None:
    http, world = client
    sent = await http.post(f"/api/chats/{BICH}/messages", json={"text": "/commit"})
    assert sent.status == 200
    (update,) = world.pending_updates
    assert update["message"]["text"] == "/commit" and update["message"]["from"]["id"] == BICH
    await BotApi(world).call(
        "sendMessage",
        {
            "chat_id": BICH,
            "text": "<b>Bản cam kết</b> &lt;b&gt;",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "Gửi", "callback_data": "cf:submit"}]]},
        },
    )
    view = await (await http.get(f"/api/chats/{BICH}")).json()
    mine, bots = view["messages"]
    assert (mine["from_bot"], mine["text"]) == (False, "/commit")
    assert mine["entities"][0]["type"] == "bot_command"
    # The page gets plain text and entities: the escaped tag stays text.
    assert bots["text"] == "Bản cam kết <b>"
    assert bots["entities"] == [{"type": "bold", "offset": 0, "length": 11}]
    assert bots["buttons"] == [[{"text": "Gửi", "data": "cf:submit", "url": None}]]


async def test_a_long_poll_returns_when_the_chat_changes(client) -> None:
    http, world = client
    first = await (await http.get(f"/api/chats/{BICH}")).json()
    waiting = asyncio.create_task(http.get(f"/api/chats/{BICH}?since={first['version']}"))
    await asyncio.sleep(0)
    world.send_text(BICH, "Xin chào")
    changed = await (await waiting).json()
    assert changed["version"] != first["version"]
    assert [m["text"] for m in changed["messages"]] == ["Xin chào"]


async def test_a_press_is_a_callback_query_and_brings_back_the_answer(client) -> None:
    http, world = client
    api = BotApi(world)
    sent = await api.call(
        "sendMessage",
        {
            "chat_id": BICH,
            "text": "Chọn",
            "reply_markup": {"inline_keyboard": [[{"text": "Một", "callback_data": "x:1"}]]},
        },
    )
    pressing = asyncio.create_task(
        http.post(
            f"/api/chats/{BICH}/press", json={"message_id": sent["message_id"], "data": "x:1"}
        )
    )
    while not world.pending_updates:
        await world.wait_changed(1)
    (update,) = world.pending_updates
    query = update["callback_query"]
    assert query["data"] == "x:1" and query["from"]["id"] == BICH
    await api.call("answerCallbackQuery", {"callback_query_id": query["id"], "text": "Đã lưu"})
    answer = await (await pressing).json()
    assert answer == {"answered": True, "text": "Đã lưu", "alert": False}
    gone = await http.post(f"/api/chats/{BICH}/press", json={"message_id": 99, "data": "x:1"})
    assert gone.status == 409


async def test_files_from_the_bot_download_and_only_images_show_inline(client) -> None:
    http, world = client
    api = BotApi(world)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    await api.call("sendPhoto", {"chat_id": BICH}, {"photo": _upload("chart.png", png)})
    html = b"<script>alert(1)</script>"
    await api.call("sendDocument", {"chat_id": BICH}, {"document": _upload("x.html", html)})
    photo, document = (await (await http.get(f"/api/chats/{BICH}")).json())["messages"]
    shown = await http.get(f"/api/files/{photo['file']['id']}")
    assert shown.content_type == "image/png" and shown.headers["Content-Disposition"].startswith(
        "inline"
    )
    fetched = await http.get(f"/api/files/{document['file']['id']}")
    assert fetched.content_type == "application/octet-stream"
    assert fetched.headers["Content-Disposition"] == "attachment; filename*=UTF-8''x.html"
    assert await fetched.read() == html
    assert (await http.get("/api/files/nope")).status == 404


async def test_uploads_reach_the_bot_as_a_photo_or_a_document(client) -> None:
    http, world = client
    form = aiohttp.FormData()
    form.add_field("file", b"\xff\xd8\xff" + b"0" * 20, filename="a.jpg", content_type="image/jpeg")
    form.add_field("caption", "Ảnh hoạt động")
    assert (await http.post(f"/api/chats/{BICH}/uploads", data=form)).status == 200
    form = aiohttp.FormData()
    form.add_field("file", b"code,name\n", filename="ds.csv", content_type="text/csv")
    assert (await http.post(f"/api/chats/{BICH}/uploads", data=form)).status == 200
    photo, document = (u["message"] for u in world.pending_updates)
    assert photo["caption"] == "Ảnh hoạt động" and "photo" in photo
    assert document["document"]["file_name"] == "ds.csv"


async def test_the_api_refuses_strangers_other_sites_and_bad_input(client) -> None:
    http, world = client
    assert (await http.get("/api/chats/4242")).status == 404
    assert (await http.get("/api/chats/abc")).status == 404
    path = f"/api/chats/{BICH}/messages"
    evil = await http.post(path, json={"text": "hi"}, headers={"Origin": "http://evil.example"})
    assert evil.status == 403
    form = await http.post(path, data={"text": "hi"})  # a plain form post another site could make
    assert form.status == 415
    assert (await http.post(path, json={"text": "   "})).status == 400
    assert (await http.post(path, json={"text": "x" * 4097})).status == 413
    assert (await http.post(path, json=["x"])).status == 400
    press = f"/api/chats/{BICH}/press"
    assert (await http.post(press, json={"message_id": 1, "data": "x" * 65})).status == 400
    assert world.pending_updates == []


def _upload(name: str, data: bytes) -> Upload:
    return Upload(name, data, "application/octet-stream")
