"""bot/cli.py: the operator's command line, run in-process against a temporary database.

These tests are synchronous on purpose: ``main()`` runs its own event loop.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, build_parser, main
from bot.invites import ALPHABET
from storage.migrations import available_migrations
from tests.threads import threads_left

CODE_LINE = re.compile(rf"^[{ALPHABET}]{{8}}$")


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Path:
    """Run the CLI in an empty folder, with only CADREBOT_DB set (a relative path)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DB", "data/cli.sqlite3")
    return tmp_path / "data" / "cli.sqlite3"


@pytest.fixture
def cli(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def loaded(cli, cli_db: Path, data_dir: Path) -> Path:
    """The invented organisation imported through the CLI."""
    assert cli("units", "import", str(data_dir / "org_units.csv"))[0] == EXIT_OK
    assert cli("members", "import", str(data_dir / "org_members.csv"))[0] == EXIT_OK
    return cli_db


def dump(path: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            if row[0] not in exclude
        ]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    finally:
        conn.close()


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# Imports -------------------------------------------------------------------------------------


def test_units_then_members_import(cli, cli_db: Path, data_dir: Path) -> None:
    assert "TELEGRAM_BOT_TOKEN" not in os.environ  # no token needed for the CLI
    code, out, err = cli("units", "import", str(data_dir / "org_units.csv"))
    assert (code, err) == (EXIT_OK, "")
    assert out.strip() == "Đã nhập 6 dòng: 6 mới, 0 thay đổi, 0 không đổi."
    code, out, err = cli("members", "import", str(data_dir / "org_members.csv"))
    assert (code, err) == (EXIT_OK, "")
    assert out.strip() == "Đã nhập 10 dòng: 10 mới, 0 thay đổi, 0 không đổi."
    assert cli_db.exists()  # the relative path, under the working folder
    assert query(cli_db, "SELECT full_name FROM members WHERE code = 'DV001'") == [
        ("Trần Thị Bích",)
    ]
    assert query(cli_db, "SELECT COUNT(*) FROM units") == [(6,)]
    # Importing again changes nothing.
    code, out, _ = cli("members", "import", str(data_dir / "org_members.csv"))
    assert code == EXIT_OK and "0 mới, 0 thay đổi, 10 không đổi" in out


def test_english_output(cli, cli_db: Path, data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("CADREBOT_DEFAULT_LOCALE", "en")
    code, out, _ = cli("units", "import", str(data_dir / "org_units.csv"))
    assert code == EXIT_OK
    assert out.strip() == "Imported 6 rows: 6 new, 0 changed, 0 unchanged."


def test_bad_csv_prints_every_problem_and_changes_nothing(
    cli, loaded: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CADREBOT_DEFAULT_LOCALE", "en")
    bad = tmp_path / "bad_units.csv"
    bad.write_text(
        "code,name,kind,parent_code\n"
        "NEW1,Chi bộ Mới,cell,QU-BT\n"
        "NEW2,Chi bộ Lạ,galaxy,QU-BT\n"
        "NEW3,Chi bộ Ba,cell,QU-BT\n"
        "NEW4,Chi bộ Bốn,cell,NOWHERE\n",
        encoding="utf-8",
    )
    before = dump(loaded, exclude=("audit_log",))
    audits = query(loaded, "SELECT COUNT(*) FROM audit_log")[0][0]
    code, out, err = cli("units", "import", str(bad))
    assert code == EXIT_FAILED and code != 0
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "Nothing was imported. Fix these problems and try again:"
    assert lines[1].startswith("  Line 3: unknown kind 'galaxy'")
    assert lines[2] == "  Line 5: unknown parent_code 'NOWHERE'"
    assert len(lines) == 3
    assert dump(loaded, exclude=("audit_log",)) == before
    assert query(loaded, "SELECT COUNT(*) FROM audit_log")[0][0] == audits + 1
    assert query(loaded, "SELECT actor, action, outcome, target FROM audit_log ORDER BY id DESC")[
        0
    ] == ("cli", "units.import", "error", str(bad))


def test_bad_members_csv_in_vietnamese(cli, loaded: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad_members.csv"
    bad.write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "DV100,Lý Thị Mai,CB-BT1,official,,maybe,,\n"
        "DV101,Mai Văn Tân,CB-BT1,official,,false,,700002\n",
        encoding="utf-8",
    )
    before = dump(loaded, exclude=("audit_log",))
    code, _, err = cli("members", "import", str(bad))
    assert code == EXIT_FAILED
    assert err.splitlines() == [
        "Chưa nhập dữ liệu nào. Vui lòng sửa các lỗi sau rồi nhập lại:",
        "  Dòng 2: is_head phải là true hoặc false, không phải 'maybe'",
        "  Dòng 3: telegram_id 700002 đã thuộc về đảng viên 'DV002'",
    ]
    assert dump(loaded, exclude=("audit_log",)) == before


def test_non_utf8_and_missing_files(cli, loaded: Path, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name,kind,parent_code\nX,Chi bộ Ấp,cell,\n".encode("utf-16"))
    code, _, err = cli("units", "import", str(latin))
    assert code == EXIT_FAILED and "UTF-8" in err
    code, _, err = cli("units", "import", str(tmp_path / "nope.csv"))
    assert code == EXIT_FAILED
    assert err.startswith(f"Không đọc được tệp {tmp_path / 'nope.csv'}")


# Invites -------------------------------------------------------------------------------------


def test_invite_create_prints_the_code_alone_on_the_last_line(cli, loaded: Path) -> None:
    code, out, err = cli("invite", "create", "--member", "DV003")
    assert (code, err) == (EXIT_OK, "")
    lines = out.splitlines()
    assert len(lines) == 1 and CODE_LINE.match(lines[-1])
    stored = query(
        loaded,
        "SELECT i.max_uses, i.uses, i.created_by, m.code FROM invites i "
        "JOIN members m ON m.id = i.member_id WHERE i.code = ?",
        (lines[-1],),
    )
    assert stored == [(1, 0, "cli", "DV003")]


def test_invite_create_with_a_bot_username_prints_the_link_first(cli, loaded: Path) -> None:
    conn = sqlite3.connect(loaded)
    with conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('bot_username', 'cadre_test_bot')")
    conn.close()
    code, out, _ = cli("invite", "create", "--member", "DV003")
    assert code == EXIT_OK
    link, invite_code = out.splitlines()
    assert CODE_LINE.match(invite_code)
    assert link == f"https://t.me/cadre_test_bot?start={invite_code}"


def test_unit_invite_options(cli, loaded: Path) -> None:
    # The CLI runs on the real clock: use a date far ahead, and one long gone.
    code, out, _ = cli(
        "invite", "create", "--unit", "CB-BT1", "--uses", "20", "--expires", "2099-03-31"
    )
    assert code == EXIT_OK
    invite_code = out.splitlines()[-1]
    assert query(
        loaded, "SELECT max_uses, expires_on, member_id FROM invites WHERE code = ?", (invite_code,)
    ) == [(20, "2099-03-31", None)]
    code, out, err = cli("invite", "create", "--unit", "CB-BT1", "--expires", "2020-01-01")
    assert (code, out, err.strip()) == (EXIT_FAILED, "", "Ngày hết hạn đã qua.")
    code, out, _ = cli("invite", "create", "--unit", "CB-BT1")
    default_code = out.splitlines()[-1]
    assert query(loaded, "SELECT max_uses FROM invites WHERE code = ?", (default_code,)) == [(30,)]


def test_unknown_member_code_fails_with_a_message(cli, loaded: Path) -> None:
    code, out, err = cli("invite", "create", "--member", "DV999")
    assert code == EXIT_FAILED
    assert out == ""
    assert err.strip() == "Không có đảng viên nào có mã 'DV999'."
    assert query(loaded, "SELECT COUNT(*) FROM invites") == [(0,)]


def test_invalid_invite_arguments_are_refused(cli, loaded: Path) -> None:
    code, _, err = cli("invite", "create", "--member", "DV003", "--uses", "3")
    assert code == EXIT_FAILED and err.strip()
    for argv in (
        ["invite", "create"],
        ["invite", "create", "--member", "DV003", "--unit", "CB-BT1"],
        ["invite", "create", "--unit", "CB-BT1", "--uses", "0"],
        ["invite", "create", "--unit", "CB-BT1", "--expires", "31/03/2026"],
    ):
        with pytest.raises(SystemExit) as caught:
            cli(*argv)
        assert caught.value.code == 2


# Roles ---------------------------------------------------------------------------------------


def test_role_grant_then_revoke(cli, loaded: Path) -> None:
    grant = ("role", "grant", "--member", "DV001", "--role", "secretary", "--unit", "CB-BT1")
    revoke = ("role", "revoke", "--member", "DV001", "--role", "secretary", "--unit", "CB-BT1")
    assert cli(*grant) == (EXIT_OK, "Đã giao vai trò secretary tại CB-BT1 cho DV001.\n", "")
    assert cli(*grant)[1] == ("DV001 đã có vai trò secretary tại CB-BT1; không có gì thay đổi.\n")
    active = "SELECT COUNT(*) FROM roles WHERE revoked_at IS NULL"
    assert query(loaded, active) == [(1,)]
    assert cli(*revoke) == (
        EXIT_OK,
        "Đã thu hồi vai trò secretary tại CB-BT1 của DV001.\n",
        "",
    )
    assert cli(*revoke)[1] == (
        "DV001 không có vai trò secretary tại CB-BT1; không có gì thay đổi.\n"
    )
    assert query(loaded, active) == [(0,)]
    assert query(loaded, "SELECT COUNT(*) FROM roles") == [(1,)]  # kept as history
    actions = query(
        loaded, "SELECT action, target FROM audit_log WHERE action LIKE 'role.%' ORDER BY id"
    )
    assert actions == [
        ("role.grant", "DV001:secretary@CB-BT1"),
        ("role.grant", "DV001:secretary@CB-BT1"),
        ("role.revoke", "DV001:secretary@CB-BT1"),
        ("role.revoke", "DV001:secretary@CB-BT1"),
    ]


def test_role_for_unknown_unit_or_role(cli, loaded: Path) -> None:
    code, _, err = cli("role", "grant", "--member", "DV001", "--role", "secretary", "--unit", "X")
    assert code == EXIT_FAILED and "X" in err
    with pytest.raises(SystemExit) as caught:
        cli("role", "grant", "--member", "DV001", "--role", "king", "--unit", "CB-BT1")
    assert caught.value.code == 2


# Members leaving -----------------------------------------------------------------------------


def test_members_leave(cli, loaded: Path) -> None:
    assert cli("members", "leave", "DV006", "--unit", "CB-HL1") == (
        EXIT_OK,
        "DV006: đã kết thúc 1 nơi sinh hoạt\n",
        "",
    )
    rows = query(
        loaded,
        "SELECT u.code, ms.ended_on IS NOT NULL FROM memberships ms "
        "JOIN units u ON u.id = ms.unit_id JOIN members m ON m.id = ms.member_id "
        "WHERE m.code = 'DV006' ORDER BY u.code",
    )
    assert rows == [("CB-BT2", 0), ("CB-HL1", 1)]
    code, out, err = cli("members", "leave", "DV999")
    assert (code, out) == (EXIT_FAILED, "")
    assert err.strip() == "Không có đảng viên nào có mã 'DV999'."
    code, _, err = cli("members", "leave", "DV006", "--on", "2000-01-01")
    assert code == EXIT_FAILED and err.strip()
    assert query(loaded, "SELECT COUNT(*) FROM memberships WHERE ended_on IS NOT NULL") == [(1,)]


def test_members_unlink_detaches_a_wrong_telegram_id(cli, loaded: Path) -> None:
    assert query(loaded, "SELECT telegram_id FROM members WHERE code = 'DV002'") == [(700002,)]
    assert cli("members", "unlink", "DV002") == (
        EXIT_OK,
        "DV002: đã gỡ liên kết tài khoản Telegram\n",
        "",
    )
    assert query(loaded, "SELECT telegram_id FROM members WHERE code = 'DV002'") == [(None,)]
    assert cli("members", "unlink", "DV002")[1] == ("DV002: chưa liên kết tài khoản Telegram nào\n")
    audit = query(loaded, "SELECT action, target FROM audit_log WHERE action = 'member.unlink'")
    assert audit == [("member.unlink", "DV002"), ("member.unlink", "DV002")]
    code, _, err = cli("members", "unlink", "DV999")
    assert code == EXIT_FAILED and "DV999" in err


# Database upkeep -----------------------------------------------------------------------------


def test_db_upgrade_on_a_fresh_file(cli, cli_db: Path) -> None:
    latest = max(m.version for m in available_migrations())
    code, out, _ = cli("db", "upgrade")
    assert code == EXIT_OK
    assert out.strip() == f"Phiên bản cơ sở dữ liệu {latest}: data/cli.sqlite3"
    assert query(cli_db, "SELECT COUNT(*) FROM schema_migrations") == [
        (len(available_migrations()),)
    ]
    # Running it again applies nothing.
    assert cli("db", "upgrade")[1] == out
    assert query(cli_db, "SELECT COUNT(*) FROM schema_migrations") == [
        (len(available_migrations()),)
    ]


def test_db_upgrade_applies_pending_migrations(cli, cli_db: Path) -> None:
    first = available_migrations()[0]
    cli_db.parent.mkdir(parents=True)
    conn = sqlite3.connect(cli_db)
    conn.executescript(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL);\n"
        f"{first.sql}\n"
        f"INSERT INTO schema_migrations VALUES ({first.version}, '{first.name}', "
        "'2026-01-01T00:00:00+00:00');"
    )
    conn.close()
    code, out, _ = cli("db", "upgrade")
    latest = max(m.version for m in available_migrations())
    assert code == EXIT_OK and out.startswith(f"Phiên bản cơ sở dữ liệu {latest}:")
    versions = [row[0] for row in query(cli_db, "SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in available_migrations()]


def test_db_backup_creates_a_readable_copy(cli, loaded: Path, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    code, out, _ = cli("db", "backup", str(target))
    assert code == EXIT_OK and out.strip() == f"Đã sao lưu vào {target}"
    assert query(target, "PRAGMA integrity_check") == [("ok",)]
    assert dump(target) == dump(loaded)
    assert query(target, "SELECT full_name FROM members WHERE code = 'DV004'") == [
        ("Phạm Quốc Việt",)
    ]


# Settings ------------------------------------------------------------------------------------


def test_settings_come_from_dotenv_in_the_working_folder(
    cli, tmp_path: Path, monkeypatch, data_dir: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "CADREBOT_"))]:
        monkeypatch.delenv(key)
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=\nCADREBOT_DB=from-dotenv.sqlite3\nCADREBOT_DEFAULT_LOCALE=en\n",
        encoding="utf-8",
    )
    code, out, _ = cli("units", "import", str(data_dir / "org_units.csv"))
    assert code == EXIT_OK and out.startswith("Imported 6 rows")
    assert (tmp_path / "from-dotenv.sqlite3").exists()


def test_a_config_error_exits_with_the_key(cli, cli_db: Path, monkeypatch) -> None:
    monkeypatch.setenv("CADREBOT_TIMEZONE", "Mars/Olympus_Mons")
    code, out, err = cli("db", "upgrade")
    assert code == EXIT_CONFIG
    assert out == ""
    assert err.strip().startswith("Configuration error: CADREBOT_TIMEZONE is invalid")
    assert not cli_db.exists()


@pytest.fixture
def unopenable(tmp_path: Path, monkeypatch, clean_env) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-db").write_text("this is not sqlite\n" * 50, encoding="utf-8")
    monkeypatch.setenv("CADREBOT_DB", "not-a-db")
    return "not-a-db"


def test_an_unopenable_database_is_one_line(cli, unopenable: str, thread_guard) -> None:
    code, _, err = cli("db", "upgrade")
    assert code == EXIT_FAILED
    assert err.startswith(f"Không mở được cơ sở dữ liệu {unopenable}: file is not a database")
    assert len(err.strip().splitlines()) == 1


def test_an_unopenable_database_leaves_no_thread_behind(
    cli, unopenable: str, thread_guard: set[threading.Thread]
) -> None:
    assert cli("db", "upgrade")[0] == EXIT_FAILED
    assert threads_left(thread_guard) == []


def test_a_database_the_migrations_cannot_apply_to_leaves_no_thread(
    cli, tmp_path: Path, monkeypatch, clean_env, thread_guard: set[threading.Thread]
) -> None:
    monkeypatch.chdir(tmp_path)
    conn = sqlite3.connect(tmp_path / "clash.sqlite3")
    conn.execute("CREATE TABLE units (x)")
    conn.commit()
    conn.close()
    monkeypatch.setenv("CADREBOT_DB", "clash.sqlite3")
    code, _, err = cli("db", "upgrade")
    assert code == EXIT_FAILED
    assert err.startswith("Không mở được cơ sở dữ liệu clash.sqlite3: table units already exists")
    assert threads_left(thread_guard) == []


# --help ----------------------------------------------------------------------------------------


def _all_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_all_commands(sub, (*prefix, name)))
    return found


ALL_COMMANDS = _all_commands(build_parser())


def test_the_documented_commands_exist() -> None:
    expected = {
        (),
        ("run",),
        ("db",),
        ("db", "upgrade"),
        ("db", "backup"),
        ("units", "import"),
        ("members", "import"),
        ("invite", "create"),
        ("role", "grant"),
        ("role", "revoke"),
    }
    assert expected <= set(ALL_COMMANDS)


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c) or "cadrebot")
def test_help_works_for_each_command(capsys, command: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([*command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: cadrebot {' '.join(command)}".rstrip())
    assert "-h, --help" in out


def test_no_command_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "usage: cadrebot" in capsys.readouterr().err


def test_every_line_follows_the_configured_language(
    cli, loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant = ("role", "grant", "--member", "DV001", "--role", "secretary", "--unit", "CB-BT1")
    monkeypatch.setenv("CADREBOT_DEFAULT_LOCALE", "en")
    assert cli(*grant)[1] == "Granted secretary on CB-BT1 to DV001.\n"
    code, _, err = cli("members", "import", "missing.csv")
    assert code == EXIT_FAILED and err.startswith("Cannot read missing.csv")
    monkeypatch.setenv("CADREBOT_DEFAULT_LOCALE", "vi")
    assert cli(*grant)[1].startswith("DV001 đã có vai trò secretary")


def test_a_backup_over_the_live_database_is_refused(cli, loaded) -> None:
    code, out, err = cli("db", "backup", "data/cli.sqlite3")
    assert code == EXIT_FAILED and out == ""
    assert "Không thể ghi bản sao lưu đè lên chính cơ sở dữ liệu" in err


def test_outbox_status_and_retry(cli, loaded) -> None:
    assert cli("outbox", "status")[1] == "Không có tin nhắn nào đang chờ gửi.\n"
    conn = sqlite3.connect(loaded)
    with conn:
        for status, error in (("sent", None), ("failed", "Chat not found"), ("queued", None)):
            conn.execute(
                "INSERT INTO outbox (kind, chat_id, template, not_before, status, last_error, "
                "created_at) VALUES ('invitation', 1, 'text', '2026-01-01T00:00:00+00:00', ?, ?, "
                "'2026-01-01T00:00:00+00:00')",
                (status, error),
            )
    conn.close()
    code, out, _ = cli("outbox", "status")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split("\t") == ["loại", "chờ gửi", "đang gửi", "đã gửi", "lỗi", "đã chặn bot"]
    assert lines[1].split("\t") == ["invitation", "1", "0", "1", "1", "0"]
    assert "Lỗi (invitation): 1 × Chat not found" in out
    assert cli("outbox", "retry", "--failed")[1].startswith("Đã xếp lại hàng đợi: 1.")
    assert "invitation\t2\t0\t1\t0\t0" in cli("outbox", "status")[1]


# The propaganda board ------------------------------------------------------------------------

NEXT_YEAR = date.today().year + 1
STORY_MD = """# Tấm gương vượt lũ

Đồng chí **Nguyễn Văn A** đã giúp bà con <script>x</script> suốt ba tháng.
"""


def test_story_import_as_a_draft_a_schedule_or_now(cli, loaded: Path, tmp_path: Path) -> None:
    story = tmp_path / "guong.md"
    story.write_text(STORY_MD, encoding="utf-8")
    code, out, err = cli("story", "import", str(story), "--unit", "QU-BT")
    assert (code, err) == (EXIT_OK, "")
    assert "Bài 1" in out or "Story 1" in out
    [(title, body, status, audience)] = query(
        loaded, "SELECT title, body, status, audience FROM stories"
    )
    assert title == "Tấm gương vượt lũ" and status == "draft"
    assert body == (
        "Đồng chí <b>Nguyễn Văn A</b> đã giúp bà con &lt;script&gt;x&lt;/script&gt; suốt ba tháng."
    )
    assert '"kind": "scope"' in audience
    code, out, _ = cli(
        "story",
        "import",
        str(story),
        "--unit",
        "QU-BT",
        "--audience",
        "units:CB-BT1,CB-BT2",
        "--at",
        f"01/01/{NEXT_YEAR} 07:30",
        "--tag",
        "good_deed",
    )
    assert code == EXIT_OK
    [(status, send_at)] = query(loaded, "SELECT status, send_at FROM stories WHERE id = 2")
    assert status == "scheduled" and send_at.startswith(f"{NEXT_YEAR}-01-01T00:30")
    # Nobody holds a secretary's role yet: nothing is sent, the draft stays to be fixed.
    code, _, err = cli(
        "story", "import", str(story), "--unit", "QU-BT", "--now", "--audience", "role:secretary"
    )
    assert code == EXIT_FAILED and "/story edit 3" in err, err
    assert query(loaded, "SELECT status FROM stories WHERE id = 3") == [("draft",)]
    code, _, _ = cli(
        "story", "import", str(story), "--unit", "QU-BT", "--now", "--audience", "units:CB-BT1"
    )
    assert code == EXIT_OK
    assert query(loaded, "SELECT status FROM stories WHERE id = 4") == [("sent",)]


def test_story_import_refuses_bad_input_and_writes_nothing(
    cli, loaded: Path, tmp_path: Path
) -> None:
    untitled = tmp_path / "untitled.md"
    untitled.write_text("Chỉ có nội dung, không có tiêu đề ở đầu.", encoding="utf-8")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    story = tmp_path / "ok.md"
    story.write_text(STORY_MD, encoding="utf-8")
    for argv in (
        (str(untitled), "--unit", "QU-BT"),
        (str(binary), "--unit", "QU-BT"),
        (str(tmp_path / "missing.md"), "--unit", "QU-BT"),
        (str(story), "--unit", "NOPE"),
        (str(story), "--unit", "QU-BT", "--audience", "units:CB-HL1"),  # outside QU-BT
        (str(story), "--unit", "QU-BT", "--audience", "everyone"),
        (str(story), "--unit", "QU-BT", "--at", "01/01/2001 07:30"),
    ):
        code, _out, err = cli("story", "import", *argv)
        assert code == EXIT_FAILED, argv
        assert err.strip() and "Traceback" not in err, argv
    assert query(loaded, "SELECT COUNT(*) FROM stories") == [(0,)]
    assert query(loaded, "SELECT COUNT(*) FROM outbox") == [(0,)]


def test_channels_add_list_remove(cli, loaded: Path) -> None:
    assert cli("channel", "list")[1].strip()
    code, out, _ = cli("channel", "add", "-1001234", "--title", "Học tập và làm theo Bác")
    assert code == EXIT_OK and "-1001234" in out
    assert cli("channel", "list")[1] == "-1001234\tHọc tập và làm theo Bác\n"
    assert cli("channel", "remove", "-1001234")[0] == EXIT_OK
    assert "-1001234" in cli("channel", "remove", "-1001234")[1]
    assert "-1001234" not in cli("channel", "list")[1]


def test_a_campaign_sets_its_own_commitment_reminder_days_and_bad_ones_are_refused(
    cli, cli_db: Path
) -> None:
    code, out, _ = cli("campaign", "create", "--year", "2027", "--topic", "Nêu gương người tốt",
                       "--reminder-days", "3, 10,1")  # fmt: skip
    assert code == EXIT_OK
    assert "10, 3, 1" in out  # farthest first
    with sqlite3.connect(cli_db) as conn:
        (days,) = conn.execute("SELECT commit_reminder_days FROM campaigns").fetchone()
    assert days == "10,3,1"
    for bad in ("0", "14,14", "a,b", "61", "1,2,3,4,5,6,7"):
        code, _, err = cli("campaign", "edit", "--year", "2027", "--reminder-days", bad)
        assert code != EXIT_OK and "Traceback" not in err and err.strip(), bad
    with sqlite3.connect(cli_db) as conn:
        assert conn.execute("SELECT commit_reminder_days FROM campaigns").fetchone() == ("10,3,1",)
