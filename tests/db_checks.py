"""The database's own consistency, beyond what SQLite enforces, and who owns which rows.

:func:`problems` runs ``PRAGMA integrity_check``, ``PRAGMA foreign_key_check`` and the
domain's rules the schema implies but does not enforce (one open primary unit per active
member, a commitment's status matching its versions, an invitation's answers matching
each other ...). Each rule is one query returning the rows that break it.

:func:`owned_rows` reads every row that belongs to a member (their profile, memberships,
commitments and everything under them, invitations, nominations, mutes) or to a Telegram
user (the bot's saved conversation data), keyed by its owner, so a test can check that an
update by one person changed nobody else's rows.

Plain ``sqlite3``, read only: usable from any test while the bot runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

# name -> a query returning the rows that break the rule (none when the data is whole).
RULES: dict[str, str] = {
    "an active member has exactly one open primary unit": """
        SELECT m.id, COUNT(ms.id) FROM members m
        LEFT JOIN memberships ms
          ON ms.member_id = m.id AND ms.ended_on IS NULL AND ms.is_primary = 1
        WHERE m.registration = 'active'
        GROUP BY m.id HAVING COUNT(ms.id) <> 1""",
    "a membership does not end before it starts": """
        SELECT id FROM memberships WHERE ended_on IS NOT NULL AND ended_on < started_on""",
    "a unit's path is its parent's path and its own id": """
        SELECT u.id, u.path FROM units u LEFT JOIN units p ON p.id = u.parent_id
        WHERE u.path <> COALESCE(p.path, '/') || u.id || '/'""",
    "a commitment's last version is its newest version": """
        SELECT c.id FROM commitments c
        WHERE c.last_version <> (SELECT COALESCE(MAX(v.number), 0)
                                 FROM commitment_versions v WHERE v.commitment_id = c.id)""",
    "a submitted, returned or approved commitment matches its newest version's decision": """
        SELECT c.id, c.status, v.decision FROM commitments c
        JOIN commitment_versions v ON v.commitment_id = c.id AND v.number = c.last_version
        WHERE (c.status = 'submitted' AND v.decision <> 'pending')
           OR (c.status = 'returned' AND v.decision <> 'returned')
           OR (c.status = 'approved' AND v.decision <> 'approved')""",
    "a commitment that is not a draft has a version": """
        SELECT id FROM commitments WHERE status <> 'draft' AND last_version = 0""",
    "an approved version in force was approved": """
        SELECT c.id FROM commitments c WHERE c.approved_version IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM commitment_versions v WHERE v.commitment_id = c.id
            AND v.number = c.approved_version AND v.decision = 'approved')""",
    "at most one version of a commitment waits for review": """
        SELECT commitment_id FROM commitment_versions WHERE decision = 'pending'
        GROUP BY commitment_id HAVING COUNT(*) > 1""",
    "a decided version says who decided and when": """
        SELECT id FROM commitment_versions
        WHERE decision <> 'pending' AND decided_at IS NULL""",
    "a commitment's actions have distinct places under each heading": """
        SELECT commitment_id, heading, position FROM commitment_actions
        GROUP BY commitment_id, heading, position HAVING COUNT(*) > 1""",
    "a commitment's grade is its newest decided grade": """
        SELECT c.id FROM commitments c
        JOIN commitment_grades g ON g.commitment_id = c.id AND g.revision = (
            SELECT MAX(revision) FROM commitment_grades WHERE commitment_id = c.id)
        WHERE c.grade IS NOT g.grade""",
    "a closed session was closed, a cancelled one cancelled": """
        SELECT id, status FROM sessions
        WHERE (status = 'closed') <> (closed_at IS NOT NULL)
           OR (status = 'cancelled') <> (cancelled_at IS NOT NULL)""",
    "a check-in says how it was made": """
        SELECT session_id, member_id FROM session_invitees
        WHERE (checked_in_at IS NULL) <> (checkin_via IS NULL)""",
    "a late report has its time": """
        SELECT session_id, member_id FROM session_invitees
        WHERE late_status IS NOT NULL AND late_reported_at IS NULL""",
    "an absence reason answers a 'no'": """
        SELECT session_id, member_id FROM session_invitees
        WHERE rsvp_reason IS NOT NULL AND rsvp IS NOT 'no'""",
    "minutes belong to a session that was not cancelled": """
        SELECT m.session_id FROM session_minutes m JOIN sessions s ON s.id = m.session_id
        WHERE s.status = 'cancelled'""",
    "a decided nomination says when": """
        SELECT id FROM nominations WHERE (status = 'submitted') <> (decided_at IS NULL)""",
    "a scheduled or sent story has its time": """
        SELECT id FROM stories WHERE status IN ('scheduled', 'sent') AND send_at IS NULL""",
    "a story is read only once it was sent": """
        SELECT r.story_id, r.member_id FROM story_reads r JOIN stories s ON s.id = r.story_id
        WHERE s.status <> 'sent'""",
    "an invite is used at most as often as allowed": """
        SELECT id FROM invites WHERE uses > max_uses OR uses < 0""",
    "a pending join request is a pending member's": """
        SELECT j.id FROM join_requests j JOIN members m ON m.id = j.member_id
        WHERE j.status = 'pending' AND m.registration <> 'pending'""",
}

# Rows that belong to a member: table -> the SQL expression of the owning member's id.
_BY_COMMITMENT = "(SELECT c.member_id FROM commitments c WHERE c.id = commitment_id)"
MEMBER_OWNED: dict[str, str] = {
    "members": "id",
    "memberships": "member_id",
    "roles": "member_id",
    "invites": "member_id",
    "join_requests": "member_id",
    "commitments": "member_id",
    "commitment_actions": _BY_COMMITMENT,
    "commitment_versions": _BY_COMMITMENT,
    "commitment_version_actions": (
        "(SELECT c.member_id FROM commitment_versions v JOIN commitments c "
        "ON c.id = v.commitment_id WHERE v.id = version_id)"
    ),
    "grade_proposals": _BY_COMMITMENT,
    "commitment_grades": _BY_COMMITMENT,
    "grade_remarks": "member_id",
    "session_invitees": "member_id",
    "story_reads": "member_id",
    "reminder_mutes": "member_id",
    "nominations": "nominated_by",
}
# Rows that belong to a Telegram user: the bot's saved working data and conversations.
TELEGRAM_OWNED: dict[str, str] = {
    "ptb_user_data": "user_id",
    "ptb_conversations": "json_extract(key, '$[1]')",
}

Owner = tuple[str, int]  # ("member", id) or ("telegram", user id)
Rows = dict[Owner, set[tuple]]


def problems(db_path: Path) -> list[str]:
    """Everything wrong with the database; empty when it is whole."""
    found: list[str] = []
    with sqlite3.connect(db_path) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            found.append(f"integrity_check: {check}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            found.append(f"foreign_key_check: {broken[:5]}")
        for rule, sql in RULES.items():
            rows = conn.execute(sql).fetchall()
            if rows:
                found.append(f"{rule}: {rows[:5]}")
    return found


def owned_rows(db_path: Path) -> Rows:
    """Every member's and Telegram user's rows, by owner (each row with its table)."""
    rows: Rows = {}
    with sqlite3.connect(db_path) as conn:
        for kind, tables in (("member", MEMBER_OWNED), ("telegram", TELEGRAM_OWNED)):
            for table, owner in tables.items():
                for row in conn.execute(f"SELECT {owner}, * FROM {table}"):
                    if row[0] is not None:
                        rows.setdefault((kind, int(row[0])), set()).add((table, *row[1:]))
    return rows


def member_ids(db_path: Path, telegram_ids: Iterable[int]) -> dict[int, int]:
    """Telegram user id -> member id, for those who are members."""
    wanted = list(telegram_ids)
    with sqlite3.connect(db_path) as conn:
        marks = ",".join("?" * len(wanted))
        found = conn.execute(
            f"SELECT telegram_id, id FROM members WHERE telegram_id IN ({marks})",
            wanted,
        ).fetchall()
    return {telegram: member for telegram, member in found}


def changed_owners(before: Rows, after: Rows) -> set[Owner]:
    """The owners whose rows were added, removed or changed."""
    return {
        owner for owner in before.keys() | after.keys() if before.get(owner) != after.get(owner)
    }
