"""bot/services/commitments/yearend.py and grading.py against a real database: the
self-assessment window and its rules; grading at a grassroots cell (where the cell's grade is
the decision): points, the window, changes, and the 20% cap refused with its figures."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import use_locale
from bot.rules.access import Actor
from bot.services.commitments import CapExceeded, GradeClosed, ReviewClosed
from tests.conftest import TIMEZONE, FakeBot
from tests.unit.commitment_helpers import actor_for, approved_and_in_window, file

DECEMBER = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)
NEXT_YEAR = datetime(2027, 1, 2, 9, 0, tzinfo=TIMEZONE)


# The self-assessment -----------------------------------------------------------------------


async def test_the_self_assessment_only_inside_the_window(setup: Services, clock) -> None:
    services = setup
    _secretary, member, _cid = await approved_and_in_window(services, clock)
    review = await services.commitments.self_review(member)
    action = review.actions[0]
    for moment in (datetime(2026, 11, 30, 9, 0, tzinfo=TIMEZONE), NEXT_YEAR):
        clock.moment = moment
        with pytest.raises(ReviewClosed) as closed:
            await services.commitments.self_review(member)
        with use_locale("vi"):
            assert "01/12/2026" in closed.value.render() and "31/12/2026" in closed.value.render()
        with pytest.raises(ReviewClosed):
            await services.commitments.rate(member, action.id, "done")


async def test_nothing_submitted_nothing_to_assess(setup: Services, clock) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    clock.moment = DECEMBER
    with pytest.raises(NotFound):
        await services.commitments.self_review(member)
    await file(services, member)  # a draft only
    with pytest.raises(NotFound, match="no submitted commitment"):
        await services.commitments.self_review(member)


async def test_rating_then_evidence_until_every_action_is_done(setup: Services, clock) -> None:
    services = setup
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    await file(services, member, "ideology", "tasks")
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    clock.moment = DECEMBER
    first, second = (await services.commitments.self_review(member)).actions
    with pytest.raises(InvalidInput):
        await services.commitments.rate(member, first.id, "brilliant")
    with pytest.raises(Conflict, match="rating first"):
        await services.commitments.add_evidence(member, first.id, "Đã làm xong")
    with pytest.raises(NotFound):
        await services.commitments.rate(member, 999_999, "done")
    await services.commitments.rate(member, first.id, "done")
    with pytest.raises(InvalidInput):
        await services.commitments.add_evidence(member, first.id, "ok")
    assert not await services.commitments.add_evidence(member, first.id, "Đã nộp thu hoạch")
    await services.commitments.rate(member, second.id, "partly")
    assert await services.commitments.add_evidence(member, second.id, "Còn thiếu một buổi")
    async with services.db.read() as store:
        record = await store.commitments.get(view.commitment.id)
        audited = await store.audit.recent(action="commitment.self_review")
    assert record.self_review_at is not None and len(audited) == 1


async def test_rating_an_action_of_a_replaced_version_is_refused(setup: Services, clock) -> None:
    services = setup
    secretary, member, cid = await approved_and_in_window(services, clock)
    old = (await services.commitments.self_review(member)).actions[0]
    await services.commitments.revise(member)
    await file(services, member, "ethics")
    await services.commitments.submit(member)
    await services.commitments.decide(secretary, cid, 2, approve=True)
    with pytest.raises(ReviewClosed, match="out of date"):
        await services.commitments.rate(member, old.id, "done")
    assert len((await services.commitments.self_review(member)).actions) == 2


async def test_once_graded_the_self_assessment_is_closed(setup: Services, clock) -> None:
    services = setup
    secretary, member, cid = await approved_and_in_window(services, clock)
    action = (await services.commitments.self_review(member)).actions[0]
    await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt")
    with pytest.raises(ReviewClosed, match="graded"):
        await services.commitments.self_review(member)
    with pytest.raises(ReviewClosed, match="graded"):
        await services.commitments.rate(member, action.id, "done")


# Grading -----------------------------------------------------------------------------------


async def test_points_outside_the_band_record_nothing(
    setup: Services, clock, fake_bot: FakeBot
) -> None:
    services = setup
    secretary, _member, cid = await approved_and_in_window(services, clock)
    told = len(fake_bot.to(700002))
    for grade, points in (
        ("fulfilled", 75),
        ("excellent", 89),
        ("good", 101),
        ("good", -5),
        ("good", None),  # the points are required with the grade
    ):
        with pytest.raises(InvalidInput):
            await services.commitments.propose(secretary, cid, grade, points=points, comment="Tốt")
    with pytest.raises(InvalidInput):
        await services.commitments.propose(secretary, cid, "legendary", points=80, comment="Tốt")
    with pytest.raises(InvalidInput):  # the comment is required
        await services.commitments.propose(secretary, cid, "good", points=80, comment="")
    with pytest.raises(InvalidInput):  # and plain text
        await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt\x07")
    async with services.db.read() as store:
        assert await store.commitments.grades(cid) == []
        assert await store.grading.proposals(cid) == []
    assert len(fake_bot.to(700002)) == told
    outcome = await services.commitments.propose(secretary, cid, "good", points=70, comment="Tốt")
    assert (outcome.view.commitment.grade, outcome.view.commitment.points) == ("good", 70)


async def test_who_and_what_may_be_graded(setup: Services, clock) -> None:
    services = setup
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    other_cell = await actor_for(services, "DV005", 700005)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    cid = view.commitment.id
    clock.moment = DECEMBER
    with pytest.raises(Conflict, match="Only an approved"):
        await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt")
    clock.moment = datetime(2026, 3, 10, 9, 0, tzinfo=TIMEZONE)
    await services.commitments.decide(secretary, cid, 1, approve=True)
    # Before the window opens the service refuses too, not only /grade's listing.
    with pytest.raises(Conflict, match="opens on"):
        await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt")
    with pytest.raises(Conflict, match="opens on"):
        await services.commitments.start_proposal(secretary, cid, "good")
    clock.moment = DECEMBER
    with pytest.raises(AccessDenied):
        await services.commitments.propose(member, cid, "excellent", points=95, comment="Tự xếp")
    with pytest.raises(AccessDenied):
        await services.commitments.propose(other_cell, cid, "good", points=80, comment="Tốt")
    with pytest.raises(NotFound):
        await services.commitments.propose(secretary, 999_999, "good", points=80, comment="Tốt")
    await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt")


async def test_after_the_window_a_grade_stands(setup: Services, clock) -> None:
    services = setup
    secretary, _member, cid = await approved_and_in_window(services, clock)
    await services.commitments.propose(secretary, cid, "good", points=80, comment="Tốt")
    clock.moment = NEXT_YEAR
    for attempt in (
        services.commitments.start_proposal(secretary, cid, "fulfilled", 1),
        services.commitments.propose(
            secretary, cid, "fulfilled", points=60, comment="Sửa lại", revision=1
        ),
    ):
        with pytest.raises(GradeClosed, match="can no longer be changed"):
            await attempt
    assert not (await services.commitments.grading_board(secretary, 2026)).may_change
    async with services.db.read() as store:
        assert [g.grade for g in await store.commitments.grades(cid)] == ["good"]


async def _approved(services: Services, secretary: Actor, code: str, telegram_id: int) -> int:
    member = await actor_for(services, code, telegram_id)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    return view.commitment.id


async def test_the_cap_at_a_grassroots_cell_counts_the_cell_and_refuses_with_figures(
    setup: Services, clock, fake_bot: FakeBot
) -> None:
    services = setup
    rows = [f"DQ{n:02d},Đảng viên {n},CB-BT1,official,,false,vi,{710000 + n}" for n in range(7)]
    await services.organisation.import_members(
        "\n".join(
            ["code,full_name,unit_code,status,position,is_head,language,telegram_id", *rows]
        ).encode(),
        actor="test",
    )
    secretary = await actor_for(services, "DV001", 700001)
    ids = [await _approved(services, secretary, f"DQ{n:02d}", 710000 + n) for n in range(7)]
    clock.moment = DECEMBER
    told = len(fake_bot.to(710006))
    propose = services.commitments.propose
    start = services.commitments.start_proposal
    # The first "excellent" of the cell, before anyone is "good": 1 / at most 0.
    with pytest.raises(CapExceeded) as first:
        await start(secretary, ids[5], "excellent")
    with use_locale("vi"):
        assert "Xuất sắc 1 / tối đa 0" in first.value.render()
    for cid in ids[:4]:
        await propose(secretary, cid, "good", points=80, comment="Tốt")
    with pytest.raises(CapExceeded):  # 4 "good": 20% of 4 is 0.8, at most 0
        await propose(secretary, ids[5], "excellent", points=95, comment="Giỏi")
    await propose(secretary, ids[4], "good", points=80, comment="Tốt")
    assert (await start(secretary, ids[5], "excellent")).after.excellent == 1  # 1 of 5: 20%
    await propose(secretary, ids[5], "excellent", points=95, comment="Giỏi")
    with pytest.raises(CapExceeded) as over:  # 2 of 5: more than 20%
        await propose(secretary, ids[6], "excellent", points=92, comment="Giỏi")
    with use_locale("vi"):
        assert "Xuất sắc 2 / tối đa 1" in over.value.render() and " 5 " in over.value.render()
    assert (await start(secretary, ids[6], "good")).after.good == 6
    # Changing the excellent one counts the cell without its old grade.
    await start(secretary, ids[5], "excellent", 1)
    with pytest.raises(CapExceeded):  # 2 excellent of 4 good
        await start(secretary, ids[0], "excellent", 1)
    async with services.db.read() as store:
        refused = await store.audit.recent(action="commitment.grade")
        assert await store.grading.proposals(ids[6]) == []
    denied = [a for a in refused if a.outcome == "denied"]
    assert len(denied) == 4 and denied[0].detail["reason"] == "cap"
    assert len(fake_bot.to(710006)) == told  # refused: nobody told anything
    # Another cell has its own count: its first "excellent" is over 20% of no "good".
    other = await actor_for(services, "DV005", 700005)
    other_id = await _approved(services, other, "DV006", 700006)
    with pytest.raises(CapExceeded):
        await start(other, other_id, "excellent")
