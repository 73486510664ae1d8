"""Run every benchmark in this folder, one after the other, with its default sizes.

    make bench            # or: .venv/bin/python bench/run_all.py [--only NAME ...]

Each script prints its own figures and asserts nothing; copy them into docs/benchmarks.md
with the date and the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Imported by the benchmarks (the invented city, its year, the code before issue 12) or run on
# purpose (generate.py writes a database file): not benchmarks themselves.
HELPERS = {"city.py", "city_year.py", "before.py", "generate.py"}


def main() -> int:
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name and p.name not in HELPERS
    )
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None, help="script names, without .py")
    args = parser.parse_args()
    chosen = [p for p in scripts if args.only is None or p.stem in args.only]
    failed = 0
    for script in chosen:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {code}, {time.perf_counter() - started:.0f} s\n", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
