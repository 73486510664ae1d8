"""SessionService against a real database: who is invited, who may see and answer, rates
without the exempt, audits of every management action, and the thematic lead-in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import Services
from bot.errors import AccessDenied, InvalidInput
from bot.rules import sessions as rules
from bot.services.sessions import Minutes
from tests.conftest import Organisation
from tests.unit.sessions_support import START, actions, actor_for, draft, invitee_codes


async def test_a_conference_invites_the_whole_subtree_once_each(
    setup: Services, org: Organisation
) -> None:
    committee = await actor_for(setup, "DV010", 710010)
    session, invited = await setup.sessions.create(
        committee, draft(org, "QU-BT", "conference", topic="Hội nghị quán triệt chuyên đề")
    )
    codes = await invitee_codes(setup, session.id)
    # CB-BT1 (4), CB-BT2 (3) and the committee's own member; DV006 once, at its QU-BT cell.
    assert invited == 8
    assert codes == {
        "DV001": "CB-BT1", "DV002": "CB-BT1", "DV003": "CB-BT1", "DV004": "CB-BT1",
        "DV005": "CB-BT2", "DV006": "CB-BT2", "DV007": "CB-BT2", "DV010": "QU-BT",
    }  # fmt: skip
    # A regular meeting invites only the unit's own members.
    secretary = await actor_for(setup, "DV001", 710001)
    regular, invited = await setup.sessions.create(secretary, draft(org, "CB-BT1"))
    assert invited == 4 and set(await invitee_codes(setup, regular.id)) == {
        "DV001", "DV002", "DV003", "DV004",
    }  # fmt: skip


async def test_exempt_members_are_left_out_of_the_rates(
    setup: Services, org: Organisation, clock
) -> None:
    secretary = await actor_for(setup, "DV001", 710001)
    session, _ = await setup.sessions.create(secretary, draft(org, "CB-BT1"))
    clock.moment = START + timedelta(hours=3)
    _, _, lines = await setup.sessions.attendance(secretary, session.id)
    by_name = {line.name: line.number for line in lines}
    changes = rules.parse_bulk(
        f"{by_name['Trần Thị Bích']} C; {by_name['Nguyễn Văn Đức']} C; "
        f"{by_name['Lê Hoàng Yến']} V ốm",
        len(lines),
    )
    await setup.sessions.correct(secretary, session.id, changes)
    _, counts = await setup.sessions.close(secretary, session.id)
    assert (counts.total, counts.present, counts.excused, counts.absent) == (3, 2, 1, 0)
    assert counts.exempt == 1 and rules.format_rate(counts.rate) == "67%"
    report = await setup.sessions.period_report(secretary, date(2026, 3, 1), date(2026, 3, 31))
    cell = next(row for row in report.units if row.unit.code == "CB-BT1")
    assert (cell.present, cell.counted) == (2, 3)
    names = {rate.name for rate in report.members}
    assert "Phạm Quốc Việt" not in names  # the exempt member has no rate at all
    assert names == {"Trần Thị Bích", "Nguyễn Văn Đức", "Lê Hoàng Yến"}


async def test_members_see_and_answer_only_their_own_units_sessions(
    setup: Services, org: Organisation, clock
) -> None:
    secretary = await actor_for(setup, "DV001", 710001)
    session, _ = await setup.sessions.create(secretary, draft(org, "CB-BT1"))
    member = await actor_for(setup, "DV002", 700002)
    outsider = await actor_for(setup, "DV009", 710009)  # CB-HL1
    assert [s.id for s, _, _ in await setup.sessions.upcoming_for_member(member)] == [session.id]
    assert await setup.sessions.upcoming_for_member(outsider) == []
    with pytest.raises(AccessDenied):
        await setup.sessions.rsvp(outsider, session.id, True)
    # "I can't attend" pressed again keeps the reason already given.
    await setup.sessions.rsvp(member, session.id, False, "đi công tác")
    await setup.sessions.rsvp(member, session.id, False)
    async with setup.db.read() as store:
        invitee = await store.sessions.invitee(session.id, member.member.id)  # type: ignore[union-attr]
    assert invitee is not None and (invitee.rsvp, invitee.rsvp_reason) == ("no", "đi công tác")
    # A member who has left the cell no longer sees its sessions nor answers them.
    await setup.organisation.end_membership(
        member_code="DV002", unit_code="CB-BT1", on=None, actor="test"
    )
    moved = await setup.registration.identify(700002)
    assert await setup.sessions.upcoming_for_member(moved) == []
    with pytest.raises(AccessDenied):
        await setup.sessions.rsvp(moved, session.id, True)


async def test_a_thematic_session_needs_its_presenter_and_lead_in(
    setup: Services, org: Organisation
) -> None:
    secretary = await actor_for(setup, "DV001", 710001)
    with pytest.raises(InvalidInput):
        await setup.sessions.create(secretary, draft(org, "CB-BT1", "thematic"))
    with pytest.raises(InvalidInput):
        await setup.sessions.create(
            secretary, draft(org, "CB-BT1", "thematic", presenter="Nguyễn Văn Đức", lead_in="x")
        )
    lead_in = "Bài gợi ý: nêu gương trong công việc hằng ngày."
    session, _ = await setup.sessions.create(
        secretary,
        draft(org, "CB-BT1", "thematic", presenter="  Nguyễn   Văn Đức ", lead_in=lead_in),
    )
    assert (session.presenter, session.lead_in) == ("Nguyễn Văn Đức", lead_in)


async def test_every_management_action_is_audited(
    setup: Services, org: Organisation, clock
) -> None:
    secretary = await actor_for(setup, "DV001", 710001)
    other = await actor_for(setup, "DV005", 710005)  # CB-BT2's secretary
    session, _ = await setup.sessions.create(secretary, draft(org, "CB-BT1"))
    await setup.sessions.edit(secretary, session.id, "place", "Phòng họp tầng 2")
    clock.moment = START
    await setup.sessions.open_checkin(secretary, session.id)
    await setup.sessions.correct(secretary, session.id, [rules.Change(1, rules.Mark.PRESENT)])
    await setup.sessions.close(secretary, session.id)
    await setup.sessions.save_minutes(
        secretary,
        Minutes(session.id, "Trần Thị Bích", "Nguyễn Văn Đức", "", "", (), "", "", "Thống nhất"),
    )
    await setup.sessions.minutes_data(secretary, session.id)
    await setup.sessions.export_attendance(
        secretary, "CB-BT1", date(2026, 3, 1), date(2026, 3, 31), "xlsx"
    )
    await setup.sessions.set_study_deadline(secretary, org.units["CB-BT1"], date(2026, 3, 25))
    second, _ = await setup.sessions.create(
        secretary, draft(org, "CB-BT1", starts_at=START + timedelta(days=7))
    )
    await setup.sessions.cancel(secretary, second.id)
    with pytest.raises(AccessDenied):
        await setup.sessions.close(other, session.id + 1)
    with pytest.raises(AccessDenied):
        await setup.sessions.view(other, session.id)
    assert [(a, o) for a, o, _ in await actions(setup)] == [
        ("session.create", "ok"),
        ("session.edit", "ok"),
        ("session.checkin.open", "ok"),
        ("session.correct", "ok"),
        ("session.close", "ok"),
        ("session.minutes", "ok"),
        ("session.minutes.docx", "ok"),
        ("session.export", "ok"),
        ("session.deadline", "ok"),
        ("session.create", "ok"),
        ("session.cancel", "ok"),
        ("session.close", "denied"),
        ("session.view", "denied"),
    ]
