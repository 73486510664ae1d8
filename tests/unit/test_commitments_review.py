"""bot/services/commitments/review.py against a real database: deciding on a stale version,
nobody reviewing their own, a return without a comment, scope."""

from __future__ import annotations

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import use_locale
from bot.services.commitments import DecisionClosed
from tests.conftest import FakeBot
from tests.unit.commitment_helpers import actor_for, file


async def _audited(services: Services, *actions: str) -> int:
    async with services.db.read() as store:
        return sum([len(await store.audit.recent(action=a)) for a in actions])


async def test_a_decision_on_a_stale_version_is_refused_naming_who_decided(
    setup: Services,
) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    committee = await actor_for(services, "DV010", 700010)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    cid = view.commitment.id
    await services.commitments.decide(secretary, cid, 1, approve=False, comment="Cần cụ thể")
    await services.commitments.submit(member)  # version 2

    for attempt in (
        services.commitments.decide(committee, cid, 1, approve=True),
        services.commitments.check_decidable(committee, cid, 1),
    ):
        with pytest.raises(DecisionClosed) as stale:
            await attempt
        with use_locale("vi"):
            assert stale.value.render() == "Phiên bản này đã được đồng chí Trần Thị Bích trả lại."
    with pytest.raises(DecisionClosed, match="changed since"):  # never submitted
        await services.commitments.decide(committee, cid, 3, approve=True)
    assert await services.commitments.check_decidable(committee, cid, 2) == "Nguyễn Văn Đức"
    await services.commitments.decide(committee, cid, 2, approve=True)
    with pytest.raises(DecisionClosed, match="already approved"):
        await services.commitments.decide(secretary, cid, 2, approve=False, comment="Muộn rồi")
    async with services.db.read() as store:
        versions = await store.commitments.versions(cid)
    assert [(v.number, v.decision) for v in versions] == [(1, "returned"), (2, "approved")]
    assert await _audited(services, "commitment.approve", "commitment.return") == 2


async def test_nobody_reviews_their_own_commitment(setup: Services) -> None:
    services = setup
    head = await actor_for(services, "DV001", 700001)  # secretary of CB-BT1
    committee = await actor_for(services, "DV010", 700010)
    await file(services, head, "ideology", "example")
    view, _ = await services.commitments.submit(head)
    cid = view.commitment.id
    assert await services.commitments.pending(head) == []
    for attempt in (
        services.commitments.check_decidable(head, cid, 1),
        services.commitments.decide(head, cid, 1, approve=True),
    ):
        with pytest.raises(AccessDenied, match="Your own commitment"):
            await attempt
    decision = await services.commitments.decide(committee, cid, 1, approve=True)
    assert decision.approved and decision.by_name == "Tô Văn Lực"


async def test_a_return_without_a_comment_writes_nothing(
    setup: Services, fake_bot: FakeBot
) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    for comment in (None, "", "   ", "ok", "/commit", "x" * 1001):
        with pytest.raises(InvalidInput):
            await services.commitments.decide(
                secretary, view.commitment.id, 1, approve=False, comment=comment
            )
    async with services.db.read() as store:
        record = await store.commitments.get(view.commitment.id)
        version = await store.commitments.version(record.id, 1)
    assert record.status == "submitted" and version.decision == "pending"
    assert await _audited(services, "commitment.return") == 0
    assert fake_bot.to(700002) == []


async def test_review_stays_within_the_units_one_oversees(setup: Services) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)  # CB-BT1
    other_cell = await actor_for(services, "DV005", 700005)  # secretary of CB-BT2
    plain = await actor_for(services, "DV003", 700003)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    assert await services.commitments.pending(other_cell) == []
    with pytest.raises(AccessDenied):
        await services.commitments.decide(other_cell, view.commitment.id, 1, approve=True)
    with pytest.raises(AccessDenied):
        await services.commitments.pending(plain)
    with pytest.raises(NotFound):
        await services.commitments.decide(other_cell, 999_999, 1, approve=True)


async def test_the_decision_notice_escapes_the_comment(setup: Services, fake_bot: FakeBot) -> None:
    services = setup
    member = await actor_for(services, "DV002", 700002)
    secretary = await actor_for(services, "DV001", 700001)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    decision = await services.commitments.decide(
        secretary, view.commitment.id, 1, approve=False, comment="Ghi rõ <kết quả> & thời gian"
    )
    assert not decision.approved and decision.view.commitment.status == "returned"
    note = fake_bot.to(700002)[-1].text
    assert "Ghi rõ &lt;kết quả&gt; &amp; thời gian" in note and "<kết quả>" not in note
    assert isinstance(DecisionClosed("x"), Conflict)  # callers catching Conflict still do
