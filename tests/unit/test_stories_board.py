"""The story service's parts for the board's Telegram UI: the overview shown under a preview
(audience by name, counts, author, stamp), the audience picker's levels (only below the
story's unit), and the stamp that refuses a button pressed after the story changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.parsing import parse_future_datetime
from bot.rules.stories import Audience, AudienceKind, stamp
from tests.unit.sessions_support import actor_for
from tests.unit.test_stories_service import IDS, _draft, _units, board  # noqa: F401

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_the_overview_names_the_audience_and_counts_each_person_once(
    board: Services,  # noqa: F811
) -> None:
    chosen = await _units(board, "CB-BT1", "CB-BT2")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, chosen))
    overview = await board.stories.overview(actor, story.id)
    assert overview.status == "draft"
    assert [u.code for u in overview.audience_units] == ["CB-BT1", "CB-BT2"]  # by name
    assert overview.unit.code == "QU-BT"
    assert (overview.recipients, overview.reachable) == await board.stories.count_recipients(
        actor, story.id
    )
    assert overview.author is not None  # DV010, who wrote it
    other = await actor_for(board, "DV008", IDS["DV008"])  # QU-HL's board
    with pytest.raises(AccessDenied):
        await board.stories.overview(other, story.id)
    with pytest.raises(NotFound):
        await board.stories.overview(actor, 999_999)


async def test_the_picker_offers_only_units_below_the_story_unit(
    board: Services,  # noqa: F811
) -> None:
    actor = await actor_for(board, "DV010", IDS["DV010"])
    (qu_bt, cb_bt1, cb_hl1, root) = await _units(board, "QU-BT", "CB-BT1", "CB-HL1", "TU-DEMO")
    level = await board.stories.audience_level(actor, qu_bt)
    assert level.top.id == level.parent.id == qu_bt
    codes = {choice.unit.code for choice in level.children}
    assert {"CB-BT1", "CB-BT2", "CD-BT1"} <= codes and "CB-HL1" not in codes
    assert (await board.stories.audience_unit(actor, qu_bt, cb_bt1)).code == "CB-BT1"
    with pytest.raises(AccessDenied):  # another committee's cell
        await board.stories.audience_unit(actor, qu_bt, cb_hl1)
    with pytest.raises(AccessDenied):  # opening a level outside the story's unit
        await board.stories.audience_level(actor, qu_bt, cb_hl1)
    with pytest.raises(AccessDenied):  # writing for a unit above the board's own
        await board.stories.audience_level(actor, root)
    with pytest.raises(NotFound):
        await board.stories.audience_unit(actor, qu_bt, 999_999)


async def test_a_button_pressed_after_the_story_changed_is_refused(
    board: Services,  # noqa: F811
    clock,
) -> None:
    story, actor = await _draft(board)
    seen = (await board.stories.overview(actor, story.id)).stamp
    await board.stories.edit(actor, story.id, title="Tấm gương vượt lũ (bản sửa)")
    with pytest.raises(Conflict):
        await board.stories.send_now(actor, story.id, seen=seen)
    with pytest.raises(Conflict):
        await board.stories.schedule(actor, story.id, clock.now() + timedelta(hours=1), seen=seen)
    fresh = (await board.stories.overview(actor, story.id)).stamp
    assert fresh != seen
    scheduled = await board.stories.schedule(
        actor, story.id, clock.now() + timedelta(hours=1), seen=fresh
    )
    assert scheduled.status == "scheduled"
    with pytest.raises(Conflict):  # the draft's stamp no longer fits the scheduled story
        await board.stories.cancel(actor, story.id, seen=fresh)
    now_seen = (await board.stories.overview(actor, story.id)).stamp
    assert (await board.stories.cancel(actor, story.id, seen=now_seen)).status == "draft"


def test_the_stamp_changes_with_any_field_and_fits_a_button() -> None:
    base = ("Tiêu đề", "Nội dung", None, "model", "{}", False, "draft", None, None)
    assert stamp(base) == stamp(list(base))
    assert stamp(base) != stamp(("Tiêu đề.", *base[1:]))
    assert stamp(base) != stamp((*base[:6], "scheduled", *base[7:]))
    assert 0 <= stamp(base) < 2**56


def test_a_future_time_is_read_and_a_past_one_refused() -> None:
    now = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
    assert parse_future_datetime("12/3 07:30", tz=TZ, now=now) == datetime(
        2026, 3, 12, 7, 30, tzinfo=TZ
    )
    with pytest.raises(InvalidInput):
        parse_future_datetime("01/03/2026 07:30", tz=TZ, now=now)
    with pytest.raises(InvalidInput):
        parse_future_datetime("mai nhé", tz=TZ, now=now)


async def test_figures_of_an_audience_of_units_are_given_per_chosen_unit(
    board: Services,  # noqa: F811
) -> None:
    chosen = await _units(board, "CB-BT1", "CB-BT2")
    story, actor = await _draft(board, audience=Audience(AudienceKind.UNITS, chosen))
    await board.stories.send_now(actor, story.id)
    await board.db.deliver()  # type: ignore[attr-defined]
    stats = await board.stories.stats(actor, story.id)
    assert {group.unit.code for group in stats.units} <= {"CB-BT1", "CB-BT2", "QU-BT"}
    assert {"CB-BT1", "CB-BT2"} <= {group.unit.code for group in stats.units}
    assert sum(group.recipients for group in stats.units) == stats.total.recipients
