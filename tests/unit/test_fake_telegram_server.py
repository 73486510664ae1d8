"""Tests for the fake Telegram Bot API server, driven through python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from fake_telegram import ApiError, BotApi, BotMessage, FakeTelegramServer, World

AN = 1001
BINH = 1002
GROUP = -5001

# A 2x3 PNG: the fake reads the size from its IHDR chunk.
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    b"\x00\x00\x00\x00"
)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        fake.add_user(AN, "An", last_name="Nguyen", username="an_nguyen")
        fake.add_user(BINH, "Binh", language_code="en")
        fake.add_group(GROUP, "Chi bộ 1")
        yield fake


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[telegram.Bot]:
    ptb_bot = telegram.Bot(
        server.token,
        base_url=f"{server.base_url}/bot",
        base_file_url=f"{server.base_url}/file/bot",
    )
    async with ptb_bot:
        yield ptb_bot


def _keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"pick:{label.lower()}")] for label in labels]
    )


def _seconds(retry_after: int | dtm.timedelta) -> float:
    # PTB 22 returns int or timedelta depending on its deprecation settings.
    return retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after


async def test_get_me_returns_the_configured_bot(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    me = await bot.get_me()

    assert me.is_bot is True
    assert me.id == server.bot_id == 123456
    assert me.username == "cadre_test_bot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    # Bot.initialize() already called getMe once.
    assert [r.status for r in server.requests_for("getMe")] == [200, 200]


async def test_sent_message_with_inline_keyboard_is_parsed_and_observable(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(
        AN,
        "<b>Cam kết</b> năm nay &amp; hơn",
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard("Đồng ý", "Để sau"),
    )

    assert isinstance(sent, telegram.Message)
    assert sent.text == "Cam kết năm nay & hơn"
    assert sent.entities == (MessageEntity(MessageEntity.BOLD, 0, 7),)
    assert sent.from_user is not None and sent.from_user.id == server.bot_id
    assert sent.chat.id == AN and sent.chat.type == "private"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "pick:để sau"

    observed = await server.next_message(AN)
    assert observed.message_id == sent.message_id
    assert observed.text == "<b>Cam kết</b> năm nay &amp; hơn"
    assert observed.plain_text == "Cam kết năm nay & hơn"
    assert observed.parse_mode == "HTML"
    assert observed.kind == "text" and not observed.edited and not observed.deleted
    assert observed.buttons == [("Đồng ý", "pick:đồng ý"), ("Để sau", "pick:để sau")]
    assert observed.button_data("sau") == "pick:để sau"
    with pytest.raises(AssertionError, match=r"(?i)Đồng ý"):
        observed.button_data("Không có")


async def test_edits_are_events_and_identical_edit_is_not_modified(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(AN, "Chọn một", reply_markup=_keyboard("Một", "Hai"))
    await server.next_message(AN)

    edited = await bot.edit_message_text(
        "Đã chọn: Một", chat_id=AN, message_id=sent.message_id, reply_markup=_keyboard("Đổi")
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Đã chọn: Một"
    assert edited.edit_date is not None

    event = await server.next_message(AN)
    assert event.edited is True
    assert event.message_id == sent.message_id
    assert event.text == "Đã chọn: Một"
    assert event.buttons == [("Đổi", "pick:đổi")]

    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text(
            "Đã chọn: Một", chat_id=AN, message_id=sent.message_id, reply_markup=_keyboard("Đổi")
        )
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(
            chat_id=AN, message_id=sent.message_id, reply_markup=_keyboard("Đổi")
        )
    # Failed edits are not events.
    await server.no_message(AN, wait=0.1)

    # As on Telegram, editing the text without reply_markup drops the inline keyboard.
    await bot.edit_message_text("Xong", chat_id=AN, message_id=sent.message_id)
    current = server.messages(AN)
    assert len(current) == 1
    assert current[0].text == "Xong" and current[0].reply_markup is None and current[0].edited
    assert (await server.next_message(AN)).buttons == []

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("?", chat_id=AN, message_id=999)


async def test_user_text_and_button_press_arrive_as_typed_updates(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    menu = await bot.send_message(AN, "Menu", reply_markup=_keyboard("Phiên học", "Câu chuyện"))
    bot_message = await server.next_message(AN)

    text_update = server.send_text(AN, "/start@cadre_test_bot hello")
    query_id = server.press_button(AN, bot_message, button_text="Câu chuyện")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [
        text_update["update_id"],
        text_update["update_id"] + 1,
    ]

    message = updates[0].message
    assert message is not None
    assert message.text == "/start@cadre_test_bot hello"
    assert message.entities[0].type == MessageEntity.BOT_COMMAND
    assert (message.entities[0].offset, message.entities[0].length) == (0, 21)
    assert message.parse_entities([MessageEntity.BOT_COMMAND])
    assert message.from_user is not None
    assert (message.from_user.id, message.from_user.language_code) == (AN, "vi")
    # Users' and the bot's messages share the chat's message id counter.
    assert message.message_id == menu.message_id + 1

    callback = updates[1].callback_query
    assert callback is not None
    assert callback.id == query_id
    assert callback.data == "pick:câu chuyện"
    assert callback.from_user.id == AN
    assert callback.chat_instance
    assert isinstance(callback.message, telegram.Message)
    assert callback.message.message_id == menu.message_id
    assert callback.message.text == "Menu"

    assert await callback.answer("Đã nhận", show_alert=True)
    answer = await server.wait_callback_answer(query_id, timeout=1)
    assert (answer.text, answer.show_alert) == ("Đã nhận", True)
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await callback.answer("again")

    with pytest.raises(AssertionError, match=r"(?i)Phiên học"):
        server.press_button(AN, bot_message, button_text="Không tồn tại")

    # Once the keyboard is edited away, only the old snapshot can still be tapped (stale tap).
    await bot.edit_message_text("Đã chọn", chat_id=AN, message_id=menu.message_id)
    stale_id = server.press_button(AN, bot_message, button_text="Phiên học")
    with pytest.raises(AssertionError, match=r"available buttons: \[\]"):
        server.press_button(AN, menu.message_id, button_text="Phiên học")
    (stale,) = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert stale.callback_query is not None and stale.callback_query.id == stale_id
    assert stale.callback_query.data == "pick:phiên học"
    # The callback carries the message as it is now, without the keyboard.
    assert isinstance(stale.callback_query.message, telegram.Message)
    assert stale.callback_query.message.text == "Đã chọn"
    assert stale.callback_query.message.reply_markup is None


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    server.send_text(BINH, "xin chào")

    updates = await asyncio.wait_for(poll, timeout=3)
    elapsed = time.monotonic() - started

    assert elapsed < 1.5
    assert len(updates) == 1
    assert updates[0].message is not None and updates[0].message.text == "xin chào"


async def test_empty_long_poll_waits_for_its_timeout(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.5


async def test_offset_confirms_and_drops_old_updates(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    first = server.send_text(AN, "một")
    second = server.send_text(AN, "hai")

    # Unconfirmed updates are redelivered.
    assert [u.update_id for u in await bot.get_updates()] == [
        first["update_id"],
        second["update_id"],
    ]
    assert len(await bot.get_updates(limit=1)) == 1

    remaining = await bot.get_updates(offset=second["update_id"])
    assert [u.update_id for u in remaining] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    assert server.pending_updates == []


async def test_allowed_updates_filters_and_is_remembered(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    await bot.send_message(AN, "x", reply_markup=_keyboard("Một"))
    server.send_text(AN, "dropped")
    server.press_button(AN, await server.next_message(AN), "pick:một")

    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in updates] == [True]

    server.send_text(AN, "also dropped")
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()


async def test_rate_limit_raises_retry_after(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    server.rate_limit("sendMessage", retry_after=7, chat_id=AN)

    with pytest.raises(RetryAfter) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await bot.send_message(AN, "hello")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _seconds(caught.value.retry_after) == 7

    failed = server.requests_for("sendMessage")[-1]
    assert failed.status == 429
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    # Consumed once; the retry goes through.
    assert (await bot.send_message(AN, "hello")).text == "hello"


async def test_injected_error_hits_only_the_given_chat_and_is_consumed(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    server.inject_error("sendMessage", chat_id=AN, description="Bad Request: chat not found")

    assert (await bot.send_message(BINH, "ok")).chat.id == BINH
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(AN, "fails")
    assert (await bot.send_message(AN, "works")).text == "works"
    assert [r.status for r in server.requests_for("sendmessage")] == [200, 400, 200]
    assert [m.text for m in server.messages(AN)] == ["works"]


async def test_block_bot_delivers_my_chat_member_and_forbids_sends(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    server.block_bot(AN)

    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(AN, "are you there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(AN, "typing")
    assert (await bot.send_message(BINH, "still fine")).chat.id == BINH

    (update,) = await bot.get_updates()
    member_update = update.my_chat_member
    assert member_update is not None
    assert member_update.chat.id == AN
    assert member_update.from_user.id == AN
    assert member_update.old_chat_member.status == ChatMemberStatus.MEMBER
    assert member_update.new_chat_member.status == ChatMemberStatus.BANNED
    assert member_update.new_chat_member.user.id == server.bot_id

    server.unblock_bot(AN)
    (update,) = await bot.get_updates(offset=update.update_id + 1)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == ChatMemberStatus.MEMBER
    assert (await bot.send_message(AN, "welcome back")).text == "welcome back"


async def test_bot_document_upload_round_trips(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    content = "họ tên,đơn vị\nAn,Chi bộ 1\n".encode()

    sent = await bot.send_document(
        AN, document=content, filename="bao-cao.csv", caption="<i>Báo cáo</i>", parse_mode="HTML"
    )

    assert sent.document is not None
    assert sent.document.file_name == "bao-cao.csv"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Báo cáo"

    observed = await server.next_message(AN)
    assert observed.kind == "document"
    assert observed.file_name == "bao-cao.csv"
    assert observed.file_bytes == content
    assert observed.text == "<i>Báo cáo</i>"

    (upload,) = server.requests_for("sendDocument")
    assert upload.files == {"document": ("bao-cao.csv", content)}
    assert upload.params["chat_id"] == AN

    # The bot can fetch its own upload back.
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_send_photo_returns_photo_sizes(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    sent = await bot.send_photo(BINH, photo=TINY_PNG, filename="chart.png", caption="Biểu đồ")

    assert len(sent.photo) == 1
    assert (sent.photo[0].width, sent.photo[0].height) == (2, 3)
    observed = await server.next_message(BINH)
    assert (observed.kind, observed.file_bytes, observed.text) == ("photo", TINY_PNG, "Biểu đồ")


async def test_user_document_downloads_through_get_file(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    content = b"ma_so,ten\n1,An\n"
    server.send_document(AN, "danh-sach.csv", content, caption="/import")

    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None and message.document is not None
    assert message.document.file_name == "danh-sach.csv"
    assert message.document.mime_type == "text/csv"
    assert message.caption == "/import"
    assert message.caption_entities[0].type == MessageEntity.BOT_COMMAND

    file = await message.document.get_file()
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content
    assert server.requests_for("file")[-1].status == 200


async def test_commands_are_stored_per_scope_and_language(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    assert await bot.set_my_commands(
        [BotCommand("start", "Start"), BotCommand("report", "Report")],
        scope=BotCommandScopeChat(BINH),
        language_code="en",
    )

    assert server.commands_for() == [{"command": "start", "description": "Bắt đầu"}]
    assert server.commands_for({"type": "chat", "chat_id": BINH}, "en") == [
        {"command": "start", "description": "Start"},
        {"command": "report", "description": "Report"},
    ]
    assert server.commands_for({"type": "chat", "chat_id": BINH}) == []

    fetched = await bot.get_my_commands(scope=BotCommandScopeChat(BINH), language_code="en")
    assert [c.command for c in fetched] == ["start", "report"]
    # Binh (language "en") sees the chat-scoped menu; An falls back to the default one.
    assert [c["command"] for c in server.visible_commands(BINH)] == ["start", "report"]
    assert [c["command"] for c in server.visible_commands(AN)] == ["start"]

    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("MyReport", "upper case is rejected")])
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(424242))


async def test_unknown_method_and_bad_paths_answer_like_telegram(
    server: FakeTelegramServer,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.base_url}/bot{server.token}/logOut") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.get(f"{server.base_url}/nothing/here") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"

    assert server.requests_for("logOut")[0].status == 404


async def test_wrong_token_is_unauthorized(server: FakeTelegramServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}/bot123456:WRONG/getMe") as response,
    ):
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }

    intruder = telegram.Bot("999:NOPE", base_url=f"{server.base_url}/bot")
    with pytest.raises(InvalidToken):
        await intruder.get_me()
    await intruder.shutdown()


async def test_json_and_form_bodies_keep_text_as_string(server: FakeTelegramServer) -> None:
    url = f"{server.base_url}/bot{server.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"chat_id": AN, "text": "123", "reply_markup": markup}
        ) as response:
            body = await response.json()
        async with session.post(
            url, data={"chat_id": str(BINH), "text": "true", "reply_markup": json.dumps(markup)}
        ) as response:
            form_body = await response.json()

    assert body["ok"] is True and body["result"]["text"] == "123"
    assert form_body["ok"] is True and form_body["result"]["text"] == "true"
    assert server.requests_for("sendMessage")[1].params == {
        "chat_id": BINH,
        "text": "true",
        "reply_markup": markup,
    }
    assert (await server.next_message(BINH)).buttons == [("Có", "yes")]


async def test_slow_down_delays_responses(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    server.slow_down("sendMessage", 0.5, chat_id=AN, times=1)

    started = time.monotonic()
    await bot.send_message(AN, "chậm")
    slow = time.monotonic() - started
    started = time.monotonic()
    await bot.send_message(AN, "nhanh")
    fast = time.monotonic() - started

    assert slow >= 0.5
    assert fast < 0.4
    record = server.requests_for("sendMessage")[0]
    assert record.finished_at is not None and record.finished_at - record.at >= 0.5


async def test_slow_down_until_cleared(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    server.slow_down("*", 0.3)
    pending = asyncio.create_task(bot.send_message(BINH, "waiting"))
    await asyncio.sleep(0.1)
    assert server.requests_for("sendMessage")[0].status is None
    await server.no_message(BINH, wait=0.05)
    await pending
    server.clear_faults()
    started = time.monotonic()
    await bot.send_message(BINH, "fast")
    assert time.monotonic() - started < 0.25


async def test_two_users_chat_concurrently_in_separate_chats(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    server.send_text(AN, "tôi là An")
    server.send_text(BINH, "I am Binh")

    await asyncio.gather(
        *(bot.send_message(AN, f"An {i}") for i in range(5)),
        *(bot.send_message(BINH, f"Binh {i}") for i in range(5)),
    )

    an_messages = await server.next_messages(AN, 5, timeout=2)
    binh_messages = await server.next_messages(BINH, 5, timeout=2)
    assert sorted(m.text or "" for m in an_messages) == [f"An {i}" for i in range(5)]
    assert sorted(m.text or "" for m in binh_messages) == [f"Binh {i}" for i in range(5)]
    # Each chat numbers its own messages; the user's message took id 1.
    assert sorted(m.message_id for m in an_messages) == [2, 3, 4, 5, 6]
    assert sorted(m.message_id for m in binh_messages) == [2, 3, 4, 5, 6]
    await server.no_message(AN, wait=0.1)


async def test_group_messages_and_replies(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    prompt = await bot.send_message(GROUP, "Tên bạn?", reply_markup=ForceReply(selective=True))
    observed = await server.next_message(GROUP)
    assert observed.reply_markup == {"force_reply": True, "selective": True}
    assert observed.buttons == []

    server.send_text(AN, "An Nguyễn", chat_id=GROUP, reply_to=observed)
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None
    assert message.chat.type == "group" and message.chat.title == "Chi bộ 1"
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == prompt.message_id

    reply = await bot.send_message(
        GROUP, "Cảm ơn", reply_parameters=ReplyParameters(message.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "An Nguyễn"


async def test_delete_marks_message_deleted(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    sent = await bot.send_message(AN, "tạm thời")

    assert await bot.delete_message(AN, sent.message_id)
    (state,) = server.messages(AN)
    assert state.deleted is True
    assert server.history(AN) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(AN, sent.message_id)
    with pytest.raises(AssertionError, match=r"(?i)was deleted"):
        server.press_button(AN, sent.message_id, "anything")


async def test_telegram_validation_errors(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(AN, "<b>chưa đóng", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(AN, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            AN,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="x" * 65)]]
            ),
        )
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(AN, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "nobody")
    assert server.messages(AN) == []


async def test_next_message_timeout_explains_what_happened(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    await bot.send_message(AN, "đầu tiên")
    assert (await server.next_message(AN)).text == "đầu tiên"
    with pytest.raises(BadRequest):
        await bot.send_message(AN, "<i>hỏng", parse_mode=ParseMode.HTML)

    with pytest.raises(AssertionError) as caught:
        await server.next_message(AN, timeout=0.2)

    report = str(caught.value)
    assert "chat 1001" in report
    assert "0.2 s" in report
    assert "đầu tiên" in report
    assert "can't parse entities" in report


async def test_skip_pending_and_no_message(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    await bot.send_message(AN, "cũ")
    server.skip_pending(AN)
    await server.no_message(AN, wait=0.1)

    late = asyncio.create_task(bot.send_message(AN, "mới"))
    with pytest.raises(AssertionError, match=r"(?i)mới"):
        await server.no_message(AN, wait=1)
    await late
    assert (await server.next_message(AN)).text == "mới"


async def test_concurrent_get_updates_conflict(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    # A second bot process with the same token, as when two deployments run at once.
    twin = telegram.Bot(server.token, base_url=f"{server.base_url}/bot")
    async with twin:
        first = asyncio.create_task(bot.get_updates(timeout=3))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(twin.get_updates(timeout=3))

        with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, timeout=1)
        server.send_text(AN, "ping")
        assert len(await asyncio.wait_for(second, timeout=1)) == 1
    assert [r.status for r in server.requests_for("getUpdates")] == [409, 200]


def test_bot_message_helpers_without_a_server() -> None:
    message = BotMessage(
        chat_id=AN,
        message_id=3,
        text="Chọn",
        reply_markup={
            "inline_keyboard": [
                [{"text": "Có, nhắc tôi", "callback_data": "yes:remind"}],
                [{"text": "Có", "callback_data": "yes"}, {"text": "Web", "url": "https://x"}],
            ]
        },
    )

    assert message.buttons == [("Có, nhắc tôi", "yes:remind"), ("Có", "yes"), ("Web", None)]
    # An exact label wins over a longer label that merely contains it.
    assert message.button_data("Có") == "yes"
    assert message.button_data("nhắc") == "yes:remind"
    with pytest.raises(AssertionError, match=r"(?i)no callback_data"):
        message.button_data("Web")


async def test_full_application_polls_replies_and_handles_buttons(
    server: FakeTelegramServer,
) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_user is not None
        await context.bot.send_message(
            update.effective_chat.id,
            f"Chào {update.effective_user.first_name}",
            reply_markup=_keyboard("Cam kết"),
        )

    async def pick(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("OK")
        await query.edit_message_text(f"Bạn chọn {query.data}")

    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(f"{server.base_url}/bot")
        .base_file_url(f"{server.base_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pick))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)

        server.send_text(AN, "/start")
        server.send_text(BINH, "/start")
        greeting = await server.next_message(AN, timeout=5)
        assert greeting.text == "Chào An"
        assert (await server.next_message(BINH, timeout=5)).text == "Chào Binh"

        query_id = server.press_button(AN, greeting, button_text="Cam kết")
        assert (await server.wait_callback_answer(query_id, timeout=5)).text == "OK"
        edited = await server.next_message(AN, timeout=5)
        assert (edited.edited, edited.text) == (True, "Bạn chọn pick:cam kết")

        await server.wait_idle(timeout=5)
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
    assert time.monotonic() - started < 3
    assert server.requests_for("deleteWebhook")
    assert server.pending_updates == []


# --- Characterisation of the Bot API rules, over raw HTTP for exact answers --------------------


async def _call(server: FakeTelegramServer, method: str, **params: object) -> dict:
    url = f"{server.base_url}/bot{server.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        body = await response.json()
    assert (response.status == 200) == body["ok"]
    return body


async def _error(server: FakeTelegramServer, method: str, **params: object) -> str:
    body = await _call(server, method, **params)
    assert body["ok"] is False, body
    return body["description"]


async def test_html_parse_mode_renders_entities_like_telegram(server: FakeTelegramServer) -> None:
    text = (
        '<b>đậm <i>nghiêng</i></b> & <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">ẩn</span> <pre><code class="language-python">x</code></pre> '
        "<blockquote expandable>trích</blockquote> &lt;&#39;&#x41;"
    )
    body = await _call(server, "sendMessage", chat_id=AN, text=text, parse_mode="html")

    result = body["result"]
    assert result["text"] == "đậm nghiêng & link ẩn x trích <'A"
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 11},
        {"type": "italic", "offset": 4, "length": 7},
        {"type": "text_link", "offset": 14, "length": 4, "url": "https://x.org/?a=1&b=2"},
        {"type": "spoiler", "offset": 19, "length": 2},
        {"type": "pre", "offset": 22, "length": 1, "language": "python"},
        {"type": "expandable_blockquote", "offset": 24, "length": 5},
    ]
    assert server.messages(AN)[0].parse_mode == "HTML"


async def test_html_errors_name_the_byte_offset(server: FakeTelegramServer) -> None:
    prefix = "Bad Request: can't parse entities: "
    cases = {
        "Ấ <x>": 'Unsupported start tag "x" at byte offset 4',
        "<b>a</i>": 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        "a</b>": "Unexpected end tag at byte offset 1",
        "đ <b": "Unclosed start tag at byte offset 3",
        "<span>x</span>": 'Tag "span" must have class "tg-spoiler" at byte offset 0',
        "<u>x": 'Can\'t find end tag corresponding to start tag "u"',
        "<blockquote>a<blockquote>b</blockquote></blockquote>": (
            "Blockquote can't be nested at byte offset 13"
        ),
    }
    for text, detail in cases.items():
        assert await _error(server, "sendMessage", chat_id=AN, text=text, parse_mode="HTML") == (
            prefix + detail
        )
    # Empty or href-less tags make no entity; a lone "&" stays literal.
    body = await _call(
        server, "sendMessage", chat_id=AN, text="<b></b><a>x</a> A&B", parse_mode="HTML"
    )
    assert body["result"]["text"] == "x A&B"
    assert "entities" not in body["result"]
    assert await _error(server, "sendMessage", chat_id=AN, text="x", parse_mode="Foo") == (
        "Bad Request: unsupported parse_mode Foo"
    )
    # Markdown is accepted but not rendered.
    body = await _call(server, "sendMessage", chat_id=AN, text="*x*", parse_mode="markdownv2")
    assert body["result"]["text"] == "*x*"
    assert server.messages(AN)[-1].parse_mode == "MarkdownV2"


async def test_limits_count_utf16_code_units_and_bytes(server: FakeTelegramServer) -> None:
    # An emoji is two UTF-16 code units: 2048 of them are exactly 4096.
    assert (await _call(server, "sendMessage", chat_id=AN, text="😀" * 2048))["ok"]
    assert await _error(server, "sendMessage", chat_id=AN, text="😀" * 2048 + "a") == (
        "Bad Request: message is too long"
    )
    # Entities count UTF-16 too.
    body = await _call(server, "sendMessage", chat_id=AN, text="😀<b>x</b>", parse_mode="HTML")
    assert body["result"]["entities"] == [{"type": "bold", "offset": 2, "length": 1}]
    body = await _call(server, "sendMessage", chat_id=AN, text="😀 /start@cadre_test_bot")
    assert "entities" not in body["result"]
    update = server.send_text(AN, "😀 /start x")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 3, "length": 6}]

    def keyboard(data: str) -> dict:
        return {"inline_keyboard": [[{"text": "a", "callback_data": data}]]}

    # callback_data is limited in UTF-8 bytes: "đ" takes two.
    assert (
        await _call(server, "sendMessage", chat_id=AN, text="x", reply_markup=keyboard("đ" * 32))
    )["ok"]
    for data in ("đ" * 32 + "a", ""):
        assert await _error(
            server, "sendMessage", chat_id=AN, text="x", reply_markup=keyboard(data)
        ) == ("Bad Request: BUTTON_DATA_INVALID")
    assert await _error(server, "sendMessage", chat_id=AN, text=" ") == (
        "Bad Request: message text is empty"
    )
    assert await _error(server, "sendMessage", chat_id=AN, text="<b> </b>", parse_mode="HTML") == (
        "Bad Request: message text is empty"
    )


async def test_caption_edits_and_their_errors(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    document = await bot.send_document(AN, document=b"abc", filename="a.csv", caption="Một")
    text = await bot.send_message(AN, "Văn bản")
    await server.next_messages(AN, 2)

    edited = await bot.edit_message_caption(
        chat_id=AN, message_id=document.message_id, caption="<b>Hai</b>", parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message)
    assert edited.caption == "Hai"
    assert edited.caption_entities == (MessageEntity(MessageEntity.BOLD, 0, 3),)
    event = await server.next_message(AN)
    assert (event.kind, event.text, event.plain_text, event.edited) == (
        "document",
        "<b>Hai</b>",
        "Hai",
        True,
    )

    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_caption(
            chat_id=AN, message_id=document.message_id, caption="<b>Hai</b>", parse_mode="HTML"
        )
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=AN, message_id=document.message_id)
    with pytest.raises(BadRequest, match=r"(?i)there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=AN, message_id=text.message_id, caption="x")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.edit_message_caption(
            chat_id=AN, message_id=document.message_id, caption="a" * 1025
        )
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(AN, photo=TINY_PNG, caption="😀" * 513)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.edit_message_text("😀" * 2049, chat_id=AN, message_id=text.message_id)

    # Editing without a caption removes it.
    removed = await bot.edit_message_caption(chat_id=AN, message_id=document.message_id)
    assert isinstance(removed, telegram.Message)
    assert removed.caption is None
    event = await server.next_message(AN)
    assert (event.text, event.plain_text, event.parse_mode) == (None, None, None)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_caption(chat_id=AN, message_id=document.message_id)
    await server.no_message(AN, wait=0.05)


async def test_edit_and_markup_rules(server: FakeTelegramServer) -> None:
    sent = (await _call(server, "sendMessage", chat_id=AN, text="x"))["result"]
    message_id = sent["message_id"]
    user_message = server.send_text(AN, "của tôi")["message"]["message_id"]

    reply_keyboard = {"keyboard": [[{"text": "a"}]]}
    assert await _error(
        server,
        "editMessageText",
        chat_id=AN,
        message_id=message_id,
        text="y",
        reply_markup=reply_keyboard,
    ) == ("Bad Request: inline keyboard expected")
    assert await _error(
        server, "editMessageText", chat_id=AN, message_id=user_message, text="y"
    ) == ("Bad Request: message can't be edited")
    assert await _error(server, "editMessageText", inline_message_id="abc", text="y") == (
        "Bad Request: MESSAGE_ID_INVALID"
    )
    assert await _error(server, "editMessageText", chat_id=AN, text="y") == (
        "Bad Request: message to edit not found"
    )
    assert await _error(server, "editMessageText", chat_id=AN, message_id=message_id, text=" ") == (
        "Bad Request: message text is empty"
    )
    text_button = {"inline_keyboard": [[{"text": "a"}]]}
    assert await _error(server, "sendMessage", chat_id=AN, text="x", reply_markup=text_button) == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard"
    )
    assert await _error(server, "sendMessage", chat_id=AN, text="x", reply_markup={"foo": 1}) == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )
    assert (await _call(server, "sendMessage", chat_id=AN, text="x", reply_markup=reply_keyboard))[
        "ok"
    ]
    # A reply keyboard is kept for the test but is not part of the Message.
    assert server.messages(AN)[-1].reply_markup == reply_keyboard
    assert "reply_markup" not in server.history(AN)[-1]

    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    edited = await _call(
        server, "editMessageReplyMarkup", chat_id=AN, message_id=message_id, reply_markup=markup
    )
    assert edited["result"]["reply_markup"] == markup
    assert "edit_date" in edited["result"]
    assert await _error(
        server, "editMessageReplyMarkup", chat_id=AN, message_id=message_id, reply_markup=markup
    ) == (
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    )
    removed = await _call(server, "editMessageReplyMarkup", chat_id=AN, message_id=message_id)
    assert "reply_markup" not in removed["result"]


async def test_other_methods_answer_like_telegram(server: FakeTelegramServer) -> None:
    first = (await _call(server, "sendMessage", chat_id="@an_nguyen", text="a"))["result"]
    assert first["chat"]["id"] == AN
    assert await _error(server, "sendMessage", chat_id="@nobody", text="a") == (
        "Bad Request: chat not found"
    )
    assert await _error(server, "sendMessage", text="a") == "Bad Request: chat_id is empty"
    assert await _error(
        server, "sendMessage", chat_id=AN, text="a", reply_parameters={"message_id": 99}
    ) == ("Bad Request: message to be replied not found")
    lenient = await _call(
        server,
        "sendMessage",
        chat_id=AN,
        text="b",
        reply_parameters={"message_id": 99, "allow_sending_without_reply": True},
    )
    assert "reply_to_message" not in lenient["result"]
    assert await _error(server, "sendMessage", chat_id=BINH, text="c", reply_to_message_id=1) == (
        "Bad Request: message to be replied not found"
    )
    quoted = await _call(
        server,
        "sendMessage",
        chat_id=BINH,
        text="d",
        reply_parameters={"message_id": first["message_id"], "chat_id": AN},
    )
    assert quoted["result"]["reply_to_message"]["text"] == "a"

    assert await _error(server, "sendChatAction", chat_id=AN, action="dance") == (
        "Bad Request: wrong parameter action in request"
    )
    assert (await _call(server, "sendChatAction", chat_id=AN, action="typing"))["result"] is True

    assert (await _call(server, "deleteMessages", chat_id=AN, message_ids=[1, 999]))["ok"]
    assert server.messages(AN)[0].deleted is True
    assert await _error(server, "deleteMessages", chat_id=AN, message_ids=[]) == (
        "Bad Request: message identifiers are not specified"
    )
    assert await _error(server, "deleteMessage", chat_id=AN) == (
        "Bad Request: message identifier is not specified"
    )

    assert (await _call(server, "setWebhook", url="https://bot.example/hook"))["result"] is True
    server.send_text(AN, "x")
    info = (await _call(server, "getWebhookInfo"))["result"]
    assert info == {
        "url": "https://bot.example/hook",
        "has_custom_certificate": False,
        "pending_update_count": 1,
    }
    assert (await _call(server, "deleteWebhook", drop_pending_updates=True))["result"] is True
    assert server.webhook is None and server.pending_updates == []

    assert await _error(server, "getFile", file_id="nope") == "Bad Request: invalid file_id"
    assert await _error(server, "sendDocument", chat_id=AN, document="nope") == (
        "Bad Request: wrong file identifier/HTTP URL specified"
    )
    assert await _error(server, "answerCallbackQuery", callback_query_id="1") == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert await _error(server, "getUpdates", allowed_updates="x") == (
        "Bad Request: can't parse allowed_updates JSON array"
    )
    assert await _error(server, "getUpdates", offset="x") == ("Bad Request: wrong parameter offset")

    commands = [{"command": "start", "description": "Start"}]
    group_scope = {"type": "chat_member", "chat_id": GROUP, "user_id": AN}
    assert (await _call(server, "setMyCommands", commands=commands, scope=group_scope))["ok"]
    assert [c["command"] for c in server.visible_commands(AN, GROUP)] == ["start"]
    assert server.visible_commands(BINH, GROUP) == []
    assert (await _call(server, "getMyCommands", scope=group_scope))["result"] == commands
    assert (await _call(server, "deleteMyCommands", scope=group_scope))["result"] is True
    assert server.commands_for(group_scope) == []
    assert await _error(server, "setMyCommands", commands=commands, scope={"type": "x"}) == (
        "Bad Request: can't parse BotCommandScope JSON object"
    )
    assert await _error(
        server, "setMyCommands", commands=[{"command": "a", "description": ""}]
    ) == ("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")


async def test_world_without_http(server: FakeTelegramServer, bot: telegram.Bot) -> None:
    sent = await bot.send_message(AN, "Chọn", reply_markup=_keyboard("Một"))
    snapshot = await server.next_message(AN)
    user = server.send_text(AN, "trả lời", reply_to=snapshot)
    assert user["message"]["reply_to_message"]["message_id"] == sent.message_id

    # A stale callback_data is delivered as given.
    query_id = server.press_button(AN, sent.message_id, "old:data")
    update = server.pending_updates[-1]
    assert update["callback_query"]["id"] == query_id
    assert update["callback_query"]["data"] == "old:data"
    assert update["callback_query"]["chat_instance"] == str(8_000_000_000_000 + AN)

    # chat_member updates are only delivered when asked for.
    server.enqueue_update("chat_member", {"chat": {"id": GROUP}})
    assert len(await bot.get_updates()) == 2
    assert len(await bot.get_updates(allowed_updates=["chat_member"])) == 0

    assert [m["text"] for m in server.history(AN)] == ["Chọn", "trả lời"]
    assert server.events(AN) == [snapshot]
    assert server.user(AN).username == "an_nguyen"
    with pytest.raises(AssertionError, match="unknown user 5"):
        server.user(5)
    with pytest.raises(AssertionError, match="unknown chat -9"):
        server.send_text(AN, "x", chat_id=-9)
    with pytest.raises(ValueError, match="positive"):
        server.add_user(0, "Zero")
    with pytest.raises(ValueError, match="negative"):
        server.add_group(5, "G")
    with pytest.raises(ValueError, match="token"):
        FakeTelegramServer("no-token")
    server.block_bot(BINH)
    assert server.is_blocked(BINH)
    with pytest.raises(AssertionError, match="blocks the bot"):
        server.send_text(BINH, "x")
    with pytest.raises(AssertionError, match="already blocks"):
        server.block_bot(BINH)
    assert await server.wait_changed(0.01) is False


async def test_edit_to_text_that_renders_empty_is_rejected(server: FakeTelegramServer) -> None:
    # Regression: the fake used to accept it and leave a text message with no text at all.
    sent = (await _call(server, "sendMessage", chat_id=AN, text="x"))["result"]

    assert await _error(
        server,
        "editMessageText",
        chat_id=AN,
        message_id=sent["message_id"],
        text="<b> </b>",
        parse_mode="HTML",
    ) == ("Bad Request: message text is empty")
    assert server.history(AN)[0]["text"] == "x"
    assert [event.edited for event in server.events(AN)] == [False]


async def test_removing_an_absent_keyboard_is_not_modified(server: FakeTelegramServer) -> None:
    # Regression: an empty inline keyboard counts as none, as in editMessageText; the fake used
    # to accept this edit and report an edit event that changed nothing.
    sent = (await _call(server, "sendMessage", chat_id=AN, text="x"))["result"]

    for empty in ({"inline_keyboard": []}, {"inline_keyboard": [[]]}):
        description = await _error(
            server,
            "editMessageReplyMarkup",
            chat_id=AN,
            message_id=sent["message_id"],
            reply_markup=empty,
        )
        assert description.startswith("Bad Request: message is not modified")
    assert [event.edited for event in server.events(AN)] == [False]


async def test_world_and_bot_api_work_without_http() -> None:
    # The sandbox's use: drive the world directly and run Bot API methods on it, no server.
    world = World()
    api = BotApi(world)
    world.add_user(AN, "An")

    sent = await api.call(
        "SENDMESSAGE", {"chat_id": AN, "text": "Chọn", "reply_markup": _keyboard("Một").to_dict()}
    )
    (shown,) = world.messages(AN)
    assert (shown.message_id, shown.buttons) == (sent["message_id"], [("Một", "pick:một")])

    world.send_text(AN, "/start")
    query_id = world.press_button(AN, shown, button_text="Một")
    updates = await api.call("getUpdates", {"timeout": 0})
    assert [next(key for key in u if key != "update_id") for u in updates] == [
        "message",
        "callback_query",
    ]
    # An alert is at most 200 UTF-16 units, as Telegram counts; a longer one is refused and
    # the query can still be answered.
    with pytest.raises(ApiError, match="MESSAGE_TOO_LONG"):
        await api.call("answerCallbackQuery", {"callback_query_id": query_id, "text": "🙂" * 101})
    assert await api.call("answerCallbackQuery", {"callback_query_id": query_id, "text": "OK"})
    assert world.callback_answers[query_id].text == "OK"
    assert BotApi.canonical_method("getupdates") == "getUpdates"
    with pytest.raises(ApiError, match="Not Found"):
        await api.call("logOut", {})


async def test_enforced_flood_limits_answer_429() -> None:
    from telegram import Bot
    from telegram.error import RetryAfter

    from fake_telegram import FakeTelegramServer

    async with FakeTelegramServer() as server:
        limits = server.enforce_limits(overall=3, per_chat=1.0)
        for user in (1, 2, 3, 4):
            server.add_user(user, f"U{user}")
        async with Bot(server.token, base_url=f"{server.base_url}/bot") as bot:
            await bot.send_message(1, "một")
            with pytest.raises(RetryAfter):  # the same person within a second
                await bot.send_message(1, "hai")
            await bot.send_message(2, "một")
            await bot.send_message(3, "một")
            with pytest.raises(RetryAfter):  # a fourth message within the second
                await bot.send_message(4, "một")
        assert limits.hits == 2


async def test_formatted_text_and_photos_from_users_arrive_as_telegram_sends_them(
    server: FakeTelegramServer, bot: telegram.Bot
) -> None:
    server.send_text(AN, 'Gương <b>sáng</b> ở <a href="https://example.vn">ấp</a> 😀', html=True)
    server.send_photo(
        AN, b"\x89PNG\r\n\x1a\n" + b"\0" * 16, caption="<i>Ảnh</i> /nominate", html=True
    )
    text_update, photo_update = await bot.get_updates()
    message = text_update.message
    assert message is not None and message.text == "Gương sáng ở ấp 😀"
    assert [e.type for e in message.entities] == [MessageEntity.BOLD, MessageEntity.TEXT_LINK]
    assert message.text_html == 'Gương <b>sáng</b> ở <a href="https://example.vn">ấp</a> 😀'
    photo = photo_update.message
    assert photo is not None and photo.photo and photo.caption == "Ảnh /nominate"
    assert photo.caption_html == "<i>Ảnh</i> /nominate"
    assert MessageEntity.BOT_COMMAND in [e.type for e in photo.caption_entities]
    file = await photo.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()).startswith(b"\x89PNG")
