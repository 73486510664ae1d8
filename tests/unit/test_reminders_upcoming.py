"""bot/services/reminders/upcoming.py against a real database: what /reminders lists for one
person (their commitment, their meetings, the year-end review, a secretary's and a
committee's duties), and muting (the mandatory kinds refused, the queued rows withdrawn,
left out by the sweep and dropped at send time).

``setup`` (tests/unit/conftest.py): the 2026 campaign (commitments due 31/03), DV001
secretary of CB-BT1, DV005 of CB-BT2, DV010 on the committee of QU-BT; now is 10/03/2026
09:00 in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.context import Services
from bot.errors import AccessDenied, InvalidInput
from bot.rules.reminder_kinds import ReminderKind as K
from bot.services.reminders.upcoming import Upcoming
from tests.conftest import TIMEZONE, Organisation
from tests.unit.commitment_helpers import file
from tests.unit.sessions_support import START, actor_for, admin, new_session

SESSION_KINDS = {K.SESSION_SOON, K.SESSION_HOUR, K.SESSION_CHECKIN}
REVIEW_KINDS = {K.REVIEW_OPENS, K.REVIEW_SELF}


def at(day: int, month: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)


def of(entries: list[Upcoming], *kinds: K) -> list[Upcoming]:
    return [e for e in entries if e.kind in kinds]


def times(entries: list[Upcoming], kind: K) -> list[datetime]:
    return [e.send_at for e in entries if e.kind is kind]


async def outbox(services: Services, template: str) -> list[tuple[int, str]]:
    """(member id, status) of the outbox rows with this template."""
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT member_id, status FROM outbox WHERE template = ? ORDER BY member_id",
            (template,),
        )
        return [tuple(row) for row in await cursor.fetchall()]


# A member's own ------------------------------------------------------------------------------


async def test_a_member_without_a_commitment_sees_the_deadline_reminders_until_filing(
    setup: Services, org: Organisation
) -> None:
    member = await actor_for(setup, "DV002")
    entries = await setup.reminders.upcoming(member)
    assert [(e.kind, e.send_at) for e in entries] == [
        (K.COMMITMENT_DUE, at(17, 3, 8)),  # 14, 7, 3 and 1 days before 31/03, at 08:00
        (K.COMMITMENT_DUE, at(24, 3, 8)),
        (K.COMMITMENT_DUE, at(28, 3, 8)),
        (K.COMMITMENT_DUE, at(30, 3, 8)),
    ]
    first = entries[0]
    assert first.subject.year == 2026 and first.subject.on == date(2026, 3, 31)
    assert not first.mutable and not first.muted
    # A draft is not submitted: still reminded.
    await file(setup, member)
    assert len(times(await setup.reminders.upcoming(member), K.COMMITMENT_DUE)) == 4
    # Submitted: nothing left to remind.
    await setup.commitments.submit(member)
    assert await setup.reminders.upcoming(member) == []
    # Returned by the secretary: the deadline reminders again, and one 3 days after.
    secretary = await actor_for(setup, "DV001")
    async with setup.db.read() as store:
        commitment = await store.commitments.find(member.member.id, 1)
    assert commitment is not None
    await setup.commitments.decide(
        secretary, commitment.id, 1, approve=False, comment="Đề nghị bổ sung thời hạn"
    )
    entries = await setup.reminders.upcoming(member)
    assert times(entries, K.COMMITMENT_DUE) == [
        at(17, 3, 8),
        at(24, 3, 8),
        at(28, 3, 8),
        at(30, 3, 8),
    ]
    assert times(entries, K.COMMITMENT_RETURNED) == [at(13, 3, 9)]


async def test_the_period_is_the_next_days_only(setup: Services, org: Organisation) -> None:
    member = await actor_for(setup, "DV002")
    entries = await setup.reminders.upcoming(member, days=10)
    assert times(entries, K.COMMITMENT_DUE) == [at(17, 3, 8)]
    setup.clock.moment = at(24, 3, 8)  # the 7-day reminder's own moment: already due
    entries = await setup.reminders.upcoming(member)
    assert times(entries, K.COMMITMENT_DUE) == [at(28, 3, 8), at(30, 3, 8)]


async def test_an_invitee_sees_the_session_reminders_until_declining(
    setup: Services, org: Organisation
) -> None:
    session, _ = await new_session(setup, org)  # CB-BT1, 20/03 19:30
    member = await actor_for(setup, "DV002")
    entries = of(await setup.reminders.upcoming(member), *SESSION_KINDS)
    assert [(e.kind, e.send_at) for e in entries] == [
        (K.SESSION_SOON, at(19, 3, 19, 30)),
        (K.SESSION_HOUR, at(20, 3, 18, 30)),
        (K.SESSION_CHECKIN, START),
    ]
    subject = entries[0].subject
    assert (subject.session_id, subject.topic, subject.starts_at) == (
        session.id,
        session.topic,
        START,
    )
    assert [e.mutable for e in entries] == [True, True, False]
    await setup.sessions.rsvp(member, session.id, attend=False, reason="Đi công tác")
    assert of(await setup.reminders.upcoming(member), *SESSION_KINDS) == []
    # Another invitee who has not answered still has them.
    other = await actor_for(setup, "DV003")
    assert len(of(await setup.reminders.upcoming(other), *SESSION_KINDS)) == 3
    # A cancelled session has none left.
    secretary = await actor_for(setup, "DV001")
    await setup.sessions.cancel(secretary, session.id)
    assert of(await setup.reminders.upcoming(other), *SESSION_KINDS) == []


async def test_an_exempt_member_sees_no_session_or_review_reminders(
    setup: Services, org: Organisation
) -> None:
    await new_session(setup, org)
    exempt = await actor_for(setup, "DV004", 710004)
    member = await actor_for(setup, "DV002")
    assert await setup.reminders.upcoming(exempt) == []  # not expected to file either
    assert await setup.reminders.mute_choices(exempt) == []
    # Near the year-end review: its opening for the member, nothing for the exempt.
    setup.clock.moment = at(25, 11, 9)
    assert times(await setup.reminders.upcoming(member), K.REVIEW_OPENS) == [at(1, 12, 8)]
    assert of(await setup.reminders.upcoming(exempt), *REVIEW_KINDS) == []


async def test_the_weekly_self_assessment_reminder_until_self_assessed(
    setup: Services, org: Organisation
) -> None:
    member = await actor_for(setup, "DV002")
    await file(setup, member)
    await setup.commitments.submit(member)
    setup.clock.moment = at(2, 12, 9)
    entries = await setup.reminders.upcoming(member)
    assert times(entries, K.REVIEW_SELF) == [
        at(8, 12, 8),
        at(15, 12, 8),
        at(22, 12, 8),
        at(29, 12, 8),
    ]
    assert entries[0].subject.until == date(2026, 12, 31)
    async with setup.db.write() as store:
        commitment = await store.commitments.find(member.member.id, 1)
        assert commitment is not None
        await store.commitments.mark_self_reviewed(commitment.id, setup.clock.now())
    assert times(await setup.reminders.upcoming(member), K.REVIEW_SELF) == []


async def test_the_configured_admin_without_a_member_record_is_told_plainly(
    setup: Services,
) -> None:
    with pytest.raises(AccessDenied) as denied:
        await setup.reminders.upcoming(await admin(setup))
    assert "invite code" in denied.value.message


# Secretaries and committees -------------------------------------------------------------------


async def test_a_secretary_sees_the_missing_list_and_the_cadence(
    setup: Services, org: Organisation
) -> None:
    secretary = await actor_for(setup, "DV001")
    entries = await setup.reminders.upcoming(secretary)
    missing = of(entries, K.COMMITMENT_MISSING)
    assert [e.send_at for e in missing] == [at(24, 3, 8), at(30, 3, 8)]
    # DV001, DV002, DV003 have not submitted; DV004 is exempt and not expected.
    assert missing[0].subject.units == ("Chi bộ Khu phố Đông Hưng",)
    assert missing[0].subject.count == 3
    regular = of(entries, K.CADENCE_REGULAR)
    assert [(e.send_at, e.subject.units) for e in regular] == [
        (at(20, 3, 8), ("Chi bộ Khu phố Đông Hưng",))
    ]
    assert times(entries, K.STUDY_DUE) == [at(24, 3, 8)]
    assert times(entries, K.COMMITMENT_DUE)  # their own commitment, as any member
    assert not any(e.mutable for e in of(entries, K.COMMITMENT_MISSING, K.CADENCE_REGULAR))
    # A regular session in March: the cadence reminder goes; closing it is reminded instead.
    session, _ = await new_session(setup, org)
    entries = await setup.reminders.upcoming(secretary)
    assert of(entries, K.CADENCE_REGULAR) == []
    close = of(entries, K.SESSION_CLOSE)
    assert [(e.send_at, e.subject.session_id) for e in close] == [(at(21, 3, 19, 30), session.id)]
    # Another cell's secretary sees their own cell only.
    other = await actor_for(setup, "DV005")
    entries = await setup.reminders.upcoming(other)
    assert [e.subject.units for e in of(entries, K.CADENCE_REGULAR)] == [
        ("Chi bộ Trường Tiểu học Ánh Dương",)
    ]
    assert of(entries, K.SESSION_CLOSE) == []
    # A plain member has no duties.
    member = await actor_for(setup, "DV002")
    duties = {K.COMMITMENT_MISSING, K.CADENCE_REGULAR, K.STUDY_DUE, K.SESSION_CLOSE}
    assert not of(await setup.reminders.upcoming(member), *duties)


async def test_a_committee_member_sees_the_summary_and_the_study_list(
    setup: Services, org: Organisation
) -> None:
    committee = await actor_for(setup, "DV010")
    entries = await setup.reminders.upcoming(committee)
    summary = of(entries, K.COMMITMENT_SUMMARY)
    assert [(e.send_at, e.subject.units) for e in summary] == [
        (at(1, 4, 8), ("Quận ủy Bến Tre Xanh",))  # the morning after the deadline
    ]
    study = of(entries, K.STUDY_LIST)
    assert [(e.send_at, e.subject.count) for e in study] == [(at(24, 3, 8), 2)]
    # QU-BT has no secretary of its own up to the root: no cell's duties reach DV010.
    assert not of(entries, K.COMMITMENT_MISSING, K.CADENCE_REGULAR, K.STUDY_DUE)
    # A quarter's thematic meeting is due by 1 May, a public holiday: reminded at 07:00 on
    # the next day, as the sweep would send it.
    setup.clock.moment = at(15, 4, 9)
    secretary = await actor_for(setup, "DV001")
    thematic = of(await setup.reminders.upcoming(secretary), K.CADENCE_THEMATIC)
    assert [(e.send_at, e.subject.on) for e in thematic] == [(at(2, 5, 7), date(2026, 5, 1))]


# Muting --------------------------------------------------------------------------------------


async def test_muted_kinds_are_shown_muted_and_mandatory_ones_cannot_be_muted(
    setup: Services, org: Organisation
) -> None:
    await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    assert await setup.reminders.set_muted(member, "session.soon", True) is True
    assert await setup.reminders.set_muted(member, "session.soon", True) is False  # again
    entries = await setup.reminders.upcoming(member)
    shown = {e.kind: (e.mutable, e.muted) for e in entries}
    assert shown[K.SESSION_SOON] == (True, True)
    assert shown[K.SESSION_HOUR] == (True, False)
    assert shown[K.SESSION_CHECKIN] == (False, False)
    assert shown[K.COMMITMENT_DUE] == (False, False)
    assert await setup.reminders.mute_choices(member) == [
        (K.SESSION_SOON, True),
        (K.SESSION_HOUR, False),
        (K.REVIEW_SELF, False),
    ]
    for mandatory in ("commitment.due", "session.checkin", "cadence.regular", "nonsense", ""):
        with pytest.raises(InvalidInput) as refused:
            await setup.reminders.set_muted(member, mandatory, True)
        assert "cannot be muted" in refused.value.message
    assert (await setup.reminders.muted(member.member.id)) == {"session.soon"}
    assert await setup.reminders.set_muted(member, "session.soon", False) is True
    assert (await setup.reminders.muted(member.member.id)) == set()
    async with setup.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT action, target FROM audit_log WHERE action LIKE 'reminder.%' ORDER BY id"
        )
        assert [tuple(row) for row in await cursor.fetchall()] == [
            ("reminder.mute", "session.soon"),
            ("reminder.unmute", "session.soon"),
        ]


async def test_muting_withdraws_what_is_queued_and_the_sweep_leaves_it_out(
    setup: Services, org: Organisation
) -> None:
    await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    secretary = await actor_for(setup, "DV001")
    ids = (secretary.member.id, member.member.id)
    # Twenty minutes before the 24-hour reminder: the sweep queues it for both.
    setup.clock.moment = at(19, 3, 19, 10)
    await setup.reminders.sweep()
    assert await outbox(setup, "reminder.session.soon") == [(i, "queued") for i in ids]
    # Muted: the member's row goes at once; the secretary's stays.
    await setup.reminders.set_muted(member, "session.soon", True)
    assert await outbox(setup, "reminder.session.soon") == [(secretary.member.id, "queued")]
    # Unmuted within the lead: queued again for the member (once).
    await setup.reminders.set_muted(member, "session.soon", False)
    assert await outbox(setup, "reminder.session.soon") == [(i, "queued") for i in ids]
    # A row claimed after a mute that did not withdraw it is dropped at send time.
    async with setup.db.write() as store:
        await store.reminders.set_muted(member.member.id, "session.soon", True, at(19, 3, 19, 20))
        rows = await store.outbox.due(at(19, 3, 19, 30), 100)
        lapsed = await setup.reminders.screen(store, rows)
    mine = [r.id for r in rows if r.member_id == member.member.id]
    assert mine and lapsed == set(mine)


async def test_the_sweep_leaves_out_a_muted_member(setup: Services, org: Organisation) -> None:
    await new_session(setup, org)
    member = await actor_for(setup, "DV002")
    secretary = await actor_for(setup, "DV001")
    await setup.reminders.set_muted(member, "session.hour", True)
    setup.clock.moment = at(20, 3, 18, 10)
    await setup.reminders.sweep()
    assert await outbox(setup, "reminder.session.hour") == [(secretary.member.id, "queued")]


# The list agrees with what the sweep then sends -----------------------------------------------


@pytest.fixture
async def quiet_setup(services: Services, org: Organisation) -> Services:
    """As ``setup``, without a bot to deliver to: the sweep's rows stay in the outbox."""
    await services.campaigns.create(
        year=2026, topic="Tinh thần trách nhiệm, năng động, sáng tạo", actor="test"
    )
    for code, role, unit in (
        ("DV001", "secretary", "CB-BT1"),
        ("DV005", "secretary", "CB-BT2"),
        ("DV010", "committee", "QU-BT"),
    ):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    return services


async def test_what_is_listed_is_what_the_sweep_queues(
    quiet_setup: Services, org: Organisation
) -> None:
    """Sweeping every half hour (the engine's lead) through the period queues, for each
    person, exactly the reminders /reminders listed at its start, at the times it gave; the
    muted ones excepted."""
    from bot.services.reminders.engine import LEAD, template_of

    services = quiet_setup
    await new_session(services, org)  # CB-BT1, 20/03 19:30
    people = {
        code: await actor_for(services, code) for code in ("DV001", "DV002", "DV005", "DV010")
    }
    await services.reminders.set_muted(people["DV002"], "session.hour", True)
    start, days = services.clock.now(), 23
    listed = {
        code: sorted(
            (template_of(e.kind), e.send_at)
            for e in await services.reminders.upcoming(actor, days)
            if not e.muted
        )
        for code, actor in people.items()
    }
    assert {t for rows in listed.values() for t, _ in rows} >= {
        "reminder.commitment.due",
        "reminder.commitment.missing",
        "reminder.commitment.summary",
        "reminder.session.soon",
        "reminder.session.checkin",
        "reminder.session.close",
        "reminder.cadence.regular",
        "reminder.study.due",
        "reminder.study.list",
    }
    await services.reminders.sweep()  # the first sweep: what was due before now is not listed
    async with services.db.write() as store:
        await store.conn.execute("DELETE FROM outbox")
    # Off the half-hour grid by a minute: a sweep whose window ends exactly on a session's
    # 24-hour reminder does not see that session (its query's end is exclusive).
    moment = start + timedelta(minutes=1) - LEAD
    while moment < start + timedelta(days=days) - LEAD:
        moment += LEAD
        services.clock.moment = moment
        await services.reminders.sweep()
    async with services.db.read() as store:
        for code, actor in people.items():
            cursor = await store.conn.execute(
                "SELECT template, not_before FROM outbox WHERE member_id = ?", (actor.member.id,)
            )
            queued = sorted(
                (row[0], datetime.fromisoformat(row[1])) for row in await cursor.fetchall()
            )
            assert queued == listed[code], (code, sorted(set(queued) ^ set(listed[code])))
