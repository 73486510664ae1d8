"""What a coming reminder is about, as plain data for /reminders (the view words it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.rules.reminder_kinds import ReminderKind
from storage.sessions import Session


@dataclass(frozen=True)
class Subject:
    """The campaign's year and the day concerned (a deadline, the review's opening, a day
    of the month or quarter a cell's meeting is due in), or a session; for a duty, the
    units concerned and how many members are still missing or ungraded now."""

    year: int | None = None
    on: date | None = None
    until: date | None = None  # the year-end review's closing day
    session_id: int | None = None
    session_kind: str = ""
    topic: str = ""  # typed by a secretary: escape it
    starts_at: datetime | None = None
    units: tuple[str, ...] = ()  # unit names, as imported: escape them
    count: int | None = None

    @classmethod
    def of_session(cls, session: Session) -> Subject:
        return cls(
            session_id=session.id,
            session_kind=session.kind,
            topic=session.topic,
            starts_at=session.starts_at,
        )


@dataclass(frozen=True)
class Found:
    """One reminder found for the person, before it is marked mutable or muted."""

    kind: ReminderKind
    send_at: datetime
    subject: Subject
