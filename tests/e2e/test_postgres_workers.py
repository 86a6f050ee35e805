"""Many workers, one PostgreSQL archive: concurrent crawls of the real WordPress never duplicate a row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import crawl_args, export_rows, run_cli, spawn_crawl

pytestmark = [pytest.mark.wordpress, pytest.mark.postgres]

WORKERS = 3


def test_concurrent_workers_build_the_same_archive_as_one_sqlite_crawl(
    wp_rest: Any, postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    run_cli(*crawl_args(wp_rest.url, reference))
    export_rows(reference, tmp_path / "reference")

    shared = postgres_database()
    # The schema is made first; then three workers start at once on the same site.
    run_cli("db", "upgrade", "--db", shared)
    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    workers = [spawn_crawl(wp_rest.url, shared, log) for log in logs]
    codes = [worker.wait(timeout=300) for worker in workers]
    outputs = [log.read_text() for log in logs]
    assert codes == [0] * WORKERS, outputs
    finished = [out for out in outputs if ": ok |" in out]
    skipped = [out for out in outputs if ": skipped |" in out and "is crawling this site" in out]
    assert finished and len(finished) + len(skipped) == WORKERS, outputs

    # A later crawl by anyone finds the lease free again and changes nothing.
    assert ": ok |" in run_cli(*crawl_args(wp_rest.url, shared, "--full"))
    export_rows(shared, tmp_path / "shared")
    for name in ("posts.jsonl", "comments.jsonl"):
        assert (tmp_path / "shared" / name).read_bytes() == (
            tmp_path / "reference" / name
        ).read_bytes()
