"""Benchmark: the archive's save path against a plain executemany of the very rows it wrote.

Run: .venv/bin/python tests/benchmarks/bench_ingest.py [--posts 1000] [--comments 10000]
                                                     [--repeat 3] [--pg ADMIN_URL]
Generated records (threaded comments, terms, authors, realistic bodies) are saved through
ArchiveStore.save_records in batches of 500 into a fresh archive: a first ingest, then the same
records again (an unchanged re-crawl). The baseline copies the rows the store wrote (posts,
comments, terms, links, versions) into another fresh archive of the same schema with a plain
`executemany` per table, one transaction per batch of the same size: the same rows, the same
tables, indexes and triggers (and, on SQLite, the same rows added to the search index in one
statement a batch, as the store adds them), none of the store's logic. SQLite always;
PostgreSQL with `--pg` (an admin URL; scratch databases are made and dropped). Prints JSON:
medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archive.db import open_archive  # noqa: E402
from archive.records import (  # noqa: E402
    AuthorRecord,
    CommentRecord,
    PostRecord,
    Record,
    SiteRecord,
    TermRecord,
    TermRef,
)
from archive.search import SEARCHED  # noqa: E402
from archive.store import ArchiveStore  # noqa: E402
from scraper.sources.registry import archive_traits  # noqa: E402

BATCH = 500
# Parents first: the order the baseline copies tables in (foreign keys).
TABLES = (
    "authors",
    "terms",
    "posts",
    "post_terms",
    "comments",
    "post_versions",
    "comment_versions",
)
WORDS = [
    "the",
    "film",
    "a",
    "review",
    "of",
    "light",
    "and",
    "sound",
    "that",
    "stays",
    "with",
    "you",
    "long",
    "after",
    "the",
    "credits",
]


def records(posts: int, comments: int) -> list[Record]:
    """Authors and terms, then each post followed by its comments (threaded 3 deep)."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    out: list[Record] = [AuthorRecord(wp_id=n, name=f"Author {n}", slug=f"a{n}") for n in (1, 2)]
    out += [TermRecord("category", f"c{n}", f"Category {n}", wp_id=n) for n in range(1, 11)]
    per_post = comments // posts
    comment_id = 1
    for wp_id in range(1, posts + 1):
        body = " ".join(WORDS[(wp_id + k) % len(WORDS)] for k in range(120))
        out.append(
            PostRecord(
                wp_id=wp_id,
                type="post",
                url=f"https://blog.test/?p={wp_id}",
                title=f"Review {wp_id}",
                author_wp_id=1 + wp_id % 2,
                author_name=f"Author {1 + wp_id % 2}",
                published_at=start + timedelta(hours=wp_id),
                content_html=f"<p>{body}</p>",
                content_text=body,
                terms=(TermRef("category", wp_id=1 + wp_id % 10),),
                raw={"id": wp_id, "content": {"rendered": f"<p>{body}</p>"}},
            )
        )
        first = comment_id
        for n in range(per_post):
            parent = None if n % 3 == 0 else comment_id - 1
            text_ = " ".join(WORDS[(comment_id + k) % len(WORDS)] for k in range(30))
            out.append(
                CommentRecord(
                    wp_id=comment_id,
                    post_wp_id=wp_id,
                    parent_wp_id=parent if parent and parent >= first else None,
                    author_name=f"Reader {comment_id % 97}",
                    published_at=start + timedelta(hours=wp_id, minutes=n),
                    content_html=f"<p>{text_}</p>",
                    content_text=text_,
                    raw={"id": comment_id, "content": {"rendered": f"<p>{text_}</p>"}},
                )
            )
            comment_id += 1
    return out


def batches(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def ingest(url: str, recs: list[Record]) -> tuple[float, float]:
    """Seconds for a first save of `recs` through the store, then for the same again."""
    engine = open_archive(url)
    store = ArchiveStore(engine, traits=archive_traits())
    site_id = store.ensure_site(SiteRecord(url="https://blog.test", name="Bench"))

    def save_all() -> None:
        run = store.start_run(site_id, "rest", "full")
        for batch in batches(recs):
            store.save_records(site_id, run, batch)

    first, again = timed(save_all), timed(save_all)
    engine.dispose()
    return first, again


def plain_copy(source_url: str, target_url: str) -> float:
    """Seconds for executemany inserts of every content row `source_url` holds into a fresh
    archive at `target_url` (its sites and runs copied first, untimed)."""
    source, target = open_archive(source_url), open_archive(target_url)
    with source.connect() as conn:
        data = {
            table: [
                dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
            ]
            for table in ("sites", "crawl_runs", *TABLES)
        }
    with target.begin() as conn:
        for table in ("sites", "crawl_runs"):
            _insert(conn, table, data[table])
    started = time.perf_counter()
    for table in TABLES:
        for batch in batches(data[table]):
            with target.begin() as conn:
                _insert(conn, table, batch)
    elapsed = time.perf_counter() - started
    source.dispose()
    target.dispose()
    return elapsed


def _insert(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), _jsonable(rows))
    if conn.dialect.name == "sqlite" and table in SEARCHED:
        # The same end state as the store's: SQLite's search index holds the new rows too.
        fts, indexed = SEARCHED[table]
        cols = ", ".join(indexed)
        ids = ", ".join(str(row["id"]) for row in rows)
        conn.execute(
            text(
                f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {cols} FROM {table} WHERE id IN ({ids})"
            )
        )


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON columns come back decoded; a plain insert sends them as text."""
    return [
        {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        for row in rows
    ]


@contextmanager
def databases(backend: str, admin: str | None, work: Path) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty archive URLs for `backend`, cleaned up at the end."""
    if backend == "sqlite":
        yield lambda: f"sqlite:///{work / f'{secrets.token_hex(4)}.db'}"
        return
    assert admin is not None
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def create() -> str:
        name = f"wparchive_bench_{secrets.token_hex(4)}"
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return engine.url.set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with engine.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def measure(backend: str, admin: str | None, recs: list[Record], repeat: int) -> dict[str, Any]:
    firsts, agains, plains = [], [], []
    with tempfile.TemporaryDirectory() as tmp, databases(backend, admin, Path(tmp)) as fresh:
        for _ in range(repeat):
            stored = fresh()
            first, again = ingest(stored, recs)
            firsts.append(first)
            agains.append(again)
            plains.append(plain_copy(stored, fresh()))
    first, again, plain = (statistics.median(v) for v in (firsts, agains, plains))
    return {
        "store_first_s": round(first, 3),
        "store_unchanged_s": round(again, 3),
        "plain_executemany_s": round(plain, 3),
        "ratio_first": round(first / plain, 2),
        "ratio_unchanged": round(again / plain, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", help="a PostgreSQL admin URL (postgresql+psycopg://...)")
    args = parser.parse_args()
    recs = records(args.posts, args.comments)
    report: dict[str, Any] = {"posts": args.posts, "comments": args.comments, "batch": BATCH}
    report["sqlite"] = measure("sqlite", None, recs, args.repeat)
    if args.pg:
        report["postgresql"] = measure("postgresql", args.pg, recs, args.repeat)
        report["postgresql_over_sqlite_first"] = round(
            report["postgresql"]["store_first_s"] / report["sqlite"]["store_first_s"], 2
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
