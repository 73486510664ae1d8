"""A larger run of the hostile-update fuzz suite (tests/e2e/test_fuzz.py) than `make test`'s.

Prints what it ran and how long it took; the suite's own invariants decide pass or fail
(the exit code is pytest's). Same seed, same updates: a failure reproduces with the seed it
prints.

    .venv/bin/python bench/fuzz.py [--examples 1000] [--rounds 10] [--seed 20260310]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="batches of 1-6 updates")
    parser.add_argument("--rounds", type=int, default=10, help="rounds over every state")
    parser.add_argument("--seed", type=int, default=20260310)
    args = parser.parse_args()
    env = {
        **os.environ,
        "CADREBOT_FUZZ_EXAMPLES": str(args.examples),
        "CADREBOT_FUZZ_STATE_ROUNDS": str(args.rounds),
        "CADREBOT_FUZZ_SEED": str(args.seed),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "--timeout",
            "0",  # a large run takes longer than one test may in the suite
            "tests/e2e/test_fuzz.py",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    print(
        f"fuzz: seed {args.seed}, {args.examples} examples, {args.rounds} rounds over every "
        f"state: {elapsed:.0f} s, exit {result.returncode}"
    )
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
