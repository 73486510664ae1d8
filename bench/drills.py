"""Crash and restart drills, many rounds: each round runs every drill of
tests/e2e/crash_drills.py (the bot killed with SIGKILL at a seeded random point during
/commit, /session new, a broadcast, the reminders, an import; a backup under load restored)
with its own seed, and prints one line per drill and round, then a summary. A failure prints
the seed that replays it:
``DRILL_SEED=N .venv/bin/python -m pytest tests/e2e/test_crash_drills.py``.

    .venv/bin/python bench/drills.py --rounds 20 [--seed 1] [--only commit,session]

It asserts nothing by itself beyond what the drills check; it exits 1 when any round failed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fake_telegram import FakeTelegramServer  # noqa: E402
from tests.e2e import crash_drills as drills  # noqa: E402
from tests.e2e import crash_drills_storage as storage_drills  # noqa: E402

DRILLS = {
    "commit": drills.drill_commit,
    "session": drills.drill_session,
    "broadcast": drills.drill_broadcast,
    "reminders": drills.drill_reminders,
    "import": storage_drills.drill_import,
    "backup": storage_drills.drill_backup,
}


async def one(name: str, seed: int, folder: Path) -> tuple[bool, str, float]:
    started = time.monotonic()
    rng = random.Random(f"{seed}:{name}")  # as tests/e2e/test_crash_drills.py draws it
    try:
        async with FakeTelegramServer() as server:
            report = await DRILLS[name](server, folder, rng)
    except Exception as error:
        detail = "".join(traceback.format_exception_only(error)).strip()
        return False, f"{name}: FAILED {detail[:2000]}", time.monotonic() - started
    return True, report.line(), time.monotonic() - started


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--only", default=",".join(DRILLS), help="comma-separated drills")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name]
    failures: list[str] = []
    times: dict[str, list[float]] = {name: [] for name in names}
    duplicates = in_doubt = 0
    with tempfile.TemporaryDirectory(prefix="cadrebot-drills-") as tmp:
        for round_number in range(args.rounds):
            seed = args.seed + round_number
            for name in names:
                folder = Path(tmp) / f"{seed}-{name}"
                ok, line, seconds = await one(name, seed, folder)
                times[name].append(seconds)
                print(f"DRILL_SEED={seed} {line} ({seconds:.1f} s)", flush=True)
                if not ok:
                    failures.append(f"DRILL_SEED={seed} {name}")
                else:
                    duplicates += int(line.split("duplicates ")[1].split()[0])
                    in_doubt += int(line.split("in doubt ")[1].split(",")[0])
    print()
    print("| drill | rounds | mean s | max s |")
    print("|---|---|---|---|")
    for name, seconds in times.items():
        if seconds:
            mean = sum(seconds) / len(seconds)
            print(f"| {name} | {len(seconds)} | {mean:.1f} | {max(seconds):.1f} |")
    print(
        f"\n{sum(len(s) for s in times.values())} drills, {len(failures)} failed; "
        f"{in_doubt} message(s) in doubt at the kills, {duplicates} duplicate(s) delivered"
    )
    for failure in failures:
        print("  failed:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
