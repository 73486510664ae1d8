"""bot/access.py: pure rules of who may do what, on which part of the tree."""

from __future__ import annotations

import pytest

from bot.rules.access import MANAGERS, MONITORS, Actor, Role, has_role_over, may_use, scope_units
from storage.records import Member, RoleGrant, Unit

# A tree: city (1) → committees (2, 3) → cells (4, 5 under 2; 6 under 3).
CITY = Unit(1, "TU", "Thành ủy", "city_committee", None, "/1/")
COMMITTEE_A = Unit(2, "QA", "Quận ủy A", "committee", 1, "/1/2/")
COMMITTEE_B = Unit(3, "QB", "Huyện ủy B", "committee", 1, "/1/3/")
CELL_A1 = Unit(4, "A1", "Chi bộ A1", "cell", 2, "/1/2/4/")
CELL_A2 = Unit(5, "A2", "Chi bộ A2", "cell", 2, "/1/2/5/")
CELL_B1 = Unit(6, "B1", "Chi bộ B1", "cell", 3, "/1/3/6/")
OTHER_ROOT = Unit(14, "TU2", "Thành ủy khác", "city_committee", None, "/14/")
ALL_UNITS = (CITY, COMMITTEE_A, COMMITTEE_B, CELL_A1, CELL_A2, CELL_B1, OTHER_ROOT)


def member(member_id: int = 1, registration: str = "active") -> Member:
    return Member(
        id=member_id,
        code=f"DV{member_id:03}",
        full_name="Trần Thị Bích",
        status="official",
        position="",
        is_head=False,
        language="vi",
        telegram_id=1000 + member_id,
        registration=registration,
        started_bot_at=None,
        blocked_at=None,
    )


def actor(*grants: tuple[str, Unit], registration: str = "active", admin: bool = False) -> Actor:
    who = member(registration=registration)
    return Actor(
        telegram_id=who.telegram_id or 0,
        member=who,
        grants=tuple(RoleGrant(i, who.id, role, unit) for i, (role, unit) in enumerate(grants)),
        is_config_admin=admin,
        pending=registration == "pending",
        units=(CELL_A1,),
    )


STRANGER = Actor(telegram_id=5)
CONFIG_ADMIN = Actor(telegram_id=900001, is_config_admin=True)


def test_actor_properties() -> None:
    plain = actor()
    assert plain.is_registered and not plain.is_admin
    assert plain.roles == frozenset()
    assert plain.primary_unit == CELL_A1
    assert not STRANGER.is_registered and STRANGER.primary_unit is None
    assert CONFIG_ADMIN.is_admin and CONFIG_ADMIN.roles == {Role.ADMIN}
    assert actor(("admin", CITY)).is_admin
    secretary = actor(("secretary", CELL_A1), ("committee", COMMITTEE_A))
    assert secretary.roles == {Role.SECRETARY, Role.COMMITTEE}


def test_pending_or_rejected_member_has_no_roles() -> None:
    for registration in ("pending", "rejected"):
        who = actor(("secretary", CELL_A1), ("admin", CITY), registration=registration)
        assert not who.is_registered
        assert not who.is_admin
        assert who.roles == frozenset()
        assert not may_use(who, None)
        assert not may_use(who, MANAGERS)
        assert not has_role_over(who, MANAGERS, CELL_A1)


def test_may_use() -> None:
    assert may_use(actor(), None)  # any registered member
    assert not may_use(STRANGER, None)
    assert may_use(CONFIG_ADMIN, None)
    assert not may_use(actor(), MANAGERS)
    assert may_use(actor(("secretary", CELL_A1)), MANAGERS)
    assert may_use(actor(("deputy", CELL_A1)), MANAGERS)
    assert not may_use(actor(("committee", COMMITTEE_A)), MANAGERS)
    assert may_use(actor(("committee", COMMITTEE_A)), MONITORS)
    assert not may_use(actor(("propaganda", CITY)), MONITORS)
    assert may_use(CONFIG_ADMIN, MANAGERS)
    assert may_use(actor(("admin", CELL_B1)), MANAGERS)  # an admin grant is admin anywhere
    assert not may_use(STRANGER, MANAGERS)


@pytest.mark.parametrize(
    ("grant_unit", "covered"),
    [
        (CELL_A1, {CELL_A1}),
        (COMMITTEE_A, {COMMITTEE_A, CELL_A1, CELL_A2}),
        (COMMITTEE_B, {COMMITTEE_B, CELL_B1}),
        (CITY, {CITY, COMMITTEE_A, COMMITTEE_B, CELL_A1, CELL_A2, CELL_B1}),
        (OTHER_ROOT, {OTHER_ROOT}),
    ],
)
def test_has_role_over_covers_the_unit_and_below_only(grant_unit: Unit, covered: set) -> None:
    secretary = actor(("secretary", grant_unit))
    for unit in ALL_UNITS:
        assert has_role_over(secretary, MANAGERS, unit) == (unit in covered), unit.code


def test_has_role_over_needs_the_right_role() -> None:
    committee = actor(("committee", COMMITTEE_A))
    assert has_role_over(committee, MONITORS, CELL_A1)
    assert not has_role_over(committee, MANAGERS, CELL_A1)
    assert not has_role_over(actor(), MONITORS, CELL_A1)  # a plain member of the cell
    assert not has_role_over(STRANGER, MONITORS, CELL_A1)
    assert has_role_over(CONFIG_ADMIN, MANAGERS, CELL_B1)


def test_has_role_over_not_siblings_nor_parents() -> None:
    secretary = actor(("secretary", CELL_A1))
    assert not has_role_over(secretary, MANAGERS, CELL_A2)  # sibling
    assert not has_role_over(secretary, MANAGERS, COMMITTEE_A)  # parent
    assert not has_role_over(secretary, MANAGERS, CITY)  # grandparent
    assert not has_role_over(secretary, MANAGERS, CELL_B1)  # cousin


def test_scope_units_keeps_only_top_units() -> None:
    who = actor(
        ("secretary", CELL_A1),
        ("committee", COMMITTEE_A),
        ("deputy", CELL_B1),
        ("propaganda", CITY),
    )
    assert scope_units(who, MONITORS) == [COMMITTEE_A, CELL_B1]
    assert scope_units(who, MANAGERS) == [CELL_A1, CELL_B1]
    assert scope_units(who, frozenset({Role.PROPAGANDA})) == [CITY]
    assert scope_units(actor(), MONITORS) == []
    # The same unit granted under two roles appears once.
    twice = actor(("secretary", CELL_A1), ("deputy", CELL_A1))
    assert scope_units(twice, MANAGERS) == [CELL_A1]
    # Id-prefix lookalikes are not nested.
    lookalike = actor(("secretary", CITY), ("secretary", OTHER_ROOT))
    assert scope_units(lookalike, MANAGERS) == [CITY, OTHER_ROOT]
