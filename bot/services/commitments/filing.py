"""Filing (/commit): the member's working copy, action by action, then submission as a
numbered version; reopening an approved commitment for a new version.

Every step writes the working copy, so a draft survives /cancel, a restart and lost
conversation data. The reviewers are told after the submission commits.
"""

from __future__ import annotations

from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.parsing import parse_date
from bot.rules.access import MONITORS, Actor
from bot.rules.commitments import (
    MAX_ACTIONS,
    ActionDraft,
    Event,
    Status,
    check_complete,
    check_heading,
    check_target_date,
    clean_action_text,
    may_edit,
    submission_is_late,
    transition,
)
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase, CommitmentView
from bot.services.notifications import Priority
from storage import Store
from storage.commitments import ActionRecord, CommitmentRecord, VersionRecord
from storage.records import Campaign, Member, Unit


class Filing(CommitmentBase):
    async def filing(self, actor: Actor) -> tuple[Campaign, CommitmentView | None]:
        """The member's commitment for the current campaign (the working copy), if started."""
        async with self.db.read() as store:
            campaign, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                return campaign, None
            return campaign, await self._view(store, commitment, working=True)

    async def add_action(self, actor: Actor, heading: str, text: str) -> ActionRecord:
        member = self._me(actor)
        found = check_heading(heading, member.is_head)
        cleaned = clean_action_text(text)
        async with self.db.write() as store:
            _, commitment = await self._mine_for_update(store, actor, create=True)
            assert commitment is not None
            self._editable(commitment)
            actions = await store.commitments.actions(commitment.id)
            for action in actions:
                # The same action sent again (a step handled again after a restart, or sent
                # twice when no answer came) is the one already saved, not a second one.
                if action.heading == found.value and action.text == cleaned:
                    return action
            if len(actions) >= MAX_ACTIONS:
                # Not the text's fault: typing it again would not help (a Conflict, not
                # InvalidInput, so the conversation returns to the menu).
                raise Conflict(
                    N_("A commitment can hold at most {count} actions."), count=MAX_ACTIONS
                )
            return await store.commitments.add_action(commitment.id, found, cleaned, None)

    async def action(self, actor: Actor, action_id: int) -> ActionRecord:
        async with self.db.read() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            return action

    async def set_target(self, actor: Actor, action_id: int, text: str | None) -> ActionRecord:
        """Set (or with ``None`` clear) an action's target date, typed as 25/03/2026."""
        async with self.db.write() as store:
            campaign, _, action = await self._own_action(store, actor, action_id)
            target = None
            if text is not None:
                target = check_target_date(campaign, parse_date(text, default_year=campaign.year))
            await store.commitments.update_action(action.id, target=target)
            await store.commitments.touch(action.owner_id)
            updated = await store.commitments.action(action.id)
        assert updated is not None
        return updated

    async def edit_action(self, actor: Actor, action_id: int, text: str) -> ActionRecord:
        cleaned = clean_action_text(text)
        async with self.db.write() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            await store.commitments.update_action(action.id, text=cleaned)
            await store.commitments.touch(action.owner_id)
            updated = await store.commitments.action(action.id)
        assert updated is not None
        return updated

    async def delete_action(self, actor: Actor, action_id: int) -> None:
        async with self.db.write() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            await store.commitments.delete_action(action.id)
            await store.commitments.touch(action.owner_id)

    async def submit(self, actor: Actor) -> tuple[CommitmentView, VersionRecord]:
        """Freeze the working copy as the next version and tell the reviewers."""
        member = self._me(actor)
        today = self.clock.today()
        async with self.db.write() as store:
            campaign, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                raise InvalidInput(N_("Please add at least one action before submitting."))
            if commitment.status == Status.SUBMITTED and commitment.last_version:
                # Submitted already, and nothing can change while it waits: the same
                # submission confirmed again (a step handled again after a restart).
                version = await store.commitments.version(commitment.id, commitment.last_version)
                if version is not None:
                    view = await self._view(store, commitment, version_number=version.number)
                    return view, version
            next_status = transition(commitment.status, Event.SUBMIT)
            actions = await store.commitments.actions(commitment.id)
            check_complete([ActionDraft(a.heading, a.text) for a in actions], member.is_head)
            unit = await store.members.primary_unit(member.id)
            late = submission_is_late(campaign, today)
            version = await store.commitments.freeze_version(
                commitment,
                unit_id=unit.id if unit else None,
                at=self.clock.now(),
                on=today,
                late=late,
            )
            first_late = late if commitment.last_version == 0 else commitment.late
            if not await store.commitments.set_status(
                commitment.id,
                next_status,
                expect=commitment.status,
                last_version=version.number,
                late=int(first_late),
            ):
                raise Conflict(N_("The commitment changed meanwhile. Please look again."))
            await audit(
                store,
                actor,
                "commitment.submit",
                commitment.id,
                member_id=member.id,
                version=version.number,
                late=late,
                year=campaign.year,
            )
            commitment = await store.commitments.get(commitment.id)
            assert commitment is not None
            view = await self._view(store, commitment, version_number=version.number)
            await self.notifications.queue(
                store,
                kind="alert",
                template="commitment.submitted",
                to=await self._reviewers(store, unit, member),
                params={"member_name": member.full_name, "year": campaign.year},
                dedup=f"commitment:{commitment.id}:submitted:{version.number}",
                priority=Priority.ALERT,
            )
        return view, version

    async def revise(self, actor: Actor) -> CommitmentView:
        """Open an approved commitment for a new version; the approved one is kept."""
        async with self.db.write() as store:
            _, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                raise NotFound(N_("You have no commitment for this campaign yet."))
            next_status = transition(commitment.status, Event.REVISE)
            if not await store.commitments.set_status(
                commitment.id, next_status, expect=Status.APPROVED
            ):
                raise Conflict(N_("The commitment changed meanwhile. Please look again."))
            await audit(
                store,
                actor,
                "commitment.revise",
                commitment.id,
                member_id=commitment.member_id,
                approved_version=commitment.approved_version,
            )
            commitment = await store.commitments.get(commitment.id)
            assert commitment is not None
            return await self._view(store, commitment, working=True)

    # Helpers -------------------------------------------------------------------------------

    def _editable(self, commitment: CommitmentRecord) -> None:
        if not may_edit(commitment.status):
            transition(commitment.status, Event.EDIT)  # raises the status's own refusal

    async def _own_action(
        self, store: Store, actor: Actor, action_id: int
    ) -> tuple[Campaign, CommitmentRecord, ActionRecord]:
        campaign, commitment = await self._mine_for_update(store, actor)
        action = await store.commitments.action(action_id)
        if commitment is None or action is None or action.owner_id != commitment.id:
            raise NotFound(N_("This action no longer exists."))
        self._editable(commitment)
        return campaign, commitment, action

    async def reviewing_unit(self, actor: Actor) -> Unit | None:
        """The unit whose secretaries will review this member's commitment: their own cell,
        or, for a secretary's own, the nearest level above with another secretary or deputy
        (the same people :meth:`_reviewers` tells)."""
        member = self._me(actor)
        async with self.db.read() as store:
            unit = await store.members.primary_unit(member.id)
            if unit is None:
                return None
            chain = [*await store.units.ancestors(unit), unit]
            held = await store.roles.holders([u.id for u in chain], tuple(MONITORS))
            active = await store.members.many(member_id for member_id, _, _ in held)
        for level in reversed(chain):
            if any(
                unit_id == level.id and member_id != member.id and active[member_id].is_active
                for member_id, _, unit_id in held
                if member_id in active
            ):
                return level
        return None

    async def _reviewers(self, store: Store, unit: Unit | None, member: Member) -> list[Member]:
        """Who is told of a submission: the secretaries, deputies and committee members of the
        member's unit, else of the nearest unit above that has any, the member left out. When
        that leaves nobody (a secretary filing their own), the nearest ones further up."""
        if unit is None:
            return []
        chain = [*await store.units.ancestors(unit), unit]
        nearest = await store.roles.nearest_holders(chain, tuple(MONITORS))
        for level in reversed(chain):
            others = [m for m in nearest[level.id] if m.id != member.id]
            if others:
                return others
        return []
