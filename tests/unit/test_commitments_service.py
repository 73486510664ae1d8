"""CommitmentService against a real database: filing, review, versions, lateness, scope,
grading and monitoring. Notifications go to a recording fake bot."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput
from bot.render.commitment_form import build_document, commitment_docx
from bot.services.commitments import CapExceeded
from tests.conftest import TIMEZONE, FakeBot
from tests.unit.commitment_helpers import (
    ACTION,
    actor_for,
    approved_and_in_window,
    export_csv,
    file,
)


async def test_file_return_revise_approve_keeps_every_version(
    setup: Services, fake_bot: FakeBot
) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member, "ideology", "tasks")
    view, version = await services.commitments.submit(member)
    assert version.number == 1 and not version.late
    # The secretary was told.
    assert any("/pending" in m.text for m in fake_bot.to(700001))
    pending = await services.commitments.pending(secretary)
    assert [v.member.code for v in pending] == ["DV002"]

    with pytest.raises(InvalidInput):
        await services.commitments.decide(
            secretary, view.commitment.id, 1, approve=False, comment=""
        )
    await services.commitments.decide(
        secretary, view.commitment.id, 1, approve=False, comment="Cần cụ thể hơn"
    )
    returned = fake_bot.to(700002)[-1].text
    assert "trả lại để chỉnh sửa" in returned and "Cần cụ thể hơn" in returned

    _, filing = await services.commitments.filing(member)
    first = filing.actions[0]
    await services.commitments.edit_action(member, first.id, ACTION + " trong quý II")
    await services.commitments.submit(member)
    decision = await services.commitments.decide(secretary, view.commitment.id, 2, approve=True)
    assert decision.view.commitment.status == "approved"
    assert "đã được đồng chí Trần Thị Bích duyệt" in fake_bot.to(700002)[-1].text

    # Locked: editing needs a new version; the approved one stays.
    with pytest.raises(Conflict):
        await services.commitments.edit_action(member, first.id, ACTION + " sửa")
    await services.commitments.revise(member)
    await services.commitments.edit_action(member, first.id, ACTION + " sửa lần ba")
    await services.commitments.submit(member)
    views = await services.commitments.mine(member)
    versions = views[0].versions
    assert [(v.number, v.decision) for v in versions] == [
        (1, "returned"),
        (2, "approved"),
        (3, "pending"),
    ]
    assert versions[0].comment == "Cần cụ thể hơn"
    # What the member sees as standing is still version 2 until 3 is approved.
    assert views[0].commitment.approved_version == 2


async def test_approving_twice_and_two_secretaries_at_once(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    committee = await actor_for(services, "DV010", 700010)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    cid = view.commitment.id
    results = await asyncio.gather(
        services.commitments.decide(secretary, cid, 1, approve=True),
        services.commitments.decide(committee, cid, 1, approve=True),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert wins[0].by_name in losses[0].render()
    with pytest.raises(Conflict, match="already approved"):
        await services.commitments.decide(secretary, cid, 1, approve=True)
    async with services.db.read() as store:
        versions = await store.commitments.versions(cid)
        audit = await store.audit.recent(action="commitment.approve")
    assert len(versions) == 1 and len(audit) == 1


async def test_late_submission_is_accepted_and_marked(setup: Services, clock) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    clock.moment = datetime(2026, 4, 2, 9, 0, tzinfo=TIMEZONE)
    await file(services, member)
    view, version = await services.commitments.submit(member)
    assert version.late and view.commitment.late


async def test_a_head_must_fill_the_example_section(setup: Services) -> None:
    services = setup
    head = await actor_for(services, "DV001", 700001)
    await file(services, head, "ideology")
    with pytest.raises(InvalidInput):
        await services.commitments.submit(head)
    await file(services, head, "example")
    await services.commitments.submit(head)
    # Their own commitment goes to the level above, not to themselves.
    assert await services.commitments.pending(head) == []
    committee = await actor_for(services, "DV010", 700010)
    assert [v.member.code for v in await services.commitments.pending(committee)] == ["DV001"]


async def test_target_dates_and_bad_text(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    action = await services.commitments.add_action(member, "ethics", ACTION)
    for bad in ("31/12/2025", "32/01/2026", "ngày mai"):
        with pytest.raises(InvalidInput):
            await services.commitments.set_target(member, action.id, bad)
    updated = await services.commitments.set_target(member, action.id, "30/6")
    assert updated.target_date.isoformat() == "2026-06-30"
    for bad in ("", "ngắn", "x" * 1001):
        with pytest.raises(InvalidInput):
            await services.commitments.add_action(member, "ethics", bad)
    with pytest.raises(InvalidInput):
        await services.commitments.add_action(member, "example", ACTION)  # not a head


async def test_a_member_moved_mid_year_takes_the_commitment_along(
    setup: Services, services: Services
) -> None:
    member = await actor_for(services, "DV002", 700002)
    old_secretary = await actor_for(services, "DV001", 700001)
    new_secretary = await actor_for(services, "DV005", 700005)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    async with services.db.write() as store:
        unit = await store.units.by_code("CB-BT2")
        await store.members.set_memberships(member.member.id, unit.id, [], services.clock.today())
    assert await services.commitments.pending(old_secretary) == []
    assert [v.member.code for v in await services.commitments.pending(new_secretary)] == ["DV002"]
    with pytest.raises(AccessDenied):
        await services.commitments.decide(old_secretary, view.commitment.id, 1, approve=True)
    await services.commitments.decide(new_secretary, view.commitment.id, 1, approve=True)
    async with services.db.read() as store:
        record = await store.commitments.get(view.commitment.id)
        versions = await store.commitments.versions(record.id)
        old_unit = await store.units.by_code("CB-BT1")
    assert record.filed_unit_id == old_unit.id and versions[0].unit_id == old_unit.id


async def test_self_review_grading_and_the_quota_warning(setup: Services, clock) -> None:
    services = setup
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    await file(services, member, "ideology", "tasks")
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    with pytest.raises(Conflict):  # the window is not open in March
        await services.commitments.self_review(member)
    with pytest.raises(Conflict):
        await services.commitments.grading_board(secretary)
    clock.moment = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)
    review = await services.commitments.self_review(member)
    for action in review.actions:
        await services.commitments.rate(member, action.id, "done")
        with pytest.raises(InvalidInput):
            await services.commitments.add_evidence(member, action.id, "")
        await services.commitments.add_evidence(member, action.id, "Đã viết thu hoạch")
    board = await services.commitments.grading_board(secretary)
    assert [i.view.member.code for i in board.to_grade] == ["DV002"]
    cid = board.to_grade[0].record.id
    # CB-BT1 is a grassroots cell: its grade is the decision. "Excellent" with no one
    # graded "good" yet is over the cap (20% of none): refused, with the figures.
    with pytest.raises(CapExceeded):
        await services.commitments.start_proposal(secretary, cid, "excellent")
    assert (await services.commitments.start_proposal(secretary, cid, "good")).after.good == 1
    with pytest.raises(InvalidInput):
        await services.commitments.propose(secretary, cid, "good", points=95, comment="Tốt lắm")
    await services.commitments.propose(secretary, cid, "good", points=85, comment="Hoàn thành tốt")
    with pytest.raises(Conflict, match="already graded"):
        await services.commitments.propose(secretary, cid, "good", points=80, comment="Lần hai")
    mine = await services.commitments.mine(member)
    assert mine[0].commitment.grade == "good" and mine[0].commitment.points == 85
    assert mine[0].commitment.self_review_at is not None


async def test_progress_and_export(setup: Services) -> None:
    services = setup
    committee = await actor_for(services, "DV010", 700010)
    member = await actor_for(services, "DV002", 700002)
    await file(services, member, "ideology", "ethics")
    await services.commitments.submit(member)
    other = await actor_for(services, "DV003", 700003)
    await file(services, other)  # a draft only
    _campaign, rows = await services.commitments.progress(committee)
    by_unit = {row.unit.code: row for row in rows}
    cell = by_unit["CB-BT1"]
    # DV001..DV004 are in CB-BT1; DV004 is exempt.
    assert (cell.expected, cell.submitted, cell.draft, cell.missing) == (3, 1, 1, 1)
    assert cell.missing_names == ["Trần Thị Bích"]
    assert "CB-HL1" not in by_unit  # another committee's cell
    name, data = await export_csv(services, unit_code="CB-BT1")
    assert name == "cam-ket-2026-chi-bo-khu-pho-dong-hung.csv"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:7] == [
        "Năm",
        "Mã đảng viên",
        "Đảng viên",
        "Đơn vị",
        "Phần",
        "STT",
        "Nội dung cam kết",
    ]
    body = table[1:]
    # Ordered by unit, then name; actions by heading; the member without one gets one row.
    assert [r[1] for r in body] == ["DV001", "DV002", "DV002", "DV003"]  # Bích, Đức, Yến
    assert body[1][2:7] == [
        "Nguyễn Văn Đức",
        "Chi bộ Khu phố Đông Hưng",
        "Về tư tưởng chính trị",
        "1",
        f"{ACTION} (ideology)",
    ]
    assert body[2][4] == "Về phẩm chất đạo đức, lối sống"
    assert [body[1][8], body[0][8], body[3][8]] == ["Đã nộp", "Chưa lập bản cam kết", "Bản nháp"]
    assert body[0][4:8] == ["", "", "", ""]
    with pytest.raises(AccessDenied):
        await services.commitments.progress(member)
    with pytest.raises(AccessDenied):
        await services.commitments.export(unit_code="CB-HL1", actor=committee)


async def test_a_grade_is_changed_before_the_window_closes_and_kept_in_history(
    setup: Services, clock, fake_bot: FakeBot
) -> None:
    services = setup
    secretary, member, cid = await approved_and_in_window(services, clock)
    committee = await actor_for(services, "DV010", 700010)
    await services.commitments.propose(secretary, cid, "good", points=85, comment="Hoàn thành tốt")
    # Graded ones are offered for a change, not for a first grade.
    board = await services.commitments.grading_board(committee)
    assert board.to_grade == [] and board.may_change
    [offered] = board.graded
    assert (offered.record.grade_revision, offered.record.proposal_revision) == (1, 1)
    # Changing "good" to "excellent" would leave one "excellent" and no "good": refused.
    with pytest.raises(CapExceeded):
        await services.commitments.start_proposal(committee, cid, "excellent", 1)
    with pytest.raises(InvalidInput):  # the points still follow the band
        await services.commitments.propose(
            committee, cid, "fulfilled", points=85, comment="Chưa đạt mức tốt", revision=1
        )
    changed = await services.commitments.propose(
        committee, cid, "fulfilled", points=60, comment="Chưa đạt mức tốt", revision=1
    )
    record = changed.view.commitment
    assert (record.grade, record.points) == ("fulfilled", 60)
    assert [(g.revision, g.grade, g.points, g.graded_by_name) for g in changed.view.grades] == [
        (1, "good", 85, "Trần Thị Bích"),
        (2, "fulfilled", 60, "Tô Văn Lực"),
    ]
    note = fake_bot.to(700002)[-1].text
    assert "thay đổi thành <b>Hoàn thành nhiệm vụ</b>" in note
    # A change made from a stale view (revision 1) or a second first grade: refused.
    with pytest.raises(Conflict, match="changed meanwhile") as stale:
        await services.commitments.propose(
            secretary, cid, "fulfilled", points=55, comment="Lần ba", revision=1
        )
    assert "Tô Văn Lực" in stale.value.render()
    with pytest.raises(Conflict, match="already graded") as again:
        await services.commitments.propose(secretary, cid, "fulfilled", points=55, comment="Lại")
    assert "Tô Văn Lực" in again.value.render()
    with pytest.raises(AccessDenied):  # nobody changes their own grade
        await services.commitments.propose(
            member, cid, "excellent", points=95, comment="Tự xếp", revision=2
        )
    async with services.db.read() as store:
        audit = await store.audit.recent(action="commitment.regrade")
    assert len(audit) == 1 and audit[0].detail["previous"] == "good"

    # After the window closes the grade stands.
    clock.moment = datetime(2027, 1, 2, 9, 0, tzinfo=TIMEZONE)
    assert not (await services.commitments.grading_board(committee, 2026)).may_change
    with pytest.raises(Conflict, match="can no longer be changed"):
        await services.commitments.propose(
            committee, cid, "fulfilled", points=55, comment="Quá hạn", revision=2
        )


async def test_two_graders_at_once_one_grade_is_recorded(setup: Services, clock) -> None:
    services = setup
    secretary, _member, cid = await approved_and_in_window(services, clock)
    committee = await actor_for(services, "DV010", 700010)
    results = await asyncio.gather(
        services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt"),
        services.commitments.propose(committee, cid, "fulfilled", points=60, comment="Đạt"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    async with services.db.read() as store:
        assert len(await store.commitments.grades(cid)) == 1


async def test_the_printed_form_confirms_only_the_approved_version(setup: Services, clock) -> None:
    services = setup
    secretary, member, cid = await approved_and_in_window(services, clock)
    await services.commitments.revise(member)
    await file(services, member, "ethics")
    await services.commitments.submit(member)
    confirmations = {}
    for number in (1, 2):
        doc = build_document(await services.commitments.document(secretary, cid, number))
        blocks = [text for _, text in doc.blocks]
        confirmations[number] = blocks[blocks.index("XÁC NHẬN CỦA CHI BỘ") + 1]
    assert confirmations[1].startswith("Chi bộ đã duyệt bản cam kết ngày 10/03/2026")
    assert confirmations[2] == "(Chưa duyệt)"
    form = await services.commitments.document(secretary, cid, 2)
    data = commitment_docx(form)
    assert form.file_name == "cam-ket-2026-DV002.docx" and data[:2] == b"PK"


async def test_decisions_reach_the_member_in_their_own_language(
    setup: Services, fake_bot: FakeBot
) -> None:
    services = setup
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV003", 700003)  # prefers English
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(
        secretary, view.commitment.id, 1, approve=False, comment="Cần cụ thể hơn"
    )
    note = fake_bot.to(700003)[-1].text
    assert "was returned for revision by comrade Trần Thị Bích" in note
    assert "Cần cụ thể hơn" in note


async def test_a_started_commitment_with_every_action_deleted_stays_in_the_export(
    setup: Services,
) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    action = await services.commitments.add_action(member, "ethics", ACTION)
    await services.commitments.delete_action(member, action.id)
    _, data = await export_csv(services, unit_code="CB-BT1")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows = [r for r in table[1:] if r[1] == "DV002"]
    assert len(rows) == 1 and rows[0][8] == "Bản nháp" and rows[0][4:8] == ["", "", "", ""]
