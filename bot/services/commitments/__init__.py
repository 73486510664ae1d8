"""Commitments: filing, review, versions, the year-end self-assessment and grading,
monitoring and exports.

One service in four parts over a shared base (:mod:`.base`): each part is a class of
methods on the same state (the database, the clock, the notifications), and
:class:`CommitmentService` is all four, so callers keep one ``services.commitments``.
Every change is one write transaction; notifications go out after it commits. The service
returns data: the texts of its notices are in :mod:`bot.render.commitment_notices`, the
printed form in :mod:`bot.render.commitment_form`, CSV/XLSX in :mod:`bot.render.exports`.
"""

from __future__ import annotations

from bot.services.commitments.base import CommitmentView
from bot.services.commitments.filing import Filing
from bot.services.commitments.monitoring import (
    CommitmentForm,
    CommitmentTable,
    Confirmation,
    Monitoring,
    UnitProgress,
)
from bot.services.commitments.review import Decision, DecisionClosed, Review
from bot.services.commitments.yearend import GradeClosed, ReviewClosed, YearEnd
from storage.commitments import ActionRecord, CommitmentRecord, GradeRecord, VersionRecord

__all__ = [
    "ActionRecord",
    "CommitmentForm",
    "CommitmentRecord",
    "CommitmentService",
    "CommitmentTable",
    "CommitmentView",
    "Confirmation",
    "Decision",
    "DecisionClosed",
    "GradeClosed",
    "GradeRecord",
    "ReviewClosed",
    "UnitProgress",
    "VersionRecord",
]


class CommitmentService(Filing, Review, YearEnd, Monitoring):
    """Everything about commitments; see the parts for each step."""
