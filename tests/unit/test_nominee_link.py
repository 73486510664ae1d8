"""The member a good-deed nomination names (issue 12): the rule (one member of that name in
the nomination's unit and below, never a guess between namesakes), the link made when the
board approves (and when an approval older than the link is made into a story), the
operator's correction (``cadrebot nominations link``), and the year-end dossier listing
the member's deeds, read back from the DOCX."""

from __future__ import annotations

import io
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from bot.context import Services
from bot.i18n import use_locale
from bot.render import nomination_notices as render
from bot.render.dossier import dossier_docx
from bot.rules.names import match_key, name_key
from bot.rules.nominations import named_member
from bot.services.nominations import Draft
from tests.conftest import TIMEZONE, FakeBot, Organisation
from tests.unit.sessions_support import actor_for, admin

DEED = "Nhặt được ví có 20 triệu đồng và trả lại cho người đánh rơi ngay trong ngày."
OTHER_DEED = "Hiến 200 m² đất để mở rộng đường vào khu phố Đông Hưng, không nhận bồi thường."
BOARD, NOMINATOR = "DV010", "DV003"  # the board of QU-BT; a member of CB-BT1
NAMESAKE = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV012,Nguyễn Văn Đức,CB-BT2,official,Giáo viên,false,vi,
"""


@dataclass(frozen=True)
class Person:
    code: str
    full_name: str


# The rule -------------------------------------------------------------------------------------


def test_the_rule_names_exactly_one_member_or_nobody() -> None:
    duc, hoa, bich = (
        Person("DV002", "Nguyễn Văn Đức"),
        Person("DV020", "Trần Thị Hòa"),
        Person("DV001", "Trần Thị Bích"),
    )
    people = [duc, hoa, bich]
    # Case and spaces do not count.
    assert named_member("  nguyễn   VĂN  đức ", people) is duc
    # Typed with combining marks (a decomposed keyboard): the same name.
    assert named_member(unicodedata.normalize("NFD", "Nguyễn Văn Đức"), people) is duc
    # The old and the new place of a tone mark: "Hoà" is "Hòa".
    assert named_member("Trần Thị Hoà", people) is hoa
    # Letters and tones do count: without diacritics it is another name; a part is not all.
    for typed in ("Nguyen Van Duc", "Nguyễn Văn Dức", "Nguyễn Văn", "Văn Đức Nguyễn", "Bích"):
        assert named_member(typed, people) is None, typed
    # Two namesakes: never a guess.
    assert named_member("Nguyễn Văn Đức", [*people, Person("DV012", "Nguyễn  Văn Đức")]) is None
    assert named_member("Nguyễn Văn Đức", []) is None
    assert named_member("   ", people) is None
    assert named_member("Đức", [duc], name=lambda p: p.full_name.split()[-1]) is duc


def test_names_equal_for_sorting_are_equal_for_matching() -> None:
    for a, b in (("Lê  Thị Mai", "lê thị mai"), ("ĐẶNG MINH KHÔI", "Đặng Minh Khôi")):
        assert name_key(a) == name_key(b) and match_key(a) == match_key(b)
    assert match_key("Lê Văn Tám") != match_key("Le Van Tam")
    assert match_key("Thuỷ") == match_key("Thủy") and name_key("Thuỷ") != name_key("Thủy")


# At approval ----------------------------------------------------------------------------------


@pytest.fixture
async def board(setup: Services, fake_bot: FakeBot) -> Services:
    """The organisation with the 2026 campaign; DV010 is QU-BT's propaganda board."""
    await setup.organisation.set_role(
        member_code=BOARD, role="propaganda", unit_code="QU-BT", grant=True, actor="test"
    )
    return setup


async def _unit_id(services: Services, code: str) -> int:
    async with services.db.read() as store:
        unit = await store.units.by_code(code)
    assert unit is not None
    return unit.id


async def nominate(
    services: Services, nominee: str, unit: str = "CB-BT1", deed: str = DEED, by: str = NOMINATOR
) -> int:
    actor = await actor_for(services, by)
    draft = Draft(nominee=nominee, deed=deed, unit_id=await _unit_id(services, unit))
    return (await services.nominations.submit(actor, draft)).nomination.id


def _link_of(services: Services, nomination_id: int) -> tuple:
    with sqlite3.connect(services.db.path) as conn:
        return conn.execute(
            "SELECT m.code, n.nominee_linked_by FROM nominations n "
            "LEFT JOIN members m ON m.id = n.nominee_member_id WHERE n.id = ?",
            (nomination_id,),
        ).fetchone()


async def test_approving_links_the_member_the_name_names(board: Services) -> None:
    reviewer = await actor_for(board, BOARD)
    found = await nominate(board, " nguyễn  văn ĐỨC ")
    waiting = await board.nominations.get(reviewer, found)
    assert waiting.nominee_member_id is None  # nothing before the decision
    approved = await board.nominations.approve(reviewer, found)
    assert (approved.nominee_member_code, approved.nominee_member_name) == (
        "DV002", "Nguyễn Văn Đức",
    )  # fmt: skip
    assert _link_of(board, found) == ("DV002", "rule")
    with use_locale("vi"):
        line = render.member_line(approved)
        assert line == (
            "Việc tốt được ghi vào hồ sơ kiểm điểm cuối năm của đồng chí Nguyễn Văn Đức (DV002)."
        )
        assert line in render.card(approved)
    with sqlite3.connect(board.db.path) as conn:
        (detail,) = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'nomination.approve'"
        ).fetchone()
    assert '"nominee": "DV002"' in detail


async def test_namesakes_strangers_and_members_elsewhere_stay_unlinked(board: Services) -> None:
    await board.organisation.import_members(NAMESAKE.encode(), actor="test")
    reviewer = await actor_for(board, BOARD)
    # Sent to QU-BT, whose subtree holds two Nguyễn Văn Đức (CB-BT1 and CB-BT2): nobody.
    namesakes = await nominate(board, "Nguyễn Văn Đức", unit="QU-BT")
    # Sent to CB-BT1: only one of them is there, so it is him.
    in_cell = await nominate(board, "Nguyễn Văn Đức", unit="CB-BT1")
    # Not a member at all; a member of another district (CB-HL1) named from CB-BT1.
    stranger = await nominate(board, "Lê Văn Tốt")
    elsewhere = await nominate(board, "Dương Ngọc Trâm", unit="QU-BT")
    decided = {n: await board.nominations.approve(reviewer, n) for n in (namesakes, in_cell)}
    decided |= {n: await board.nominations.approve(reviewer, n) for n in (stranger, elsewhere)}
    assert _link_of(board, in_cell) == ("DV002", "rule")
    for unlinked in (namesakes, stranger, elsewhere):
        assert _link_of(board, unlinked) == (None, None)
        with use_locale("vi"):
            assert "Không xác định được đồng chí nào" in render.member_line(decided[unlinked])
    # A rejected one is never linked, whatever the name.
    rejected = await nominate(board, "Trần Thị Bích")
    await board.nominations.reject(reviewer, rejected, "Chưa xác minh được sự việc")
    assert _link_of(board, rejected) == (None, None)


async def test_a_story_made_from_an_older_approval_links_it_and_a_hand_decision_stands(
    board: Services,
) -> None:
    reviewer = await actor_for(board, BOARD)
    older, unlinked_by_hand, linked_by_hand = (
        await nominate(board, "Nguyễn Văn Đức"),
        await nominate(board, "Nguyễn Văn Đức"),
        await nominate(board, "Nguyễn Văn Đức"),
    )
    await board.nominations.link(unlinked_by_hand, None)  # before the decision: it stands
    await board.nominations.link(linked_by_hand, "DV003")
    for n in (older, unlinked_by_hand, linked_by_hand):
        await board.nominations.approve(reviewer, n)
    assert _link_of(board, unlinked_by_hand) == (None, "hand")
    assert _link_of(board, linked_by_hand) == ("DV003", "hand")
    # As if approved before migration 0017: nobody has decided the link yet.
    with sqlite3.connect(board.db.path) as conn:
        conn.execute(
            "UPDATE nominations SET nominee_member_id = NULL, nominee_linked_by = NULL "
            "WHERE id = ?",
            (older,),
        )
    linked, _ = await board.nominations.make_story(reviewer, older)
    assert linked.nominee_member_code == "DV002" and _link_of(board, older) == ("DV002", "rule")
    await board.nominations.make_story(reviewer, unlinked_by_hand)
    assert _link_of(board, unlinked_by_hand) == (None, "hand")


# The operator's correction --------------------------------------------------------------------


def test_the_cli_links_and_unlinks_by_hand_and_audits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, capsys, data_dir: Path
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DB", "data/cli.sqlite3")
    assert main(["units", "import", str(data_dir / "org_units.csv")]) == 0
    assert main(["members", "import", str(data_dir / "org_members.csv")]) == 0
    db = tmp_path / "data" / "cli.sqlite3"
    with sqlite3.connect(db) as conn:
        for status in ("approved", "rejected"):
            conn.execute(
                "INSERT INTO nominations (nominee, deed, unit_id, nominated_by, status, "
                "created_at) SELECT 'Ông Đức', ?, u.id, m.id, ?, '2026-05-02T01:00:00+00:00' "
                "FROM units u, members m WHERE u.code = 'CB-BT1' AND m.code = 'DV003'",
                (DEED, status),
            )
    capsys.readouterr()

    def link_row() -> tuple:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT m.code, n.nominee_linked_by FROM nominations n "
                "LEFT JOIN members m ON m.id = n.nominee_member_id WHERE n.id = 1"
            ).fetchone()

    assert main(["nominations", "link", "--id", "1", "--member", "DV002"]) == 0
    out = capsys.readouterr().out
    assert "1" in out and "Nguyễn Văn Đức" in out and "DV002" in out
    assert link_row() == ("DV002", "hand")
    assert main(["nominations", "link", "--id", "1", "--unlink"]) == 0
    assert "1" in capsys.readouterr().out
    assert link_row() == (None, "hand")
    # Mistakes: one line each, nothing changed.
    for argv, code, word in (
        (["--id", "9", "--member", "DV002"], 2, "9"),
        (["--id", "1", "--member", "NOBODY"], 2, "NOBODY"),
        (["--id", "2", "--member", "DV002"], 1, "2"),  # rejected: in no dossier
    ):
        assert main(["nominations", "link", *argv]) == code
        err = capsys.readouterr().err.strip()
        assert word in err and len(err.splitlines()) == 1, err
    for argv in (["--id", "1"], ["--id", "1", "--member", "DV002", "--unlink"], ["--id", "x"]):
        with pytest.raises(SystemExit) as usage:
            main(["nominations", "link", *argv])
        assert usage.value.code == 2
    capsys.readouterr()
    assert link_row() == (None, "hand")
    with sqlite3.connect(db) as conn:
        audited = conn.execute(
            "SELECT action, actor, target, outcome FROM audit_log "
            "WHERE action LIKE 'nomination.%' ORDER BY id"
        ).fetchall()
    assert audited == [
        ("nomination.link", "cli", "1", "ok"),
        ("nomination.unlink", "cli", "1", "ok"),
    ]


# The dossier ----------------------------------------------------------------------------------


async def test_the_dossier_lists_the_members_deeds(
    board: Services, org: Organisation, clock
) -> None:
    reviewer = await actor_for(board, BOARD)
    clock.moment = datetime(2025, 11, 20, 9, 0, tzinfo=TIMEZONE)
    last_year = await nominate(board, "Nguyễn Văn Đức", deed=f"Năm trước: {DEED}")
    await board.nominations.approve(reviewer, last_year)  # decided in 2025: not in 2026
    clock.moment = datetime(2026, 4, 2, 9, 0, tzinfo=TIMEZONE)
    approved = await nominate(board, "Nguyễn Văn Đức")
    await board.nominations.approve(reviewer, approved)
    await board.nominations.make_story(reviewer, approved)
    clock.moment = datetime(2026, 11, 5, 9, 0, tzinfo=TIMEZONE)
    waiting = await nominate(board, "Nguyễn Văn Đức", deed=OTHER_DEED)
    await board.nominations.link(waiting, "DV002")  # the operator links a waiting one
    refused = await nominate(board, "Nguyễn Văn Đức", deed=f"Bị trả lại: {DEED}")
    await board.nominations.reject(reviewer, refused, "Chưa xác minh được sự việc")

    d = await board.dossiers.member_dossier(await admin(board), "DV002", 2026)
    assert [(n.id, n.on.isoformat(), n.status, n.story) for n in d.nominations] == [
        (approved, "2026-04-02", "approved", True),
        (waiting, "2026-11-05", "submitted", False),
    ]
    document = Document(io.BytesIO(dossier_docx(d)))
    texts = [p.text for p in document.paragraphs]
    section = texts.index("IV. NGƯỜI TỐT, VIỆC TỐT; BIỂU DƯƠNG, KHEN THƯỞNG")
    assert texts.index("III. THAM GIA SINH HOẠT") < section < texts.index("V. ĐÁNH GIÁ, XẾP LOẠI")
    assert (
        "Được đề xuất gương người tốt, việc tốt trong năm 2026: 2; được duyệt, biểu dương: 1."
        in texts
    )
    [deeds] = [t for t in document.tables if t.rows[0].cells[1].text == "Việc tốt"]
    assert [[c.text for c in row.cells] for row in deeds.rows] == [
        ["TT", "Việc tốt", "Kết quả"],
        ["1", DEED, "Đã duyệt, biểu dương ngày 02/04/2026; đã có bài viết tuyên truyền"],
        ["2", OTHER_DEED, "Đề xuất ngày 05/11/2026, đang chờ xem xét"],
    ]
    # The nominator's own dossier has none; nor has last year's of DV002 (no campaign).
    other = await board.dossiers.member_dossier(None, NOMINATOR, 2026)
    texts = [p.text for p in Document(io.BytesIO(dossier_docx(other))).paragraphs]
    section = texts.index("IV. NGƯỜI TỐT, VIỆC TỐT; BIỂU DƯƠNG, KHEN THƯỞNG")
    assert texts[section + 1] == "(Không có)"
    # In the cell's file, in DV002's section.
    cell = await board.dossiers.cell_dossiers(None, "CB-BT1", 2026)
    assert {d.member.code: len(d.nominations) for d in cell} == {
        "DV001": 0, "DV002": 2, "DV003": 0, "DV004": 0,
    }  # fmt: skip


async def test_the_dossiers_query_goes_by_the_members_index(board: Services) -> None:
    """Through ``nominations_nominee`` (migration 0017), never through every approved
    nomination of the city."""
    statements: list[str] = []
    async with board.db.read() as store:
        await store.conn.set_trace_callback(statements.append)
        try:
            await store.dossiers.nominations(
                [1, 2, 3],
                datetime(2026, 1, 1, tzinfo=TIMEZONE),
                datetime(2027, 1, 1, tzinfo=TIMEZONE),
            )
        finally:
            await store.conn.set_trace_callback(None)
        [query] = [s for s in statements if "FROM nominations" in s]
        cursor = await store.conn.execute(f"EXPLAIN QUERY PLAN {query}")
        plan = " ".join(row[3] for row in await cursor.fetchall())
    assert "USING INDEX nominations_nominee (nominee_member_id=?)" in plan, plan
