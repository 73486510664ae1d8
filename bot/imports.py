"""Validation of organisation CSV files. Pure: it reads text and known codes, writes nothing.

Every problem is collected with its line number, so one run shows the whole list; the
service writes only when there are none (imports are all or nothing).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.i18n import N_, gettext
from bot.render.text import has_control_characters
from storage.records import LANGUAGES, MEMBER_STATUSES, UNIT_KINDS, RosterChange, RosterEntry

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
UNIT_OPTIONAL_COLUMNS = ("org_name",)
MEMBER_COLUMNS = ("code", "full_name", "unit_code", "status", "position")
MEMBER_OPTIONAL_COLUMNS = ("is_head", "language", "telegram_id", "work_unit")
MAX_NAME = 200
MAX_POSITION = 200
DELIMITERS = ",;\t"  # Excel on a Vietnamese-locale Windows saves CSV with ";"


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line in the file; 0 for the file as a whole
    message: str  # English message id, translated by render()
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self) -> str:
        text = gettext(self.message).format(**self.params)
        if self.line:
            return gettext("Line {line}: {problem}").format(line=self.line, problem=text)
        return text


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    org_name: str | None = None  # the Party organisation's name, where not derived from kind


@dataclass(frozen=True)
class MemberRow:
    line: int
    code: str
    full_name: str
    unit_codes: tuple[str, ...]  # primary first
    status: str
    position: str
    is_head: bool
    language: str | None
    telegram_id: int | None
    work_unit: str = ""  # "Đơn vị công tác", printed on the commitment form


def _delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _read(
    text: str, required: tuple[str, ...], optional: tuple[str, ...], problems: list[Problem]
) -> list[tuple[int, dict]]:
    """The rows as {column: value} with their line numbers. Headers are matched without
    regard to case or surrounding spaces; comma, semicolon or tab separated."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        problems.append(Problem(0, N_("The file is empty.")))
        return []
    delimiter = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error:
        problems.append(Problem(1, N_("unclosed quote")))
        return []
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(
            Problem(1, N_("missing column(s): {columns}"), {"columns": ", ".join(missing)})
        )
        return []
    known = set(required) | set(optional)
    rows = []
    start = reader.line_num + 1
    try:
        for values in reader:
            line, start = start, reader.line_num + 1
            if len(values) > len(header):
                problems.append(Problem(line, N_("too many values in this row")))
                continue
            row = {
                name: value.strip()
                for name, value in zip(header, values, strict=False)
                if name in known
            }
            if not any(row.values()):
                continue  # blank line
            bad = [name for name, value in row.items() if has_control_characters(value)]
            if bad:
                problems.append(
                    Problem(
                        line,
                        N_("{column} contains invisible control characters; retype it"),
                        {"column": bad[0]},
                    )
                )
                continue
            rows.append((line, {name: row.get(name, "") for name in known}))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            problems.append(Problem(start, N_("unclosed quote")))
        else:
            problems.append(Problem(start, N_("unreadable CSV: {error}"), {"error": exc}))
    return rows


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or ImportRejected."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [
                Problem(
                    0, N_("The file is not UTF-8 text (byte {position})."), {"position": exc.start}
                )
            ]
        ) from None


def _check_code(line: int, column: str, code: str, problems: list[Problem]) -> bool:
    if not code:
        problems.append(Problem(line, N_("{column} is empty"), {"column": column}))
        return False
    if not CODE_PATTERN.match(code):
        problems.append(
            Problem(
                line,
                N_("{column} '{code}' may only use letters, digits, '.', '_' and '-'"),
                {"column": column, "code": code},
            )
        )
        return False
    return True


def _check_unique(line: int, code: str, seen: dict[str, int], problems: list[Problem]) -> bool:
    if code in seen:
        problems.append(
            Problem(
                line,
                N_("duplicate code '{code}' (also on line {other})"),
                {"code": code, "other": seen[code]},
            )
        )
        return False
    return True


def _check_text(
    line: int, column: str, value: str, limit: int, problems: list[Problem], *, required: bool
) -> bool:
    if not value:
        if required:
            problems.append(Problem(line, N_("{column} is empty"), {"column": column}))
        return not required
    if len(value) > limit:
        problems.append(
            Problem(
                line,
                N_("{column} is longer than {limit} characters"),
                {"column": column, "limit": limit},
            )
        )
        return False
    return True


def validate_units(text: str, existing_parents: Mapping[str, str | None]) -> list[UnitRow]:
    """Check a units file against the units already stored (code → parent code).

    Returns the rows ordered parents first, or raises ImportRejected with every problem.
    """
    problems: list[Problem] = []
    rows: list[UnitRow] = []
    parent_refs: list[tuple[int, str]] = []  # checked for every row, even one with other faults
    seen: dict[str, int] = {}
    for line, values in _read(text, UNIT_COLUMNS, UNIT_OPTIONAL_COLUMNS, problems):
        code, kind = values["code"], values["kind"]
        name, org_name = " ".join(values["name"].split()), " ".join(values["org_name"].split())
        parent = values["parent_code"] or None
        if parent is not None and parent != code:  # a self-parent is reported below
            parent_refs.append((line, parent))
        ok = _check_code(line, "code", code, problems) and _check_unique(line, code, seen, problems)
        ok &= _check_text(line, "name", name, MAX_NAME, problems, required=True)
        ok &= _check_text(line, "org_name", org_name, MAX_NAME, problems, required=False)
        if kind not in UNIT_KINDS:
            problems.append(
                Problem(
                    line,
                    N_("unknown kind '{kind}'; use one of: {allowed}"),
                    {"kind": kind, "allowed": ", ".join(UNIT_KINDS)},
                )
            )
            ok = False
        if parent is not None and parent == code:
            problems.append(Problem(line, N_("a unit cannot be its own parent")))
            ok = False
        if ok:
            seen[code] = line
            rows.append(UnitRow(line, code, name, kind, parent, org_name or None))
    parents: dict[str, str | None] = dict(existing_parents)
    parents.update({row.code: row.parent_code for row in rows})
    for line, parent in parent_refs:
        if parent not in parents:
            problems.append(Problem(line, N_("unknown parent_code '{code}'"), {"code": parent}))
    problems.extend(_cycles(rows, parents))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))
    return _parents_first(rows, parents)


def _cycles(rows: list[UnitRow], parents: Mapping[str, str | None]) -> list[Problem]:
    """Rows that lie on a cycle; a row merely below a cycle is not itself at fault."""
    found = []
    for row in rows:
        node = parents.get(row.code)
        visited = {row.code}
        while node is not None and node in parents and node not in visited:
            visited.add(node)
            node = parents[node]
        if node == row.code:
            found.append(
                Problem(
                    row.line,
                    N_("unit '{code}' would be its own ancestor (a cycle)"),
                    {"code": row.code},
                )
            )
    return found


def _parents_first(rows: list[UnitRow], parents: Mapping[str, str | None]) -> list[UnitRow]:
    def depth(code: str) -> int:
        count, node = 0, parents.get(code)
        while node is not None:
            count, node = count + 1, parents.get(node)
        return count

    return sorted(rows, key=lambda row: (depth(row.code), row.line))


def _parse_bool(value: str) -> bool | None:
    lowered = value.lower()
    if lowered in ("", "false"):
        return False
    if lowered == "true":
        return True
    return None


def validate_members(
    text: str,
    unit_exists: Callable[[str], bool],
    telegram_owner: Mapping[int, str | None],
) -> list[MemberRow]:
    """Check a members file. ``telegram_owner`` maps stored Telegram ids to member codes."""
    problems: list[Problem] = []
    rows: list[MemberRow] = []
    seen: dict[str, int] = {}
    telegram_seen: dict[int, int] = {}
    for line, values in _read(text, MEMBER_COLUMNS, MEMBER_OPTIONAL_COLUMNS, problems):
        code = values["code"]
        ok = _check_code(line, "code", code, problems) and _check_unique(line, code, seen, problems)
        full_name = " ".join(values["full_name"].split())
        position = " ".join(values["position"].split())
        work_unit = " ".join(values["work_unit"].split())
        ok &= _check_text(line, "full_name", full_name, MAX_NAME, problems, required=True)
        ok &= _check_text(line, "position", position, MAX_POSITION, problems, required=False)
        ok &= _check_text(line, "work_unit", work_unit, MAX_NAME, problems, required=False)
        unit_codes = tuple(part.strip() for part in values["unit_code"].split(";") if part.strip())
        if not unit_codes:
            problems.append(Problem(line, N_("{column} is empty"), {"column": "unit_code"}))
            ok = False
        for unit_code in unit_codes:
            if not unit_exists(unit_code):
                problems.append(
                    Problem(line, N_("unknown unit_code '{code}'"), {"code": unit_code})
                )
                ok = False
        if len(set(unit_codes)) != len(unit_codes):
            problems.append(Problem(line, N_("the same unit is listed twice")))
            ok = False
        status = values["status"]
        if status not in MEMBER_STATUSES:
            problems.append(
                Problem(
                    line,
                    N_("unknown status '{status}'; use one of: {allowed}"),
                    {"status": status, "allowed": ", ".join(MEMBER_STATUSES)},
                )
            )
            ok = False
        is_head = _parse_bool(values.get("is_head", ""))
        if is_head is None:
            problems.append(
                Problem(
                    line,
                    N_("is_head must be true or false, not '{value}'"),
                    {"value": values["is_head"]},
                )
            )
            ok = False
        language = values.get("language", "").lower() or None
        if language is not None and language not in LANGUAGES:
            problems.append(
                Problem(
                    line,
                    N_("language must be vi or en, not '{value}'"),
                    {"value": values["language"]},
                )
            )
            ok = False
        raw_telegram = values.get("telegram_id", "")
        telegram_id: int | None = None
        if raw_telegram:
            if not re.fullmatch(r"\d{1,15}", raw_telegram):
                problems.append(
                    Problem(
                        line,
                        N_(
                            "telegram_id must be a number (the user id, not "
                            "@username), not '{value}'"
                        ),
                        {"value": raw_telegram},
                    )
                )
                ok = False
            else:
                telegram_id = int(raw_telegram)
                if telegram_id in telegram_seen:
                    problems.append(
                        Problem(
                            line,
                            N_("telegram_id {value} is also on line {other}"),
                            {"value": telegram_id, "other": telegram_seen[telegram_id]},
                        )
                    )
                    ok = False
                owner = telegram_owner.get(telegram_id, code)
                if owner != code:
                    problems.append(
                        Problem(
                            line,
                            N_("telegram_id {value} already belongs to member '{owner}'"),
                            {"value": telegram_id, "owner": owner or "?"},
                        )
                    )
                    ok = False
                telegram_seen[telegram_id] = line
        if ok:
            seen[code] = line
            rows.append(
                MemberRow(
                    line,
                    code,
                    full_name,
                    unit_codes,
                    status,
                    position,
                    bool(is_head),
                    language,
                    telegram_id,
                    work_unit,
                )
            )
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))
    return rows


def plan_roster(
    rows: list[MemberRow], roster: Mapping[str, RosterEntry], unit_ids: Mapping[str, int]
) -> tuple[RosterChange, int, int]:
    """What importing ``rows`` changes against the stored roster: the change to write, and
    how many members are new and how many changed. Pure, so the write transaction that
    follows is short. A member whose primary unit changes is end-dated in the old one and
    starts in the new one; unlisted extra units are end-dated."""
    new: list = []
    changed: list = []
    ended: list[int] = []
    added: list[tuple[str, int, bool]] = []
    updated = 0
    for row in rows:
        stored = roster.get(row.code)
        values = (
            row.code,
            row.full_name,
            row.status,
            row.position,
            row.is_head,
            row.language,
            row.telegram_id,
            row.work_unit,
        )
        wanted = {unit_ids[code]: index == 0 for index, code in enumerate(row.unit_codes)}
        if stored is None:
            new.append(values)
            added += [(row.code, unit_id, primary) for unit_id, primary in wanted.items()]
            continue
        fields_changed = (
            stored.full_name,
            stored.status,
            stored.position,
            stored.is_head,
            stored.language,
            stored.telegram_id,
            stored.work_unit,
        ) != (
            row.full_name,
            row.status,
            row.position,
            row.is_head,
            row.language or stored.language,
            row.telegram_id if row.telegram_id is not None else stored.telegram_id,
            row.work_unit,
        )
        if fields_changed:
            changed.append(values)
        moved = False
        for unit_id, (membership_id, is_primary) in stored.memberships.items():
            if wanted.get(unit_id) is None or wanted[unit_id] != is_primary:
                ended.append(membership_id)
                moved = True
            else:
                del wanted[unit_id]
        added += [(row.code, unit_id, primary) for unit_id, primary in wanted.items()]
        updated += fields_changed or moved or bool(wanted)
    return RosterChange(new, changed, ended, added), len(new), updated
