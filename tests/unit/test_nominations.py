"""Good-deed nominations: the rules (fields, reasons, decisions), the service against a real
database (who may nominate and decide, where the alert goes, deciding twice, a reason
required, the story draft prefilled and made once, the nominator told when the story goes
out, and not when it is cancelled), and the commendation export with hostile text."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.render.nomination_export import commendation_file
from bot.rules.nominations import Event, Field, Status, check_event, clean_field, clean_reason
from bot.services.nominations import Draft
from tests.conftest import ADMIN_ID, FakeBot, load_organisation
from tests.unit.sessions_support import actor_for, admin

DEED = "Nhặt được ví có 20 triệu đồng và trả lại cho người đánh rơi ngay trong ngày."
IDS = {"DV002": 700002, "DV001": 710001, "DV005": 710005, "DV008": 710008, "DV010": 710010}
HOSTILE = "=cmd|' /C calc'!A0"


# Rules --------------------------------------------------------------------------------------


def test_fields_are_trimmed_and_checked() -> None:
    assert clean_field(Field.NOMINEE, "  Nguyễn   Văn  A ") == "Nguyễn Văn A"
    assert clean_field(Field.DEED, f"  {DEED}\n\n  dòng hai  ") == f"{DEED}\ndòng hai"
    for field, text in (
        (Field.NOMINEE, "A"),
        (Field.NOMINEE, "x" * 101),
        (Field.NOMINEE, "/start"),
        (Field.NOMINEE, "Nguyễn\x07 Văn A"),
        (Field.DEED, "quá ngắn"),
        (Field.NOMINEE_INFO, ""),
    ):
        with pytest.raises(InvalidInput):
            clean_field(field, text)
    assert clean_field(Field.NOMINEE, "🎉" * 50) == "🎉" * 50  # 100 UTF-16 units
    with pytest.raises(InvalidInput):
        clean_field(Field.NOMINEE, "🎉" * 51)


def test_a_reason_is_required() -> None:
    assert clean_reason("  Chưa đủ   thông tin  ") == "Chưa đủ thông tin"
    for text in ("", "   ", "ok", "x" * 501, "lý do\x1b"):
        with pytest.raises(InvalidInput):
            clean_reason(text)


def test_each_decision_once() -> None:
    assert check_event(Status.SUBMITTED, Event.APPROVE, number=1) is Status.APPROVED
    assert check_event(Status.SUBMITTED, Event.REJECT, number=1) is Status.REJECTED
    assert check_event(Status.APPROVED, Event.MAKE_STORY, number=1) is Status.APPROVED
    with pytest.raises(Conflict) as raised:
        check_event(Status.APPROVED, Event.REJECT, number=1, by="An")
    assert "An" in raised.value.render()
    with pytest.raises(Conflict) as raised:
        check_event(Status.REJECTED, Event.APPROVE, number=1, by="An")
    assert "An" in raised.value.render()
    with pytest.raises(Conflict):
        check_event(Status.SUBMITTED, Event.MAKE_STORY, number=1)
    with pytest.raises(Conflict) as raised:
        check_event(Status.APPROVED, Event.MAKE_STORY, number=1, story=7)
    assert "7" in raised.value.render()
    with pytest.raises(Conflict):
        check_event(Status.REJECTED, Event.MAKE_STORY, number=1)


# The service --------------------------------------------------------------------------------


@pytest.fixture
async def board(services: Services, fake_bot: FakeBot) -> Services:
    """The organisation; DV010 is QU-BT's propaganda board, DV008 QU-HL's; all on Telegram."""
    await load_organisation(services)
    for code, role, unit in (("DV010", "propaganda", "QU-BT"), ("DV008", "propaganda", "QU-HL")):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    for code, telegram_id in IDS.items():
        await actor_for(services, code, telegram_id)
    return services


async def _unit_id(services: Services, code: str) -> int:
    async with services.db.read() as store:
        unit = await store.units.by_code(code)
    assert unit is not None
    return unit.id


async def _nominate(services: Services, by: str = "DV002", **extra: object):
    actor = await actor_for(services, by, IDS[by])
    targets = await services.nominations.targets(actor)
    fields: dict = {"nominee": "Lê Văn Tốt", "deed": DEED, "unit_id": targets[0].id} | extra
    return (await services.nominations.submit(actor, Draft(**fields))).nomination


async def test_a_member_nominates_and_the_nearest_board_is_alerted(
    board: Services, fake_bot: FakeBot
) -> None:
    member = await actor_for(board, "DV002", IDS["DV002"])
    targets = await board.nominations.targets(member)
    assert [u.code for u in targets] == ["CB-BT1", "QU-BT", "TU-DEMO"]  # own unit first
    nomination = await _nominate(board, nominee_info="Tổ dân phố 3", photo="PHOTO-ID")
    assert nomination.status == "submitted"
    assert nomination.unit_name == "Chi bộ Khu phố Đông Hưng"
    alerts = fake_bot.to(IDS["DV010"])
    assert len(alerts) == 1 and "Lê Văn Tốt" in alerts[0].text and "Tổ dân phố 3" in alerts[0].text
    assert fake_bot.to(IDS["DV008"]) == []  # QU-HL's board is not over CB-BT1
    with sqlite3.connect(board.db.path) as conn:
        assert conn.execute(
            "SELECT action FROM audit_log WHERE action = 'nomination.submit'"
        ).fetchall() == [("nomination.submit",)]


async def test_a_board_member_nominating_reaches_the_next_board_up_or_nobody_is_claimed(
    board: Services, fake_bot: FakeBot
) -> None:
    # DV010 is QU-BT's only board member, with no board above: the administrator is told.
    actor = await actor_for(board, "DV010", IDS["DV010"])
    unit_id = await _unit_id(board, "QU-BT")
    draft = Draft(nominee="Lê Văn Tốt", deed=DEED, unit_id=unit_id)
    alone = await board.nominations.submit(actor, draft)
    assert alone.alerted == 1 and len(fake_bot.to(ADMIN_ID)) == 1
    # Without any administrator, nobody: the handler then says no board can be reached yet.
    board.nominations.admin_ids = frozenset()
    assert (await board.nominations.submit(actor, draft)).alerted == 0
    # With a board on the city committee, that board is told instead.
    await board.organisation.set_role(
        member_code="DV005", role="propaganda", unit_code="TU-DEMO", grant=True, actor="test"
    )
    above = await board.nominations.submit(actor, draft)
    assert above.alerted == 1
    assert len(fake_bot.to(IDS["DV005"])) == 1 and fake_bot.to(IDS["DV010"]) == []
    assert len(fake_bot.to(ADMIN_ID)) == 1  # only the first time


async def test_only_offered_units_and_checked_text(board: Services) -> None:
    member = await actor_for(board, "DV002", IDS["DV002"])
    elsewhere = await _unit_id(board, "CB-HL1")
    with pytest.raises(InvalidInput):
        await board.nominations.submit(
            member, Draft(nominee="Lê Văn Tốt", deed=DEED, unit_id=elsewhere)
        )
    with pytest.raises(InvalidInput):
        await _nominate(board, deed="ngắn")
    with pytest.raises(AccessDenied):  # the administrator is no member: nobody to thank
        await board.nominations.submit(
            await admin(board), Draft(nominee="Lê Văn Tốt", deed=DEED, unit_id=elsewhere)
        )
    with sqlite3.connect(board.db.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM nominations").fetchone() == (0,)


async def test_deciding_in_scope_once_and_the_nominator_is_told(
    board: Services, fake_bot: FakeBot
) -> None:
    nomination = await _nominate(board)
    other_board = await actor_for(board, "DV008", IDS["DV008"])
    with pytest.raises(AccessDenied):
        await board.nominations.approve(other_board, nomination.id)
    assert (await board.nominations.board_list(other_board)).items == []
    secretary = await actor_for(board, "DV001", IDS["DV001"])
    with pytest.raises(AccessDenied):
        await board.nominations.approve(secretary, nomination.id)
    with pytest.raises(AccessDenied):
        await board.nominations.board_list(secretary)
    reviewer = await actor_for(board, "DV010", IDS["DV010"])
    listed = await board.nominations.board_list(reviewer)
    assert [n.id for n in listed.items] == [nomination.id] and listed.total == 1
    approved = await board.nominations.approve(reviewer, nomination.id)
    assert approved.status == "approved" and approved.decided_by_name == "Tô Văn Lực"
    told = fake_bot.to(IDS["DV002"])
    assert len(told) == 1 and "đã được Ban Tuyên giáo" in told[0].text
    with pytest.raises(Conflict) as raised:
        await board.nominations.approve(reviewer, nomination.id)
    assert "Tô Văn Lực" in raised.value.render()
    with pytest.raises(Conflict):
        await board.nominations.reject(reviewer, nomination.id, "Đổi ý, không duyệt nữa")
    with pytest.raises(NotFound):
        await board.nominations.approve(reviewer, nomination.id + 100)
    assert (await board.nominations.board_list(reviewer)).items == []
    decided = await board.nominations.board_list(reviewer, decided=True)
    assert [n.id for n in decided.items] == [nomination.id]
    root = await admin(board)
    assert (await board.nominations.get(root, nomination.id)).id == nomination.id
    with sqlite3.connect(board.db.path) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'nomination.approve'"
        ).fetchone() == (1,)


async def test_rejecting_needs_a_reason_which_the_nominator_reads(
    board: Services, fake_bot: FakeBot
) -> None:
    nomination = await _nominate(board)
    reviewer = await actor_for(board, "DV010", IDS["DV010"])
    for reason in ("", "ok", "<b>\x07</b>"):
        with pytest.raises(InvalidInput):
            await board.nominations.reject(reviewer, nomination.id, reason)
    assert (await board.nominations.get(reviewer, nomination.id)).status == "submitted"
    assert (await board.nominations.check_decidable(reviewer, nomination.id)).id == nomination.id
    rejected = await board.nominations.reject(
        reviewer, nomination.id, "Chưa xác minh được <sự việc> & người chứng kiến"
    )
    assert rejected.status == "rejected"
    (told,) = fake_bot.to(IDS["DV002"])
    assert "Chưa xác minh được &lt;sự việc&gt; &amp; người chứng kiến" in told.text
    with pytest.raises(Conflict):
        await board.nominations.check_decidable(reviewer, nomination.id)
    with pytest.raises(Conflict):
        await board.nominations.make_story(reviewer, nomination.id)
    mine = await board.nominations.mine(await actor_for(board, "DV002", IDS["DV002"]))
    assert [(n.id, n.status) for n in mine] == [(nomination.id, "rejected")]


async def test_the_board_does_not_decide_its_own(board: Services) -> None:
    own = await _nominate(board, by="DV010")
    reviewer = await actor_for(board, "DV010", IDS["DV010"])
    with pytest.raises(AccessDenied):
        await board.nominations.approve(reviewer, own.id)
    assert (await board.nominations.approve(await admin(board), own.id)).status == "approved"


async def test_a_story_draft_prefilled_once_and_the_nominator_told_when_it_goes_out(
    board: Services, fake_bot: FakeBot
) -> None:
    nomination = await _nominate(
        board, nominee="Lê <Văn> Tốt", nominee_info="Tổ 3 & 4", photo="PHOTO-ID"
    )
    reviewer = await actor_for(board, "DV010", IDS["DV010"])
    with pytest.raises(Conflict):  # not approved yet
        await board.nominations.make_story(reviewer, nomination.id)
    await board.nominations.approve(reviewer, nomination.id)
    linked, story = await board.nominations.make_story(reviewer, nomination.id)
    assert linked.story_id == story.id
    assert story.status == "draft" and story.tag == "good_deed" and story.photo == "PHOTO-ID"
    assert story.unit_id == await _unit_id(board, "QU-BT")
    assert "Lê <Văn> Tốt" in story.title
    assert "<b>Lê &lt;Văn&gt; Tốt</b>, Tổ 3 &amp; 4" in story.body
    assert DEED in story.body
    with pytest.raises(Conflict) as raised:
        await board.nominations.make_story(reviewer, nomination.id)
    assert f"bài {story.id}" in raised.value.render()
    before = len(fake_bot.to(IDS["DV002"]))
    # Scheduled, moved, cancelled: nobody is told anything yet.
    at = board.clock.now() + timedelta(days=1)
    await board.stories.schedule(reviewer, story.id, at)
    await board.stories.schedule(reviewer, story.id, at + timedelta(hours=2))  # moved
    await board.stories.cancel(reviewer, story.id)
    with sqlite3.connect(board.db.path) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = 'nomination.published'"
        ).fetchone() == (0,)
    assert len(fake_bot.to(IDS["DV002"])) == before
    # Scheduled again: the nominator is told when the story is released at its time.
    await board.stories.schedule(reviewer, story.id, at)
    await board.db.deliver()  # type: ignore[attr-defined]
    assert len(fake_bot.to(IDS["DV002"])) == before  # not yet
    board.clock.moment = at + timedelta(seconds=1)  # type: ignore[attr-defined]
    await board.db.deliver()  # type: ignore[attr-defined]
    published = [m.text for m in fake_bot.to(IDS["DV002"])[before:] if "đã được" in m.text]
    assert len(published) == 1 and "Lê &lt;Văn&gt; Tốt" in published[0], published
    assert "đăng" in published[0]
    commended = await board.nominations.commendations(unit_code="QU-BT", year=2026)
    assert commended.story_sent == {nomination.id: True}


async def test_the_commendation_list_keeps_hostile_text_inert(board: Services) -> None:
    reviewer = await actor_for(board, "DV010", IDS["DV010"])
    hostile = await _nominate(board, nominee=HOSTILE, nominee_info="+SUM(1,2)")
    plain = await _nominate(board, nominee="Trần Văn Hai")
    waiting = await _nominate(board, nominee="Chưa Duyệt")
    await board.nominations.approve(reviewer, hostile.id)
    await board.nominations.approve(reviewer, plain.id)
    found = await board.nominations.commendations(unit_code="TU-DEMO", year=2026)
    assert [row.id for row in found.rows] == [hostile.id, plain.id]
    assert waiting.id not in [row.id for row in found.rows]
    assert (await board.nominations.commendations(unit_code="QU-HL", year=2026)).rows == []
    assert (await board.nominations.commendations(unit_code="QU-BT", year=2025)).rows == []
    name, data = commendation_file(found, "csv")
    assert name.startswith("nguoi-tot-viec-tot-2026-") and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + HOSTILE and rows[1][2] == "'+SUM(1,2)"
    assert rows[1][-1] in ("không", "no") and len(rows) == 3
    name, data = commendation_file(found, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == HOSTILE and cell.data_type == "s"
    with pytest.raises(NotFound):
        await board.nominations.commendations(unit_code="NOWHERE", year=2026)
    with pytest.raises(InvalidInput):
        await board.nominations.commendations(unit_code="QU-BT", year=1999)


def test_the_cli_export_refuses_a_bad_unit_or_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, capsys, data_dir: Path
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DB", "data/cli.sqlite3")
    assert main(["units", "import", str(data_dir / "org_units.csv")]) == 0
    capsys.readouterr()
    assert main(["export", "nominations", "--unit", "NOWHERE", "--year", "2026"]) == 2
    err = capsys.readouterr().err.strip()
    assert "NOWHERE" in err and len(err.splitlines()) == 1
    assert main(["export", "nominations", "--unit", "QU-BT", "--year", "1999"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    code = main(["export", "nominations", "--unit", "QU-BT", "--year", "2026", "--format", "xlsx"])
    assert code == 0
    written = list(tmp_path.glob("nguoi-tot-viec-tot-2026-*.xlsx"))
    assert len(written) == 1


async def test_what_people_see_is_escaped_and_fits(board: Services) -> None:
    from bot.i18n import use_locale
    from bot.render import nomination_notices as render
    from bot.render.text import MAX_MESSAGE, split_html, visible_len

    long_name = "<Tên> & " + "x" * 92
    nomination = await _nominate(
        board, nominee=long_name, nominee_info="<i>Tổ 3</i>", deed=DEED + " <script>"
    )
    with use_locale("vi"):
        card = "\n".join(render.card(nomination))
        assert "&lt;Tên&gt; &amp;" in card and "&lt;i&gt;Tổ 3&lt;/i&gt;" in card
        assert "&lt;script&gt;" in card and "<script>" not in card
        text, rows = render.submitted(nomination)
        assert "Chi bộ Khu phố Đông Hưng" in text
        assert [label for label, _ in rows[0]] == ["Duyệt", "Không duyệt"]
        lines, buttons = render.board_list([nomination] * 20, 20, decided=False)
        parts = split_html(lines)
        assert all(visible_len(part) <= MAX_MESSAGE for part in parts)
        assert len(buttons) == 21 and all(len(label) < 64 for label, _ in buttons[0])


async def test_an_administrator_makes_the_story_in_the_nominations_unit(
    board: Services,
) -> None:
    nomination = await _nominate(board)
    root = await admin(board)
    await board.nominations.approve(root, nomination.id)
    _, story = await board.nominations.make_story(root, nomination.id)
    assert story.unit_id == nomination.unit_id
    with sqlite3.connect(board.db.path) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'nomination.story'"
        ).fetchone() == (1,)
