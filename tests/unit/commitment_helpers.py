"""Shared steps of the commitment service tests (tests/unit/test_commitments_*.py): people
as actors, filing, an approved commitment inside the review window, the export as CSV."""

from __future__ import annotations

from datetime import datetime

from bot.context import Services
from bot.render.commitment_export import commitments_file
from bot.rules.access import Actor
from tests.conftest import TIMEZONE

ACTION = "Đọc và nghiên cứu tác phẩm Sửa đổi lối làm việc"


async def actor_for(services: Services, code: str, telegram_id: int) -> Actor:
    async with services.db.write() as store:
        member = await store.members.by_code(code)
        assert member is not None
        if member.telegram_id is None:
            await store.members.bind_telegram(member.id, telegram_id)
    return await services.registration.identify(
        telegram_id if member.telegram_id is None else member.telegram_id
    )


async def export_csv(services: Services, **scope: object) -> tuple[str, bytes]:
    """The export as the CLI writes it: the service's table, rendered as CSV."""
    table = await services.commitments.export(**scope)  # type: ignore[arg-type]
    return commitments_file(table, "csv")


async def file(services: Services, member: Actor, *headings: str) -> None:
    for heading in headings or ("ideology",):
        await services.commitments.add_action(member, heading, f"{ACTION} ({heading})")


async def approved_and_in_window(services: Services, clock) -> tuple[Actor, Actor, int]:
    """DV002's commitment approved by DV001, the clock inside the review window."""
    secretary = await actor_for(services, "DV001", 700001)
    member = await actor_for(services, "DV002", 700002)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    clock.moment = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)
    return secretary, member, view.commitment.id
