"""The minutes' own rules. Pure functions: no Telegram, no database.

- the speakers and their opinions, as typed ("Name: opinion", one per line);
- the end of a meeting: a time of day on the meeting's local day, after its start.
"""

from __future__ import annotations

from datetime import datetime, time, tzinfo

from bot.errors import InvalidInput
from bot.i18n import N_

# The speakers ---------------------------------------------------------------------------------


def parse_speakers(text: str) -> list[tuple[str, str]]:
    """One speaker per line, ``Name: opinion``; InvalidInput naming the first bad line."""
    found = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-•").strip()
        if not line:
            continue
        name, sep, opinion = line.partition(":")
        if not sep or not name.strip() or not opinion.strip() or len(name) > 100:
            raise InvalidInput(
                N_("I could not read '{line}'. Write one speaker per line: Name: opinion"),
                line=line[:60],
            )
        found.append((" ".join(name.split()), " ".join(opinion.split())))
    if not found:
        raise InvalidInput(
            N_("I could not read '{line}'. Write one speaker per line: Name: opinion"), line=""
        )
    return found


# The end of the meeting -----------------------------------------------------------------------


def meeting_end(starts_at: datetime, ends: time, tz: tzinfo) -> datetime:
    """The moment a meeting that started at ``starts_at`` ended at ``ends`` (local time, the
    same day); InvalidInput unless it is after the start."""
    start = starts_at.astimezone(tz)
    end = datetime.combine(start.date(), ends, tzinfo=tz)
    if end <= start:
        raise InvalidInput(
            N_(
                "The meeting started at {start}: please send a later end time, "
                "for example {example}."
            ),
            start=start.strftime("%H:%M"),
            example=f"{min(start.hour + 2, 23):02d}:{start.minute:02d}",
        )
    return end
