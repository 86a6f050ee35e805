"""`wparchive crawl` of a list of sites in one process: several at once into one SQLite file, each
archived whole and under its own URL, one summary line each, never more sites at once than asked."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path

from tests.hostile import content
from tests.hostile.runner import FAST_CONFIG, run_wparchive
from tests.hostile.server import HostileSite

SITES = 24
AT_ONCE = 8


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most of these [first, last] request spans that were open at one moment."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    open_now = most = 0
    for _, change in events:
        open_now += change
        most = max(most, open_now)
    return most


def test_a_list_of_sites_is_crawled_at_once_each_whole(tmp_path: Path) -> None:
    with ExitStack() as stack:
        sites = [
            stack.enter_context(HostileSite(host=f"127.0.101.{n}", first_id=n * 1000))
            for n in range(1, SITES + 1)
        ]
        listed = "".join(f"  - {site.url}\n" for site in sites)
        (tmp_path / "config.yaml").write_text(FAST_CONFIG + f"sites:\n{listed}")
        db = tmp_path / "archive.db"
        run = run_wparchive(
            tmp_path,
            *("crawl", "--config", str(tmp_path / "config.yaml"), "--db", str(db)),
            *("--sites-at-once", str(AT_ONCE)),
            timeout=120,
        )
    assert run.exit == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == SITES and all(": ok | " in line for line in lines), run.stdout
    assert f"{SITES} sites crawled: {SITES} ok, 0 not" in run.stderr
    with sqlite3.connect(db) as conn:
        for n, site in enumerate(sites, start=1):
            posts = conn.execute(
                "SELECT count(*), min(p.wp_id), max(p.wp_id) FROM posts p"
                " JOIN sites s ON s.id = p.site_id WHERE s.url = ?",
                (site.url,),
            ).fetchone()
            assert posts == (content.POSTS, n * 1000, n * 1000 + content.POSTS - 1), site.url
            (comments,) = conn.execute(
                "SELECT count(*) FROM comments c JOIN sites s ON s.id = c.site_id WHERE s.url = ?",
                (site.url,),
            ).fetchone()
            assert comments == content.COMMENTS, site.url
        # Each site's count is its own requests, not those of the sites crawled beside it.
        summaries = {line.split(": ok | ", 1)[0]: line for line in lines}
        for site in sites:
            line = summaries[site.url]
            assert line.endswith(f"| {len(site.times)} requests"), (line, len(site.times))
        recorded = conn.execute(
            "SELECT s.url, r.requests FROM crawl_runs r JOIN sites s ON s.id = r.site_id"
        ).fetchall()
        assert dict(recorded) == {site.url: len(site.times) for site in sites}
    spans = [(min(site.times), max(site.times)) for site in sites]
    # Sites overlapped (crawled at once), and never more of them than asked for.
    assert 2 <= most_at_once(spans) <= AT_ONCE
