"""The time source services use, injectable so tests can fix "now"."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


class Clock:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date where the organisation is."""
        return self.now().astimezone(self.tz).date()


class FixedClock(Clock):
    def __init__(self, tz: tzinfo, moment: datetime) -> None:
        super().__init__(tz)
        self.moment = moment

    def now(self) -> datetime:
        return self.moment
