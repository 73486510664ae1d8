"""bot/services/reports against a real database: every figure of the small fixed
organisation of tests/unit/report_support.py checked against the numbers worked out by hand
there (the exempt, a person in two units counted once, a member who moved in the middle of
the period, late filing, corrected marks, two grades), the drill-down to members, and the
scope: nobody sees a unit they do not oversee, by code, by id or from a forged button."""

from __future__ import annotations

from datetime import date

import pytest

from bot.context import Services
from bot.errors import AccessDenied, NotFound
from bot.services.reports.model import Figures, MonthAttendance
from bot.services.reports.service import OutOfScope
from tests.conftest import Organisation
from tests.unit.report_support import Scenario, build


@pytest.fixture
async def scenario(setup: Services, org: Organisation, clock) -> Scenario:
    return await build(setup, org, clock)


def numbers(figures: Figures) -> dict[str, object]:
    """Every count of a Figures, without its unit."""
    values = {name: getattr(figures, name) for name in Figures.__dataclass_fields__}
    del values["unit"]
    return values


GRADES_NONE = {"excellent": 0, "good": 0, "fulfilled": 0, "not_fulfilled": 0}

# Q1 2026, worked out by hand (see report_support's docstring).
CB_BT1 = {
    "members": 3, "expected": 2, "filed": 2, "approved": 1, "late": 0,
    "invited": 8, "present": 4,
    "regular_held": 2, "regular_due": 3, "thematic_held": 1, "thematic_due": 1,
    "study_units": 1, "study_done": 0,
    "stories_delivered": 2, "stories_read": 1,
    "grades": GRADES_NONE | {"excellent": 1}, "ungraded": 1,
}  # fmt: skip
CB_BT2 = {
    "members": 3, "expected": 3, "filed": 0, "approved": 0, "late": 0,
    "invited": 8, "present": 4,
    "regular_held": 1, "regular_due": 3, "thematic_held": 0, "thematic_due": 1,
    "study_units": 1, "study_done": 0,
    "stories_delivered": 1, "stories_read": 0,
    "grades": GRADES_NONE, "ungraded": 3,
}  # fmt: skip
CB_HL1 = {
    "members": 3, "expected": 3, "filed": 2, "approved": 1, "late": 2,
    "invited": 6, "present": 4,
    "regular_held": 1, "regular_due": 3, "thematic_held": 1, "thematic_due": 1,
    "study_units": 1, "study_done": 1,
    "stories_delivered": 2, "stories_read": 1,
    "grades": GRADES_NONE | {"good": 1}, "ungraded": 2,
}  # fmt: skip
QU_BT_OWN = {  # DV010, a member of the committee itself
    "members": 1, "expected": 1, "filed": 0, "approved": 0, "late": 0,
    "invited": 1, "present": 1,
    "regular_held": 0, "regular_due": 0, "thematic_held": 0, "thematic_due": 0,
    "study_units": 0, "study_done": 0,
    "stories_delivered": 0, "stories_read": 0,
    "grades": GRADES_NONE, "ungraded": 1,
}  # fmt: skip


def added(*parts: dict) -> dict:
    total: dict = {}
    for part in parts:
        for key, value in part.items():
            if key == "grades":
                grades = total.setdefault("grades", dict(GRADES_NONE))
                for grade, count in value.items():
                    grades[grade] += count
            else:
                total[key] = total.get(key, 0) + value
    return total


async def test_the_city_and_its_committees_in_the_first_quarter(scenario: Scenario) -> None:
    reports = scenario.services.reports
    period = reports.period(2026, "Q1")
    overview = await reports.overview(scenario.people["admin"], None, period)

    assert overview.total.unit.code == "TU-DEMO"
    # By name: Huyện ủy Hòa Lợi, then Quận ủy Bến Tre Xanh.
    assert [row.unit.code for row in overview.rows] == ["QU-HL", "QU-BT"]
    qu_hl, qu_bt = overview.rows
    assert numbers(qu_bt) == added(CB_BT1, CB_BT2, QU_BT_OWN) | {"study_units": 2}
    assert numbers(qu_hl) == CB_HL1
    # Ten people, DV006 (in two cells) once; the city's study: one of three cells.
    assert numbers(overview.total) == added(CB_BT1, CB_BT2, CB_HL1, QU_BT_OWN) | {
        "study_units": 3,
        "study_done": 1,
    }
    assert overview.total.members == 10
    assert overview.trend == [
        MonthAttendance(date(2026, 1, 1), 6, 5),
        MonthAttendance(date(2026, 2, 1), 5, 3),
        MonthAttendance(date(2026, 3, 1), 12, 5),
    ]


async def test_a_committee_sees_its_cells_each_over_its_own_members(scenario: Scenario) -> None:
    reports = scenario.services.reports
    committee = scenario.people["DV010"]
    overview = await reports.overview(committee, None, reports.period(2026, "Q1"))
    assert overview.total.unit.code == "QU-BT"
    cb_bt1, cb_bt2 = overview.rows
    assert (cb_bt1.unit.code, cb_bt2.unit.code) == ("CB-BT1", "CB-BT2")
    assert numbers(cb_bt1) == CB_BT1
    assert numbers(cb_bt2) == CB_BT2
    assert numbers(overview.total) == added(CB_BT1, CB_BT2, QU_BT_OWN) | {"study_units": 2}
    assert cb_bt1.filed_rate == 1.0 and cb_bt1.approved_rate == 0.5
    assert cb_bt2.filed_rate == 0.0 and cb_bt2.attendance_rate == 0.5
    assert cb_bt2.engagement_rate == 0.0
    assert cb_bt1.late_rate == 0.0


async def test_a_cell_has_no_rows_and_the_moved_member_counts_where_they_are_now(
    scenario: Scenario,
) -> None:
    reports = scenario.services.reports
    overview = await reports.overview(
        scenario.people["admin"], "CB-HL1", reports.period(2026, "Q1")
    )
    assert overview.rows == []
    # DV003's late, approved commitment and his January meeting in CB-BT1 count here now.
    assert numbers(overview.total) == CB_HL1


async def test_the_whole_year_so_far_and_what_is_due_by_today(scenario: Scenario) -> None:
    """15/04: April's regular meeting is not due yet, except where it was held (CB-BT2, S8);
    the second quarter's thematic meeting is not due yet."""
    reports = scenario.services.reports
    year = await reports.overview(scenario.people["DV005"], None, reports.period(2026))
    assert year.total.unit.code == "CB-BT2"
    assert (year.total.regular_held, year.total.regular_due) == (2, 4)
    assert (year.total.thematic_held, year.total.thematic_due) == (0, 1)
    assert (year.total.invited, year.total.present) == (11, 4)  # S8: three more, all absent
    assert year.total.stories_delivered == 1
    assert [m.month for m in year.trend] == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    assert year.trend[-1] == MonthAttendance(date(2026, 4, 1), 3, 0)
    # The same year for CB-BT1 also sees the second story (02/04), read.
    cell = await reports.overview(scenario.people["DV001"], None, reports.period(2026, "H1"))
    assert (cell.total.stories_delivered, cell.total.stories_read) == (3, 2)
    # A quarter still to come: nothing due, nothing held.
    later = await reports.overview(scenario.people["DV001"], None, reports.period(2026, "Q3"))
    assert numbers(later.total) | {"grades": None} == CB_BT1 | {
        "invited": 0, "present": 0, "regular_held": 0, "regular_due": 0, "thematic_held": 0,
        "thematic_due": 0, "stories_delivered": 0, "stories_read": 0, "grades": None,
    }  # fmt: skip
    assert later.trend == []


async def test_a_year_without_a_campaign_expects_nothing(scenario: Scenario) -> None:
    reports = scenario.services.reports
    overview = await reports.overview(None, "QU-BT", reports.period(2025))
    assert overview.total.members == 7
    assert (overview.total.expected, overview.total.filed, overview.total.ungraded) == (0, 0, 0)
    assert overview.total.filed_rate is None and overview.total.attendance_rate is None
    assert (overview.total.study_units, overview.total.regular_due) == (0, 24)


async def test_a_cells_members_in_roster_order(scenario: Scenario) -> None:
    reports = scenario.services.reports
    period = reports.period(2026, "Q1")
    unit, lines = await reports.members(scenario.people["DV001"], "CB-BT1", period)
    assert unit.code == "CB-BT1"
    assert [(line.name, line.status, line.commitment, line.late) for line in lines] == [
        ("Trần Thị Bích", "official", "submitted", False),
        ("Nguyễn Văn Đức", "official", "approved", False),
        ("Phạm Quốc Việt", "exempt", "submitted", False),
    ]
    assert [(line.invited, line.present, line.grade) for line in lines] == [
        (4, 2, None),
        (4, 2, "excellent"),
        (0, 0, None),  # exempt: no counted meeting, no grade
    ]
    _, moved = await reports.members(scenario.people["admin"], scenario.unit_id("CB-HL1"), period)
    assert [
        (line.name, line.commitment, line.late, line.invited, line.present) for line in moved
    ] == [
        ("Bùi Thanh Sơn", "submitted", True, 2, 1),
        ("Dương Ngọc Trâm", None, False, 2, 1),
        ("Lê Hoàng Yến", "approved", True, 2, 2),
    ]
    # The draft of a member who has not filed; the returned one of a secretary.
    _, cell = await reports.members(scenario.people["DV005"], "CB-BT2", period)
    assert {line.name: line.commitment for line in cell} == {
        "Võ Thị Ngọc Ánh": "returned",
        "Huỳnh Thị Thu Hà": None,
        "Đặng Minh Khôi": "draft",
    }


async def test_one_members_line(scenario: Scenario) -> None:
    reports = scenario.services.reports
    period = reports.period(2026, "Q1")
    unit, line = await reports.member(scenario.people["DV010"], scenario.member_id("DV002"), period)
    assert unit.code == "CB-BT1"
    assert (line.name, line.commitment, line.invited, line.present, line.grade) == (
        "Nguyễn Văn Đức", "approved", 4, 2, "excellent",
    )  # fmt: skip
    with pytest.raises(NotFound):
        await reports.member(scenario.people["admin"], 999_999, period)


async def test_a_secretary_never_sees_another_cell(scenario: Scenario) -> None:
    reports = scenario.services.reports
    secretary = scenario.people["DV001"]
    period = reports.period(2026, "Q1")
    for ref in ("CB-BT2", scenario.unit_id("CB-BT2"), "QU-BT", scenario.unit_id("TU-DEMO")):
        with pytest.raises(OutOfScope) as refused:
            await reports.overview(secretary, ref, period)
        assert "CB-BT2" not in refused.value.render()
    with pytest.raises(AccessDenied):
        await reports.members(secretary, scenario.unit_id("CB-BT2"), period)
    with pytest.raises(AccessDenied):  # a forged member button: a member of another cell
        await reports.member(secretary, scenario.member_id("DV005"), period)
    assert await reports.tops(secretary) == [scenario.org.units["CB-BT1"]]
    assert await reports.parent_in_scope(secretary, scenario.org.units["CB-BT1"]) is None
    async with scenario.services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT target, outcome FROM audit_log WHERE action = 'report.view' ORDER BY id"
        )
        denied = [tuple(row) for row in await cursor.fetchall()]
    assert denied[:2] == [("CB-BT2", "denied"), ("CB-BT2", "denied")]
    assert len(denied) == 6


async def test_scope_of_committees_admins_and_members(scenario: Scenario) -> None:
    reports = scenario.services.reports
    committee, units = scenario.people["DV010"], scenario.org.units
    assert await reports.tops(committee) == [units["QU-BT"]]
    assert await reports.parent_in_scope(committee, units["CB-BT1"]) == units["QU-BT"]
    assert await reports.parent_in_scope(committee, units["QU-BT"]) is None
    assert (await reports.unit(committee, "CB-BT2")).code == "CB-BT2"
    with pytest.raises(OutOfScope):
        await reports.unit(committee, "CB-HL1")
    assert await reports.tops(scenario.people["admin"]) == [units["TU-DEMO"]]
    assert await reports.tops(None) == [units["TU-DEMO"]]
    with pytest.raises(AccessDenied):
        await reports.tops(scenario.people["DV002"])  # a member without a role
    with pytest.raises(NotFound):
        await reports.overview(None, "KHONG-CO", reports.period(2026))
    with pytest.raises(NotFound):
        await reports.overview(None, 123456, reports.period(2026))
