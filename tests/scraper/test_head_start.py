"""A new archive's first site is discovered while the archive opens (scraper/crawl/head_start.py):
the crawl takes that discovery and counts its requests, an archive that exists gets no head
start, and the head start needs none of the archive's modules."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import responses

from archive.db import open_archive
from scraper.config import Config
from scraper.crawl.head_start import begin_head_start
from scraper.http import HttpSettings
from scraper.site_input import parse_site_input
from tests.scraper.test_crawl import run, serve_wordpress
from tests.scraper.test_rest_source import HOME, ROOT

REQUESTS = re.compile(r"\| (\d+) requests$")


def settings(db: Path) -> Config:
    return Config(database=str(db), http=HttpSettings(respect_robots=False, rate_limit=0.0))


@responses.activate
def test_only_a_sqlite_file_yet_to_be_made_gets_a_head_start(tmp_path: Path) -> None:
    serve_wordpress()
    site = parse_site_input(HOME)
    existing = tmp_path / "existing.db"
    open_archive(str(existing)).dispose()
    for database in (
        str(existing),  # it may remember the site: the crawl asks it first
        "postgresql+psycopg://user@127.0.0.1/archive",
        "sqlite://",  # in memory
        str(tmp_path / "no-such-folder" / "a.db"),  # opening it fails before any request
    ):
        assert begin_head_start(site, Config(database=database)) is None, database
    assert len(responses.calls) == 0  # none of them asked the site anything
    head = begin_head_start(site, settings(tmp_path / "new.db"))
    assert head is not None
    discovered = head.result()
    assert (discovered.url, discovered.discovery.rest_root) == (HOME, ROOT)
    assert discovered.requests.made == len(responses.calls) == 2  # home, API root
    assert not (tmp_path / "new.db").exists()  # discovered before any archive was made


@responses.activate
def test_a_crawl_into_a_new_archive_is_the_crawl_into_an_empty_one(tmp_path: Path) -> None:
    serve_wordpress(posts=120, comments=150)
    empty = tmp_path / "empty.db"
    open_archive(str(empty)).dispose()
    summaries, calls = {}, {}
    for db in (empty, tmp_path / "new.db"):  # the second one gets a head start
        before = len(responses.calls)
        result = run("crawl", HOME, "--db", str(db), "--rate-limit", "0", "--full")
        assert result.exit_code == 0, result.output
        summaries[db.name] = result.output.strip()
        calls[db.name] = [call.request.url for call in responses.calls[before:]]
    # The same requests, each once (the head start's discovery is not made twice), counted in
    # the summary; the same archive.
    assert sorted(calls["new.db"]) == sorted(calls["empty.db"])
    assert calls["new.db"].count(f"{HOME}/") == 1 and calls["new.db"].count(ROOT) == 1
    for db, summary in summaries.items():
        match = REQUESTS.search(summary)
        assert match and int(match.group(1)) == len(calls[db]), summary
    assert summaries["new.db"] == summaries["empty.db"]
    assert content(tmp_path / "new.db") == content(empty)


def content(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The archive's rows without the times the crawl saw them at."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(db) as conn:
        for table in ("posts", "comments", "authors", "terms", "post_terms"):
            names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(n for n in names if not n.endswith("_seen_at"))
            tables[table] = conn.execute(f"SELECT {kept} FROM {table} ORDER BY 1, 2").fetchall()
    assert tables["posts"] and tables["comments"]  # the probe works: rows were compared
    return tables


@responses.activate
def test_a_head_starts_failure_is_the_crawls_own_one_line(tmp_path: Path) -> None:
    responses.get(f"{HOME}/", status=503, body="down")
    responses.get(re.compile(rf"{HOME}/.+"), status=404, body="not found")
    result = run(
        "crawl", HOME, "--db", str(tmp_path / "a.db"), "--rate-limit", "0", "--json", "--quiet"
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and '"status": "failed"' in lines[0] and "503" in lines[0], lines


# Discovers a site through a head start, then lists the modules that loaded. The site is
# mocked here, not with the tests' helpers: those import the archive.
DISCOVER_AND_LIST = """
import sys, responses
from scraper.config import Config
from scraper.crawl.head_start import begin_head_start
from scraper.http import HttpSettings
from scraper.site_input import parse_site_input
home = '<link rel="https://api.w.org/" href="http://blog.test/wp-json/">'
responses.start()
responses.get("http://blog.test/", body=home, content_type="text/html")
responses.get("http://blog.test/wp-json/", json={"name": "Blog", "namespaces": ["wp/v2"]})
cfg = Config(database=sys.argv[1], http=HttpSettings(respect_robots=False, rate_limit=0.0))
print(begin_head_start(parse_site_input("http://blog.test"), cfg).result().discovery.rest_root)
print(" ".join(sorted(sys.modules)))
"""


def test_a_head_start_needs_none_of_the_archives_modules(tmp_path: Path) -> None:
    # What makes it a head start: it runs while SQLAlchemy and the schema are imported.
    done = subprocess.run(
        [sys.executable, "-c", DISCOVER_AND_LIST, str(tmp_path / "new.db")],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    root, modules = done.stdout.splitlines()
    assert root == ROOT  # the probe works: the site was discovered
    archive_modules = ("sqlalchemy", "archive.db", "archive.models", "archive.store")
    assert [m for m in modules.split() if m.startswith(archive_modules)] == []


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///relative/a.db",
        "sqlite:////tmp/abs.db",
        "sqlite:///a%20b.db",
        "sqlite+pysqlite:///x.db?mode=ro",
        "sqlite:///~/home.db",
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "/tmp/bare/path.db",
        "postgresql+psycopg://u:p@127.0.0.1:5432/db",
        "postgres://u@h/db",
    ],
)
def test_the_archive_file_is_read_as_sqlalchemy_reads_it(url: str) -> None:
    from sqlalchemy.engine import make_url

    from archive.database_url import normalize_database_url, sqlite_file

    parsed = make_url(normalize_database_url(url))
    expected = None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        expected = Path(parsed.database).expanduser().resolve()
    assert sqlite_file(url) == expected
