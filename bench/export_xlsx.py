"""How long a large XLSX export takes, and how long it stalls the bot's event loop.

Prints figures; asserts nothing. Builds a table of ROWS rows like the commitments export
(15 columns: Vietnamese text, a date, numbers; some cells hostile), then measures, each
REPEAT times, the time to build the workbook and the event loop's longest stall meanwhile.
A ticker task sleeps 1 ms in a loop and records the longest gap between its wake-ups: what
every other user's update would wait.

  - before: openpyxl's normal mode, built in the event loop (the code before this change,
    kept below as ``xlsx_before`` so that both are measured in the same run);
  - write-only mode, in the event loop (the builder alone, to separate the two effects);
  - after: bot.render.exports.export_table (write-only mode) in a worker thread, as the bot
    now calls it (asyncio.to_thread).

    .venv/bin/python bench/export_xlsx.py [--rows 6000 --repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date

import openpyxl
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.render.exports import export_table

HEADER = [
    "Năm", "Mã đảng viên", "Đảng viên", "Đơn vị", "Nội dung", "STT", "Nội dung cam kết",
    "Thời hạn", "Trạng thái", "Nộp muộn", "Phiên bản", "Tự đánh giá", "Minh chứng", "Xếp loại",
    "Điểm",
]  # fmt: skip


def table(rows: int) -> list[list[object]]:
    """An invented export: 6 actions per member, a few cells starting like formulas."""
    out: list[list[object]] = []
    for n in range(rows):
        member = n // 6
        action = (
            f'=HYPERLINK("http://x/{n}","Xem")'
            if n % 97 == 0
            else f"Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh, việc số {n}"
        )
        out.append(
            [
                2026, f"DV{member:05d}", f"Nguyễn Thị Đảng Viên {member}",
                f"Chi bộ Khu vực {member % 40}", "Về tư tưởng chính trị", n % 6 + 1, action,
                date(2026, 1 + n % 12, 1 + n % 28), "Đã duyệt", "", 1, "Hoàn thành tốt", "",
                "Hoàn thành tốt nhiệm vụ", 85,
            ]
        )  # fmt: skip
    return out


def xlsx_before(header: Sequence[str], rows: Sequence[Sequence[object]], sheet: str) -> bytes:
    """The builder as it was before: normal mode (every cell kept in memory), dates as text."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet[:31]
    worksheet.append(list(header))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in header]
    for row in rows:
        values = ["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, date) else v
                  for v in row]  # fmt: skip
        worksheet.append(values)
        widths = [max(w, min(60, len(str(v)))) for w, v in zip(widths, values, strict=False)]
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width + 2
    worksheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_after(header: Sequence[str], rows: Sequence[Sequence[object]], sheet: str) -> bytes:
    return export_table("xlsx", header, rows, sheet=sheet)


async def measure(
    build: Callable[..., bytes], rows: list[list[object]], *, in_thread: bool
) -> tuple[float, float]:
    """(seconds to build, longest event-loop stall in seconds) for one build."""
    stop = asyncio.Event()
    longest = 0.0

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)  # the ticker is running
    longest = 0.0
    started = time.perf_counter()
    if in_thread:
        await asyncio.to_thread(build, HEADER, rows, "2026")
    else:
        build(HEADER, rows, "2026")  # what a handler calling it directly does
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.01)  # let the ticker see the end of a stall
    stop.set()
    await task
    return elapsed, longest


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = table(args.rows)
    print(
        f"machine: {_cpu()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"openpyxl {openpyxl.__version__}"
    )
    print(f"{args.rows} rows × {len(HEADER)} columns, {args.repeat} runs each (median, worst)")
    cases = [
        ("before: normal mode, in the event loop", xlsx_before, False),
        ("write-only mode, in the event loop", xlsx_after, False),
        ("after: write-only mode, worker thread", xlsx_after, True),
    ]
    for label, build, in_thread in cases:
        builds, stalls = [], []
        for _ in range(args.repeat):
            elapsed, stall = await measure(build, rows, in_thread=in_thread)
            builds.append(elapsed * 1000)
            stalls.append(stall * 1000)
        print(
            f"  {label:40s} build {statistics.median(builds):7.0f} ms (worst "
            f"{max(builds):5.0f})   loop stall {statistics.median(stalls):7.1f} ms (worst "
            f"{max(stalls):6.1f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
