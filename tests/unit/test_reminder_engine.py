"""The reminder engine against a real database and a fixed clock: what a sweep queues, for
whom and when; what a restart sends late or drops; sessions that move; escalation lists per
scope; muting; the last look at send time.

The organisation is tests/data/org_*.csv; the 2026 campaign's commitment deadline is
31/03/2026, so the members' reminders fall at 08:00 on 17, 24, 28 and 30 March.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.context import Services
from bot.rules.reminder_kinds import ReminderKind
from tests.conftest import TIMEZONE, FakeBot, Organisation
from tests.unit.sessions_support import new_session

# Everyone but DV002 (700002 already) gets a Telegram id; DV007 stays without one.
CHATS = {f"DV{n:03d}": 700000 + n for n in range(1, 11) if n != 7}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TIMEZONE)


@pytest.fixture
async def engine(setup: Services, org: Organisation) -> Services:
    async with setup.db.write() as store:
        for code, chat in CHATS.items():
            await store.conn.execute(
                "UPDATE members SET telegram_id = ? WHERE code = ?", (chat, code)
            )
    return setup


async def rows(services: Services, template: str = "reminder.%") -> list[dict]:
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT o.chat_id, o.template, o.not_before, o.status, o.params, o.dedup_key, "
            "b.params FROM outbox o LEFT JOIN outbox_batches b ON b.id = o.batch_id "
            "WHERE o.template LIKE ? ORDER BY o.id",
            (template,),
        )
        return [
            {
                "chat": row[0],
                "template": row[1],
                "at": datetime.fromisoformat(row[2]).astimezone(TIMEZONE),
                "status": row[3],
                "params": {**json.loads(row[6] or "{}"), **json.loads(row[4])},
                "key": row[5],
            }
            for row in await cursor.fetchall()
        ]


def chats(found: list[dict]) -> set[int]:
    return {row["chat"] for row in found}


async def file_commitment(services: Services, code: str, status: str = "submitted") -> None:
    async with services.db.write() as store:
        member = await store.members.by_code(code)
        campaign = await store.campaigns.by_year(2026)
        assert member is not None and campaign is not None
        now = services.clock.now().isoformat()
        await store.conn.execute(
            "INSERT INTO commitments (member_id, campaign_id, status, last_version, created_at, "
            "updated_at) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (member_id, campaign_id) "
            "DO UPDATE SET status = excluded.status",
            (member.id, campaign.id, status, now, now),
        )


async def sweep_at(services: Services, moment: datetime) -> dict[str, int]:
    services.clock.moment = moment  # type: ignore[attr-defined]
    result = await services.reminders.sweep()
    return dict(result.queued)


# The commitment deadline ----------------------------------------------------------------------


async def test_members_without_a_commitment_are_reminded_at_08_00_fourteen_days_before(
    engine: Services,
) -> None:
    await file_commitment(engine, "DV003")
    assert await sweep_at(engine, at(17, 7, 0)) == {}  # 08:00 is beyond the lead
    queued = await sweep_at(engine, at(17, 7, 45))
    due = await rows(engine, "reminder.commitment.due")
    # Not DV003 (filed), DV004 (exempt) or DV007 (no Telegram): everyone else, at 08:00.
    expected = {CHATS[c] for c in ("DV001", "DV002", "DV005", "DV006", "DV008", "DV009", "DV010")}
    assert chats(due) == expected
    assert queued["commitment.due"] == len(expected)
    assert {row["at"] for row in due} == {at(17, 8)}
    assert {row["params"]["days"] for row in due} == {14}
    # Leaders first: DV001 is the head of her cell, DV010 holds a committee role.
    assert {row["chat"] for row in due[:2]} == {CHATS["DV001"], CHATS["DV010"]}
    # A second sweep, or one after a restart, queues nothing again.
    assert await sweep_at(engine, at(17, 7, 50)) == {}
    engine.reminders.__init__(engine.db, engine.clock, engine.notifications)  # a fresh engine
    assert await sweep_at(engine, at(17, 7, 55)) == {}
    assert len(await rows(engine, "reminder.commitment.due")) == len(expected)


async def test_the_offsets_fall_at_14_7_3_and_1_days_and_a_campaign_may_set_its_own(
    engine: Services,
) -> None:
    moments = []
    for day in range(10, 31):
        for hour in range(24):
            queued = await sweep_at(engine, at(day, hour, 30))
            if queued.get("commitment.due"):
                moments.append(engine.clock.now())
    assert [m.day for m in moments] == [17, 24, 28, 30]
    async with engine.db.write() as store:
        campaign = await store.campaigns.by_year(2026)
        assert campaign is not None
        await store.campaigns.set_commit_reminder_days(campaign.id, (10, 2))
        await store.conn.execute("DELETE FROM outbox")
        await store.kv.set("reminders.last_sweep", at(10, 0).isoformat())
    found = []
    for day in range(10, 31):
        for hour in (7,):
            queued = await sweep_at(engine, at(day, hour, 45))
            if queued.get("commitment.due"):
                found.append(day)
    assert found == [21, 29]


async def test_a_filed_commitment_stops_a_reminder_already_queued(
    engine: Services, fake_bot: FakeBot
) -> None:
    await sweep_at(engine, at(17, 7, 45))
    await file_commitment(engine, "DV002")
    engine.clock.moment = at(17, 8, 0)  # type: ignore[attr-defined]
    assert engine.db.deliver is not None
    await engine.db.deliver()
    assert fake_bot.to(CHATS["DV002"]) == []  # filed between queueing and sending
    assert len(fake_bot.to(CHATS["DV005"])) == 1
    assert all(row["chat"] != CHATS["DV002"] for row in await rows(engine))


# Restarts, grace and quiet hours ----------------------------------------------------------------


async def test_after_downtime_a_useful_reminder_goes_late_once_and_a_stale_one_is_dropped(
    engine: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await sweep_at(engine, at(17, 7, 45))
    # Stopped from 17/03 until 25/03 10:00: the 7-day reminder (24/03 08:00) is 26 h late,
    # within its 2 days of grace: it goes now.
    queued = await sweep_at(engine, at(25, 10, 0))
    assert queued["commitment.due"] > 0
    late = [r for r in await rows(engine, "reminder.commitment.due") if r["params"]["days"] == 6]
    assert late and {r["at"] for r in late} == {at(25, 10, 0)}
    # Stopped again until 30/03 20:00: the 3-day one (28/03 08:00) is past its grace and
    # dropped (logged); the 1-day one (30/03 08:00) is 12 h late and still goes.
    caplog.set_level("WARNING")
    queued = await sweep_at(engine, at(30, 20, 0))
    assert "commitment.due" in queued
    assert "too late to be useful" in caplog.text
    days = sorted({r["params"]["days"] for r in await rows(engine, "reminder.commitment.due")})
    assert days == [1, 6, 14]  # the 3-day one never queued


async def test_a_late_reminder_found_in_quiet_hours_waits_for_the_morning(
    engine: Services,
) -> None:
    await sweep_at(engine, at(17, 7, 45))
    await sweep_at(engine, at(24, 22, 30))  # stopped over the 08:00 reminder, back at night
    late = [r for r in await rows(engine, "reminder.commitment.due") if r["at"] > at(24, 0)]
    assert late and {r["at"] for r in late} == {at(25, 7, 0)}


async def test_quiet_hours_come_from_the_settings(engine: Services) -> None:
    engine.reminders.quiet = (at(1, 20).time(), at(1, 9).time())  # 20:00-09:00
    await sweep_at(engine, at(17, 8, 45))  # the 08:00 reminder waits until 09:00
    due = await rows(engine, "reminder.commitment.due")
    assert due and {r["at"] for r in due} == {at(17, 9, 0)}


# Sessions ---------------------------------------------------------------------------------------


async def test_session_reminders_follow_the_session_and_skip_those_who_declined(
    engine: Services, org: Organisation, fake_bot: FakeBot
) -> None:
    session, secretary = await new_session(engine, org, "CB-BT1", starts_at=at(20, 19, 30))
    async with engine.db.write() as store:  # DV003 cannot attend
        member = await store.members.by_code("DV003")
        assert member is not None
        await store.sessions.set_rsvp(session.id, member.id, "no", "Đi công tác", at(10, 9))
    queued = await sweep_at(engine, at(19, 19, 10))
    assert queued == {"session.soon": 2}  # DV001 and DV002; DV004 is exempt
    soon = await rows(engine, "reminder.session.soon")
    assert chats(soon) == {CHATS["DV001"], CHATS["DV002"]}
    assert {r["at"] for r in soon} == {at(19, 19, 30)}
    assert soon[0]["key"].startswith(f"rem:session:{session.id}:session.soon:")

    # Moved to the next evening before the reminder went: the queued rows go, and the new
    # time gets its own reminders when they fall due.
    await engine.sessions.edit(secretary, session.id, "starts_at", at(21, 19, 30))
    assert [r for r in await rows(engine) if r["status"] == "queued"] == []
    assert await sweep_at(engine, at(19, 19, 25)) == {}
    queued = await sweep_at(engine, at(20, 19, 10))
    assert queued["session.soon"] == 2  # (and CB-BT2's cadence reminder of 08:00)
    engine.clock.moment = at(20, 19, 30)  # type: ignore[attr-defined]
    assert engine.db.deliver is not None
    await engine.db.deliver()
    sent = [r for r in await rows(engine, "reminder.session.soon") if r["status"] == "sent"]
    assert chats(sent) == {CHATS["DV001"], CHATS["DV002"]}
    assert "Sinh hoạt chi bộ" in fake_bot.to(CHATS["DV002"])[-1].text
    # The hour before and the check-in prompt are urgent: quiet hours do not hold them.
    queued = await sweep_at(engine, at(21, 18, 45))
    assert queued == {"session.hour": 2}
    queued = await sweep_at(engine, at(21, 19, 15))
    assert queued == {"session.checkin": 2}
    # A day after, the session not closed: its secretary is reminded.
    queued = await sweep_at(engine, at(22, 19, 15))
    assert queued == {"session.close": 1}
    (close,) = await rows(engine, "reminder.session.close")
    assert close["chat"] == CHATS["DV001"] and close["params"]["minutes"] is False


async def test_a_cancelled_session_withdraws_its_reminders(
    engine: Services, org: Organisation
) -> None:
    session, secretary = await new_session(engine, org, "CB-BT1", starts_at=at(20, 19, 30))
    await sweep_at(engine, at(19, 19, 10))
    assert len(await rows(engine, "reminder.session.soon")) == 3
    await engine.sessions.cancel(secretary, session.id)
    assert await rows(engine, "reminder.session.soon") == []
    queued = await sweep_at(engine, at(20, 18, 45))
    assert not [kind for kind in queued if kind.startswith("session.")]


async def test_a_session_created_within_the_lead_gets_its_coming_reminder_at_once(
    engine: Services, org: Organisation
) -> None:
    engine.clock.moment = at(12, 18, 10)  # type: ignore[attr-defined]
    await new_session(engine, org, "CB-BT1", starts_at=at(12, 18, 30))
    # The hour-before reminder would have been at 17:30, before it existed: not sent late.
    found = await rows(engine)
    assert {r["template"] for r in found} == {"reminder.session.checkin"}
    assert {r["at"] for r in found} == {at(12, 18, 30)}


async def test_muted_and_exempt_members_are_left_out(engine: Services, org: Organisation) -> None:
    await new_session(engine, org, "CB-BT1", starts_at=at(20, 19, 30))
    async with engine.db.write() as store:
        member = await store.members.by_code("DV002")
        assert member is not None
        await store.reminders.set_muted(member.id, ReminderKind.SESSION_SOON, True, at(10, 9))
        await store.reminders.set_muted(member.id, ReminderKind.SESSION_CHECKIN, True, at(10, 9))
    await sweep_at(engine, at(19, 19, 10))
    assert chats(await rows(engine, "reminder.session.soon")) == {CHATS["DV001"], CHATS["DV003"]}
    await sweep_at(engine, at(20, 19, 15))
    # The check-in prompt cannot be muted; DV004 (exempt) gets none of them.
    assert chats(await rows(engine, "reminder.session.checkin")) == {
        CHATS["DV001"],
        CHATS["DV002"],
        CHATS["DV003"],
    }


# Escalation per scope ---------------------------------------------------------------------------


async def test_each_secretary_gets_the_list_of_their_own_members_still_missing(
    engine: Services,
) -> None:
    await file_commitment(engine, "DV002")
    await sweep_at(engine, at(24, 7, 45))
    lists = {r["chat"]: r["params"] for r in await rows(engine, "reminder.commitment.missing")}
    assert set(lists) == {CHATS["DV001"], CHATS["DV005"]}  # CB-HL1 has no secretary role
    bt1 = lists[CHATS["DV001"]]
    assert [m["name"] for m in bt1["missing"]] == ["Trần Thị Bích", "Lê Hoàng Yến"]
    assert bt1["missing"][0]["leader"] is True  # the head first
    assert bt1["expected"] == 3  # DV004 is exempt, not expected
    bt2 = lists[CHATS["DV005"]]
    assert {m["name"]: m["reachable"] for m in bt2["missing"]} == {
        "Võ Thị Ngọc Ánh": True,
        "Đặng Minh Khôi": True,
        "Huỳnh Thị Thu Hà": False,  # no Telegram: the secretary must reach her directly
    }


async def test_the_committee_summary_covers_only_its_subtree(engine: Services) -> None:
    await file_commitment(engine, "DV002")
    await file_commitment(engine, "DV008")
    await sweep_at(engine, at(1, 7, 45, month=4))
    summaries = {r["chat"]: r["params"] for r in await rows(engine, "reminder.commitment.summary")}
    assert CHATS["DV010"] in summaries  # committee of QU-BT
    mine = summaries[CHATS["DV010"]]
    assert [row["unit"] for row in mine["rows"]] == [
        "Chi bộ Khu phố Đông Hưng",
        "Chi bộ Trường Tiểu học Ánh Dương",
    ]
    assert mine["rows"][0] == {
        "unit": "Chi bộ Khu phố Đông Hưng",
        "expected": 3,
        "filed": 1,
        "missing": 2,
    }
    # The head of CB-BT1, the committee member and a secretary have not filed: named as
    # leaders, unit by unit.
    assert [entry["name"] for entry in mine["leaders"]] == [
        "Tô Văn Lực",
        "Trần Thị Bích",
        "Võ Thị Ngọc Ánh",
    ]
    assert all(entry["unit"] != "Chi bộ Ấp Mỹ Khánh" for entry in mine["leaders"])


# Cadence and the year-end review -----------------------------------------------------------------


async def test_a_cell_without_a_regular_session_this_month_is_reminded_on_the_20th(
    engine: Services, org: Organisation
) -> None:
    await new_session(engine, org, "CB-BT1", starts_at=at(25, 19, 30))
    await sweep_at(engine, at(20, 7, 45))
    regular = await rows(engine, "reminder.cadence.regular")
    assert chats(regular) == {CHATS["DV005"]}  # CB-BT2; CB-BT1 has one this month
    assert regular[0]["params"]["month"] == 3


async def test_the_review_opening_reaches_everyone_expected_and_the_weekly_nudge_only_those_left(
    engine: Services,
) -> None:
    await file_commitment(engine, "DV002")
    await file_commitment(engine, "DV005")
    async with engine.db.write() as store:
        await store.conn.execute(
            "UPDATE commitments SET self_review_at = ? WHERE member_id = "
            "(SELECT id FROM members WHERE code = 'DV005')",
            (at(10, 9).isoformat(),),
        )
        campaign = await store.campaigns.by_year(2026)
        assert campaign is not None
        opens = campaign.review_opens
    engine.clock.moment = datetime.combine(opens, at(1, 7, 45).timetz())  # type: ignore[attr-defined]
    await engine.reminders.sweep()
    opening = await rows(engine, "reminder.review.opens")
    assert CHATS["DV004"] not in chats(opening)  # exempt
    assert len(opening) == 8
    engine.clock.moment += timedelta(days=7)  # type: ignore[attr-defined]
    await engine.reminders.sweep()
    weekly = await rows(engine, "reminder.review.self")
    assert chats(weekly) == {CHATS["DV002"]}


async def test_a_moved_deadline_withdraws_the_queued_reminders_and_follows_the_new_date(
    engine: Services,
) -> None:
    await sweep_at(engine, at(17, 7, 45))
    assert await rows(engine, "reminder.commitment.due")
    await engine.campaigns.edit(year=2026, actor="test", commit_deadline=at(10, 0, month=4).date())
    assert await rows(engine, "reminder.commitment.due") == []  # keyed on the old deadline
    await sweep_at(engine, at(27, 7, 45))  # 14 days before 10/04
    due = await rows(engine, "reminder.commitment.due")
    assert due and {r["params"]["deadline"] for r in due} == {"2026-04-10"}
    assert {r["params"]["days"] for r in due} == {14}


async def test_a_reminder_falling_on_the_windows_very_end_is_queued(
    engine: Services, org: Organisation
) -> None:
    await new_session(engine, org, "CB-BT1", starts_at=at(20, 19, 30))
    await sweep_at(engine, at(19, 18, 50))
    # The window now ends at 19:30 sharp, the 24-hour reminder's time: it is in.
    assert (await sweep_at(engine, at(19, 19, 0))).get("session.soon") == 3
    assert await sweep_at(engine, at(19, 19, 10)) == {}


async def test_someone_on_two_committees_gets_both_summaries(engine: Services) -> None:
    await engine.organisation.set_role(
        member_code="DV010", role="committee", unit_code="QU-HL", grant=True, actor="test"
    )
    await sweep_at(engine, at(1, 7, 45, month=4))
    mine = [r for r in await rows(engine, "reminder.commitment.summary") if r["chat"] == 700010]
    assert sorted(r["params"]["unit"] for r in mine) == ["Huyện ủy Hòa Lợi", "Quận ủy Bến Tre Xanh"]


# Returned commitments, the thematic cadence, the study cascade, grading ------------------------


async def test_a_returned_commitment_not_resubmitted_is_recalled_three_days_later(
    engine: Services, fake_bot: FakeBot
) -> None:
    await file_commitment(engine, "DV002", status="returned")
    async with engine.db.write() as store:
        (commitment_id,) = await (
            await store.conn.execute(
                "SELECT id FROM commitments WHERE member_id = "
                "(SELECT id FROM members WHERE code = 'DV002')"
            )
        ).fetchone()
        returned_at = at(12, 15, 20).astimezone(UTC).isoformat()
        await store.conn.execute(
            "INSERT INTO commitment_versions (commitment_id, number, submitted_at, submitted_on, "
            "late, decision, decided_at) VALUES (?, 1, ?, '2026-03-11', 0, 'returned', ?)",
            (commitment_id, returned_at, returned_at),
        )
    await sweep_at(engine, at(15, 14, 55))
    (recall,) = await rows(engine, "reminder.commitment.returned")
    assert recall["chat"] == CHATS["DV002"] and recall["at"] == at(15, 15, 20)
    assert recall["params"]["returned_on"] == "2026-03-12"
    # Resubmitted before the reminder went: it is dropped at send time.
    await file_commitment(engine, "DV002", status="submitted")
    engine.clock.moment = at(15, 15, 25)  # type: ignore[attr-defined]
    assert engine.db.deliver is not None
    await engine.db.deliver()
    assert await rows(engine, "reminder.commitment.returned") == []
    assert fake_bot.to(CHATS["DV002"]) == []


async def test_a_cell_without_a_thematic_session_this_quarter_is_reminded_in_its_second_month(
    engine: Services, org: Organisation
) -> None:
    await new_session(
        engine, org, "CB-BT2", kind="thematic", starts_at=at(20, 19, 30, month=4),
        presenter="Võ Thị Ngọc Ánh", lead_in="Bài gợi ý về nêu gương.",
    )  # fmt: skip
    # 1 May, the quarter's second month, is Labour Day (and 30 April Reunification Day): the
    # reminder waits for the next working morning, 07:00 on 2 May.
    assert await sweep_at(engine, at(1, 7, 45, month=5)) == {}
    await sweep_at(engine, at(2, 6, 45, month=5))
    thematic = await rows(engine, "reminder.cadence.thematic")
    assert chats(thematic) == {CHATS["DV001"]}  # CB-BT2 holds one in April
    assert {r["at"] for r in thematic} == {at(2, 7, 0, month=5)}
    assert thematic[0]["params"] | {"unit_id": 0} == {
        "unit": "Chi bộ Khu phố Đông Hưng",
        "unit_id": 0,
        "year": 2026,
        "quarter": 2,
    }


async def test_the_study_cascade_reminds_the_cells_not_done_and_lists_them_to_the_committee(
    engine: Services,
) -> None:
    await sweep_at(engine, at(24, 7, 45))  # seven days before the study deadline, 31/03
    due = await rows(engine, "reminder.study.due")
    assert chats(due) == {CHATS["DV001"], CHATS["DV005"]}  # CB-HL1 has nobody to tell
    (listed,) = await rows(engine, "reminder.study.list")
    assert listed["chat"] == CHATS["DV010"]
    assert listed["params"]["units"] == [
        "Chi bộ Khu phố Đông Hưng",
        "Chi bộ Trường Tiểu học Ánh Dương",
    ]
    assert listed["params"]["days"] == 7


async def test_secretaries_with_ungraded_members_are_reminded_before_the_review_closes(
    engine: Services,
) -> None:
    for code in ("DV002", "DV003", "DV006"):
        await file_commitment(engine, code)
    async with engine.db.write() as store:
        await store.conn.execute(
            "UPDATE commitments SET grade = 'good' WHERE member_id = "
            "(SELECT id FROM members WHERE code = 'DV006')"
        )
        campaign = await store.campaigns.by_year(2026)
        assert campaign is not None
    closes = campaign.review_closes
    week_before = datetime.combine(closes - timedelta(days=7), at(1, 7, 45).timetz())
    await sweep_at(engine, week_before)
    grade = {r["chat"]: r["params"] for r in await rows(engine, "reminder.review.grade")}
    assert set(grade) == {CHATS["DV001"]}  # CB-BT2's only filer is graded
    assert grade[CHATS["DV001"]]["ungraded"] == 2
    assert grade[CHATS["DV001"]]["days"] == 7
