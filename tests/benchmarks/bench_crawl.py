"""Benchmark: a full wparchive crawl of the harness site against a bare `requests` loop over the same URLs.

Run: .venv/bin/python tests/benchmarks/bench_crawl.py [--repeat 3] [--site closed-classic]
                                                    [--concurrency 4] [--against CHECKOUT]
                                                    [--split-cpus]
Both sides run as child processes on this machine in the same run (so interpreter start-up is paid by
both), at the same concurrency (the crawl's `--concurrency`, the baseline's threads), with no delay
(`--concurrency 0`: the crawl's defaults, adaptive politeness, against a sequential baseline); the report gives wall times (median of the repeats), their ratio, the requests each made
(from the server's own log), each side's peak resident memory and CPU, and the machine's busy and
idle core-seconds while each side ran (on shared cores also their ratio, `busy_ratio`: what the CPU
work alone gives, with no idle moment on either side). The harness site is stopped at the
end, also on Ctrl-C, SIGTERM or an error. `--against` also crawls, in the same rounds, with another
wparchive checkout (e.g. `git worktree add /tmp/before REV`) and reports its ratio, so a change
is judged against its own baseline under the same load. `--split-cpus` puts the site's PHP
server on the first CPU and both sides on the last, as when the site is on another machine: the
ratio then measures the crawler against the same server, not the crawler's CPU taken from the
server's (the database server, not ours to move, may run on either). Both checkouts' bytecode is
written first, as `pip install .` writes it (see tests/benchmarks/bytecode.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bytecode import compile_checkout  # noqa: E402
from tests.wordpress.harness import (  # noqa: E402
    WordPressSite,
    interrupt_on_sigterm,
    provision_sites,
    stop_sites,
)

# Each child reports its own peak RSS (KiB) and CPU seconds as the last line on stderr.
PEAK = (
    "import resource, sys; u = resource.getrusage(resource.RUSAGE_SELF);"
    " print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)"
)
RUN_WPARCHIVE = f"""
import runpy, sys
sys.argv = ["wparchive", *sys.argv[1:]]
try:
    runpy.run_module("scraper", run_name="__main__")
finally:
    {PEAK}
"""
BARE_LOOP = f"""
import json, sys, requests
from concurrent.futures import ThreadPoolExecutor
session = requests.Session()
session.headers["User-Agent"] = "bench-baseline"
def fetch(url):
    response = session.get(url, timeout=60)
    # A closed site answers some probes 401/404 (/wp-json/): the crawl asked them too.
    if response.ok and ("wp-json" in url or "rest_route" in url):
        response.json()
with ThreadPoolExecutor(int(sys.argv[2])) as pool:  # the crawl's own concurrency: equal footing
    list(pool.map(fetch, json.loads(sys.argv[1])))
{PEAK}
"""


CPU: dict[str, list[float]] = {"wparchive": [], "baseline": [], "against": []}
# The whole machine's busy and idle core-seconds while each child ran (from /proc/stat).
BUSY: dict[str, list[float]] = {"wparchive": [], "baseline": [], "against": []}
IDLE: dict[str, list[float]] = {"wparchive": [], "baseline": [], "against": []}
CLIENT_CPUS: set[int] | None = None  # --split-cpus: where both sides run


def pin_group(pid: int, cpus: set[int]) -> int:
    """Keep every process of `pid`'s process group (the harness server and its workers) on
    `cpus`; return how many were pinned."""
    group, pinned = os.getpgid(pid), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) == group:
                os.sched_setaffinity(int(entry.name), cpus)
                pinned += 1
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return pinned


def machine_seconds() -> tuple[float, float]:
    """The machine's busy and idle core-seconds since boot, all CPUs (/proc/stat's first line;
    iowait counts as idle, steal as neither: it is another guest's)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, idle, iowait, irq, softirq = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, (idle + iowait) / tick


def run_child(argv: list[str], side: str, code: Path | None = None) -> tuple[float, int]:
    """Run a child process (with `code`, another checkout, first on its path); return its wall
    time (s) and its own peak RSS (KiB); its CPU seconds go to CPU[side], the machine's busy and
    idle core-seconds meanwhile (the server's and the child's) to BUSY[side] and IDLE[side]."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    busy_before, idle_before = machine_seconds()
    started = time.perf_counter()
    cpus = CLIENT_CPUS
    done = subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=code,
        preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
    )
    elapsed = time.perf_counter() - started
    busy_after, idle_after = machine_seconds()
    BUSY[side].append(busy_after - busy_before)
    IDLE[side].append(idle_after - idle_before)
    peak, cpu = done.stderr.decode().strip().splitlines()[-1].split()
    CPU[side].append(float(cpu))
    return elapsed, int(peak)


def crawl_once(
    site: WordPressSite, work: Path, n: int, concurrency: int, code: Path | None = None
) -> tuple[float, int, list[str]]:
    """One full crawl into a fresh SQLite file (by the checkout `code`, else this one); return
    time, peak RSS and the URLs requested."""
    db = f"sqlite:///{work / f'bench-{n}-{code is not None}.db'}"
    site.mark_log()
    argv = [sys.executable, "-c", RUN_WPARCHIVE, "crawl", site.url, "--db", db]
    if concurrency:  # no delay, this many in flight; 0: the defaults (adaptive politeness)
        argv += ["--max-delay", "0", "--concurrency", str(concurrency)]
    elapsed, peak = run_child(argv, "against" if code else "wparchive", code)
    urls = [site.url + r.path for r in site.requests() if r.method == "GET"]
    return elapsed, peak, urls


def bare_once(site: WordPressSite, urls: list[str], concurrency: int) -> tuple[float, int, int]:
    """The baseline: the same URLs fetched with requests on `concurrency` threads, JSON decoded."""
    site.mark_log()
    argv = [sys.executable, "-c", BARE_LOOP, json.dumps(urls), str(max(1, concurrency))]
    elapsed, peak = run_child(argv, "baseline")
    return elapsed, peak, len(site.requests())


def measure(
    site: WordPressSite, repeat: int, concurrency: int, against: Path | None = None
) -> dict[str, Any]:
    """Crawl `repeat` times with each side; the report as a JSON-ready dict."""
    truth: dict[str, Any] = site.truth()
    ours: list[float] = []
    base: list[float] = []
    other: list[float] = []
    peaks = {"wparchive": 0, "baseline": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(repeat):
            if against is not None:
                other.append(crawl_once(site, Path(tmp), n, concurrency, against)[0])
            elapsed, our_peak, urls = crawl_once(site, Path(tmp), n, concurrency)
            ours.append(elapsed)
            bare_elapsed, bare_peak, bare_requests = bare_once(site, urls, concurrency)
            base.append(bare_elapsed)
            peaks = {
                "wparchive": max(peaks["wparchive"], our_peak),
                "baseline": max(peaks["baseline"], bare_peak),
            }
    report = {
        "site": site.url,
        "concurrency": concurrency,
        "cpus": "shared" if CLIENT_CPUS is None else f"split: clients on {sorted(CLIENT_CPUS)}",
        "posts_and_pages": len(truth["posts"]),
        "comments": len(truth["comments"]),
        "requests_ours": len(urls),
        "requests_baseline": bare_requests,
        "wparchive_seconds_median": round(statistics.median(ours), 3),
        "baseline_seconds_median": round(statistics.median(base), 3),
        "ratio": round(statistics.median(ours) / statistics.median(base), 3),
        "runs": {"wparchive": [round(t, 3) for t in ours], "baseline": [round(t, 3) for t in base]},
        "peak_rss_mib": {k: round(v / 1024, 1) for k, v in peaks.items()},
        "cpu_seconds_median": {k: round(statistics.median(v), 3) for k, v in CPU.items() if v},
        "machine_core_seconds_median": {
            k: {
                "busy": round(statistics.median(v), 2),
                "idle": round(statistics.median(IDLE[k]), 2),
            }
            for k, v in BUSY.items()
            if v
        },
    }
    if CLIENT_CPUS is None:
        # On shared cores the wall time is about (busy + idle) / cores, so with no idle moment
        # on either side the ratio would be the busy core-seconds' ratio: the ratio the CPU
        # work alone gives. A ratio near it falls only with less CPU work (the crawl's own).
        report["busy_ratio"] = round(
            statistics.median(BUSY["wparchive"]) / statistics.median(BUSY["baseline"]), 3
        )
    if other:
        report["against"] = {
            "checkout": str(against),
            "seconds_median": round(statistics.median(other), 3),
            "ratio": round(statistics.median(other) / statistics.median(base), 3),
            "runs": [round(t, 3) for t in other],
        }
    return report


def split_cpus(site: WordPressSite) -> None:
    """The site's server on the first CPU, the children of run_child on the last."""
    global CLIENT_CPUS
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or site.process is None:
        raise SystemExit("--split-cpus needs two CPUs and a server of this run's own")
    CLIENT_CPUS = {cpus[-1]}
    pin_group(site.process.pid, {cpus[0]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--site", default="rest", help="harness site (closed-classic: feeds + HTML)"
    )
    parser.add_argument("--against", type=Path, help="another wparchive checkout to compare")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="the crawl's (with no delay) and the baseline's threads; 0: the crawl's defaults"
        " (adaptive politeness) against a sequential baseline",
    )
    parser.add_argument(
        "--split-cpus",
        action="store_true",
        help="the server on the first CPU, both sides on the last (as if on two machines)",
    )
    args = parser.parse_args()
    for checkout in (ROOT, args.against):
        if checkout is not None:
            compile_checkout(checkout)
    workdir = Path(os.environ.get("WPARCHIVE_HARNESS_DIR", ROOT / ".wp-harness"))
    with interrupt_on_sigterm():
        site = provision_sites([args.site], workdir)[args.site]
        try:
            if args.split_cpus:
                split_cpus(site)
            report = measure(site, args.repeat, args.concurrency, args.against)
        finally:
            stop_sites([site])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
