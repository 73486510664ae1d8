"""The sandbox's demo organisation, loaded the way an operator would load a real one.

Invented people with Vietnamese names in a small city: a ward committee with three cells and
fifteen members, the current year's campaign, a few sessions ahead, one story already sent and
two commitments already submitted. Units, members, roles, the campaign and the story go through
the operator's own commands (``bot.cli.execute``), the sessions and commitments through the
services the bot itself calls, so the demo is what a real deployment would hold.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot import cli
from bot.config import Settings
from bot.context import Services
from bot.rules.access import Actor
from bot.rules.commitments import Heading
from bot.services.sessions import Draft

UNITS_CSV = """code,name,kind,parent_code
TU-TH,Thành ủy Tân Hòa,city_committee,
DU-BA,Đảng ủy phường Bình An,committee,TU-TH
CB-KP1,Chi bộ Khu phố 1,cell,DU-BA
CB-KP2,Chi bộ Khu phố 2,cell,DU-BA
CB-THCS,Chi bộ Trường THCS Bình An,cell,DU-BA
"""

# code, full name, unit, status, position, is head, Telegram id (the sandbox's fake users)
MEMBERS: tuple[tuple[str, str, str, str, str, bool, int], ...] = (
    ("DV001", "Nguyễn Văn An", "CB-KP1", "official", "Bí thư chi bộ", True, 1001),
    ("DV002", "Trần Thị Bích", "CB-KP1", "official", "Đảng viên", False, 1002),
    ("DV003", "Lê Hoàng Cường", "CB-KP1", "probationary", "Đảng viên dự bị", False, 1003),
    ("DV004", "Phạm Thu Dung", "CB-KP1", "official", "Đảng viên", False, 1004),
    ("DV005", "Võ Minh Đức", "CB-KP1", "official", "Phó Bí thư chi bộ", False, 1005),
    ("DV006", "Đặng Thị Hoa", "CB-KP2", "official", "Bí thư chi bộ", True, 1006),
    ("DV007", "Bùi Văn Khánh", "CB-KP2", "official", "Đảng viên", False, 1007),
    ("DV008", "Hồ Thị Lan", "CB-KP2", "official", "Đảng viên", False, 1008),
    ("DV009", "Ngô Quang Minh", "CB-KP2", "exempt", "Đảng viên miễn sinh hoạt", False, 1009),
    ("DV010", "Dương Thị Ngọc", "CB-THCS", "official", "Bí thư chi bộ, Hiệu trưởng", True, 1010),
    ("DV011", "Lý Văn Phát", "CB-THCS", "official", "Giáo viên", False, 1011),
    ("DV012", "Trịnh Thị Quỳnh", "CB-THCS", "temporary", "Giáo viên", False, 1012),
    ("DV013", "Huỳnh Văn Sơn", "CB-THCS", "official", "Giáo viên", False, 1013),
    ("DV014", "Mai Thị Thu", "DU-BA", "official", "Phó Bí thư Đảng ủy", True, 1014),
    ("DV015", "Châu Văn Tài", "DU-BA", "official", "Trưởng Ban Tuyên giáo và Dân vận", True, 1015),
)

ROLES = (
    ("DV001", "secretary", "CB-KP1"),
    ("DV005", "deputy", "CB-KP1"),
    ("DV006", "secretary", "CB-KP2"),
    ("DV010", "secretary", "CB-THCS"),
    ("DV014", "committee", "DU-BA"),
    ("DV015", "propaganda", "DU-BA"),
)

TOPIC = (
    "Nâng cao tinh thần trách nhiệm, năng động, sáng tạo, nêu gương của cán bộ, đảng viên "
    "trong thực hiện nhiệm vụ chính trị của địa phương"
)

# Paragraphs on one line each: Markdown's soft line breaks would show as breaks in Telegram.
STORY = "\n\n".join(
    (
        "# Bà Tư bán vé số trả lại 2 tỷ đồng cho khách",
        "Sáng nay, bà **Nguyễn Thị Tư** (khu phố 2, phường Bình An) đã tìm đến tận nhà để trả "
        "lại tấm vé số trúng thưởng mà một khách quen gửi giữ. Việc làm của bà là tấm gương sáng "
        "về *đạo đức, lối sống giản dị, trung thực* theo lời Bác dạy.",
        "Đề nghị các chi bộ phổ biến, biểu dương trong buổi sinh hoạt tháng này.",
    )
)

# Two members have already submitted, so the secretary has something to review at once.
SUBMITTED = {
    "DV004": (
        (Heading.IDEOLOGY, "Tham gia đầy đủ các buổi học tập chuyên đề năm của chi bộ"),
        (Heading.ETHICS, "Giữ gìn lối sống giản dị, gần gũi, giúp đỡ bà con trong khu phố"),
    ),
    "DV007": (
        (Heading.TASKS, "Vận động 100% hộ gia đình trong tổ dân phố thực hiện phân loại rác"),
    ),
}


@dataclass(frozen=True)
class Persona:
    """Someone the visitor can be on the page."""

    telegram_id: int
    code: str
    full_name: str
    unit: str
    position: str
    featured: str | None  # "member", "secretary", "committee", "propaganda" or None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.telegram_id,
            "code": self.code,
            "name": self.full_name,
            "unit": self.unit,
            "position": self.position,
            "featured": self.featured,
        }


_FEATURED = {"DV002": "member", "DV001": "secretary", "DV014": "committee", "DV015": "propaganda"}
_UNIT_NAMES = {
    line.split(",")[0]: line.split(",")[1] for line in UNITS_CSV.strip().splitlines()[1:]
}


def personas() -> list[Persona]:
    """The featured four first (member, secretary, committee, board), then everyone else."""
    everyone = [
        Persona(tid, code, name, _UNIT_NAMES[unit], position, _FEATURED.get(code))
        for code, name, unit, _status, position, _head, tid in MEMBERS
    ]
    order = list(_FEATURED.values())
    return sorted(everyone, key=lambda p: order.index(p.featured) if p.featured else len(order))


def members_csv() -> str:
    lines = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
    for code, name, unit, status, position, head, telegram_id in MEMBERS:
        quoted = f'"{position}"' if "," in position else position
        lines.append(f"{code},{name},{unit},{status},{quoted},{str(head).lower()},vi,{telegram_id}")
    return "\n".join(lines) + "\n"


def commit_deadline(today: date) -> date:
    """31 March as the plan sets it; once that has passed, the year's end, so the visitor can
    still file on time."""
    march = date(today.year, 3, 31)
    return march if today <= march else date(today.year, 12, 31)


class SeedFailed(RuntimeError):
    """A seeding command refused; the message carries what it printed."""


async def _command(settings: Settings, *argv: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await cli.execute(list(argv), settings)
    if code != 0:
        raise SeedFailed(f"cadrebot {' '.join(argv)}: {err.getvalue() or out.getvalue()}")


async def seed(settings: Settings, services: Services, folder: Path) -> None:
    """Load the demo into the (empty) database of ``settings``."""
    units, members, story = _write_files(folder)
    await _command(settings, "units", "import", str(units))
    await _command(settings, "members", "import", str(members))
    for member, role, unit in ROLES:
        await _command(
            settings, "role", "grant", "--member", member, "--role", role, "--unit", unit
        )
    today = services.clock.today()
    await _command(
        settings,
        "campaign",
        "create",
        "--year",
        str(today.year),
        "--topic",
        TOPIC,
        "--commit-deadline",
        commit_deadline(today).isoformat(),
    )
    await _command(
        settings, "story", "import", str(story), "--unit", "DU-BA", "--tag", "good_deed", "--now"
    )
    await _sessions(services, today)
    await _commitments(services)


def _write_files(folder: Path) -> tuple[Path, Path, Path]:
    """The files an operator would import: units, members, and the story in Markdown."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "units.csv", folder / "members.csv", folder / "story.md"
    for path, text in zip(paths, (UNITS_CSV, members_csv(), STORY), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


async def _actor_of(services: Services, code: str) -> Actor:
    telegram_id = next(m[6] for m in MEMBERS if m[0] == code)
    return await services.registration.identify(telegram_id)


async def _sessions(services: Services, today: date) -> None:
    async with services.db.read() as store:
        units = {code: await store.units.by_code(code) for code in ("CB-KP1", "CB-KP2", "DU-BA")}

    def at(days: int, hour: int) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=services.clock.tz)

    plans = (
        ("DV001", "CB-KP1", "regular", "Sinh hoạt chi bộ thường kỳ", at(3, 19), {}),
        (
            "DV001",
            "CB-KP1",
            "thematic",
            "Học tập và làm theo Bác về tinh thần trách nhiệm",
            at(10, 19),
            {
                "presenter": "Trần Thị Bích",
                "lead_in": "Bài gợi ý: nêu gương trong công việc hằng ngày ở khu phố.",
            },
        ),
        ("DV006", "CB-KP2", "regular", "Sinh hoạt chi bộ thường kỳ", at(5, 19), {}),
    )
    for code, unit, kind, topic, starts_at, extra in plans:
        unit_record = units[unit]
        assert unit_record is not None
        draft = Draft(
            unit_id=unit_record.id,
            kind=kind,
            topic=topic,
            on_campaign=kind == "thematic",
            starts_at=starts_at,
            place="Hội trường khu phố" if unit != "CB-THCS" else "Phòng họp nhà trường",
            **extra,
        )
        await services.sessions.create(await _actor_of(services, code), draft)


async def _commitments(services: Services) -> None:
    for code, actions in SUBMITTED.items():
        actor = await _actor_of(services, code)
        for heading, text in actions:
            await services.commitments.add_action(actor, heading.value, text)
        await services.commitments.submit(actor)
