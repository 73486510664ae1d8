"""bot/services/commitments/filing.py against a real database: what a member may change and
when, the limits of a commitment, and who is told of a submission."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import use_locale
from bot.rules.access import Actor
from bot.rules.commitments import MAX_ACTIONS
from tests.conftest import TIMEZONE, FakeBot
from tests.unit.commitment_helpers import ACTION, actor_for, file


async def _working_copy(services: Services, member: Actor) -> list[tuple[str, str]]:
    _, view = await services.commitments.filing(member)
    return [(a.heading, a.text) for a in view.actions] if view else []


async def test_a_submitted_or_approved_commitment_is_locked_for_filing(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member, "ideology")
    action = (await services.commitments.filing(member))[1].actions[0]
    view, _ = await services.commitments.submit(member)
    before = await _working_copy(services, member)
    for attempt in (
        services.commitments.add_action(member, "ethics", ACTION),
        services.commitments.edit_action(member, action.id, ACTION + " sửa"),
        services.commitments.set_target(member, action.id, "30/06/2026"),
        services.commitments.delete_action(member, action.id),
        services.commitments.revise(member),  # only an approved one is revised
    ):
        with pytest.raises(Conflict):
            await attempt
    assert await _working_copy(services, member) == before

    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    with pytest.raises(Conflict, match="already approved"):
        await services.commitments.add_action(member, "ethics", ACTION)
    await services.commitments.revise(member)
    await services.commitments.add_action(member, "ethics", ACTION)  # a new version is open
    with pytest.raises(Conflict):  # not twice
        await services.commitments.revise(member)
    assert len(await _working_copy(services, member)) == 2


async def test_a_commitment_holds_at_most_max_actions(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    for number in range(MAX_ACTIONS):
        await services.commitments.add_action(member, "tasks", f"{ACTION} số {number}")
    # Not the text's fault: a Conflict (the menu again), not InvalidInput (type again).
    with pytest.raises(Conflict) as full:
        await services.commitments.add_action(member, "ethics", ACTION)
    assert not isinstance(full.value, InvalidInput)
    with use_locale("vi"):
        assert str(MAX_ACTIONS) in full.value.render()
    assert len(await _working_copy(services, member)) == MAX_ACTIONS


async def test_the_example_section_is_for_heads_and_required_of_them(setup: Services) -> None:
    services = setup
    head = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    await file(services, head, "ideology")
    with pytest.raises(InvalidInput) as missing:
        await services.commitments.submit(head)
    with use_locale("vi"):
        assert "Trách nhiệm nêu gương của người đứng đầu" in missing.value.render()
    async with services.db.read() as store:
        assert await store.audit.recent(action="commitment.submit") == []
    with pytest.raises(InvalidInput):
        await services.commitments.add_action(member, "example", ACTION)
    with pytest.raises(InvalidInput):
        await services.commitments.add_action(member, "sports", ACTION)
    await file(services, head, "example")
    _, version = await services.commitments.submit(head)
    assert version.number == 1


async def test_nothing_to_submit_or_revise_yet(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    assert (await services.commitments.filing(member))[1] is None
    with pytest.raises(InvalidInput):
        await services.commitments.submit(member)
    with pytest.raises(NotFound):
        await services.commitments.revise(member)
    action = await services.commitments.add_action(member, "ethics", ACTION)
    await services.commitments.delete_action(member, action.id)
    with pytest.raises(InvalidInput):  # started, but every action deleted
        await services.commitments.submit(member)


async def test_nobody_touches_another_members_actions(setup: Services) -> None:
    services = setup
    owner = await actor_for(services, "DV002", 700002)
    other = await actor_for(services, "DV003", 700003)
    action = await services.commitments.add_action(owner, "ethics", ACTION)
    await services.commitments.add_action(other, "ethics", ACTION)  # other has one too
    for attempt in (
        services.commitments.action(other, action.id),
        services.commitments.edit_action(other, action.id, ACTION + " của người khác"),
        services.commitments.set_target(other, action.id, "30/06"),
        services.commitments.delete_action(other, action.id),
        services.commitments.action(owner, 999_999),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert await _working_copy(services, owner) == [("ethics", ACTION)]


async def test_only_registered_members_file(setup: Services) -> None:
    stranger = Actor(telegram_id=123)
    with pytest.raises(AccessDenied):
        await setup.commitments.filing(stranger)
    with pytest.raises(AccessDenied):
        await setup.commitments.add_action(stranger, "ethics", ACTION)


async def test_the_first_submission_decides_lateness(setup: Services, clock) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member)
    view, first = await services.commitments.submit(member)  # 10 March: on time
    await services.commitments.decide(
        secretary, view.commitment.id, 1, approve=False, comment="Bổ sung thời hạn"
    )
    clock.moment = datetime(2026, 4, 5, 9, 0, tzinfo=TIMEZONE)
    view, second = await services.commitments.submit(member)
    assert not first.late and second.late  # each version records its own day …
    assert not view.commitment.late  # … the commitment was filed in time


async def test_the_reviewers_are_told_and_a_secretarys_own_goes_above(
    setup: Services, fake_bot: FakeBot
) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    head = await actor_for(services, "DV001", 700001)  # the secretary of CB-BT1
    above = await actor_for(services, "DV010", 700010)
    await services.organisation.set_role(
        member_code="DV010", role="secretary", unit_code="QU-BT", grant=True, actor="test"
    )
    await file(services, member)
    await services.commitments.submit(member)
    assert [m.text for m in fake_bot.to(700001)] == [
        "Đồng chí Nguyễn Văn Đức đã nộp bản cam kết năm 2026. Gửi /pending để duyệt."
    ]
    assert fake_bot.to(700002) == [] and fake_bot.to(700010) == []

    # The secretary's own: they are the cell's only manager, so the level above is told
    # (it was nobody before: the alert went to the cell's managers less the member).
    await file(services, head, "ideology", "example")
    await services.commitments.submit(head)
    assert len(fake_bot.to(700001)) == 1
    assert [m.text for m in fake_bot.to(700010)] == [
        "Đồng chí Trần Thị Bích đã nộp bản cam kết năm 2026. Gửi /pending để duyệt."
    ]
    assert [v.member.code for v in await services.commitments.pending(above)] == [
        "DV002",
        "DV001",
    ]


async def test_the_same_action_or_submission_twice_counts_once(
    setup: Services, fake_bot: FakeBot
) -> None:
    """A step handled again after a crash, or sent again when no answer came (the crash
    drills, issue 13): the same action is the one saved, the same submission one version."""
    services = setup
    await actor_for(services, "DV001", 700001)  # the cell's secretary, on Telegram
    member = await actor_for(services, "DV002", 700002)
    first = await services.commitments.add_action(member, "ideology", ACTION)
    again = await services.commitments.add_action(member, "ideology", f"  {ACTION} ")
    assert again.id == first.id
    other = await services.commitments.add_action(member, "ethics", ACTION)  # another heading
    assert other.id != first.id
    assert await _working_copy(services, member) == [("ideology", ACTION), ("ethics", ACTION)]
    _, version = await services.commitments.submit(member)
    view, repeated = await services.commitments.submit(member)
    assert (repeated.id, repeated.number) == (version.id, 1)
    assert view.commitment.last_version == 1
    assert len(fake_bot.to(700001)) == 1  # the secretary is told once
