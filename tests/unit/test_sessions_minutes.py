"""bot/services/sessions/minutes.py against a real database: minutes only once a session is
closed, the data the document is built from, bridge points' head counts (who may report
which point), and the study deadline within the campaign's year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.services.sessions import Minutes, SessionOver
from tests.conftest import TIMEZONE, Organisation
from tests.unit.sessions_support import START, actions, actor_for, draft, new_session


def _minutes(session_id: int, **extra: object) -> Minutes:
    fields: dict = {
        "session_id": session_id,
        "chair": "Trần Thị Bích",
        "minute_taker": "Nguyễn Văn Đức",
        "guests": "",
        "agenda": "",
        "speakers": (("Lê Hoàng Yến", "Đồng ý"),),
        "difficulties": "",
        "solutions": "",
        "conclusion": "Chi bộ thống nhất thực hiện.",
    }
    fields.update(extra)
    return Minutes(**fields)


async def test_minutes_wait_until_the_session_is_closed(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    with pytest.raises(Conflict) as early:
        await setup.sessions.minutes_context(secretary, session.id)
    assert "close session" in early.value.message
    with pytest.raises(Conflict):
        await setup.sessions.save_minutes(secretary, _minutes(session.id))
    with pytest.raises(NotFound):  # nothing recorded: no document either
        await setup.sessions.minutes_data(secretary, session.id)
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    view = await setup.sessions.minutes_context(secretary, session.id)
    assert view.minutes is None and len(view.invitees) == 4
    saved = await setup.sessions.save_minutes(secretary, _minutes(session.id))
    assert saved.recorded_at is not None and saved.speakers == (("Lê Hoàng Yến", "Đồng ý"),)
    # Recorded again: the newer minutes replace the older ones.
    await setup.sessions.save_minutes(secretary, _minutes(session.id, conclusion="Sửa lại."))
    assert (await setup.sessions.minutes_context(secretary, session.id)).minutes.conclusion == (  # type: ignore[union-attr]
        "Sửa lại."
    )
    cancelled, _ = await new_session(setup, org, starts_at=START + timedelta(days=7))
    await setup.sessions.cancel(secretary, cancelled.id)
    with pytest.raises(Conflict):  # a cancelled session has no minutes
        await setup.sessions.save_minutes(secretary, _minutes(cancelled.id))


async def test_the_minutes_data_has_what_the_document_shows(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    await setup.sessions.save_minutes(secretary, _minutes(session.id))
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.minutes_data(other, session.id)
    with pytest.raises(AccessDenied):
        await setup.sessions.save_minutes(other, _minutes(session.id))
    data = await setup.sessions.minutes_data(secretary, session.id)
    assert (data.session.id, data.unit.code) == (session.id, "CB-BT1")
    # The document's head: the superior as a Party organisation, the root's locality.
    assert (data.letterhead.superior, data.letterhead.body, data.letterhead.locality) == (
        "Đảng bộ quận Bến Tre Xanh",
        "Chi bộ Khu phố Đông Hưng",
        "Phù Sa (thử nghiệm)",
    )
    assert data.tz == TIMEZONE and data.minutes.chair == "Trần Thị Bích"
    assert {i.full_name for i in data.invitees} >= {"Trần Thị Bích", "Phạm Quốc Việt"}
    assert [(a, o) for a, o, _ in await actions(setup)][-3:] == [
        ("session.view", "denied"),
        ("session.minutes", "denied"),
        ("session.minutes.docx", "ok"),
    ]


async def _conference(setup: Services, org: Organisation):  # type: ignore[no-untyped-def]
    committee = await actor_for(setup, "DV010")
    session, _ = await setup.sessions.create(
        committee, draft(org, "QU-BT", "conference", topic="Hội nghị quán triệt chuyên đề")
    )
    return session, committee


async def test_bridge_points_report_their_own_head_count(
    setup: Services, org: Organisation
) -> None:
    session, committee = await _conference(setup, org)
    cell = await actor_for(setup, "DV001")  # CB-BT1's secretary
    # A cell secretary reports for their own point without naming it.
    _, point = await setup.sessions.report_bridge(cell, session.id, None, 12, "  An,   Bình ")
    assert point.code == "CB-BT1"
    # The organiser's committee manages every point: it must say which.
    with pytest.raises(InvalidInput) as unnamed:
        await setup.sessions.report_bridge(committee, session.id, None, 5, "")
    assert "name the bridge point" in unnamed.value.message
    _, point = await setup.sessions.report_bridge(committee, session.id, "QU-BT", 3, "")
    assert point.code == "QU-BT"
    # Another cell's point, a unit that is no point, and impossible counts are refused.
    with pytest.raises(AccessDenied):
        await setup.sessions.report_bridge(cell, session.id, "CB-BT2", 30, "")
    with pytest.raises(NotFound):
        await setup.sessions.report_bridge(committee, session.id, "CB-HL1", 4, "")
    for count in (-1, 100_001):
        with pytest.raises(InvalidInput):
            await setup.sessions.report_bridge(cell, session.id, None, count, "")
    # Reported again: the newer count replaces the older one.
    await setup.sessions.report_bridge(cell, session.id, None, 14, "")
    view = await setup.sessions.view(committee, session.id)
    reported = {row.unit.code: row.report.present for row in view.bridges if row.report}
    assert reported == {"QU-BT": 3, "CB-BT1": 14}
    assert ("session.bridge", "denied", "CB-BT2") in await actions(setup)


async def test_only_a_conference_that_is_not_cancelled_takes_bridge_reports(
    setup: Services, org: Organisation, clock
) -> None:
    regular, secretary = await new_session(setup, org)
    with pytest.raises(InvalidInput) as not_conference:
        await setup.sessions.report_bridge(secretary, regular.id, None, 5, "")
    assert "not a conference" in not_conference.value.message
    session, committee = await _conference(setup, org)
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(committee, session.id)
    # Closed: the head counts may still come in afterwards.
    await setup.sessions.report_bridge(secretary, session.id, None, 9, "")
    clock.moment = START - timedelta(days=1)
    later, _ = await setup.sessions.create(
        committee,
        draft(org, "QU-BT", "conference", topic="Hội nghị lần hai", starts_at=START),
    )
    await setup.sessions.cancel(committee, later.id)
    with pytest.raises(SessionOver):
        await setup.sessions.report_bridge(secretary, later.id, None, 9, "")


async def test_the_study_deadline_falls_in_the_campaign_year(
    setup: Services, org: Organisation
) -> None:
    committee = await actor_for(setup, "DV010")
    campaign = await setup.sessions.check_study_deadline(date(2026, 3, 25))
    assert campaign.year == 2026
    for day in (date(2025, 12, 31), date(2027, 1, 1)):
        with pytest.raises(InvalidInput) as other_year:
            await setup.sessions.check_study_deadline(day)
        assert other_year.value.params == {"year": 2026}
        with pytest.raises(InvalidInput):
            await setup.sessions.set_study_deadline(committee, org.units["QU-BT"], day)
    cell = await actor_for(setup, "DV001")
    with pytest.raises(AccessDenied):  # a cell secretary cannot set the committee's deadline
        await setup.sessions.set_study_deadline(cell, org.units["QU-BT"], date(2026, 3, 25))
    await setup.sessions.set_study_deadline(committee, org.units["QU-BT"], date(2026, 3, 25))
    async with setup.db.read() as store:
        stored = await store.sessions.study_deadlines(campaign.id)
    assert stored == {org.units["QU-BT"].id: date(2026, 3, 25)}
    assert [row for row in await actions(setup) if row[0] == "session.deadline"] == [
        ("session.deadline", "denied", "QU-BT"),
        ("session.deadline", "ok", "QU-BT"),
    ]


async def test_without_a_campaign_there_is_no_study_deadline(
    services: Services, org: Organisation
) -> None:
    with pytest.raises(NotFound):
        await services.sessions.check_study_deadline(date(2026, 3, 31))
    assert await services.sessions.campaign() is None


async def test_the_end_time_is_kept_and_the_locality_is_the_configured_one(
    setup: Services, org: Organisation, clock
) -> None:
    session, secretary = await new_session(setup, org)
    clock.moment = START + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    with pytest.raises(InvalidInput):  # a meeting cannot end before it starts
        await setup.sessions.save_minutes(
            secretary, _minutes(session.id, ends_at=START - timedelta(minutes=5))
        )
    ends = START + timedelta(hours=1, minutes=45)
    saved = await setup.sessions.save_minutes(secretary, _minutes(session.id, ends_at=ends))
    assert saved.ends_at == ends
    setup.sessions.locality = "Cần Thơ"  # CADREBOT_LOCALITY
    data = await setup.sessions.minutes_data(secretary, session.id)
    assert data.minutes.ends_at == ends and data.letterhead.locality == "Cần Thơ"
