"""The propaganda board's stories: drafts, the audience, sending now or at a time, "read and
learned", and the figures per unit.

A story is sent through the outbox: one row per recipient, queued in the transaction that
moves the story to ``sent`` — at once for "send now"; for a scheduled story, by the release
job when its time comes (the schedule itself is only the story's status and time, so it
survives restarts, and the audience is the one of that moment). Who may write: the
``propaganda`` role (and administrators), within the units they hold it on.

One class per concern over a shared base (base.py); :class:`StoryService` is all of them:

- composing.py: create_draft, edit;
- sending.py: overview, count_recipients, send_now, schedule, release_due, cancel;
- reading.py: the board's list, one story, what a member received, "read and learned",
  the public channels;
- stats.py: a story's figures, the engagement per unit for the reports.
"""

from __future__ import annotations

from bot.services.stories.base import (
    BOARD,
    EDITABLE,
    SCHEDULE_AHEAD,
    AudienceLevel,
    StoryOverview,
    StoryStats,
    UnitChoice,
    UnitEngagement,
    story_params,
    story_stamp,
)
from bot.services.stories.composing import Composing
from bot.services.stories.reading import Reading
from bot.services.stories.sending import Sending
from bot.services.stories.stats import Figures


class StoryService(Composing, Sending, Reading, Figures):
    """The story service the handlers, the CLI and the benchmark use (``services.stories``)."""


__all__ = [
    "BOARD",
    "EDITABLE",
    "SCHEDULE_AHEAD",
    "AudienceLevel",
    "StoryOverview",
    "StoryService",
    "StoryStats",
    "UnitChoice",
    "UnitEngagement",
    "story_params",
    "story_stamp",
]
