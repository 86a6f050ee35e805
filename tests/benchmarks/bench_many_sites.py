"""Benchmark: sites per hour over many slow sites, first crawl and unchanged re-crawl, one process or workers.

Run: .venv/bin/python tests/benchmarks/bench_many_sites.py [--sites 1000] [--repeat 1]
        [--pg ADMIN_URL] [--workers 1 2 4]
        [--port 8080] [--max-comments 20] [--skip sqlite crawl-pg workers]
`--sites` WordPress-shaped REST sites (tests/benchmarks/many_sites_server.py: 10-50 posts, a few
pages, 0-20 threaded comments a post, 50-200 ms a response) are served by this process on
127.0.102.1 and up. Each row archives them all with the defaults (adaptive politeness, 16 sites at
once a process), then once more with nothing changed:
- `wparchive crawl --config sites.yaml`, one process, into SQLite and into PostgreSQL;
- `wparchive sites add --from-file` then 1, 2 and 4 `wparchive worker --until-idle` processes at
  once on PostgreSQL (before the re-crawl every site is made due again).
Each wparchive is a child process; the report gives wall time, sites per hour, requests (from the
server's log) and the peak RSS of the largest child (its own VmHWM). After each first crawl the
archive must hold every post, page and comment the sites serve. The baseline fetches the same URLs
(first and unchanged) with a bare `requests` loop on as many threads as a crawl keeps in flight at
most (`http.max_in_flight`, 32): what the server can give. A fresh database per row (PostgreSQL: made
with the admin URL, dropped after); the server, children and temp folder go away at the end, also
on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_ingest import databases  # noqa: E402
from tests.benchmarks.bytecode import compile_checkout  # noqa: E402
from tests.benchmarks.many_sites_server import ManySites  # noqa: E402
from tests.conftest import DEFAULT_PG_URL  # noqa: E402
from tests.hostile.runner import Run, run_wparchive  # noqa: E402
from tests.wordpress.processes import interrupt_on_sigterm  # noqa: E402

ADMIN = os.environ.get("WPARCHIVE_TEST_PG_URL", DEFAULT_PG_URL)  # as the store tests use
BASELINE_THREADS = 32  # http.max_in_flight: the most requests a crawl process keeps in flight
TIMEOUT = 3 * 3600.0
BARE_LOOP = """
import json, sys, threading, requests
from concurrent.futures import ThreadPoolExecutor
local = threading.local()
def fetch(url):
    if not hasattr(local, "session"):
        local.session = requests.Session()
    response = local.session.get(url, timeout=60)
    if response.headers.get("Content-Type", "").startswith("application/json"):
        response.json()
with ThreadPoolExecutor(int(sys.argv[2])) as pool:
    list(pool.map(fetch, json.load(open(sys.argv[1]))))
"""


class Bench:
    """The server, the work folder and the rows measured so far."""

    def __init__(self, sites: ManySites, work: Path) -> None:
        self.sites, self.work = sites, work
        self.totals = sites.totals()
        self.urls: dict[str, list[str]] = {}  # the URLs of the last first/unchanged crawl
        self.runs = 0
        (work / "sites.txt").write_text("".join(f"{url}\n" for url in sites.urls))
        listed = "".join(f"  - {url}\n" for url in sites.urls)
        (work / "sites.yaml").write_text(f"sites:\n{listed}")

    def timed(self, phase: str, commands: list[list[str]]) -> dict[str, Any]:
        """Run `commands` at once (each a wparchive child); wall time, requests, the peak."""
        mark = len(self.sites.log)
        runs: list[Run] = []
        started = time.monotonic()
        threads = [
            threading.Thread(target=lambda a=argv: runs.append(self.wparchive(*a)))
            for argv in commands
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        self.urls[phase] = [url for url, _ in self.sites.log[mark:]]
        failed = [run for run in runs if run.exit != 0]
        for run in failed:
            print(f"exit {run.exit}: {run.stderr[-1500:]}", file=sys.stderr)
        return {
            "seconds": round(seconds, 1),
            "sites_per_hour": round(self.sites.count / seconds * 3600),
            "requests": len(self.urls[phase]),
            "peak_mib": max(run.peak_mib for run in runs),
            "ok": not failed,
        }

    def wparchive(self, *args: str) -> Run:
        self.runs += 1
        return run_wparchive(self.work / f"run-{self.runs}", *args, timeout=TIMEOUT)

    def check_complete(self, db: str) -> None:
        """The archive holds every post, page and comment the sites serve."""
        engine = create_engine(db)
        try:
            with engine.connect() as conn:
                held = {
                    "posts": conn.scalar(text("SELECT count(*) FROM posts")),
                    "comments": conn.scalar(text("SELECT count(*) FROM comments")),
                }
        finally:
            engine.dispose()
        if held != self.totals:
            raise SystemExit(f"incomplete archive: {held}, the sites serve {self.totals}")

    def crawl_row(self, db: str) -> dict[str, dict[str, Any]]:
        crawl = ["crawl", "--config", str(self.work / "sites.yaml"), "--db", db, "--quiet"]
        first = self.timed("first", [crawl])
        self.check_complete(db)
        return {"first": first, "unchanged": self.timed("unchanged", [crawl])}

    def workers_row(self, db: str, workers: int) -> dict[str, dict[str, Any]]:
        for args in (
            ["db", "upgrade"],
            ["sites", "add", "--from-file", str(self.work / "sites.txt")],
        ):
            run = self.wparchive(*args, "--db", db)
            if run.exit != 0:
                raise SystemExit(f"wparchive {' '.join(args)} failed: {run.stderr}")
        worker = ["worker", "--db", db, "--until-idle"]
        first = self.timed("first", [worker] * workers)
        self.check_complete(db)
        engine = create_engine(db)
        with engine.begin() as conn:  # every site due again, as the next hour would make it
            conn.execute(text("UPDATE site_schedules SET next_crawl_at = NULL"))
        engine.dispose()
        return {"first": first, "unchanged": self.timed("unchanged", [worker] * workers)}

    def baseline(self, phase: str) -> dict[str, Any]:
        """The same URLs through a bare requests loop on BASELINE_THREADS threads."""
        listing = self.work / f"{phase}.json"
        listing.write_text(json.dumps(self.urls[phase]))
        started = time.monotonic()
        argv = [sys.executable, "-c", BARE_LOOP, str(listing), str(BASELINE_THREADS)]
        subprocess.run(argv, check=True)
        seconds = time.monotonic() - started
        return {
            "seconds": round(seconds, 1),
            "sites_per_hour": round(self.sites.count / seconds * 3600),
            "requests": len(self.urls[phase]),
        }


def medians(rows: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per phase, the median of each number over the repeats (and whether all were ok)."""
    merged: dict[str, dict[str, Any]] = {}
    for phase in rows[0]:
        values = [row[phase] for row in rows]
        merged[phase] = {
            key: statistics.median(v[key] for v in values) for key in values[0] if key != "ok"
        }
        merged[phase]["ok"] = all(v["ok"] for v in values)
    return merged


def measure(bench: Bench, args: argparse.Namespace) -> dict[str, dict[str, dict[str, Any]]]:
    rows: dict[str, Callable[[str], dict[str, dict[str, Any]]]] = {}
    if "sqlite" not in args.skip:
        rows["crawl, SQLite"] = bench.crawl_row
    if "crawl-pg" not in args.skip:
        rows["crawl, PostgreSQL"] = bench.crawl_row
    if "workers" not in args.skip:
        for n in args.workers:
            name = f"{n} worker{'s' if n > 1 else ''}, PostgreSQL"
            rows[name] = functools.partial(bench.workers_row, workers=n)
    report: dict[str, dict[str, dict[str, Any]]] = {}
    for name, row in rows.items():
        backend = "sqlite" if "SQLite" in name else "postgresql"
        with databases(backend, args.pg, bench.work) as fresh:
            report[name] = medians([row(fresh()) for _ in range(args.repeat)])
        print(f"{name}: {json.dumps(report[name])}", file=sys.stderr)
    report["bare requests loop"] = {phase: bench.baseline(phase) for phase in bench.urls}
    return report


def table(report: dict[str, dict[str, dict[str, Any]]], sites: int, repeat: int) -> str:
    lines = [
        f"{sites} sites; median of {repeat} run(s); sites/hour (wall s, requests, peak MiB)",
        f"{'':28} {'first crawl':>34} {'unchanged re-crawl':>34}",
    ]
    for name, phases in report.items():
        cells = []
        for phase in ("first", "unchanged"):
            p = phases[phase]
            peak = f", {p['peak_mib']:.0f} MiB" if "peak_mib" in p else ""
            flag = "" if p.get("ok", True) else " FAILED"
            cells.append(
                f"{p['sites_per_hour']:>7,} ({p['seconds']:.0f} s, {p['requests']}{peak}){flag}"
            )
        lines.append(f"{name:28} {cells[0]:>34} {cells[1]:>34}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pg", default=ADMIN, help="a PostgreSQL admin URL")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--max-comments", type=int, default=20)
    parser.add_argument("--skip", nargs="*", default=[], choices=["sqlite", "crawl-pg", "workers"])
    args = parser.parse_args()
    compile_checkout(ROOT)
    with (
        interrupt_on_sigterm(),
        ManySites(args.sites, args.port, args.max_comments) as sites,
        tempfile.TemporaryDirectory() as tmp,
    ):
        report = measure(Bench(sites, Path(tmp)), args)
    print(json.dumps(report, indent=2))
    print(table(report, args.sites, args.repeat))


if __name__ == "__main__":
    main()
