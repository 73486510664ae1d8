"""CSV imports: bot/imports.py validation and OrganisationService (all or nothing)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.context import Services
from bot.i18n import use_locale
from bot.imports import ImportRejected, Problem, decode, validate_members, validate_units
from storage import Database

UNITS_HEADER = "code,name,kind,parent_code\n"
MEMBERS_HEADER = "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"


def lines_of(rejected: ImportRejected) -> list[int]:
    return [p.line for p in rejected.problems]


def messages_of(rejected: ImportRejected) -> list[str]:
    with use_locale("en"):
        return [p.render() for p in rejected.problems]


async def audit_rows(db: Database, action: str) -> list[tuple[str, str, str, dict]]:
    async with db.read() as store:
        entries = await store.audit.recent(action=action)
    return [(e.actor, e.outcome, e.target, e.detail) for e in reversed(entries)]


# Good files ------------------------------------------------------------------------------


async def test_good_files_import(services: Services, org_loader, data_dir: Path) -> None:
    org = await org_loader(services)
    assert (org.units_summary.rows, org.units_summary.created, org.units_summary.updated) == (
        6,
        6,
        0,
    )
    assert (org.members_summary.rows, org.members_summary.created) == (10, 10)
    units = org.units
    assert units["TU-DEMO"].parent_id is None
    assert units["QU-BT"].parent_id == units["TU-DEMO"].id
    assert units["CB-BT1"].parent_id == units["QU-BT"].id
    assert units["CB-HL1"].path == (
        f"/{units['TU-DEMO'].id}/{units['QU-HL'].id}/{units['CB-HL1'].id}/"
    )
    bich = org.members["DV001"]
    assert (bich.status, bich.position, bich.is_head, bich.language) == (
        "official",
        "Bí thư chi bộ",
        True,
        "vi",
    )
    assert bich.registration == "active"
    assert org.members["DV002"].telegram_id == 700002
    assert org.members["DV003"].language == "en"
    assert org.members["DV004"].status == "exempt"
    assert [m.code for m in org.members.values() if m.is_head] == ["DV001"]
    async with services.db.read() as store:
        members = await store.members.in_subtree(units["TU-DEMO"])
        in_bt1 = await store.members.in_units([units["CB-BT1"].id])
    assert len(members) == 10
    assert sorted(m.code for m in in_bt1) == ["DV001", "DV002", "DV003", "DV004"]


async def test_vietnamese_diacritics_are_kept_exactly(services: Services, org, data_dir) -> None:
    with (data_dir / "org_members.csv").open(encoding="utf-8", newline="") as handle:
        expected = {row["code"]: row["full_name"] for row in csv.DictReader(handle)}
    with (data_dir / "org_units.csv").open(encoding="utf-8", newline="") as handle:
        unit_names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    async with services.db.read() as store:
        cursor = await store.conn.execute("SELECT code, full_name FROM members")
        stored = {row[0]: row[1] for row in await cursor.fetchall()}
        cursor = await store.conn.execute("SELECT code, name FROM units")
        stored_units = {row[0]: row[1] for row in await cursor.fetchall()}
    assert stored == expected
    assert stored["DV001"] == "Trần Thị Bích"
    assert stored["DV001"].encode() == "Trần Thị Bích".encode()
    assert stored_units == unit_names
    assert stored_units["CB-HL1"] == "Chi bộ Ấp Mỹ Khánh"


async def test_reimporting_the_same_files_changes_nothing(
    services: Services, org, data_dir: Path, table_dump
) -> None:
    before = await table_dump(services.db, exclude=("audit_log",))
    organisation = services.organisation
    units = await organisation.import_units((data_dir / "org_units.csv").read_bytes(), actor="test")
    members = await organisation.import_members(
        (data_dir / "org_members.csv").read_bytes(), actor="test"
    )
    assert (units.rows, units.created, units.updated, units.unchanged) == (6, 0, 0, 6)
    assert (members.rows, members.created, members.updated, members.unchanged) == (10, 0, 0, 10)
    assert await table_dump(services.db, exclude=("audit_log",)) == before


async def test_bom_crlf_and_blank_lines_are_accepted(services: Services) -> None:
    text = (
        "\ufeffcode,name,kind,parent_code\r\n"
        "ROOT,Thành ủy Thử,city_committee,\r\n"
        "\r\n"
        " CELL , Chi bộ Ấp Một ,cell, ROOT \r\n"
    )
    summary = await services.organisation.import_units(text.encode("utf-8"), actor="test")
    assert (summary.rows, summary.created) == (2, 2)
    async with services.db.read() as store:
        cell = await store.units.by_code("CELL")
        root = await store.units.by_code("ROOT")
    assert cell is not None and root is not None
    assert cell.name == "Chi bộ Ấp Một" and cell.parent_id == root.id


async def test_excel_semicolons_and_loose_headers_are_accepted(services: Services, org) -> None:
    # Excel on a Vietnamese-locale Windows saves ";"; people retype headers as they like.
    units = " Code ;NAME;Kind; Parent_Code ;Org_Name\nCB-N1;Chi bộ Ấp Một;cell;QU-BT;\n"
    summary = await services.organisation.import_units(units.encode(), actor="test")
    assert (summary.rows, summary.created) == (1, 1)
    members = (
        "CODE;Full_Name;Unit_Code;Status;Position\n"
        '"DV900";"Lý Thị Mai";CB-N1;official;"Phó trưởng phòng; kiêm nhiệm"\n'
    )
    summary = await services.organisation.import_members(members.encode(), actor="test")
    assert (summary.rows, summary.created) == (1, 1)
    async with services.db.read() as store:
        member = await store.members.by_code("DV900")
    assert member is not None and member.position == "Phó trưởng phòng; kiêm nhiệm"


async def test_an_organisation_name_can_be_given_with_a_unit(services: Services, org) -> None:
    units = (
        "code,name,kind,parent_code,org_name\n"
        "DU-NK,Đảng ủy phường Ninh Kiều,grassroots_committee,QU-BT,Đảng bộ phường Ninh Kiều\n"
    )
    await services.organisation.import_units(units.encode(), actor="test")
    async with services.db.read() as store:
        unit = await store.units.by_code("DU-NK")
        assert unit is not None
        names = await store.units.org_names([unit.id, org.units["QU-BT"].id])
    assert names == {unit.id: "Đảng bộ phường Ninh Kiều"}


async def test_a_work_unit_can_be_given_with_a_member(services: Services, org) -> None:
    """The optional work_unit column ("Đơn vị công tác" on the commitment form): stored,
    changed by a later file (counted as an update), and too long a value refused."""
    header = "code,full_name,unit_code,status,position,work_unit\n"
    first = header + "DV002,Nguyễn Văn Đức,CB-BT1,official,Chuyên viên,  UBND   phường An Hòa \n"
    summary = await services.organisation.import_members(first.encode(), actor="test")
    assert (summary.created, summary.updated) == (0, 1)
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
        assert member is not None and member.work_unit == "UBND phường An Hòa"
    moved = header + "DV002,Nguyễn Văn Đức,CB-BT1,official,Chuyên viên,Trường Tiểu học Ánh Dương\n"
    summary = await services.organisation.import_members(moved.encode(), actor="test")
    assert summary.updated == 1
    summary = await services.organisation.import_members(moved.encode(), actor="test")
    assert summary.unchanged == 1
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
        assert member is not None and member.work_unit == "Trường Tiểu học Ánh Dương"
    too_long = header + f"DV002,Nguyễn Văn Đức,CB-BT1,official,,{'x' * 201}\n"
    with pytest.raises(ImportRejected) as rejected:
        await services.organisation.import_members(too_long.encode(), actor="test")
    assert "work_unit" in rejected.value.problems[0].render()


async def test_children_before_parents_in_the_file(services: Services) -> None:
    text = (
        UNITS_HEADER
        + "CELL,Chi bộ,cell,MID\nMID,Quận ủy,committee,ROOT\nROOT,Thành ủy,city_committee,\n"
    )
    summary = await services.organisation.import_units(text.encode(), actor="test")
    assert summary.created == 3
    async with services.db.read() as store:
        units = {u.code: u for u in await store.units.all()}
    assert units["CELL"].path == f"/{units['ROOT'].id}/{units['MID'].id}/{units['CELL'].id}/"


async def test_changed_rows_count_as_updated(services: Services, org) -> None:
    units = UNITS_HEADER + "CB-BT1,Chi bộ Khu phố Đông Hưng (đổi tên),cell,QU-BT\n"
    summary = await services.organisation.import_units(units.encode(), actor="test")
    assert (summary.rows, summary.created, summary.updated) == (1, 0, 1)
    members = MEMBERS_HEADER + "DV002,Nguyễn Văn Đức,CB-BT1,official,Trưởng phòng,false,,\n"
    summary = await services.organisation.import_members(members.encode(), actor="test")
    assert (summary.rows, summary.created, summary.updated) == (1, 0, 1)
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
        unit = await store.units.by_code("CB-BT1")
    assert member is not None and member.position == "Trưởng phòng"
    assert member.telegram_id == 700002  # an empty telegram_id keeps the stored one
    assert unit is not None and unit.name.endswith("(đổi tên)")


async def test_reparenting_a_unit_rebuilds_paths_below_it(services: Services, org) -> None:
    text = UNITS_HEADER + "QU-HL,Huyện ủy Hòa Lợi,committee,QU-BT\n"
    summary = await services.organisation.import_units(text.encode(), actor="test")
    assert summary.updated == 1
    async with services.db.read() as store:
        units = {u.code: u for u in await store.units.all()}
        below_bt = [u.code for u in await store.units.subtree(units["QU-BT"])]
    ids = {code: unit.id for code, unit in units.items()}
    assert (
        units["CB-HL1"].path == f"/{ids['TU-DEMO']}/{ids['QU-BT']}/{ids['QU-HL']}/{ids['CB-HL1']}/"
    )
    assert {"QU-HL", "CB-HL1"} <= set(below_bt)


async def test_member_moved_by_reimport_keeps_membership_history(
    services: Services, org, clock
) -> None:
    first_day = clock.today()
    clock.moment += timedelta(days=20)
    text = MEMBERS_HEADER + "DV002,Nguyễn Văn Đức,CB-BT2,official,Chuyên viên,false,,\n"
    summary = await services.organisation.import_members(text.encode(), actor="test")
    assert (summary.created, summary.updated) == (0, 1)
    async with services.db.read() as store:
        member = await store.members.by_code("DV002")
        assert member is not None
        history = await store.members.memberships(member.id, current_only=False)
        current = await store.members.memberships(member.id)
    assert [(m.unit.code, m.is_primary) for m in current] == [("CB-BT2", True)]
    by_unit = {m.unit.code: m for m in history}
    assert by_unit["CB-BT1"].started_on == first_day
    assert by_unit["CB-BT1"].ended_on == date(2026, 3, 30)
    assert by_unit["CB-BT2"].started_on == date(2026, 3, 30)
    assert by_unit["CB-BT2"].ended_on is None


async def test_two_unit_codes_give_a_primary_and_an_extra_membership(
    services: Services, org
) -> None:
    member = org.members["DV006"]
    async with services.db.read() as store:
        memberships = await store.members.memberships(member.id)
        in_both = await store.members.in_units([org.units["CB-BT2"].id, org.units["CB-HL1"].id])
    assert [(m.unit.code, m.is_primary) for m in memberships] == [
        ("CB-BT2", True),
        ("CB-HL1", False),
    ]
    assert [m.code for m in in_both].count("DV006") == 1


async def test_accepted_imports_are_audited(services: Services, org) -> None:
    assert await audit_rows(services.db, "units.import") == [
        ("test", "ok", "units", {"rows": 6, "created": 6, "updated": 0})
    ]
    assert await audit_rows(services.db, "members.import") == [
        ("test", "ok", "members", {"rows": 10, "created": 10, "updated": 0})
    ]


# Bad unit files: every problem, with its line, and nothing written -------------------------

BAD_UNITS = [
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ Mới,cell,QU-BT,extra\n",
        [(2, "too many values")],
        id="bad-row-too-many-values",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ Mới,cell,QU-BT\nNEW2,Chi bộ Lạc,cell,NOWHERE\n",
        [(3, "unknown parent_code 'NOWHERE'")],
        id="unknown-parent",
    ),
    pytest.param(
        UNITS_HEADER + "X1,Một,committee,X2\nX2,Hai,committee,X1\n",
        [(2, "'X1' would be its own ancestor"), (3, "'X2' would be its own ancestor")],
        id="cycle-in-file",
    ),
    pytest.param(
        UNITS_HEADER + "TU-DEMO,Thành ủy Phù Sa (thử nghiệm),city_committee,CB-BT1\n",
        [(2, "'TU-DEMO' would be its own ancestor")],
        id="cycle-with-stored-units",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ Mới,cell,QU-BT\nNEW1,Chi bộ Mới 2,cell,QU-BT\n",
        [(3, "duplicate code 'NEW1' (also on line 2)")],
        id="duplicate-code",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ Mới,branch,QU-BT\n",
        [(2, "unknown kind 'branch'")],
        id="unknown-kind",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ Mới,cell,NEW1\n",
        [(2, "a unit cannot be its own parent")],
        id="own-parent",
    ),
    pytest.param(
        UNITS_HEADER + "NEW 1,Chi bộ Mới,cell,QU-BT\n,Không mã,cell,QU-BT\nNEW3,,cell,QU-BT\n",
        [
            (2, "code 'NEW 1' may only use"),
            (3, "code is empty"),
            (4, "name is empty"),
        ],
        id="bad-codes-and-empty-name",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1," + "Chi bộ " * 40 + ",cell,QU-BT\n",
        [(2, "name is longer than 200 characters")],
        id="name-too-long",
    ),
    pytest.param(
        'code;name;kind;parent_code\nNEW1;"Chi bộ Mới;cell;QU-BT\nNEW2;Chi bộ;cell;QU-BT\n',
        [(2, "unclosed quote")],
        id="unclosed-quote",
    ),
    pytest.param(
        UNITS_HEADER + "NEW1,Chi bộ\x01 Mới,cell,QU-BT\nNEW2,Chi bộ\x07,cell,QU-BT\n",
        [(2, "name contains invisible control characters"), (3, "name contains invisible")],
        id="control-characters",
    ),
    pytest.param(
        "code,name,kind\nNEW1,Chi bộ Mới,cell\n",
        [(1, "missing column(s): parent_code")],
        id="missing-column",
    ),
    pytest.param("", [(0, "The file is empty.")], id="empty-file"),
    pytest.param(" \n\n", [(0, "The file is empty.")], id="blank-file"),
    pytest.param(
        (UNITS_HEADER + "NEW1,Chi bộ Mới,cell,QU-BT\n").encode("utf-16"),
        [(0, "not UTF-8 text (byte 0)")],
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BAD_UNITS)
async def test_bad_units_file_reports_every_problem_and_writes_nothing(
    services: Services, org, table_dump, content: str | bytes, expected: list[tuple[int, str]]
) -> None:
    before = await table_dump(services.db, exclude=("audit_log",))
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_units(data, actor="cli", source="bad.csv")
    problems = caught.value.problems
    assert lines_of(caught.value) == [line for line, _ in expected]
    for problem, (_, fragment) in zip(messages_of(caught.value), expected, strict=True):
        assert fragment in problem
    for problem in problems:
        rendered = problem.render()
        if problem.line:
            assert rendered.startswith((f"Line {problem.line}: ", f"Dòng {problem.line}: "))
    assert await table_dump(services.db, exclude=("audit_log",)) == before
    rows = await audit_rows(services.db, "units.import")
    assert rows[-1] == ("cli", "error", "bad.csv", {"problems": len(expected)})


async def test_every_problem_of_a_units_file_is_reported_at_once(
    services: Services, org, table_dump
) -> None:
    text = (
        UNITS_HEADER
        + "GOOD,Chi bộ Tốt,cell,QU-BT\n"  # 2: fine, but must not be written either
        + "BAD1,Chi bộ Một,galaxy,QU-BT\n"  # 3
        + "GOOD,Chi bộ Tốt lần hai,cell,QU-BT\n"  # 4
        + "BAD2,Chi bộ Hai,cell,MISSING\n"  # 5
        + "QU-BT,Quận ủy Bến Tre Xanh,committee,CB-BT2\n"  # 6: cycle with stored units
    )
    before = await table_dump(services.db, exclude=("audit_log",))
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_units(text.encode(), actor="cli")
    assert {3, 4, 5, 6} <= set(lines_of(caught.value))
    assert lines_of(caught.value) == sorted(lines_of(caught.value))
    messages = messages_of(caught.value)
    assert any(m.startswith("Line 3: unknown kind 'galaxy'") for m in messages)
    assert any(m.startswith("Line 4: duplicate code 'GOOD' (also on line 2)") for m in messages)
    assert any(m.startswith("Line 5: unknown parent_code 'MISSING'") for m in messages)
    assert any(m.startswith("Line 6: unit 'QU-BT' would be its own ancestor") for m in messages)
    assert await table_dump(services.db, exclude=("audit_log",)) == before


async def test_a_valid_unit_below_a_cycle_is_not_reported(services: Services, org) -> None:
    text = (
        UNITS_HEADER
        + "GOOD,Chi bộ Tốt,cell,QU-BT\n"  # 2: valid, merely below the cycle
        + "QU-BT,Quận ủy Bến Tre Xanh,committee,CB-BT2\n"  # 3: the cycle
    )
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_units(text.encode(), actor="cli")
    assert lines_of(caught.value) == [3]


# Bad member files ------------------------------------------------------------------------


def member_row(
    code: str = "DV100",
    name: str = "Lý Thị Mai",
    unit: str = "CB-BT1",
    status: str = "official",
    position: str = "",
    is_head: str = "false",
    language: str = "",
    telegram_id: str = "",
) -> str:
    return f"{code},{name},{unit},{status},{position},{is_head},{language},{telegram_id}\n"


BAD_MEMBERS = [
    pytest.param(
        MEMBERS_HEADER + member_row() + member_row(code="DV101", status="honorary"),
        [(3, "unknown status 'honorary'")],
        id="unknown-status",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(is_head="yes"),
        [(2, "is_head must be true or false, not 'yes'")],
        id="bad-is-head",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(language="fr"),
        [(2, "language must be vi or en, not 'fr'")],
        id="bad-language",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(telegram_id="@lythimai"),
        [(2, "telegram_id must be a number")],
        id="non-numeric-telegram-id",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(telegram_id="700002"),
        [(2, "telegram_id 700002 already belongs to member 'DV002'")],
        id="telegram-id-of-another-member",
    ),
    pytest.param(
        MEMBERS_HEADER
        + member_row(telegram_id="123")
        + member_row(code="DV101", telegram_id="123"),
        [(3, "telegram_id 123 is also on line 2")],
        id="telegram-id-twice-in-file",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(unit="CB-XX") + member_row(code="DV101", unit="CB-BT1;CB-BT1"),
        [(2, "unknown unit_code 'CB-XX'"), (3, "the same unit is listed twice")],
        id="unknown-and-repeated-unit",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row() + member_row(name="Lý Thị Mai Hai"),
        [(3, "duplicate code 'DV100' (also on line 2)")],
        id="duplicate-code",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(name="  ", unit=""),
        [(2, "full_name is empty"), (2, "unit_code is empty")],
        id="empty-name-and-unit",
    ),
    pytest.param(
        "code,full_name,status,position\nDV100,Lý Thị Mai,official,\n",
        [(1, "missing column(s): unit_code")],
        id="missing-column",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(position="Chuyên viên " * 500),
        [(2, "position is longer than 200 characters")],
        id="position-too-long",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(name="Lý Thị\x07 Mai") + member_row(code="DV101"),
        [(2, "full_name contains invisible control characters")],
        id="control-character-in-name",
    ),
    pytest.param(
        MEMBERS_HEADER + member_row(position='"Trưởng phòng'),
        [(2, "unclosed quote")],
        id="unclosed-quote",
    ),
    pytest.param("", [(0, "The file is empty.")], id="empty-file"),
    pytest.param(
        b"code,full_name,unit_code,status,position\nDV100,L\xfd Th\xe1 Mai,CB-BT1,official,\n",
        [(0, "not UTF-8 text (byte 48)")],
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BAD_MEMBERS)
async def test_bad_members_file_reports_every_problem_and_writes_nothing(
    services: Services, org, table_dump, content: str | bytes, expected: list[tuple[int, str]]
) -> None:
    before = await table_dump(services.db, exclude=("audit_log",))
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_members(data, actor="cli", source="bad.csv")
    assert lines_of(caught.value) == [line for line, _ in expected]
    for problem, (_, fragment) in zip(messages_of(caught.value), expected, strict=True):
        assert fragment in problem
    assert await table_dump(services.db, exclude=("audit_log",)) == before
    rows = await audit_rows(services.db, "members.import")
    assert rows[-1] == ("cli", "error", "bad.csv", {"problems": len(expected)})


async def test_a_member_file_with_one_bad_row_writes_none_of_the_good_rows(
    services: Services, org, table_dump
) -> None:
    text = (
        MEMBERS_HEADER
        + member_row(code="DV100")
        + member_row(code="DV101", name="Trịnh Công Sơn Thử")
        + "DV002,Nguyễn Văn Đức,CB-BT2,official,Chuyên viên,false,,\n"  # a move, valid
        + member_row(code="DV102", telegram_id="12ab")
    )
    before = await table_dump(services.db, exclude=("audit_log",))
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_members(text.encode(), actor="cli")
    assert lines_of(caught.value) == [5]
    assert await table_dump(services.db, exclude=("audit_log",)) == before


async def test_members_file_needs_units_first(services: Services, data_dir: Path) -> None:
    with pytest.raises(ImportRejected) as caught:
        await services.organisation.import_members(
            (data_dir / "org_members.csv").read_bytes(), actor="cli"
        )
    # One problem per row (no unit exists yet); DV006 on line 7 lists two unknown units.
    assert lines_of(caught.value) == [2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11]
    async with services.db.read() as store:
        cursor = await store.conn.execute("SELECT COUNT(*) FROM members")
        assert (await cursor.fetchone())[0] == 0


# Pure validation -------------------------------------------------------------------------


def test_validate_units_returns_parents_first() -> None:
    rows = validate_units(
        UNITS_HEADER + "C,Chi bộ,cell,B\nB,Quận ủy,committee,A\nD,Chi bộ khác,cell,EXIST\n",
        {"A": None, "EXIST": "A"},
    )
    # Depth first (B is one below A; C and D two), then file order.
    assert [(r.code, r.line) for r in rows] == [("B", 3), ("C", 2), ("D", 4)]


def test_validate_members_parses_optional_columns() -> None:
    text = (
        "code,full_name,unit_code,status,position\nA1,  Trần   Thị  Bích ,U1; U2 ,official,Bí thư\n"
    )
    (row,) = validate_members(text, {"U1", "U2"}.__contains__, {})
    assert row.full_name == "Trần Thị Bích"
    assert row.unit_codes == ("U1", "U2")
    assert (row.is_head, row.language, row.telegram_id) == (False, None, None)
    text = MEMBERS_HEADER + "A1,Trần Thị Bích,U1,official,,TRUE,VI,42\n"
    (row,) = validate_members(text, {"U1"}.__contains__, {42: "A1"})
    assert (row.is_head, row.language, row.telegram_id) == (True, "vi", 42)


def test_decode_accepts_utf8_with_and_without_bom() -> None:
    assert decode("Bích".encode()) == "Bích"
    assert decode("\ufeffBích".encode()) == "Bích"
    with pytest.raises(ImportRejected) as caught:
        decode(b"ab\xffcd")
    assert caught.value.problems == [
        Problem(0, "The file is not UTF-8 text (byte {position}).", {"position": 2})
    ]


def test_problems_render_in_vietnamese_and_english() -> None:
    problem = Problem(4, "unknown parent_code '{code}'", {"code": "QU-X"})
    with use_locale("vi"):
        assert problem.render() == "Dòng 4: không có đơn vị cấp trên mã 'QU-X'"
    with use_locale("en"):
        assert problem.render() == "Line 4: unknown parent_code 'QU-X'"
    with use_locale("en"):
        assert Problem(0, "The file is empty.").render() == "The file is empty."


def test_plan_roster_writes_only_what_changed() -> None:
    from bot.imports import MemberRow, plan_roster
    from storage.records import RosterEntry

    stored = {
        "A": RosterEntry(1, "Lý Thị Mai", "official", "", False, "en", 77, {10: (100, True)}),
        "B": RosterEntry(2, "Trần Văn Bình", "official", "", False, None, None, {10: (101, True)}),
        "C": RosterEntry(3, "Đỗ Thị Cúc", "official", "", False, None, None,
                         {10: (102, True), 11: (103, False)}),
    }  # fmt: skip
    rows = [
        # unchanged: a blank language and Telegram id keep the stored ones
        MemberRow(2, "A", "Lý Thị Mai", ("U10",), "official", "", False, None, None),
        # moved to another cell
        MemberRow(3, "B", "Trần Văn Bình", ("U11",), "official", "", False, None, None),
        # renamed, and the extra unit dropped
        MemberRow(4, "C", "Đỗ Thị Cúc Hoa", ("U10",), "official", "", False, None, None),
        MemberRow(5, "D", "Võ Văn Dũng", ("U10", "U11"), "probationary", "", True, "vi", 9),
    ]
    change, created, updated = plan_roster(rows, stored, {"U10": 10, "U11": 11})
    assert (created, updated) == (1, 2)
    assert [row[0] for row in change.new] == ["D"]
    assert [row[0] for row in change.changed] == ["C"]
    assert sorted(change.memberships_ended) == [101, 103]
    assert sorted(change.memberships_added) == [("B", 11, True), ("D", 10, True), ("D", 11, False)]
