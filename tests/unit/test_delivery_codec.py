"""bot/delivery/codec.py: records survive a trip through JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.delivery.codec import dump, load
from storage.records import Member, Unit
from storage.sessions import Session


@dataclass(frozen=True)
class Nested:
    unit: Unit
    day: date | None
    names: tuple[str, ...]


def test_records_round_trip_through_json() -> None:
    unit = Unit(4, "CB-1", "Chi bộ Khu vực 1", "cell", 2, "/1/2/4/")
    member = Member(
        id=7,
        code="DV007",
        full_name="Hồ Thị Giang",
        status="official",
        position="",
        is_head=False,
        language="vi",
        telegram_id=1007,
        registration="active",
        started_bot_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        blocked_at=None,
    )
    for record in (unit, member, Nested(unit, date(2026, 3, 31), ("a", "b"))):
        data = json.loads(json.dumps(dump(record)))
        assert load(type(record), data) == record


def test_a_session_keeps_its_times() -> None:
    fields = {f: None for f in Session.__dataclass_fields__}
    fields.update(
        id=1,
        unit_id=4,
        kind="regular",
        topic="Học tập <chuyên đề>",
        campaign_id=None,
        starts_at=datetime(2026, 3, 20, 12, 30, tzinfo=UTC),
        place="Hội trường",
        presenter="",
        lead_in="",
        status="scheduled",
    )
    session = Session(**{k: v for k, v in fields.items()})
    assert load(Session, json.loads(json.dumps(dump(session)))) == session
