"""The log of refusals raised while one update is handled (bot/errors.py): what the gate's
last handler group audits when no service did (handlers/gate.audit_refusals)."""

from __future__ import annotations

import contextvars

from bot.context import Services
from bot.errors import (
    AccessDenied,
    NotFound,
    current_denial_log,
    denial_settled,
    start_denial_log,
)
from bot.i18n import N_
from bot.services.audit import audit


def test_refusals_are_noted_only_inside_an_update() -> None:
    def outside() -> None:
        AccessDenied(N_("No."))
        assert current_denial_log() is None

    contextvars.copy_context().run(outside)

    def inside() -> None:
        log = start_denial_log()
        first = AccessDenied(N_("No."))
        NotFound(N_("Gone."))  # not a refusal
        assert log.unaudited() == [first]
        denial_settled(first)  # caught and turned into "nobody" by the service
        assert log.unaudited() == []

    contextvars.copy_context().run(inside)


async def test_a_service_audit_of_the_refusal_marks_it(services: Services) -> None:
    log = start_denial_log()
    AccessDenied(N_("No."))
    async with services.db.write() as store:
        await audit(store, "cli", "thing.do", "x", outcome="ok")
    assert log.unaudited(), "an ok row is no refusal's record"
    async with services.db.write() as store:
        await audit(store, "cli", "thing.do", "x", outcome="denied")
    assert log.unaudited() == []
