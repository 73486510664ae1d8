"""Who may do what, on which part of the organisation tree. Pure functions only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from storage.records import Member, RoleGrant, Unit


class Role(StrEnum):
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    COMMITTEE = "committee"
    PROPAGANDA = "propaganda"
    ADMIN = "admin"


# Who manages a unit (invites, join requests) and who may look at a subtree.
MANAGERS = frozenset({Role.SECRETARY, Role.DEPUTY})
MONITORS = frozenset({Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE})


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as far as the bot knows them."""

    telegram_id: int
    member: Member | None = None
    grants: tuple[RoleGrant, ...] = ()
    is_config_admin: bool = False
    pending: bool = False  # waiting for a secretary to approve their join request
    units: tuple[Unit, ...] = field(default=())  # current memberships, primary first

    @property
    def is_registered(self) -> bool:
        return self.member is not None and self.member.is_active

    @property
    def is_admin(self) -> bool:
        return self.is_config_admin or (
            self.is_registered and any(g.role == Role.ADMIN for g in self.grants)
        )

    @property
    def roles(self) -> frozenset[Role]:
        if not self.is_registered:
            return frozenset({Role.ADMIN}) if self.is_config_admin else frozenset()
        found = {Role(g.role) for g in self.grants}
        if self.is_config_admin:
            found.add(Role.ADMIN)
        return frozenset(found)

    @property
    def primary_unit(self) -> Unit | None:
        return self.units[0] if self.units else None


def may_use(actor: Actor, allowed: frozenset[Role] | None) -> bool:
    """Whether the actor's roles allow a command; ``None`` means any registered member."""
    if allowed is None:
        return actor.is_registered or actor.is_admin
    return actor.is_admin or bool(actor.roles & allowed)


def has_role_over(actor: Actor, roles: frozenset[Role], unit: Unit) -> bool:
    """True when the actor holds one of ``roles`` on ``unit`` or on a unit above it."""
    if actor.is_admin:
        return True
    if not actor.is_registered:
        return False
    return any(Role(g.role) in roles and g.unit.contains(unit) for g in actor.grants)


def scope_units(actor: Actor, roles: frozenset[Role]) -> list[Unit]:
    """The top units the actor holds one of ``roles`` on, without ones nested in another."""
    units = sorted(
        {g.unit.id: g.unit for g in actor.grants if Role(g.role) in roles}.values(),
        key=lambda u: u.path,
    )
    tops: list[Unit] = []
    for unit in units:
        if not any(top.contains(unit) for top in tops):
            tops.append(unit)
    return tops
