"""Benchmark: parse CPU per 1,000 REST comments and per HTML post page, on recorded responses.

Run: .venv/bin/python tests/benchmarks/bench_parse.py [--repeat 5] [--against PATH [--against-python PY]]
Measures process CPU time (not wall time) of what a crawl does with each response: REST comment
items -> CommentRecords; a post page -> one tree, the PostRecord and its comments. Prints JSON with
the median over the repeats. Needs no network and no harness. `--against` names another checkout
(e.g. `git worktree add /tmp/old <commit>`): this benchmark runs its code on the same inputs in
the same rounds, alternating with this checkout (one process each per round), and prints the
ratios old/new.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The code measured: this checkout, or the one `--against` names (the inputs stay this one's).
CODE = Path(os.environ.get("WPARCHIVE_BENCH_CODE", ROOT))
sys.path.insert(0, str(CODE))

from scraper.parse.comments import parse_comments  # noqa: E402
from scraper.parse.page import parse_post_page  # noqa: E402
from scraper.parse.rest import parse_rest_comment  # noqa: E402

try:  # checkouts from before one tree per page had each reader parse the page itself
    from scraper.parse.tree import parse_page
except ImportError:  # pragma: no cover - only with --against an older checkout
    parse_page = None

RECORDED = ROOT / "tests/fixtures/recorded"
PAGES = ("tt1-heavy-all", "tt1-her", "tt2-heavy-page1", "tt3-heavy-page1", "tt3-her")


def rest_comments(count: int) -> list[dict[str, Any]]:
    """`count` comment items, cycled from the recorded REST answer (ids made unique)."""
    recorded = json.loads((RECORDED / "rest/comments-heavy.json").read_text())
    items = recorded["body"] if isinstance(recorded["body"], list) else json.loads(recorded["body"])
    return [{**items[n % len(items)], "id": n + 1} for n in range(count)]


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def parse_rest(items: list[dict[str, Any]]) -> None:
    for item in items:
        parse_rest_comment(item, "Europe/Rome")


def parse_html(pages: list[tuple[str, str]]) -> None:
    for html, url in pages:
        if parse_page is None:  # what an older crawl did with a page: two readers, two parses
            old_post = parse_post_page(html, url).post
            old_id = old_post.wp_id if old_post else 0
            parse_comments(html, url, old_id, utc_offset_hours=1.0)  # type: ignore[arg-type]
            continue
        page = parse_page(html, url)
        post = parse_post_page(page).post
        parse_comments(page, post_wp_id=post.wp_id if post else 0, utc_offset_hours=1.0)


def compare(against: Path, python: str, repeat: int) -> dict[str, Any]:
    """Medians of `repeat` rounds, each running this checkout's and `against`'s code once (the
    latter with `python`, whose environment has that checkout's dependencies)."""
    runs: dict[str, list[dict[str, Any]]] = {"this": [], "against": []}
    for _ in range(repeat):
        for name, code, interpreter in (
            ("this", ROOT, sys.executable),
            ("against", against.resolve(), python),
        ):
            done = subprocess.run(
                [interpreter, __file__, "--repeat", "1"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(code), "WPARCHIVE_BENCH_CODE": str(code)},
            )
            runs[name].append(json.loads(done.stdout))
    keys = ("rest_cpu_ms_per_1000_comments", "html_cpu_ms_per_post_page")
    medians = {
        name: {key: round(statistics.median(r[key] for r in results), 2) for key in keys}
        for name, results in runs.items()
    }
    ratios = {key: round(medians["against"][key] / medians["this"][key], 2) for key in keys}
    return {"repeat": repeat, "against": str(against), **medians, "speedup": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--against", type=Path, help="another checkout, measured in the same rounds"
    )
    parser.add_argument(
        "--against-python",
        default=sys.executable,
        help="the interpreter for --against (one whose environment has its dependencies)",
    )
    args = parser.parse_args()
    if args.against:
        print(json.dumps(compare(args.against, args.against_python, args.repeat), indent=2))
        return
    items = rest_comments(1000)
    pages = [
        ((RECORDED / f"html/{name}.html").read_text(encoding="utf-8"), f"http://127.0.0.2/{name}/")
        for name in PAGES
    ]
    parse_rest(items[:50])  # warm up imports and caches
    parse_html(pages[:1])
    rest = [cpu_seconds(lambda: parse_rest(items)) for _ in range(args.repeat)]
    html = [cpu_seconds(lambda: parse_html(pages)) / len(pages) for _ in range(args.repeat)]
    report = {
        "rest_cpu_ms_per_1000_comments": round(1000 * statistics.median(rest), 1),
        "html_cpu_ms_per_post_page": round(1000 * statistics.median(html), 2),
        "repeat": args.repeat,
        "pages": list(PAGES),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
