"""Commitments: filing, review, versions, the year-end self-assessment and grading,
monitoring and exports.

One service in six parts over a shared base (:mod:`.base`): each part is a class of
methods on the same state (the database, the clock, the notifications), and
:class:`CommitmentService` is all of them, so callers keep one ``services.commitments``.
The two grading parts (:mod:`.grading`, the cell's proposal; :mod:`.deciding`, the
competent level's decision) share :mod:`.grading_state`.
Every change is one write transaction; notifications go out after it commits. The service
returns data: the texts of its notices are in :mod:`bot.render.commitment_notices`, the
printed form in :mod:`bot.render.commitment_form`, CSV/XLSX in :mod:`bot.render.exports`.
"""

from __future__ import annotations

from bot.services.commitments.base import CommitmentView
from bot.services.commitments.deciding import Deciding
from bot.services.commitments.filing import Filing
from bot.services.commitments.grading import Grading
from bot.services.commitments.grading_state import (
    BoardChanged,
    CapExceeded,
    DecisionBoard,
    DecisionOutcome,
    GradeClosed,
    GradingBoard,
    GradingItem,
    ProposalOutcome,
    ProposalStart,
    RemarkItem,
)
from bot.services.commitments.monitoring import (
    CommitmentForm,
    CommitmentTable,
    Confirmation,
    Monitoring,
    UnitProgress,
)
from bot.services.commitments.review import Decision, DecisionClosed, Review
from bot.services.commitments.yearend import ReviewClosed, YearEnd
from storage.commitments import ActionRecord, CommitmentRecord, GradeRecord, VersionRecord

__all__ = [
    "ActionRecord",
    "BoardChanged",
    "CapExceeded",
    "CommitmentForm",
    "CommitmentRecord",
    "CommitmentService",
    "CommitmentTable",
    "CommitmentView",
    "Confirmation",
    "Decision",
    "DecisionBoard",
    "DecisionClosed",
    "DecisionOutcome",
    "GradeClosed",
    "GradeRecord",
    "GradingBoard",
    "GradingItem",
    "ProposalOutcome",
    "ProposalStart",
    "RemarkItem",
    "ReviewClosed",
    "UnitProgress",
    "VersionRecord",
]


class CommitmentService(Filing, Review, YearEnd, Grading, Deciding, Monitoring):
    """Everything about commitments; see the parts for each step."""
