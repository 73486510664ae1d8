"""Helpers for the session service's unit tests (the fixtures are in conftest.py: ``setup``
gives the 2026 campaign, DV001 secretary of CB-BT1, DV005 secretary of CB-BT2 and DV010 on
the committee of QU-BT)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import i18n
from bot.context import Services
from bot.rules.access import Actor
from bot.services.sessions import Draft, Session
from storage.sessions import Invitee
from tests.conftest import ADMIN_ID, TIMEZONE, Organisation

START = datetime(2026, 3, 20, 19, 30, tzinfo=TIMEZONE)
TOPIC = "Sinh hoạt chi bộ tháng 3"
LEAD_IN = "Bài gợi ý: nêu gương trong công việc hằng ngày."
# Telegram ids given to the members the tests act as (DV002 has 700002 in the roster).
TELEGRAM = {
    "DV001": 710001,
    "DV002": 700002,
    "DV003": 710003,
    "DV005": 710005,
    "DV006": 710006,
    "DV009": 710009,
    "DV010": 710010,
}


@pytest.fixture
def local_time(_restore_i18n: None) -> None:
    """Times shown in the zone of the organisation, as the running bot shows them (the
    conftest puts i18n back after the test)."""
    i18n.configure("vi", TIMEZONE)


async def actor_for(services: Services, code: str, telegram_id: int | None = None) -> Actor:
    """The member with this roster code as the bot sees them, bound to a Telegram id."""
    telegram_id = telegram_id or TELEGRAM[code]
    async with services.db.write() as store:
        member = await store.members.by_code(code)
        assert member is not None
        if member.telegram_id is None:
            await store.members.bind_telegram(member.id, telegram_id)
            member = await store.members.by_code(code)
    assert member is not None and member.telegram_id is not None
    return await services.registration.identify(member.telegram_id)


async def admin(services: Services) -> Actor:
    """The configured administrator: no member record."""
    return await services.registration.identify(ADMIN_ID)


def draft(org: Organisation, unit: str, kind: str = "regular", **extra: object) -> Draft:
    fields: dict = {
        "unit_id": org.units[unit].id,
        "kind": kind,
        "topic": TOPIC,
        "on_campaign": False,
        "starts_at": START,
        "place": "Hội trường",
    }
    fields.update(extra)
    return Draft(**fields)


async def new_session(
    services: Services, org: Organisation, unit: str = "CB-BT1", **extra: object
) -> tuple[Session, Actor]:
    """A session of ``unit`` created by its secretary (DV001 for CB-BT1, DV005 for CB-BT2,
    DV010 for QU-BT); returns it and that secretary."""
    code = {"CB-BT1": "DV001", "CB-BT2": "DV005", "QU-BT": "DV010"}[unit]
    secretary = await actor_for(services, code)
    session, _ = await services.sessions.create(secretary, draft(org, unit, **extra))
    return session, secretary


async def invitee(services: Services, session_id: int, code: str) -> Invitee:
    async with services.db.read() as store:
        member = await store.members.by_code(code)
        assert member is not None
        found = await store.sessions.invitee(session_id, member.id)
    assert found is not None
    return found


async def invitee_codes(services: Services, session_id: int) -> dict[str, str]:
    """Member code -> the unit code the invitee was counted in."""
    async with services.db.read() as store:
        found = {}
        for row in await store.sessions.invitees(session_id):
            member = await store.members.get(row.member_id)
            unit = await store.units.get(row.unit_id)
            assert member is not None and unit is not None
            found[member.code] = unit.code
    return found


async def actions(services: Services) -> list[tuple[str, str, str]]:
    """(action, outcome, target) of every session audit row, in order."""
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT action, outcome, target FROM audit_log WHERE action LIKE 'session.%' "
            "ORDER BY id"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def session_row(services: Services, session_id: int) -> Session:
    async with services.db.read() as store:
        found = await store.sessions.get(session_id)
    assert found is not None
    return found
