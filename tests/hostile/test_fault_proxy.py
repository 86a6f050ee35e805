"""The real WordPress behind a fault-injecting proxy: crawls end identical to a clean crawl, or
`partial` with the gap recorded and nothing wrong stored; a re-crawl of the same archive through a
proxy that turns bad midway leaves every archived row unchanged, whatever the fault."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import export_rows
from tests.hostile.proxy import KINDS, FaultProxy
from tests.hostile.runner import query, run_wparchive

pytestmark = pytest.mark.wordpress

# Timeouts short enough that a stall (3 s) outlasts a read (2 s) without slowing the suite.
PROXY_CONFIG = """\
http:
  connect_timeout: 2
  read_timeout: 2
  request_deadline: 10
  max_retries: 3
  backoff_base: 0.05
  backoff_max: 0.2
  max_retry_after: 5
  max_delay: 0
  concurrency: 4
"""
# Derived from the rows a crawl stored: a gap changes them without anything wrong being stored.
DERIVED = ("comment_count", "depth", "root_id", "is_orphan")
SEEN_COLUMNS = frozenset({"first_seen_at", "last_seen_at", "last_seen_run_id"})
Rows = dict[str, dict[int, dict[str, Any]]]
CONTENT_TABLES = ("posts", "comments", "authors", "terms", "post_terms")


@pytest.fixture(scope="module")
def proxy(wp_rest: Any) -> Iterator[FaultProxy]:
    with FaultProxy(wp_rest.url, seed=10, stall=3.0) as running:
        yield running


@pytest.fixture(scope="module")
def clean(proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A crawl through the proxy with no faults: the reference archive and its export."""
    work = tmp_path_factory.mktemp("clean")
    proxy.configure(rate=0.0)
    run, db = crawl(proxy, work)
    assert run.exit == 0 and ": ok | " in run.stdout, run.stdout + run.stderr
    return {"db": db, "rows": exported(db, work)}


def crawl(proxy: FaultProxy, work: Path, *extra: str) -> tuple[Any, Path]:
    (work / "config.yaml").write_text(PROXY_CONFIG)
    db = work / "archive.db"
    args = ["crawl", proxy.url, "--db", str(db), "--config", str(work / "config.yaml"), *extra]
    return run_wparchive(work, *args, timeout=120), db


def exported(db: Path, work: Path) -> Rows:
    posts, comments = export_rows(f"sqlite:///{db}", work / "export")
    return {"posts": {p["id"]: p for p in posts}, "comments": {c["id"]: c for c in comments}}


def stored(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every archived row of the content tables, without the times it was last seen."""
    out = {}
    with sqlite3.connect(db) as conn:
        for table in (*CONTENT_TABLES, "post_versions", "comment_versions"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(c for c in columns if c not in SEEN_COLUMNS)
            out[table] = conn.execute(f"SELECT {kept} FROM {table} ORDER BY 1, 2").fetchall()
    return out


def assert_nothing_wrong(got: Rows, clean: Rows) -> None:
    """Every exported row is the clean crawl's row for the same id, derived fields aside."""
    for kind in ("posts", "comments"):
        for wp_id, row in got[kind].items():
            assert wp_id in clean[kind], f"{kind} {wp_id} is not on the site"
            want = clean[kind][wp_id]
            assert {k: v for k, v in row.items() if k not in DERIVED} == {
                k: v for k, v in want.items() if k not in DERIVED
            }, f"{kind} {wp_id} differs"


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_a_crawl_through_faults_is_exact_or_partial_with_the_gap_recorded(
    rate: float, proxy: FaultProxy, clean: dict[str, Any], tmp_path: Path
) -> None:
    proxy.configure(rate=rate)
    run, db = crawl(proxy, tmp_path)
    injected = sorted({kind for kind, _ in proxy.injected})
    print(f"rate {rate}: {len(proxy.injected)} faults {injected}, {run.seconds} s: {run.stdout}")
    assert "Traceback" not in run.stderr, run.stderr
    assert len(proxy.injected) >= 3, "the seed must inject faults at this rate"
    got = exported(db, tmp_path)
    [(status, summary)] = query(db, "SELECT status, summary FROM crawl_runs")
    if status == "ok":
        assert run.exit == 0 and got == clean["rows"]
        return
    # Not ok: partial, the gap recorded (problems, or why it stopped), and nothing wrong stored.
    assert status == "partial", summary
    gaps = query(db, "SELECT message FROM problems WHERE kind = 'gap'")
    assert gaps or "stopped" in summary or run.stderr.startswith("error: "), summary
    assert_nothing_wrong(got, clean["rows"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_recrawl_turning_bad_midway_leaves_every_archived_row_unchanged(
    kind: str, proxy: FaultProxy, clean: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(clean["db"], db)
    before = stored(db)
    # Discovery and most first pages pass; then every request meets the fault.
    proxy.configure(rate=1.0, kinds=(kind,), clean_for=8)
    first_request = len(proxy.paths)
    run, _ = crawl(proxy, tmp_path, "--full")
    print(f"{kind}: exit {run.exit}, {run.seconds} s: {run.stdout or run.stderr}")
    assert "Traceback" not in run.stderr, run.stderr
    assert proxy.injected, "the proxy must have turned bad"
    # The archive's rows and their versions as they were: nothing overwritten, nothing added.
    assert stored(db) == before
    # REST failed midway: the crawl stopped there, it did not go on through feeds or post pages.
    poorer = [p for p in proxy.paths[first_request:] if not is_rest_or_robots(p)]
    assert poorer == [], poorer
    assert exported(db, tmp_path) == clean["rows"]
    assert query(db, "SELECT status FROM crawl_runs ORDER BY id")[-1][0] in ("partial", "failed")


def is_rest_or_robots(path: str) -> bool:
    """Whether a request path is the REST API's (pretty or plain permalinks) or robots.txt."""
    return path.startswith(("/wp-json", "/robots.txt")) or "rest_route=" in path
