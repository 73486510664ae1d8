"""bot/services/commitments/monitoring.py against a real database: progress, the export table
(a unit with no filings, by unit id, scope), the member's history and the form's data."""

from __future__ import annotations

import pytest

from bot.context import Services
from bot.errors import AccessDenied, NotFound
from bot.i18n import use_locale
from bot.render.commitment_export import commitments_file_name
from bot.rules.access import Actor
from tests.unit.commitment_helpers import actor_for, file


async def _unit_id(services: Services, code: str) -> int:
    async with services.db.read() as store:
        unit = await store.units.by_code(code)
    assert unit is not None
    return unit.id


async def test_the_export_of_a_unit_with_no_filings(setup: Services) -> None:
    services = setup
    committee = await actor_for(services, "DV010", 700010)
    await services.organisation.import_units(
        b"code,name,kind,parent_code\nCB-BT3,Chi bo moi,cell,QU-BT\n", actor="test"
    )
    with use_locale("vi"):
        table = await services.commitments.export(unit_code="CB-BT2", actor=committee)
    # Named after the unit and the year, in ASCII, without the unit's code.
    assert (
        commitments_file_name(table, "xlsx") == "cam-ket-2026-chi-bo-truong-tieu-hoc-anh-duong.xlsx"
    )
    assert table.sheet == "2026"
    assert table.header[:3] == ["Năm", "Mã đảng viên", "Đảng viên"]
    # Everyone expected in CB-BT2 gets one row "Not filed", nothing else filled in, in the
    # Vietnamese roster order: Ánh, Hà, Khôi (by given name).
    assert [(r[1], r[8]) for r in table.rows] == [
        ("DV005", "Chưa lập bản cam kết"),
        ("DV007", "Chưa lập bản cam kết"),
        ("DV006", "Chưa lập bản cam kết"),
    ]
    assert all(r[4:8] == ["", "", "", ""] and r[9:] == [""] * 6 for r in table.rows)
    # The same unit by its id (the bot's button), and an empty unit: the header only.
    by_id = await services.commitments.export(
        unit_id=await _unit_id(services, "CB-BT2"), actor=committee
    )
    assert by_id.rows == table.rows and [u.code for u in by_id.units] == ["CB-BT2"]
    empty = await services.commitments.export(unit_code="CB-BT3", actor=committee)
    assert empty.rows == [] and len(empty.header) == 15
    _, progress = await services.commitments.progress(committee, unit_code="CB-BT3")
    assert progress == []


async def test_the_export_asks_for_a_unit_one_oversees(setup: Services) -> None:
    services = setup
    secretary = await actor_for(services, "DV005", 700005)  # CB-BT2 only
    cb_bt1 = await _unit_id(services, "CB-BT1")
    with pytest.raises(AccessDenied):
        await services.commitments.export(unit_id=cb_bt1, actor=secretary)
    with pytest.raises(NotFound):
        await services.commitments.export(unit_id=999_999, actor=secretary)
    with pytest.raises(NotFound) as unknown:
        await services.commitments.export(unit_code="NOPE")
    assert "NOPE" in unknown.value.render()
    with pytest.raises(NotFound):
        await services.commitments.export(year=2030, actor=secretary)
    with pytest.raises(AccessDenied):
        await services.commitments.export(actor=Actor(telegram_id=5))
    mine = await services.commitments.export(actor=secretary)  # everything they oversee
    assert [u.code for u in mine.units] == ["CB-BT2"]
    assert {r[3] for r in mine.rows} == {"Chi bộ Trường Tiểu học Ánh Dương"}
    everything = await services.commitments.export()  # the operator's CLI
    assert {r[1] for r in everything.rows} >= {"DV002", "DV008", "DV010"}


async def test_a_revision_of_an_approved_commitment_counts_as_approved(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    await services.commitments.revise(member)
    _, rows = await services.commitments.progress(secretary)
    cell = {row.unit.code: row for row in rows}["CB-BT1"]
    assert (cell.approved, cell.draft, cell.missing) == (1, 0, 2)
    with use_locale("vi"):
        table = await services.commitments.export(unit_code="CB-BT1")
    assert [r[8] for r in table.rows if r[1] == "DV002"] == ["Đã duyệt"]
    with pytest.raises(NotFound):
        await services.commitments.progress(secretary, 2030)


async def test_the_members_history_and_the_forms_data(setup: Services, clock) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    other_cell = await actor_for(services, "DV005", 700005)
    committee = await actor_for(services, "DV010", 700010)
    with pytest.raises(AccessDenied):
        await services.commitments.mine(Actor(telegram_id=5))
    assert await services.commitments.mine(member) == []
    await file(services, member, "ethics")
    [draft] = await services.commitments.mine(member)
    assert draft.version is None and [a.heading for a in draft.actions] == ["ethics"]
    view, _ = await services.commitments.submit(member)
    cid = view.commitment.id
    with pytest.raises(AccessDenied):
        await services.commitments.document(other_cell, cid)
    own = await services.commitments.document(member, cid)
    form = await services.commitments.document(committee, cid, 1)
    assert own.view.version.number == form.view.version.number == 1
    assert form.letterhead is not None
    assert (form.letterhead.superior, form.letterhead.body, form.letterhead.locality) == (
        "Đảng bộ quận Bến Tre Xanh",
        "Chi bộ Khu phố Đông Hưng",
        "Phù Sa (thử nghiệm)",
    )
    assert form.dated == clock.today()  # submitted today, not yet approved
    assert form.file_name == "cam-ket-2026-DV002.docx"
