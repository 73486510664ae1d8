"""Review (/pending): the submitted commitments a secretary or committee oversees, and the
decision on one version, approve or return with a comment.

A decision is one write transaction with conditional updates, so of two reviewers at once
one decides and the other is told who did. The member is told after it commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import Conflict
from bot.i18n import N_, gettext
from bot.rules.access import Actor
from bot.rules.commitments import COMMENT_MAX, COMMENT_MIN, Event, Status, clean_text, transition
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase, CommitmentView
from bot.services.notifications import Priority
from storage import Store
from storage.commitments import CommitmentRecord
from storage.records import Member


class DecisionClosed(Conflict):
    """The version is no longer waiting for a decision: someone approved or returned it, or
    a newer version replaced it. Its Approve and Return buttons will never work again, and a
    return comment being typed for it is not wanted any more."""


@dataclass(frozen=True)
class Decision:
    view: CommitmentView
    approved: bool
    by_name: str


class Review(CommitmentBase):
    async def pending(self, actor: Actor) -> list[CommitmentView]:
        """Submitted commitments in the actor's scope, their own excluded."""
        async with self.db.read() as store:
            return [
                await self._view(store, record, version_number=record.last_version)
                for campaign in await store.campaigns.all()
                for record in await self._in_scope(store, actor, campaign, (Status.SUBMITTED,))
            ]

    async def check_decidable(self, actor: Actor, commitment_id: int, version: int) -> str:
        """Before asking for a return comment: is this still waiting? Returns the name."""
        async with self.db.read() as store:
            _, member = await self._decidable(store, actor, commitment_id, version)
            return member.full_name

    async def decide(
        self,
        actor: Actor,
        commitment_id: int,
        version: int,
        *,
        approve: bool,
        comment: str | None = None,
    ) -> Decision:
        """Approve or return ``version``; a return needs a comment (InvalidInput else)."""
        if not approve:
            comment = clean_text(comment or "", low=COMMENT_MIN, high=COMMENT_MAX)
        by_name = actor.member.full_name if actor.member else gettext("Administrator")
        now = self.clock.now()
        async with self.db.write() as store:
            record, member = await self._decidable(store, actor, commitment_id, version)
            event = Event.APPROVE if approve else Event.RETURN
            next_status = transition(record.status, event)
            shown = await store.commitments.version(record.id, version)
            assert shown is not None
            extra: dict[str, object] = {"approved_version": version} if approve else {}
            if not await store.commitments.set_status(
                record.id, next_status, expect=Status.SUBMITTED, **extra
            ) or not await store.commitments.decide_version(
                shown.id,
                "approved" if approve else "returned",
                by=actor.member.id if actor.member else None,
                by_name=by_name,
                at=now,
                comment=comment,
            ):
                raise DecisionClosed(N_("This commitment has changed. Please send /pending again."))
            await audit(
                store,
                actor,
                "commitment.approve" if approve else "commitment.return",
                record.id,
                version=version,
                member=member.code,
                comment=comment,
            )
            record = await store.commitments.get(record.id)
            assert record is not None
            view = await self._view(store, record, version_number=version)
            await self.notifications.queue(
                store,
                kind="answer",
                template="commitment.decision",
                to=[member],
                params={
                    "member_name": member.full_name,
                    "year": view.campaign.year,
                    "by_name": by_name,
                    "approved": approve,
                    "comment": comment,
                },
                dedup=f"commitment:{record.id}:decision:{version}",
                priority=Priority.ANSWER,
            )
        return Decision(view, approve, by_name)

    async def _decidable(
        self, store: Store, actor: Actor, commitment_id: int, version: int
    ) -> tuple[CommitmentRecord, Member]:
        """The commitment, when ``version`` is its latest and still waiting; DecisionClosed
        (naming who decided) otherwise."""
        record, member, _ = await self._others(store, actor, commitment_id)
        if record.last_version != version or record.status != Status.SUBMITTED:
            shown = await store.commitments.version(record.id, version)
            if shown is not None and shown.decision != "pending":
                message = (
                    N_("This version was already approved by {name}.")
                    if shown.decision == "approved"
                    else N_("This version was already returned by {name}.")
                )
                raise DecisionClosed(message, name=shown.decided_by_name or "—")
            raise DecisionClosed(
                N_("This commitment has changed since this message. Please send /pending again.")
            )
        return record, member
