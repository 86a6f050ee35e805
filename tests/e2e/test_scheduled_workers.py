"""Workers on procrastinate: three worker processes crawl the real WordPress sites scheduled in one
PostgreSQL archive; one is killed outright mid-crawl and another worker finishes its site."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from archive.database_url import normalize_database_url
from tests.e2e.helpers import assert_matches_truth, export_rows, run_cli, spawn_cli

pytestmark = [pytest.mark.wordpress, pytest.mark.postgres]

WORKERS = 3
# Short periods so the killed worker's job is rerun within seconds, not minutes.
WORKER_CONFIG = """
http: {{user_agent: "{agent}", rate_limit: 0, concurrency: 4}}
crawl: {{batch_size: 50}}
workers: {{check_every: 2s, stalled_after: 6s, heartbeat: 1s}}
"""
# Crawls that are under way and have saved rows: (site URL, lease holder, rows saved).
RUNNING_CRAWLS = text(
    "SELECT s.url, s.claimed_by, (SELECT count(*) FROM posts p WHERE p.site_id = s.id) AS saved"
    " FROM sites s JOIN crawl_runs r ON r.site_id = s.id WHERE r.status = 'running'"
)


def agent(n: int) -> str:
    return f"wparchive-test worker-{n}"


def spawn_workers(db: str, tmp_path: Path) -> list[Any]:
    workers = []
    for n in range(WORKERS):
        config = tmp_path / f"worker-{n}.yaml"
        config.write_text(WORKER_CONFIG.format(agent=agent(n)))
        args = ("worker", "--db", db, "-c", str(config), "--concurrency", "1", "--until-idle", "-v")
        workers.append(spawn_cli(tmp_path / f"worker-{n}.log", *args))
    return workers


def kill_one_mid_crawl(engine: Engine, workers: list[Any], sites: set[str]) -> tuple[int, str]:
    """SIGKILL the worker crawling one of `sites` once it has saved rows; its index and site."""
    pids = {worker.pid: n for n, worker in enumerate(workers)}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            for url, holder, saved in conn.execute(RUNNING_CRAWLS):
                pid = int(holder.partition(" ")[0].rpartition(":")[2]) if holder else 0
                if url in sites and saved and pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    return pids[pid], url
        time.sleep(0.1)
    raise AssertionError(f"no worker was seen crawling one of {sorted(sites)}")


def agent_turns(site: Any) -> list[str]:
    """The User-Agents of the site's requests in log order, each run of one agent once."""
    agents = [r.agent for r in site.requests() if r.agent]
    return [a for i, a in enumerate(agents) if i == 0 or agents[i - 1] != a]


def test_workers_crawl_every_site_once_and_rerun_a_killed_workers_job(
    wp_sites: dict[str, Any], postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    db = postgres_database()
    by_url = {site.url: site for site in wp_sites.values()}
    run_cli("sites", "add", *by_url, "--db", db)
    for site in by_url.values():
        site.mark_log()
    engine = create_engine(normalize_database_url(db))
    workers = spawn_workers(db, tmp_path)
    try:
        # A REST crawl is the victim: crawled twice, it costs seconds where feeds + HTML cost a minute.
        rest = {url for url, site in by_url.items() if not site.spec.rest_closed}
        victim, victim_url = kill_one_mid_crawl(engine, workers, rest)
        codes = [worker.wait(timeout=150) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    outputs = [(tmp_path / f"worker-{n}.log").read_text() for n in range(WORKERS)]
    assert codes == [-signal.SIGKILL if n == victim else 0 for n in range(WORKERS)], outputs

    for url, site in by_url.items():
        posts, comments = export_rows(db, tmp_path / site.name, "--site", url)
        assert_matches_truth(posts, comments, site.truth(), rest=not site.spec.rest_closed)
        # One worker at a time: no agent comes back once another has taken over the site.
        turns = agent_turns(site)
        assert len(turns) == len(set(turns)), (url, turns)
        if url == victim_url:
            assert turns[0] == agent(victim) and len(turns) == 2, turns
        else:
            assert len(turns) == 1, (url, turns)

    # The killed crawl stays "running"; another worker's crawl of the site then finished it.
    with engine.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT r.status FROM crawl_runs r JOIN sites s ON s.id = r.site_id"
                " WHERE s.url = :url ORDER BY r.id"
            ),
            {"url": victim_url},
        ).scalars()
        # The killed worker's run is marked abandoned when the next crawl takes over its lease.
        assert list(runs) == ["abandoned", "ok"]
    engine.dispose()
    finished = [out for n, out in enumerate(outputs) if n != victim and f"{victim_url}: ok" in out]
    assert len(finished) == 1, outputs
    status = run_cli("status", "--db", db)
    assert status.splitlines()[0] == "due 0 | queued 0 | running 0 | failed 0", status
