"""Benchmark: wall time of `wparchive --help` against the interpreter starting alone.

Run: .venv/bin/python tests/benchmarks/bench_startup.py [--repeat 15] [--against PATH]
`--against` names another checkout (e.g. `git worktree add /tmp/old <commit>`) whose `--help` is
timed in the same rounds with this interpreter, for a before/after. Prints JSON: medians in
seconds, and `--help` minus the bare interpreter (what wparchive itself costs). Target: < 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bytecode import compile_checkout  # noqa: E402

HELP = "import sys; sys.argv = ['wparchive', '--help']; from scraper.cli import app; app()"


def wall(argv: list[str], cwd: Path) -> float:
    """Seconds one run of `argv` takes, output discarded."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another checkout to time in the same rounds")
    args = parser.parse_args()
    for checkout in (ROOT, args.against):
        if checkout is not None:
            compile_checkout(checkout)
    runs: dict[str, tuple[list[str], Path]] = {
        "python": ([sys.executable, "-c", "pass"], ROOT),
        "help": ([sys.executable, "-c", HELP], ROOT),
    }
    if args.against:
        runs["help_against"] = ([sys.executable, "-c", HELP], args.against.resolve())
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # interleaved rounds: a busy moment hits every variant alike
        for name, (argv, cwd) in runs.items():
            times[name].append(wall(argv, cwd))
    medians = {name: round(statistics.median(values), 4) for name, values in times.items()}
    medians["help_minus_python"] = round(medians["help"] - medians["python"], 4)
    print(json.dumps({"repeat": args.repeat, "median_seconds": medians}, indent=2))


if __name__ == "__main__":
    main()
