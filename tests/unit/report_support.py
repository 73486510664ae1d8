"""A small fixed organisation for the report tests, with every figure known by hand.

Built on conftest's invented organisation and the ``setup`` fixture (the 2026 campaign,
commitments due 31/03/2026, study by 31/03/2026; DV001 secretary of CB-BT1, DV005 of CB-BT2,
DV010 on the committee of QU-BT):

    TU-DEMO ─┬─ QU-BT ─┬─ CB-BT1: DV001 (head), DV002, DV004 (exempt)  [DV003 until 15/02]
             │  (DV010)└─ CB-BT2: DV005, DV006 (also in CB-HL1), DV007 (temporary)
             └─ QU-HL ─── CB-HL1: DV008, DV009, DV003 (moved in on 15/02)

Commitments 2026: DV001 submitted, DV002 approved (both on time); DV004 (exempt) submitted;
DV005 returned; DV006 a draft; DV003 approved and DV008 submitted, both late (05/04).
Decided grades: DV002 excellent, DV008 good (and DV004 good, which does not count: exempt).

Closed sessions (check-ins, then the secretary's corrections):
- S4 CB-BT2 regular 15/01: DV005 ✓, DV006 ✓, DV007 ✗
- S1 CB-BT1 regular 20/01: DV001 ✓, DV002 ✓, DV003 ✓, DV004 (exempt) ✗
- S6 CB-HL1 regular 10/02: DV008 ✓, DV006 ✓, DV009 ✗
- DV003 moves from CB-BT1 to CB-HL1 on 15/02
- S2 CB-BT1 regular 20/02: DV001 ✓, DV002 checked in but corrected to "absent with reason",
  DV004 (exempt) corrected to present
- C  QU-BT conference 01/03: DV005 ✓, DV010 ✓; DV001, DV002, DV006, DV007 ✗; DV004 exempt
- S3 CB-BT1 thematic 05/03: nobody checked in; DV002 corrected to present
- S7 CB-HL1 thematic 20/03 on the campaign topic (CB-HL1 has studied): DV003 ✓, DV009 ✓,
  DV008 ✗, DV006 ✗
- S5 CB-BT2 regular 25/03: never closed (counts nowhere)
- S8 CB-BT2 regular 10/04: closed, nobody present

Stories: one sent 10/03 and delivered to DV001, DV002, DV005, DV008, DV003 (failed for
DV009), read by DV001 and DV003; one sent 02/04 to DV001, read by DV001.

The clock ends at 15/04/2026 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.context import Services
from bot.rules import sessions as session_rules
from bot.rules.access import Actor
from storage.clock import to_db
from tests.conftest import TIMEZONE, Organisation
from tests.unit.commitment_helpers import file
from tests.unit.sessions_support import LEAD_IN, actor_for, admin, draft

TODAY = datetime(2026, 4, 15, 10, 0, tzinfo=TIMEZONE)
TELEGRAM = {"DV004": 710004, "DV007": 710007, "DV008": 710008}


def at(month: int, day: int, hour: int = 19) -> datetime:
    return datetime(2026, month, day, hour, 30, tzinfo=TIMEZONE)


@dataclass
class Scenario:
    services: Services
    org: Organisation
    people: dict[str, Actor]
    sessions: dict[str, int]

    def unit_id(self, code: str) -> int:
        return self.org.units[code].id

    def member_id(self, code: str) -> int:
        return self.org.members[code].id


async def person(services: Services, code: str) -> Actor:
    return await actor_for(services, code, TELEGRAM.get(code))


async def held(
    services: Services,
    clock,  # type: ignore[no-untyped-def]
    org: Organisation,
    by: Actor,
    unit: str,
    kind: str,
    when: datetime,
    checked_in: tuple[str, ...] = (),
    corrections: dict[str, session_rules.Mark] | None = None,
    *,
    close: bool = True,
    campaign: bool = False,
) -> int:
    """A session created the day before, the check-ins, the corrections, then closed."""
    clock.moment = when - timedelta(days=1)
    extra: dict = {"starts_at": when, "on_campaign": campaign}
    if kind == "thematic":
        extra |= {"presenter": "Trần Thị Bích", "lead_in": LEAD_IN}
    session, _ = await services.sessions.create(by, draft(org, unit, kind, **extra))
    async with services.db.write() as store:
        for code in checked_in:
            assert await store.sessions.check_in(
                session.id, org.members[code].id, when + timedelta(minutes=5), "code"
            )
    if not close:
        return session.id
    clock.moment = when + timedelta(hours=2)
    if corrections:
        _, _, lines = await services.sessions.attendance(by, session.id)
        number = {line.member_id: line.number for line in lines}
        changes = [
            session_rules.Change(
                number[org.members[code].id], mark, "ốm" if mark == "excused" else ""
            )
            for code, mark in corrections.items()
        ]
        await services.sessions.correct(by, session.id, changes)
    await services.sessions.close(by, session.id)
    return session.id


async def build(services: Services, org: Organisation, clock) -> Scenario:  # type: ignore[no-untyped-def]
    """The organisation above, from the ``setup`` fixture's services."""
    codes = ("DV001", "DV002", "DV003", "DV004", "DV005", "DV006", "DV008", "DV010")
    people = {code: await person(services, code) for code in codes}
    people["admin"] = await admin(services)
    commitments = services.commitments

    # On time (January).
    clock.moment = at(1, 10, 9)
    await file(services, people["DV001"], "ideology", "example")  # DV001 is a head
    await commitments.submit(people["DV001"])
    filed = {}
    for code in ("DV002", "DV004", "DV005"):
        await file(services, people[code])
        filed[code], _ = await commitments.submit(people[code])
    await file(services, people["DV006"])  # a draft, never submitted
    await commitments.decide(people["DV001"], filed["DV002"].commitment.id, 1, approve=True)
    await commitments.decide(
        people["DV010"], filed["DV005"].commitment.id, 1, approve=False, comment="Cần cụ thể hơn."
    )

    sessions: dict[str, int] = {}
    mark = session_rules.Mark
    sessions["S4"] = await held(
        services, clock, org, people["DV005"], "CB-BT2", "regular", at(1, 15), ("DV005", "DV006")
    )
    sessions["S1"] = await held(
        services, clock, org, people["DV001"], "CB-BT1", "regular", at(1, 20),
        ("DV001", "DV002", "DV003"),
    )  # fmt: skip
    sessions["S6"] = await held(
        services, clock, org, people["admin"], "CB-HL1", "regular", at(2, 10), ("DV008", "DV006")
    )
    # DV003 moves to CB-HL1 in the middle of the period.
    async with services.db.write() as store:
        moved = await store.members.set_memberships(
            org.members["DV003"].id, org.units["CB-HL1"].id, [], at(2, 15).date()
        )
        assert moved
    sessions["S2"] = await held(
        services, clock, org, people["DV001"], "CB-BT1", "regular", at(2, 20),
        ("DV001", "DV002"), {"DV002": mark.EXCUSED, "DV004": mark.PRESENT},
    )  # fmt: skip
    sessions["C"] = await held(
        services, clock, org, people["DV010"], "QU-BT", "conference", at(3, 1, 8),
        ("DV005", "DV010"),
    )  # fmt: skip
    sessions["S3"] = await held(
        services, clock, org, people["DV001"], "CB-BT1", "thematic", at(3, 5),
        (), {"DV002": mark.PRESENT},
    )  # fmt: skip
    sessions["S7"] = await held(
        services, clock, org, people["admin"], "CB-HL1", "thematic", at(3, 20),
        ("DV003", "DV009"), campaign=True,
    )  # fmt: skip
    sessions["S5"] = await held(
        services, clock, org, people["DV005"], "CB-BT2", "regular", at(3, 25), close=False
    )

    # Late (April): DV003, now in CB-HL1, approved by the administrator; DV008 waiting.
    clock.moment = at(4, 5, 9)
    people["DV003"] = await person(services, "DV003")  # the actor as they are now
    for code in ("DV003", "DV008"):
        await file(services, people[code])
        filed[code], _ = await commitments.submit(people[code])
    await commitments.decide(people["admin"], filed["DV003"].commitment.id, 1, approve=True)

    sessions["S8"] = await held(
        services, clock, org, people["DV005"], "CB-BT2", "regular", at(4, 10)
    )

    async with services.db.write() as store:
        for code, grade in (("DV002", "excellent"), ("DV008", "good"), ("DV004", "good")):
            await store.conn.execute(
                "UPDATE commitments SET grade = ?, grade_revision = 1 WHERE member_id = ?",
                (grade, org.members[code].id),
            )
        await _story(store, org, at(3, 10, 8), {"DV001": True, "DV002": False, "DV005": False,
                     "DV008": False, "DV003": True}, failed=("DV009",))  # fmt: skip
        await _story(store, org, at(4, 2, 8), {"DV001": True})
    clock.moment = TODAY
    return Scenario(services, org, people, sessions)


async def _story(
    store,  # type: ignore[no-untyped-def]
    org: Organisation,
    when: datetime,
    delivered: dict[str, bool],
    failed: tuple[str, ...] = (),
) -> None:
    """A sent story as the outbox leaves it: its batch, one row per recipient, the reads."""
    cursor = await store.conn.execute(
        "INSERT INTO outbox_batches (kind, template, created_at) VALUES ('story', 'story', ?)",
        (to_db(when),),
    )
    batch = cursor.lastrowid
    cursor = await store.conn.execute(
        "INSERT INTO stories (title, body, tag, unit_id, audience, status, send_at, batch_id, "
        "created_at, updated_at) VALUES ('Gương sáng', 'Nội dung', 'model', ?, '{}', 'sent', "
        "?, ?, ?, ?)",
        (org.units["TU-DEMO"].id, to_db(when), batch, to_db(when), to_db(when)),
    )
    story = cursor.lastrowid
    for code, status in [(c, "sent") for c in delivered] + [(c, "failed") for c in failed]:
        member = org.members[code]
        await store.conn.execute(
            "INSERT INTO outbox (batch_id, kind, chat_id, member_id, template, not_before, "
            "status, created_at) VALUES (?, 'story', ?, ?, 'story', ?, ?, ?)",
            (batch, 800000 + member.id, member.id, to_db(when), status, to_db(when)),
        )
    for code, read in delivered.items():
        if read:
            await store.conn.execute(
                "INSERT INTO story_reads (story_id, member_id, read_at) VALUES (?, ?, ?)",
                (story, org.members[code].id, to_db(when + timedelta(hours=1))),
            )
