"""The audit trail, written the same way by every service: who did what, to what, how it
ended. Written inside the caller's transaction, so a change and its record go together."""

from __future__ import annotations

from bot.errors import note_denial_audited
from bot.rules.access import Actor
from storage.db import Store

_PLAIN = (str, int, float, bool, type(None))


def actor_label(actor: Actor | str) -> str:
    """``tg:<telegram id>`` for a person in the bot, ``cli`` (or the given label) otherwise."""
    if isinstance(actor, str):
        return actor
    return f"tg:{actor.telegram_id}" if actor.telegram_id else "cli"


async def audit(
    store: Store,
    actor: Actor | str,
    action: str,
    target: object = "",
    *,
    outcome: str = "ok",
    member_id: int | None = None,
    **detail: object,
) -> None:
    """Record one action. ``member_id`` defaults to the acting member's own id."""
    if outcome == "denied":
        note_denial_audited()
    if member_id is None and not isinstance(actor, str) and actor.member is not None:
        member_id = actor.member.id
    await store.audit.record(
        actor=actor_label(actor),
        member_id=member_id,
        action=action,
        target=str(target),
        outcome=outcome,
        detail={k: v if isinstance(v, _PLAIN) else str(v) for k, v in detail.items()},
    )
