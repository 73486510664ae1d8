"""Session and attendance rules. Pure functions: no Telegram, no database.

- the check-in window and the short code read out in the room;
- attendance marks, the paper-style summary line, and the bulk-edit parser ("3 V ốm", "5 P");
- attendance rates, which leave exempt members out;
- the cadence rule: one regular session every month, one thematic session every quarter;
- the study cascade: which units have studied the campaign topic before their deadline;
- the free-text fields of a session, the numbered attendance list and report periods, as
  typed (the minutes' own rules are in :mod:`bot.rules.minutes`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, Term
from bot.i18n import N_, gettext
from bot.parsing import check_year, parse_date
from bot.render.text import utf16_len

if TYPE_CHECKING:
    from storage.records import Unit
    from storage.sessions import Invitee


class Kind(StrEnum):
    REGULAR = "regular"
    THEMATIC = "thematic"
    CONFERENCE = "conference"


KIND_NAMES = {
    Kind.REGULAR: N_("Regular monthly meeting"),
    Kind.THEMATIC: N_("Thematic meeting"),
    Kind.CONFERENCE: N_("(Online) conference"),
}


class Mark(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"  # absent with a reason
    ABSENT = "absent"  # absent without a reason


MARK_NAMES = {
    Mark.PRESENT: N_("Present"),
    Mark.EXCUSED: N_("Absent with reason"),
    Mark.ABSENT: N_("Absent without reason"),
}
MARK_ICONS = {Mark.PRESENT: "✅", Mark.EXCUSED: "🟡", Mark.ABSENT: "❌"}
# The next mark when a secretary taps a line's button.
NEXT_MARK = {Mark.PRESENT: Mark.EXCUSED, Mark.EXCUSED: Mark.ABSENT, Mark.ABSENT: Mark.PRESENT}

EXEMPT = "exempt"
EXEMPT_NAME = N_("Exempt from meetings")
EXEMPT_ICON = "➖"

# Check-in -----------------------------------------------------------------------------------

CHECKIN_BEFORE = timedelta(minutes=30)
CHECKIN_AFTER = timedelta(hours=2)
CODE_LENGTH = 6
# Members may report "I attended" this long after the start (with confirmation).
REPORT_WITHIN = timedelta(days=14)


class Window(StrEnum):
    EARLY = "early"
    OPEN = "open"
    CLOSED = "closed"


def checkin_window(
    starts_at: datetime,
    before: timedelta = CHECKIN_BEFORE,
    after: timedelta = CHECKIN_AFTER,
) -> tuple[datetime, datetime]:
    """From ``before`` the start to ``after`` it (by default 30 minutes and 2 hours)."""
    return starts_at - before, starts_at + after


def window_state(now: datetime, opens: datetime, closes: datetime) -> Window:
    if now < opens:
        return Window.EARLY
    if now > closes:
        return Window.CLOSED
    return Window.OPEN


def new_checkin_code() -> str:
    """Six digits: easy to read out in a room and to type on a phone."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def normalise_checkin_code(text: str) -> str:
    """``"482 913"``, ``"482-913"`` → ``"482913"``; anything else is InvalidInput."""
    code = re.sub(r"[\s\-.]", "", text)
    if not (len(code) == CODE_LENGTH and code.isdigit()):
        raise InvalidInput(
            N_(
                "'{text}' is not a check-in code. The code has {length} digits, for "
                "example: /attend 482913"
            ),
            text=text.strip()[:20],
            length=CODE_LENGTH,
        )
    return code


def format_code(code: str) -> str:
    """``482913`` → ``482 913``, as it is read out."""
    return f"{code[:3]} {code[3:]}" if len(code) == CODE_LENGTH else code


# Attendance marks ---------------------------------------------------------------------------


def derive_mark(
    *,
    checked_in: bool,
    rsvp: str | None,
    rsvp_reason: str | None,
    mark: str | None,
    reason: str | None,
) -> tuple[Mark, str]:
    """The mark a line shows: the secretary's correction first, then the check-in, then a
    declined invitation with its reason; otherwise absent without a reason."""
    if mark:
        return Mark(mark), reason or ""
    if checked_in:
        return Mark.PRESENT, ""
    if rsvp == "no" and rsvp_reason:
        return Mark.EXCUSED, rsvp_reason
    return Mark.ABSENT, ""


@dataclass(frozen=True)
class Line:
    """One line of the attendance list."""

    number: int
    member_id: int
    name: str
    status: str  # official / probationary / temporary / exempt
    mark: Mark
    reason: str = ""

    @property
    def exempt(self) -> bool:
        return self.status == EXEMPT

    @property
    def excused_from_meeting(self) -> bool:
        """Exempt and not there: neither present nor absent, just "Miễn sinh hoạt"."""
        return self.exempt and self.mark is not Mark.PRESENT

    @property
    def icon(self) -> str:
        return EXEMPT_ICON if self.excused_from_meeting else MARK_ICONS[self.mark]

    @property
    def next_mark(self) -> Mark:
        """The mark a tap on the line's button gives: present → absent with a reason →
        absent without → present; an exempt member's line only between exempt and present."""
        if self.exempt:
            return Mark.ABSENT if self.mark is Mark.PRESENT else Mark.PRESENT
        return NEXT_MARK[self.mark]


@dataclass(frozen=True)
class Counts:
    total: int  # the headcount that counts: every invitee but the exempt
    present: int
    excused: int
    absent: int
    exempt: int

    @property
    def rate(self) -> float | None:
        return self.present / self.total if self.total else None


def count_lines(lines: Iterable[Line]) -> Counts:
    counted = [line for line in lines]
    regular = [line for line in counted if not line.exempt]
    return Counts(
        total=len(regular),
        present=sum(line.mark is Mark.PRESENT for line in regular),
        excused=sum(line.mark is Mark.EXCUSED for line in regular),
        absent=sum(line.mark is Mark.ABSENT for line in regular),
        exempt=len(counted) - len(regular),
    )


def summary_line(counts: Counts) -> str:
    """ "Sĩ số 12 · Có mặt 9 · Vắng có lý do 2 · Vắng không lý do 1" in the current locale."""
    text = gettext(
        "Headcount {total} · Present {present} · Absent with reason {excused} · "
        "Absent without reason {absent}"
    ).format(
        total=counts.total, present=counts.present, excused=counts.excused, absent=counts.absent
    )
    if counts.exempt:
        text += " · " + gettext("Exempt {count}").format(count=counts.exempt)
    return text


def format_line(line: Line) -> str:
    """ "3. Lê Hoàng Cường — 🟡 Vắng có lý do: ốm", "4. Phạm Quốc Việt — ➖ Miễn sinh hoạt"
    (the name is not escaped here). An exempt member is never "absent": exempt, or present
    when they came."""
    if line.excused_from_meeting:
        return f"{line.number}. {line.name} — {EXEMPT_ICON} {gettext(EXEMPT_NAME)}"
    text = f"{line.number}. {line.name} — {MARK_ICONS[line.mark]} {gettext(MARK_NAMES[line.mark])}"
    if line.reason:
        text += f": {line.reason}"
    if line.exempt:
        text += " " + gettext("(exempt)")
    return text


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


# Bulk edits: "3 V ốm", "5 P", "2,4 C", "6-8 K" --------------------------------------------

_PRESENT = {"C", "CM", "X", "+", "CÓ"}
_EXCUSED = {"P", "CP", "VP"}
_ABSENT = {"K", "KP", "KL", "VK"}
_ABSENT_OR_REASON = {"V", "VẮNG", "VANG"}
_BULK = re.compile(r"^(?P<numbers>\d+(?:\s*[-,]\s*\d+)*)\s+(?P<letter>\S+)(?:\s+(?P<reason>.+))?$")


@dataclass(frozen=True)
class Change:
    number: int
    mark: Mark
    reason: str = ""


def parse_bulk(text: str, line_count: int) -> list[Change]:
    """Corrections by line number, one per line or separated by ';'.

    ``C`` present; ``P [reason]`` absent with a reason; ``V reason`` absent with that
    reason; ``V`` or ``K`` absent without a reason. ``2,4 C`` and ``6-8 K`` change several
    lines. Raises InvalidInput naming the first part it could not read.
    """
    changes: dict[int, Change] = {}
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    if not parts:
        raise InvalidInput(N_("Please send corrections such as: 3 V ốm"))
    for part in parts:
        match = _BULK.match(part)
        if not match:
            raise InvalidInput(
                N_(
                    "I could not read '{part}'. Write the line number, then C (present), "
                    "P or V with a reason (absent with reason), or K (absent without "
                    "reason), for example: 3 V ốm"
                ),
                part=part[:60],
            )
        letter = match["letter"].upper()
        reason = " ".join((match["reason"] or "").split())[:200]
        if letter in _PRESENT:
            mark, reason = Mark.PRESENT, ""
        elif letter in _EXCUSED:
            mark = Mark.EXCUSED
        elif letter in _ABSENT_OR_REASON:
            mark = Mark.EXCUSED if reason else Mark.ABSENT
        elif letter in _ABSENT:
            mark, reason = Mark.ABSENT, ""
        else:
            raise InvalidInput(
                N_(
                    "'{letter}' is not a mark. Use C (present), P or V with a reason (absent "
                    "with reason) or K (absent without reason)."
                ),
                letter=match["letter"][:10],
            )
        for number in _numbers(match["numbers"]):
            if not 1 <= number <= line_count:
                raise InvalidInput(
                    N_("There is no line {number}: the list has lines 1 to {count}."),
                    number=number,
                    count=line_count,
                )
            changes[number] = Change(number, mark, reason)
    return [changes[n] for n in sorted(changes)]


def _numbers(text: str) -> list[int]:
    found: list[int] = []
    for piece in re.split(r"\s*,\s*", text):
        if "-" in piece:
            low, high = (int(x) for x in re.split(r"\s*-\s*", piece))
            if high < low or high - low > 500:
                raise InvalidInput(N_("The range {low}-{high} is not valid."), low=low, high=high)
            found.extend(range(low, high + 1))
        else:
            found.append(int(piece))
    return found


def apply_changes(lines: Sequence[Line], changes: Iterable[Change]) -> list[Line]:
    by_number = {change.number: change for change in changes}
    result = []
    for line in lines:
        change = by_number.get(line.number)
        if change is None:
            result.append(line)
        else:
            result.append(
                Line(
                    line.number, line.member_id, line.name, line.status, change.mark, change.reason
                )
            )
    return result


# Rates ----------------------------------------------------------------------------------------


def attendance_rate(marks: Iterable[tuple[str, Mark]]) -> tuple[int, int, float | None]:
    """(present, counted, rate) over (member status, mark) pairs; exempt members are left out."""
    present = counted = 0
    for status, mark in marks:
        if status == EXEMPT:
            continue
        counted += 1
        present += mark is Mark.PRESENT
    return present, counted, (present / counted if counted else None)


# Cadence: one regular session a month, one thematic session a quarter -------------------------


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class Cadence:
    regular_by_month: dict[tuple[int, int], int]
    thematic_by_quarter: dict[tuple[int, int], int]
    missing_months: list[tuple[int, int]]
    missing_quarters: list[tuple[int, int]]

    @property
    def ok(self) -> bool:
        return not self.missing_months and not self.missing_quarters


# The meeting rule (a regular meeting a month, a thematic one a quarter) binds the Party's
# basic units; committees meet on their own schedules and mass-organisation branches follow
# their own organisation's rules.
CADENCE_KINDS = frozenset({"cell", "party_group"})


def follows_cadence(unit_kind: str) -> bool:
    return unit_kind in CADENCE_KINDS


def cadence(held: Iterable[tuple[str, date]], start: date, end: date, today: date) -> Cadence:
    """Check held (closed) sessions, as (kind, local date), against the rule over a period.

    A month or a quarter that has not ended yet by ``today`` is not missing yet.
    """
    months = months_between(start, end)
    quarters = sorted({(y, (m - 1) // 3 + 1) for y, m in months})
    regular = dict.fromkeys(months, 0)
    thematic = dict.fromkeys(quarters, 0)
    for kind, day in held:
        if not start <= day <= end:
            continue
        if kind == Kind.REGULAR:
            regular[(day.year, day.month)] += 1
        elif kind == Kind.THEMATIC:
            thematic[quarter_of(day)] += 1
    current_month = (today.year, today.month)
    missing_months = [m for m in months if regular[m] == 0 and m < current_month]
    missing_quarters = [q for q in quarters if thematic[q] == 0 and q < quarter_of(today)]
    return Cadence(regular, thematic, missing_months, missing_quarters)


# Study cascade --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyUnit:
    id: int
    parent_id: int | None
    deadline: date
    held_on: tuple[date, ...]  # local dates of the unit's own closed campaign-topic sessions


@dataclass(frozen=True)
class StudyState:
    unit_id: int
    deadline: date
    done_on: date | None  # the date the unit finished, None when not done
    leaves_done: int
    leaves_total: int

    @property
    def done(self) -> bool:
        return self.done_on is not None


def study_states(units: Sequence[StudyUnit]) -> dict[int, StudyState]:
    """A unit without children has studied when it held and closed a session on the campaign
    topic on or before its deadline; a unit with children, when all of them have."""
    children: dict[int | None, list[StudyUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ids = {unit.id for unit in units}
    states: dict[int, StudyState] = {}

    def visit(unit: StudyUnit) -> StudyState:
        kids = children.get(unit.id, [])
        if not kids:
            in_time = sorted(d for d in unit.held_on if d <= unit.deadline)
            done_on = in_time[0] if in_time else None
            state = StudyState(unit.id, unit.deadline, done_on, int(bool(done_on)), 1)
        else:
            kid_states = [visit(kid) for kid in kids]
            all_done = all(s.done for s in kid_states)
            done_on = max(s.done_on for s in kid_states) if all_done else None  # type: ignore[type-var]
            state = StudyState(
                unit.id,
                unit.deadline,
                done_on,
                sum(s.leaves_done for s in kid_states),
                sum(s.leaves_total for s in kid_states),
            )
        states[unit.id] = state
        return state

    for unit in units:
        if unit.parent_id is None or unit.parent_id not in ids:
            visit(unit)
    return states


def effective_deadline(
    path_ids: Sequence[int], set_deadlines: dict[int, date], default: date
) -> date:
    """The deadline a unit works to: the nearest one set on it or above it, else the default.

    ``path_ids`` runs from the root down to the unit itself.
    """
    for unit_id in reversed(path_ids):
        if unit_id in set_deadlines:
            return set_deadlines[unit_id]
    return default


def path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def subtree_study(
    units: Sequence[Unit], top_id: int, deadlines: dict[int, date], default: date,
    held: dict[int, list[date]],
) -> dict[int, StudyState]:  # fmt: skip
    """The study states of ``top_id``'s subtree (``units``, the top the root), each unit's
    own closed campaign-topic sessions held on ``held[unit id]`` (local dates)."""
    return study_states([
        StudyUnit(u.id, u.parent_id if u.id != top_id else None,
                  effective_deadline(path_ids(u.path), deadlines, default),
                  tuple(held.get(u.id, ())))
        for u in units
    ])  # fmt: skip


# Free-text fields -----------------------------------------------------------------------------

TOPIC_MIN, TOPIC_MAX = 5, 500
PLACE_MAX = 300
LEAD_IN_MAX = 3000
REASON_MIN, REASON_MAX = 2, 300


def clean_text(text: str, *, low: int, high: int, what: str) -> str:
    """One line squeezed to single spaces (several lines kept as sent), ``low`` to ``high``
    characters counted as Telegram counts them (UTF-16 code units: an emoji is two), and not
    a command; InvalidInput naming ``what`` otherwise."""
    value = " ".join(text.split()) if "\n" not in text.strip() else text.strip()
    if not low <= utf16_len(value) <= high:
        raise InvalidInput(
            N_("The {what} must be {low} to {high} characters."),
            what=Term(what),
            low=low,
            high=high,
        )
    if value.startswith("/"):
        raise InvalidInput(N_("Please send the text itself, not a command."))
    return value


# The free-text fields of a session: (shortest, longest, what the error calls it).
FIELDS = {
    "topic": (TOPIC_MIN, TOPIC_MAX, N_("topic")),
    "place": (2, PLACE_MAX, N_("place")),
    "presenter": (4, 100, N_("presenter's name")),
    "lead_in": (10, LEAD_IN_MAX, N_("lead-in")),
}
EDITABLE = ("topic", "starts_at", "place", "presenter", "lead_in")


def check_field(field: str, text: str) -> str:
    """The cleaned value of a free-text field, or InvalidInput saying what is wrong."""
    low, high, what = FIELDS[field]
    return clean_text(text, low=low, high=high, what=what)


# The numbered attendance list -------------------------------------------------------------------


def lines_of(invitees: Sequence[Invitee]) -> list[Line]:
    """The numbered attendance list: counted members first, the exempt at the end."""
    ordered = [i for i in invitees if i.status != EXEMPT] + [
        i for i in invitees if i.status == EXEMPT
    ]
    lines = []
    for number, invitee in enumerate(ordered, start=1):
        mark, reason = derive_mark(
            checked_in=invitee.checked_in_at is not None,
            rsvp=invitee.rsvp,
            rsvp_reason=invitee.rsvp_reason,
            mark=invitee.mark,
            reason=invitee.reason,
        )
        lines.append(
            Line(number, invitee.member_id, invitee.full_name, invitee.status, mark, reason)
        )
    return lines


# Report periods ---------------------------------------------------------------------------------


def parse_period(text: str | None, today: date) -> tuple[date, date]:
    """``3/2026`` (a month), ``Q1/2026`` or ``Q1`` (a quarter), ``2026`` (a year),
    ``1/1/2026-31/3/2026``; nothing: the current quarter up to ``today``. Years 2000 to 2100
    only (:func:`bot.parsing.check_year`)."""
    value = (text or "").strip().upper().replace(" ", "")
    if not value:
        quarter = (today.month - 1) // 3
        return date(today.year, quarter * 3 + 1, 1), today
    match = re.fullmatch(r"Q([1-4])(?:[/\-](\d{4}))?", value)
    if match:
        year = check_year(int(match[2] or today.year), text)
        first = (int(match[1]) - 1) * 3 + 1
        return date(year, first, 1), month_end(year, first + 2)
    match = re.fullmatch(r"(\d{1,2})[/\-](\d{4})", value)
    if match and 1 <= int(match[1]) <= 12:
        year, month = check_year(int(match[2]), text), int(match[1])
        return date(year, month, 1), month_end(year, month)
    if re.fullmatch(r"\d{4}", value):
        year = check_year(int(value), text)
        return date(year, 1, 1), date(year, 12, 31)
    if "-" in value and not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        left, _, right = (text or "").strip().partition("-")
        if re.fullmatch(r"\d{4}", left.strip()):  # ISO on both sides: 2026-01-01..2026-03-31
            raise InvalidInput(N_("Please write the period like 1/2026, Q1/2026 or 2026."))
        start = parse_date(left, default_year=today.year)
        end = parse_date(right, default_year=today.year)
        if end < start:
            raise InvalidInput(N_("The period must end after it starts."))
        return start, end
    raise InvalidInput(
        N_(
            "I could not read the period '{text}'. Write it like 3/2026 (a month), Q1/2026 "
            "(a quarter), 2026 (a year) or 1/1/2026-31/3/2026."
        ),
        text=(text or "").strip()[:40],
    )


def month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)
