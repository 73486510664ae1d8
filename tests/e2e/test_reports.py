"""/report end to end, over HTTP: a committee member reads the overview of the units below
them and drills into a cell, down to one member; a cell secretary asking for another cell,
by command or with a forged button, is refused and sees nothing of it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.app import ROLLUP_JOB
from bot.context import services_of
from bot.services.sessions import Draft
from tests.e2e.conftest import ADMIN_ID, Harness

AN, BICH, GIANG = 1001, 1002, 1007  # CB-1 secretary, CB-1 member, DU-NK committee


def _unit_id(h: Harness, code: str) -> int:
    with sqlite3.connect(h.db_path) as conn:
        return conn.execute("SELECT id FROM units WHERE code = ?", (code,)).fetchone()[0]


@pytest.fixture
async def filed(org: Harness) -> Harness:
    """The 2026 campaign; Bích's commitment filed and approved by An."""
    code, _, err = await org.cli(
        "campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm"
    )
    assert code == 0, err
    services = services_of(org.app)
    bich = await services.registration.identify(BICH)
    an = await services.registration.identify(AN)
    await services.commitments.add_action(bich, "ideology", "Học tập và làm theo tấm gương của Bác")
    view, _ = await services.commitments.submit(bich)
    await services.commitments.decide(an, view.commitment.id, 1, approve=True)
    await org.delivered()
    for user in (AN, BICH, GIANG):
        org.server.skip_pending(user)
    return org


async def test_a_committee_member_drills_down_to_a_member(filed: Harness) -> None:
    h = filed
    overview = await h.say(GIANG, "/report 2026")
    text = overview.plain_text or ""
    assert text.startswith("Báo cáo: Đảng ủy phường Ninh Kiều — năm 2026")
    # CB-1: Bích's of four expected (DV001-DV004); CB-2: one expected (DV006 is exempt).
    assert "Chi bộ Khu vực 1: nộp cam kết 25%" in text
    assert "Chi bộ Khu vực 2: nộp cam kết 0%" in text
    assert "Tổng cộng — Đảng ủy phường Ninh Kiều: nộp cam kết 17%" in text
    assert "Đảng viên 7 · phải nộp cam kết 6 · đã nộp 1 (17%) · đã duyệt 1 (17%)" in text
    labels = [label for label, _ in overview.buttons]
    assert "Chi bộ Khu vực 1" in labels and "Chi bộ Khu vực 2" in labels
    assert "Đảng viên trực thuộc Đảng ủy phường Ninh Kiều (1)" in labels  # Giang herself
    assert not any(label.startswith("⬆️") for label in labels)  # nothing above in her scope

    cell = await h.press(GIANG, overview, "Chi bộ Khu vực 1")
    text = cell.plain_text or ""
    assert text.startswith("Báo cáo: Chi bộ Khu vực 1 — năm 2026")
    assert "Đảng viên của Chi bộ Khu vực 1 — năm 2026" in text
    assert "Trần Thị Bích — cam kết: Đã duyệt · dự họp — · xếp loại: —" in text
    assert "Nguyễn Văn An — cam kết: Chưa lập bản cam kết" in text
    assert "⬆️ Đảng ủy phường Ninh Kiều" in [label for label, _ in cell.buttons]

    member = await h.press(GIANG, cell, "Trần Thị Bích")
    text = member.plain_text or ""
    assert text.startswith("Trần Thị Bích — Chi bộ Khu vực 1\nnăm 2026")
    assert "Cam kết: Đã duyệt" in text and "Xếp loại cuối năm: —" in text
    back = await h.press(GIANG, member, "⬆️ Chi bộ Khu vực 1")
    assert (back.plain_text or "").startswith("Báo cáo: Chi bộ Khu vực 1")
    up = await h.press(GIANG, back, "⬆️ Đảng ủy phường Ninh Kiều")
    assert (up.plain_text or "").startswith("Báo cáo: Đảng ủy phường Ninh Kiều")


async def test_a_cell_secretary_sees_only_the_cell(filed: Harness) -> None:
    h = filed
    own = await h.say(AN, "/report 2026 Q1")
    text = own.plain_text or ""
    assert text.startswith("Báo cáo: Chi bộ Khu vực 1 — quý I/2026")
    assert "Khu vực 2" not in text and "Ninh Kiều" not in text

    refused = await h.say(AN, "/report CB-2 2026")
    assert "không thuộc phạm vi đồng chí phụ trách" in (refused.plain_text or "")
    assert "Khu vực 2" not in (refused.plain_text or "")

    # A forged button for CB-2 (and one for the committee above): an alert, no rows.
    for code in ("CB-2", "DU-NK"):
        forged = f"rp:u:{_unit_id(h, code)}:2026:y:0"
        query = h.server.press_button(AN, own, forged)
        answer = await h.server.wait_callback_answer(query)
        assert answer.show_alert and "không thuộc phạm vi" in (answer.text or "")
    query = h.server.press_button(AN, own, f"rp:m:{_unit_id(h, 'CB-2')}:2026:y:0")
    assert "không thuộc phạm vi" in ((await h.server.wait_callback_answer(query)).text or "")
    with sqlite3.connect(h.db_path) as conn:
        em = conn.execute("SELECT id FROM members WHERE code = 'DV005'").fetchone()[0]
    query = h.server.press_button(AN, own, f"rp:p:{em}:2026:y")
    assert "không thuộc phạm vi" in ((await h.server.wait_callback_answer(query)).text or "")
    # A button of a kind that no longer parses: the usual "no longer active".
    query = h.server.press_button(AN, own, "rp:u:1:2026:q9:0")
    assert "không còn hiệu lực" in ((await h.server.wait_callback_answer(query)).text or "")
    await h.server.no_message(AN)

    nothing = await h.say(AN, "/report 2026 H3")
    assert "không phải là một kỳ trong năm" in (nothing.plain_text or "")
    member = await h.say(BICH, "/report")  # no role: the gate answers, with no figures
    assert "Báo cáo" not in (member.plain_text or "")
    admin = await h.say(ADMIN_ID, "/report 2026")
    assert (admin.plain_text or "").startswith("Báo cáo: Thành ủy Cần Thơ — năm 2026")


async def test_a_long_cell_comes_in_pages(filed: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = filed
    rows = "\n".join(f"DX{n:03d},Thử Nghiệm Số {n:03d},CB-2,official,,false" for n in range(1, 41))
    header = "code,full_name,unit_code,status,position,is_head"
    (tmp_path / "more.csv").write_text(f"{header}\n{rows}\n", "utf-8")
    code, _, err = await h.cli("members", "import", str(tmp_path / "more.csv"))
    assert code == 0, err
    h.server.add_user(1005, "Em", language_code="vi")
    first = await h.say(1005, "/report 2026")
    text = first.plain_text or ""
    assert "Đảng viên của Chi bộ Khu vực 2" in text
    assert "30. " in text and "31. " not in text  # 42 members: 30 on the first page
    labels = [label for label, _ in first.buttons]
    assert "Tiếp ▶️" in labels and not any("Trước" in label for label in labels)
    second = await h.press(1005, first, "Tiếp ▶️")
    text = second.plain_text or ""
    assert "31. " in text and "42. " in text and "\n1. " not in text
    assert "◀️ Trước" in [label for label, _ in second.buttons]


async def test_the_attendance_roll_up_job_keeps_the_same_figures(filed: Harness) -> None:
    """A meeting of CB-1 held and closed; the bot's roll-up job keeps its counts, and the
    committee's report reads the same before and after."""
    h = filed
    services = services_of(h.app)
    an, bich = await services.registration.identify(AN), await services.registration.identify(BICH)
    start = h.clock.moment + timedelta(days=1)
    draft = Draft(
        unit_id=_unit_id(h, "CB-1"), kind="regular", topic="Sinh hoạt chi bộ tháng 3",
        on_campaign=False, starts_at=start, place="Hội trường",
    )  # fmt: skip
    session, _ = await services.sessions.create(an, draft)
    async with services.db.write() as store:
        assert await store.sessions.check_in(session.id, bich.member.id, start, "code")
    h.clock.moment = start + timedelta(hours=2)
    await services.sessions.close(an, session.id)
    await h.delivered()
    for user in (AN, BICH, GIANG):
        h.server.skip_pending(user)

    before = (await h.say(GIANG, "/report 2026")).plain_text or ""
    assert "dự họp 25%" in before  # Bích of the four invited of CB-1
    assert h.app is not None and h.app.job_queue is not None
    (job,) = h.app.job_queue.get_jobs_by_name(ROLLUP_JOB)
    await job.run(h.app)
    with sqlite3.connect(h.db_path) as conn:
        assert conn.execute("SELECT session_id FROM attendance_rolled").fetchall() == [
            (session.id,)
        ]
    assert (await h.say(GIANG, "/report 2026")).plain_text == before
