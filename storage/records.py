"""Plain typed records returned by the repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

UNIT_KINDS = (
    "city_committee",
    "committee",
    "grassroots_committee",
    "cell",
    "party_group",
    "mass_org_branch",
)
MEMBER_STATUSES = ("official", "probationary", "temporary", "exempt")
ROLES = ("secretary", "deputy", "committee", "propaganda", "admin")
LANGUAGES = ("vi", "en")


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str

    def contains(self, other: Unit) -> bool:
        """True when ``other`` is this unit or below it."""
        return other.path.startswith(self.path)

    @property
    def chain_ids(self) -> list[int]:
        """The ids from the root down to this unit itself."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    code: str | None
    full_name: str
    status: str
    position: str
    is_head: bool
    language: str | None
    telegram_id: int | None
    registration: str
    started_bot_at: datetime | None
    blocked_at: datetime | None
    work_unit: str = ""  # "Đơn vị công tác", from the roster import

    @property
    def is_active(self) -> bool:
        return self.registration == "active"

    @property
    def reachable(self) -> bool:
        return (
            self.telegram_id is not None
            and self.started_bot_at is not None
            and (self.blocked_at is None)
        )


@dataclass(frozen=True, slots=True)
class Membership:
    id: int
    member_id: int
    unit: Unit
    is_primary: bool
    started_on: date
    ended_on: date | None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A member as a roster import compares it: the imported fields and the open
    memberships (unit id -> (membership id, is primary))."""

    id: int
    full_name: str
    status: str
    position: str
    is_head: bool
    language: str | None
    telegram_id: int | None
    memberships: dict[int, tuple[int, bool]]
    work_unit: str = ""


@dataclass(frozen=True, slots=True)
class RosterChange:
    """What a roster import writes, prepared before the write transaction."""

    # code, full name, status, position, is head, language, telegram id, work unit
    new: list[tuple[str, str, str, str, bool, str | None, int | None, str]]
    changed: list[tuple[str, str, str, str, bool, str | None, int | None, str]]
    memberships_ended: list[int]
    memberships_added: list[tuple[str, int, bool]]  # member code, unit id, is primary


@dataclass(frozen=True, slots=True)
class RoleGrant:
    id: int
    member_id: int
    role: str
    unit: Unit


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    code: str
    member_id: int | None
    unit_id: int | None
    max_uses: int
    uses: int
    expires_on: date | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class JoinRequest:
    id: int
    member_id: int
    unit_id: int
    invite_id: int
    telegram_id: int
    full_name: str
    status: str
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    member_id: int | None
    action: str
    target: str
    outcome: str
    detail: dict


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    year: int
    topic: str
    commit_deadline: date
    study_deadline: date
    review_opens: date
    review_closes: date
    # Days before the commitment deadline members are reminded; None: the engine's default.
    commit_reminder_days: tuple[int, ...] | None = None
