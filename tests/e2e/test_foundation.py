"""The foundation's end-to-end scenarios, several users at once, over HTTP."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import timedelta

from tests.e2e.conftest import ADMIN_ID, Harness


def _rows(db_path, table: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


async def test_admin_imports_an_organisation_and_members_are_recognised(org: Harness) -> None:
    # Imported with a telegram_id: recognised at once, in Vietnamese, as "đồng chí".
    reply = await org.say(1002, "/start")
    assert "Chào đồng chí Trần Thị Bích" in reply.text
    me = await org.say(1002, "/me")
    assert "Chi bộ Khu vực 1" in me.text
    assert "Đảng viên chính thức" in me.text
    # The secretary's profile shows the scoped role.
    me = await org.say(1001, "/me")
    assert "Bí thư chi bộ — Chi bộ Khu vực 1" in me.text
    assert "nêu gương" in me.text  # is_head


async def test_help_differs_by_role_and_sets_the_menu(org: Harness) -> None:
    member, secretary, committee, admin = await asyncio.gather(
        org.say(1002, "/help"),
        org.say(1001, "/help"),
        org.say(1007, "/help"),
        org.say(ADMIN_ID, "/help"),
    )
    assert "/me" in member.text and "/invite" not in member.text
    assert "/unreached" not in member.text
    assert "/invite" in secretary.text and "/joins" in secretary.text
    assert "/unreached" in committee.text and "/invite" not in committee.text
    assert "/invite" in admin.text and "/unreached" in admin.text
    # The Telegram menu follows the same table, per chat.
    await org.server.wait_idle()
    menu = [c["command"] for c in org.server.commands_for({"type": "chat", "chat_id": 1001})]
    assert "invite" in menu
    menu = [c["command"] for c in org.server.commands_for({"type": "chat", "chat_id": 1002})]
    assert "invite" not in menu and "me" in menu


async def test_a_member_cannot_use_a_secretary_command_and_it_is_audited(org: Harness) -> None:
    reply = await org.say(1002, "/invite DV003")
    assert "chỉ dành cho" in reply.text
    denied = [r for r in _rows(org.db_path, "audit_log") if r[6] == "denied"]
    assert any("/invite" in r[5] for r in denied)


async def test_secretary_invite_lets_a_member_join(org: Harness) -> None:
    listing = await org.say(1001, "/unreached")
    assert "Lê Hoàng Cường" in listing.text and "Phạm Thu Dung" in listing.text
    assert "Võ Minh Em" not in listing.text  # another cell
    reply = await org.say(1001, "/invite DV003")
    code = re.search(r"<code>(\w+)</code>|Mã mời: (\w+)", reply.text)
    assert code, reply.text
    invite = code.group(1) or code.group(2)
    assert f"https://t.me/{org.server.bot_username}?start={invite}" in reply.text

    org.server.add_user(1003, "Cường", language_code="vi")
    welcome = await org.say(1003, f"/start {invite}")
    assert "Chào mừng đồng chí Lê Hoàng Cường" in welcome.text
    # The code is personal and now used up.
    org.server.add_user(1666, "Kẻ lạ", language_code="vi")
    refused = await org.say(1666, f"/start {invite}")
    assert "đã được sử dụng" in refused.text
    # The new member is reachable now, so the secretary's list no longer shows them.
    listing = await org.say(1001, "/unreached")
    assert "Lê Hoàng Cường" not in listing.text


async def test_unit_invite_join_request_is_approved_by_the_secretary(org: Harness) -> None:
    code, out, err = await org.cli("invite", "create", "--unit", "CB-1", "--uses", "5")
    assert code == 0, err
    invite = out.strip().splitlines()[-1]
    assert out.strip().splitlines()[0] == f"https://t.me/{org.server.bot_username}?start={invite}"

    org.server.add_user(2001, "Hạnh", language_code="vi")
    ask = await org.say(2001, f"/start {invite}")
    assert "Chi bộ Khu vực 1" in ask.text
    short = await org.say(2001, "A")
    assert "từ 4 đến 100 ký tự" in short.text
    confirm = await org.say(2001, "  Ngô   Thị Hạnh ")
    assert "Ngô Thị Hạnh" in confirm.text
    done = await org.press(2001, confirm, "Xác nhận")
    assert "đã được gửi" in done.text
    # Waiting: the pending person still sees nothing else.
    waiting = await org.say(2001, "/me")
    assert "chờ bí thư" in waiting.text

    alert = await org.server.next_message(1001)
    assert "Ngô Thị Hạnh" in alert.text
    approve_data = alert.button_data("Duyệt")
    org.server.press_button(1001, alert, button_text="Duyệt")
    edited = await org.server.next_message(1001)
    assert edited.edited and "Đã duyệt" in edited.text
    approved = await org.server.next_message(2001)
    assert "đã được duyệt" in approved.text
    me = await org.say(2001, "/me")
    assert "Ngô Thị Hạnh" in me.text and "Chi bộ Khu vực 1" in me.text

    # The same button again (a stale copy, e.g. a deputy's): a clear answer, no second decision.
    query = org.server.press_button(1001, alert.message_id, approve_data)
    answer = await org.server.wait_callback_answer(query)
    assert "đã được duyệt" in answer.text
    decisions = [r for r in _rows(org.db_path, "audit_log") if r[4] == "join.approved"]
    assert len(decisions) == 1


async def test_a_secretary_of_another_cell_cannot_decide(org: Harness) -> None:
    code, out, _ = await org.cli("invite", "create", "--unit", "CB-1")
    assert code == 0
    invite = out.strip().splitlines()[-1]
    org.server.add_user(2002, "Khoa", language_code="vi")
    await org.say(2002, f"/start {invite}")
    confirm = await org.say(2002, "Bùi Văn Khoa")
    await org.press(2002, confirm, "Xác nhận")
    alert = await org.server.next_message(1001)
    # The CB-2 secretary presses the CB-1 request's button.
    data = alert.button_data("Duyệt")
    query = org.server.press_button(1005, alert.message_id, data, chat_id=1001)
    answer = await org.server.wait_callback_answer(query)
    assert "Chỉ bí thư của Chi bộ Khu vực 1" in answer.text


async def test_a_stranger_is_refused_politely(org: Harness) -> None:
    org.server.add_user(3001, "Stranger", language_code="vi")
    org.server.add_user(3002, "Stranger", language_code="en")
    for text in ("/start", "/me", "/invite DV003", "xin chào"):
        reply = await org.say(3001, text)
        assert "liên hệ bí thư chi bộ để nhận mã mời" in reply.text
    reply = await org.say(3002, "/help")
    assert "contact your cell secretary to get an invite code" in reply.text
    wrong = await org.say(3001, "/start NOTACODE")
    assert "Mã mời không đúng" in wrong.text
    denied = [r for r in _rows(org.db_path, "audit_log") if r[6] == "denied"]
    assert {r[2] for r in denied} == {"tg:3001"} and {r[5] for r in denied} == {"/me", "/invite"}


async def test_expired_invite_gives_its_reason(org: Harness) -> None:
    code, out, err = await org.cli(
        "invite", "create", "--member", "DV004", "--expires", "2020-01-01"
    )
    assert code != 0 and "đã qua" in err and not out


async def test_language_switch_changes_the_replies(org: Harness) -> None:
    await org.say(1002, "/language en")
    help_text = await org.say(1002, "/help")
    assert "You can use these commands" in help_text.text
    await org.say(1002, "/language")  # shows buttons
    buttons = org.server.messages(1002)[-1]
    back = await org.press(1002, buttons, "Tiếng Việt")
    assert "tiếng Việt" in back.text
    help_text = await org.say(1002, "/help")
    assert "Đồng chí có thể dùng các lệnh sau" in help_text.text


async def test_a_conversation_interrupted_by_a_restart_resumes(org: Harness) -> None:
    code, out, _ = await org.cli("invite", "create", "--unit", "CB-2")
    assert code == 0
    invite = out.strip().splitlines()[-1]
    org.server.add_user(2003, "Lan", language_code="vi")
    ask = await org.say(2003, f"/start {invite}")
    assert "Chi bộ Khu vực 2" in ask.text
    await org.restart()
    confirm = await org.say(2003, "Mai Thị Lan")
    assert "Họ và tên: <b>Mai Thị Lan</b>" in confirm.text or "Mai Thị Lan" in confirm.text
    await org.restart()
    done = await org.press(2003, confirm, "Xác nhận")
    assert "đã được gửi" in done.text


async def test_bad_csvs_write_nothing(org: Harness, tmp_path) -> None:
    before = {t: _rows(org.db_path, t) for t in ("units", "members", "memberships")}
    bad_units = tmp_path / "bad_units.csv"
    bad_units.write_text(
        "code,name,kind,parent_code\nNEW-1,Chi bộ Mới,cell,TU\nNEW-2,,cell,NOWHERE\n"
        "CB-1,Chi bộ Khu vực 1,galaxy,DU-NK\n",
        encoding="utf-8",
    )
    code, _, err = await org.cli("units", "import", str(bad_units))
    assert code == 1
    assert "Dòng 3" in err and "Dòng 4" in err and "NOWHERE" in err and "galaxy" in err
    bad_members = tmp_path / "bad_members.csv"
    bad_members.write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "DV100,Người Mới,CB-1,official,,false,vi,\n"
        "DV101,Người Khác,CB-1,retired,,maybe,fr,@someone\n",
        encoding="utf-8",
    )
    code, _, err = await org.cli("members", "import", str(bad_members))
    assert code == 1 and err.count("Dòng 3") == 4
    after = {t: _rows(org.db_path, t) for t in ("units", "members", "memberships")}
    assert after == before


async def test_many_members_at_once_and_a_slow_chat_does_not_delay_others(
    org: Harness, tmp_path
) -> None:
    users = list(range(5001, 5021))
    lines = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
    lines += [f"M{u},Đảng viên Số {u},CB-2,official,,false,vi,{u}" for u in users]
    (tmp_path / "more.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (await org.cli("members", "import", str(tmp_path / "more.csv")))[0] == 0
    for user in users:
        org.server.add_user(user, f"U{user}", language_code="vi")
    # The first member's replies hang at Telegram's side; everyone else is still answered.
    org.server.slow_down("sendMessage", 5.0, chat_id=5001)
    for user in users:
        org.server.send_text(user, "/start")
    replies = await asyncio.gather(*(org.server.next_message(u) for u in users[1:]))
    assert all(f"Đảng viên Số {u}" in r.text for u, r in zip(users[1:], replies, strict=True))
    # Ordering, not timing: every other reply was delivered while the slow one still hung.
    assert org.server.messages(5001) == []
    slow = await org.server.next_message(5001)
    assert "Đảng viên Số 5001" in slow.text


async def test_one_members_updates_stay_in_order(org: Harness) -> None:
    org.server.slow_down("sendMessage", 0.3, chat_id=1002, times=1)
    org.server.send_text(1002, "/language en")
    org.server.send_text(1002, "/help")
    first, second = await org.server.next_messages(1002, 2)
    assert "English" in first.text
    assert "You can use these commands" in second.text


async def test_in_a_group_the_bot_says_one_line_once_and_shows_nothing_personal(
    org: Harness,
) -> None:
    group = -100500
    org.server.add_group(group, "Chi bộ Khu vực 1")
    org.server.add_user(3001, "Người lạ", language_code="vi")
    org.server.send_text(1002, "/start", chat_id=group)
    reply = await org.server.next_message(group)
    assert "nhắn tin riêng" in reply.text
    assert f"https://t.me/{org.server.bot_username}" in reply.text
    assert "Trần Thị Bích" not in reply.text and "\n" not in reply.text.strip()
    # Further commands and chatter in the group, from members or strangers: silence.
    for user, text in ((1002, "/me"), (1001, "/help"), (3001, "/start"), (3001, "Xin chào")):
        org.server.send_text(user, text, chat_id=group)
    await org.server.wait_idle()
    await asyncio.sleep(0.3)
    assert [m.text for m in org.server.events(group)] == [reply.text]
    # A day later it may say it again, once.
    org.clock.moment += timedelta(days=1)
    org.server.send_text(3001, "/help", chat_id=group)
    again = await org.server.next_message(group)
    assert again.text == reply.text
    # Private chats are unaffected.
    assert "Trần Thị Bích" in (await org.say(1002, "/me")).text


async def test_blocking_the_bot_is_recorded_for_the_secretary(org: Harness) -> None:
    await org.say(1002, "/start")
    org.server.block_bot(1002)
    await org.server.wait_idle()
    for _ in range(50):
        rows = _rows(org.db_path, "members")
        if any(r[1] == "DV002" and r[11] for r in rows):
            break
        await asyncio.sleep(0.05)
    listing = await org.say(1001, "/unreached")
    assert "Trần Thị Bích" in listing.text and "đã chặn bot" in listing.text
    # Already linked: she needs to unblock the bot, not a new code.
    line = next(chunk for chunk in listing.text.split("\n\n") if "Trần Thị Bích" in chunk)
    bich = listing.text[listing.text.index("Trần Thị Bích") :].split("\n")[1].strip()
    assert bich == f"https://t.me/{org.server.bot_username}", line


async def test_an_unexpected_error_gets_an_apology_in_the_users_language(
    org: Harness, monkeypatch
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    services = org.app.bot_data["services"]
    monkeypatch.setattr(services.registration, "unreached", broken)
    org.server.add_user(ADMIN_ID, "Admin", language_code="vi")
    reply = await org.say(1001, "/unreached")
    assert "Đã có lỗi xảy ra" in reply.text
    # The administrators hear of it once, in one line, with nothing personal in it.
    report = await org.server.next_message(ADMIN_ID)
    assert "RuntimeError" in report.text and "\n" not in report.text
    assert "Nguyễn Văn An" not in report.text and "/unreached" not in report.text
    assert "Đã có lỗi xảy ra" in (await org.say(1001, "/unreached")).text
    await org.server.no_message(ADMIN_ID, wait=0.5)  # the same error within the hour: quiet
    monkeypatch.undo()
    # The bot still answers afterwards.
    assert "Chào đồng chí" in (await org.say(1001, "/start")).text


async def test_the_token_never_reaches_the_logs(org: Harness, caplog) -> None:
    await org.say(1002, "/help")
    assert org.server.token not in caplog.text


async def test_a_union_member_is_not_called_a_party_member(org: Harness, tmp_path) -> None:
    (tmp_path / "u.csv").write_text(
        "code,name,kind,parent_code\nCD-1,Chi đoàn Khu vực 1,mass_org_branch,DU-NK\n",
        encoding="utf-8",
    )
    (tmp_path / "m.csv").write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "DV050,Lâm Thị Hoa,CD-1,official,,false,,1050\n",
        encoding="utf-8",
    )
    assert (await org.cli("units", "import", str(tmp_path / "u.csv")))[0] == 0
    assert (await org.cli("members", "import", str(tmp_path / "m.csv")))[0] == 0
    org.server.add_user(1050, "Hoa", language_code="vi")
    me = await org.say(1050, "/me")
    assert "Trạng thái: Đoàn viên" in me.text and "Đảng viên chính thức" not in me.text
