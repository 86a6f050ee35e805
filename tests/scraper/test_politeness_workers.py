"""A host many sites share keeps one budget across processes: two processes asking the same
loopback host at once, through one PostgreSQL archive, start their requests a delay apart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise

from archive.db import open_archive
from tests.scraper.test_politeness import Recorder, serving

DELAY = 0.4
# One process: four requests to the shared host, paced through the archive's host_pacing.
CLIENT = """
import sys
from archive.db import open_archive
from archive.pacing import SharedPacing
from scraper.http import HttpClient, HttpSettings
base, db = sys.argv[1], sys.argv[2]
host = base.split("://", 1)[1]
settings = HttpSettings(concurrency=1, min_delay={delay}, shared_hosts=(host,), respect_robots=False)
client = HttpClient(settings)
client.share_pacing(SharedPacing(open_archive(db)).reserve)
for n in range(4):
    client.get(f"{{base}}/item/{{sys.argv[3]}}-{{n}}")
"""


def test_two_processes_share_one_budget_for_a_shared_host(
    postgres_database: Callable[[], str],
) -> None:
    db = postgres_database()
    open_archive(db).dispose()  # the schema, made once before the two start
    record = Recorder(latency=0.0)
    with serving(record, "127.0.0.1") as base:
        code = CLIENT.format(delay=DELAY)
        children = [
            subprocess.Popen([sys.executable, "-c", code, base, db, name]) for name in ("a", "b")
        ]
        assert [child.wait(timeout=60) for child in children] == [0, 0]
    starts = sorted(record.starts)
    assert len(starts) == 8
    # Each process alone would start its first request at once, side by side with the other's.
    assert min(b - a for a, b in pairwise(starts)) >= DELAY - 0.05
