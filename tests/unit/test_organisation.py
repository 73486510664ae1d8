"""OrganisationService beyond imports: roles and members leaving a unit; and the errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import Services
from bot.errors import Conflict, InvalidInput, NotFound, Term
from bot.i18n import use_locale


async def grants_of(services: Services, code: str) -> list[tuple[str, str]]:
    async with services.db.read() as store:
        member = await store.members.by_code(code)
        assert member is not None
        return [(g.role, g.unit.code) for g in await store.roles.for_member(member.id)]


async def test_set_role_grant_and_revoke(services: Services, org) -> None:
    organisation = services.organisation
    kwargs = {"member_code": "DV001", "role": "secretary", "unit_code": "CB-BT1", "actor": "cli"}
    assert await organisation.set_role(grant=True, **kwargs)
    assert not await organisation.set_role(grant=True, **kwargs)
    assert await grants_of(services, "DV001") == [("secretary", "CB-BT1")]
    assert await organisation.set_role(grant=False, **kwargs)
    assert not await organisation.set_role(grant=False, **kwargs)
    assert await grants_of(services, "DV001") == []
    async with services.db.read() as store:
        entries = await store.audit.recent(action="role.grant")
    assert [(e.actor, e.target, e.detail) for e in entries] == [
        ("cli", "DV001:secretary@CB-BT1", {"changed": False}),
        ("cli", "DV001:secretary@CB-BT1", {"changed": True}),
    ]


async def test_set_role_errors(services: Services, org, table_dump) -> None:
    organisation = services.organisation
    before = await table_dump(services.db)
    cases = [
        ({"member_code": "DV001", "role": "king", "unit_code": "CB-BT1"}, InvalidInput, "king"),
        ({"member_code": "DV999", "role": "deputy", "unit_code": "CB-BT1"}, NotFound, "DV999"),
        ({"member_code": "DV001", "role": "deputy", "unit_code": "CB-XX"}, NotFound, "CB-XX"),
    ]
    for kwargs, error, fragment in cases:
        with pytest.raises(error) as caught:
            await organisation.set_role(grant=True, actor="cli", **kwargs)
        with use_locale("en"):
            assert fragment in caught.value.render()
    assert await table_dump(services.db) == before


async def test_a_member_leaves_every_unit(services: Services, org, clock) -> None:
    ended = await services.organisation.end_membership(
        member_code="DV006", unit_code=None, on=None, actor="cli"
    )
    assert ended == 2
    async with services.db.read() as store:
        member = org.members["DV006"]
        current = await store.members.memberships(member.id)
        history = await store.members.memberships(member.id, current_only=False)
        in_cells = await store.members.in_units([org.units["CB-BT2"].id, org.units["CB-HL1"].id])
        (entry,) = await store.audit.recent(action="membership.end")
    assert current == []
    assert sorted((m.unit.code, m.ended_on) for m in history) == [
        ("CB-BT2", clock.today()),
        ("CB-HL1", clock.today()),
    ]
    assert "DV006" not in {m.code for m in in_cells}
    assert (entry.target, entry.detail) == ("DV006@*", {"ended": 2, "on": "2026-03-10"})


async def test_a_member_leaves_one_unit_on_a_given_day(services: Services, org, clock) -> None:
    clock.moment += timedelta(days=30)
    on = date(2026, 3, 31)
    ended = await services.organisation.end_membership(
        member_code="DV006", unit_code="CB-HL1", on=on, actor="cli"
    )
    assert ended == 1
    async with services.db.read() as store:
        current = await store.members.memberships(org.members["DV006"].id)
        history = await store.members.memberships(org.members["DV006"].id, current_only=False)
    assert [(m.unit.code, m.is_primary) for m in current] == [("CB-BT2", True)]
    assert {m.unit.code: m.ended_on for m in history} == {"CB-BT2": None, "CB-HL1": on}


async def test_leaving_errors_change_nothing(services: Services, org, table_dump) -> None:
    before = await table_dump(services.db)
    leave = services.organisation.end_membership
    with pytest.raises(NotFound):
        await leave(member_code="DV999", unit_code=None, on=None, actor="cli")
    with pytest.raises(NotFound) as caught:
        await leave(member_code="DV001", unit_code="CB-HL1", on=None, actor="cli")
    with use_locale("en"):
        assert "DV001" in caught.value.render() and "CB-HL1" in caught.value.render()
    with pytest.raises(InvalidInput) as caught:
        await leave(member_code="DV006", unit_code=None, on=date(2026, 3, 9), actor="cli")
    with use_locale("en"):
        assert "10/03/2026" in caught.value.render()
    assert await table_dump(services.db) == before


async def test_reimporting_the_roster_brings_a_leaver_back(
    services: Services, org, data_dir, clock
) -> None:
    await services.organisation.end_membership(
        member_code="DV004", unit_code=None, on=None, actor="cli"
    )
    clock.moment += timedelta(days=1)
    summary = await services.organisation.import_members(
        (data_dir / "org_members.csv").read_bytes(), actor="cli"
    )
    assert (summary.created, summary.updated) == (0, 1)
    async with services.db.read() as store:
        history = await store.members.memberships(org.members["DV004"].id, current_only=False)
    assert sorted((m.started_on, m.ended_on) for m in history) == [
        (date(2026, 3, 10), date(2026, 3, 10)),
        (date(2026, 3, 11), None),
    ]


def test_errors_render_their_terms_in_the_shown_locale() -> None:
    error = Conflict("This request was already {decision}.", decision=Term("approved"))
    with use_locale("en"):
        assert error.render() == "This request was already approved."
    with use_locale("vi"):
        assert error.render() == "Yêu cầu này đã được duyệt."
    plain = NotFound("No member has the code '{code}'.", code="DV009")
    with use_locale("vi"):
        assert plain.render() == "Không có đảng viên nào có mã 'DV009'."
    assert str(plain) == "No member has the code '{code}'."
