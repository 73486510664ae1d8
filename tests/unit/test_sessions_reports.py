"""bot/services/sessions/reports.py against a real database: the period report (cadence,
rates, scope), the study cascade against its deadlines, and the register's data for an
export (by unit id or code, in scope, audited)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.context import Services
from bot.errors import AccessDenied, InvalidInput, NotFound
from bot.rules import sessions as rules
from tests.conftest import TIMEZONE, Organisation
from tests.unit.sessions_support import START, actions, actor_for, new_session

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


async def _held(setup: Services, org: Organisation, clock, unit: str = "CB-BT1", **extra):  # type: ignore[no-untyped-def]
    """A session of ``unit`` at START (or ``starts_at``), closed three hours later."""
    starts_at = extra.get("starts_at", START)
    clock.moment = starts_at - timedelta(days=1)
    session, secretary = await new_session(setup, org, unit, **extra)
    clock.moment = starts_at + timedelta(hours=3)
    await setup.sessions.close(secretary, session.id)
    return session, secretary


async def test_the_period_defaults_to_this_quarter_so_far(services: Services, clock) -> None:
    assert services.sessions.period(None) == (date(2026, 1, 1), date(2026, 3, 10))
    assert services.sessions.period("Q2") == (date(2026, 4, 1), date(2026, 6, 30))
    with pytest.raises(InvalidInput):
        services.sessions.period("tháng này")


async def test_the_report_counts_held_sessions_and_the_cadence(
    setup: Services, org: Organisation, clock
) -> None:
    regular, secretary = await _held(setup, org, clock)
    await _held(
        setup,
        org,
        clock,
        kind="thematic",
        presenter="Nguyễn Văn Đức",
        lead_in="Bài gợi ý về trách nhiệm nêu gương.",
        starts_at=datetime(2026, 2, 12, 19, 30, tzinfo=TIMEZONE),
    )
    # Held but never closed: not counted as held.
    clock.moment = START
    await new_session(setup, org, starts_at=START + timedelta(days=2))
    clock.moment = datetime(2026, 4, 2, 9, 0, tzinfo=TIMEZONE)
    report = await setup.sessions.period_report(secretary, date(2026, 1, 1), date(2026, 3, 31))
    (cell,) = report.units  # a cell secretary's scope is the cell itself
    assert cell.unit.code == "CB-BT1"
    assert [s.id for s in cell.sessions if s.kind == rules.Kind.REGULAR] == [regular.id]
    assert cell.cadence.missing_months == [(2026, 1), (2026, 2)]  # March had its meeting
    assert cell.cadence.missing_quarters == []  # the thematic one in February
    assert (cell.present, cell.counted) == (0, 6)  # two sessions, three counted members each
    assert {rate.name for rate in report.members} == {
        "Trần Thị Bích",
        "Nguyễn Văn Đức",
        "Lê Hoàng Yến",
    }


async def test_a_report_on_a_unit_is_checked_against_the_scope(
    setup: Services, org: Organisation, clock
) -> None:
    await _held(setup, org, clock)
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.period_report(other, *MARCH, unit_code="CB-BT1")
    with pytest.raises(NotFound):
        await setup.sessions.period_report(other, *MARCH, unit_code="NOWHERE")
    # The CLI (no actor) may report on any unit.
    report = await setup.sessions.period_report(None, *MARCH, unit_code="QU-BT")
    assert [row.unit.code for row in report.units] == ["QU-BT", "CB-BT1", "CB-BT2"]
    assert ("session.report", "denied", "CB-BT1") in await actions(setup)


async def test_the_study_cascade_follows_the_nearest_deadline(
    setup: Services, org: Organisation, clock
) -> None:
    committee = await actor_for(setup, "DV010")
    await setup.sessions.set_study_deadline(committee, org.units["QU-BT"], date(2026, 3, 25))
    await _held(setup, org, clock, on_campaign=True)  # CB-BT1 on 20 March: in time
    late = datetime(2026, 3, 26, 19, 30, tzinfo=TIMEZONE)
    await _held(setup, org, clock, "CB-BT2", on_campaign=True, starts_at=late)
    await _held(  # not on the campaign topic: does not count for the study
        setup, org, clock, "CB-BT2", starts_at=datetime(2026, 3, 21, 19, 30, tzinfo=TIMEZONE)
    )
    campaign, rows = await setup.sessions.study_report(committee)
    assert campaign is not None and campaign.year == 2026
    by_code = {row.unit.code: row for row in rows}
    assert rows[0].unit.code == "QU-BT" and by_code["QU-BT"].depth == 0
    assert by_code["CB-BT1"].depth == 1
    assert by_code["CB-BT1"].state.done_on == date(2026, 3, 20)
    assert not by_code["CB-BT2"].state.done  # held after its deadline
    assert by_code["CB-BT2"].state.deadline == date(2026, 3, 25)  # the committee's, inherited
    assert (by_code["QU-BT"].state.leaves_done, by_code["QU-BT"].state.leaves_total) == (1, 2)


async def test_the_register_by_unit_id_or_code(setup: Services, org: Organisation, clock) -> None:
    session, secretary = await _held(setup, org, clock)
    by_code = await setup.sessions.export_attendance(secretary, "CB-BT1", *MARCH, "csv")
    by_id = await setup.sessions.export_attendance(
        secretary, org.units["CB-BT1"].id, *MARCH, "xlsx"
    )
    assert by_code.entries == by_id.entries and (by_id.fmt, by_id.unit.code) == ("xlsx", "CB-BT1")
    assert len(by_id.entries) == 4 and {e.session.id for e in by_id.entries} == {session.id}
    codes = {e.invitee.full_name: e.member_code for e in by_id.entries}
    assert codes["Trần Thị Bích"] == "DV001"
    # The period is in local days: 06:30 on 21 March (23:30 UTC on the 20th) is the 21st.
    dawn = datetime(2026, 3, 21, 6, 30, tzinfo=TIMEZONE)
    early, _ = await _held(setup, org, clock, starts_at=dawn)
    for day, expected in ((date(2026, 3, 20), session.id), (date(2026, 3, 21), early.id)):
        export = await setup.sessions.export_attendance(secretary, "CB-BT1", day, day, "csv")
        assert {e.session.id for e in export.entries} == {expected}, day


async def test_the_register_refuses_bad_requests_and_audits_the_export(
    setup: Services, org: Organisation, clock
) -> None:
    _, secretary = await _held(setup, org, clock)
    with pytest.raises(InvalidInput):
        await setup.sessions.export_attendance(secretary, "CB-BT1", *MARCH, "pdf")
    with pytest.raises(InvalidInput):
        await setup.sessions.export_attendance(
            secretary, "CB-BT1", date(2026, 3, 31), date(2026, 3, 1), "csv"
        )
    with pytest.raises(NotFound):
        await setup.sessions.export_attendance(secretary, 999_999, *MARCH, "csv")
    with pytest.raises(NotFound):
        await setup.sessions.export_attendance(secretary, "NOWHERE", *MARCH, "csv")
    other = await actor_for(setup, "DV005")
    with pytest.raises(AccessDenied):
        await setup.sessions.export_attendance(other, org.units["CB-BT1"].id, *MARCH, "csv")
    await setup.sessions.export_attendance(None, "QU-BT", *MARCH, "csv")
    async with setup.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT actor, outcome, target FROM audit_log WHERE action = 'session.export' "
            "ORDER BY id"
        )
        exports = [tuple(row) for row in await cursor.fetchall()]
    assert exports == [("tg:710005", "denied", "CB-BT1"), ("cli", "ok", "QU-BT")]
