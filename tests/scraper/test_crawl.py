"""The crawl and the CLI against `responses`: bad input gives one clear line, and never harms the archive."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from archive.db import open_archive
from archive.store import ArchiveStore
from scraper.cli import app
from scraper.config import CrawlSettings
from scraper.crawl.run import crawl_site
from scraper.errors import RateLimitedError
from scraper.http import HttpClient, HttpSettings
from tests.scraper.test_rest_source import CORE_TYPES, HOME, ROOT, serve_site

HOME_PAGE = (
    '<html><head><link rel="https://api.w.org/" href="http://blog.test/wp-json/"></head></html>'
)


def serve_wordpress(posts: int = 120, comments: int = 150) -> None:
    responses.get(f"{HOME}/", body=HOME_PAGE, content_type="text/html")
    responses.get(ROOT, json={"name": "Blog", "home": HOME, "namespaces": ["wp/v2"]})
    serve_site(posts=posts, comments=comments)


def client() -> HttpClient:
    settings = HttpSettings(respect_robots=False, rate_limit=0.0, max_retries=2)
    return HttpClient(settings, sleep=lambda s: None)


def archive_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("posts", "comments", "authors", "terms")
        }


def site_marks(db: Path) -> tuple[Any, ...]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT posts_modified_after, comments_after FROM sites").fetchone()


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    """An archive holding one complete crawl of the mocked site."""
    db = tmp_path / "archive.db"
    with responses.mock:  # the module-level mock that serve_site() registers on
        serve_wordpress()
        report = crawl_site(HOME, client(), ArchiveStore(open_archive(str(db))), CrawlSettings())
    assert report.status == "ok" and report.counts["comment"] == 150
    return db


def test_a_503_storm_stops_the_crawl_and_keeps_the_archive(archived: Path) -> None:
    before, marks = archive_rows(archived), site_marks(archived)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{HOME}/", body=HOME_PAGE, content_type="text/html")
        mock.get(ROOT, json={"name": "Blog", "home": HOME, "namespaces": ["wp/v2"]})
        mock.get(f"{ROOT}wp/v2/users", status=503, headers={"Retry-After": "1"})
        store = ArchiveStore(open_archive(str(archived)))
        with pytest.raises(RateLimitedError, match="503"):
            crawl_site(HOME, client(), store, CrawlSettings(full=True))
    assert archive_rows(archived) == before
    assert site_marks(archived) == marks
    with sqlite3.connect(archived) as conn:
        assert conn.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall() == [
            ("ok",),
            ("failed",),
        ]


def test_html_instead_of_json_midway_is_a_recorded_gap(archived: Path) -> None:
    before, marks = archive_rows(archived), site_marks(archived)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{HOME}/", body=HOME_PAGE, content_type="text/html")
        mock.get(ROOT, json={"name": "Blog", "home": HOME, "namespaces": ["wp/v2"]})
        for route in ("users", "categories", "tags", "pages", "comments"):
            mock.get(f"{ROOT}wp/v2/{route}", json=[], headers={"X-WP-TotalPages": "1"})
        mock.get(f"{ROOT}wp/v2/types", json=CORE_TYPES)

        def posts(request: Any) -> tuple[int, dict[str, str], str]:
            if "page=2" in request.url:
                return 200, {"Content-Type": "text/html"}, "<html>maintenance</html>"
            body = [
                {"id": 1, "type": "post", "link": f"{HOME}/?p=1", "title": {"rendered": "Edited"}}
            ]
            return 200, {"X-WP-Total": "120", "X-WP-TotalPages": "2"}, json.dumps(body)

        mock.add_callback(responses.GET, f"{ROOT}wp/v2/posts", callback=posts)
        store = ArchiveStore(open_archive(str(archived)))
        report = crawl_site(HOME, client(), store, CrawlSettings(full=True))
    assert report.status == "partial"
    after = archive_rows(archived)
    assert len(after["posts"]) == len(before["posts"]) and after["comments"] == before["comments"]
    assert site_marks(archived) == marks  # a run with a gap does not move the marks
    with sqlite3.connect(archived) as conn:
        kinds = conn.execute("SELECT kind, message FROM problems").fetchall()
    assert [kind for kind, _ in kinds] == ["gap"]
    assert "promised JSON but sent text/html" in kinds[0][1]


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@responses.activate
def test_cli_not_wordpress_is_one_line_and_exit_1(tmp_path: Path) -> None:
    responses.get(f"{HOME}/", body="<html><title>Shop</title></html>", content_type="text/html")
    # Anything else (robots.txt, /wp-json/, ?rest_route=/) is a 404, as on a real shop site.
    responses.get(re.compile(rf"{HOME}/.+"), status=404, body="not found")
    result = run("crawl", HOME, "--db", str(tmp_path / "a.db"), "--rate-limit", "0")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "does not look like a WordPress site" in lines[0]


def test_cli_bad_database_and_bad_config_are_one_line(tmp_path: Path) -> None:
    not_db = tmp_path / "not.db"
    not_db.write_text("hello")
    result = run("sites", "--db", str(not_db))
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        f"error: cannot open archive sqlite:///{not_db}: file is not a database"
    ]
    config = tmp_path / "config.yaml"
    config.write_text("http:\n  rate_limt: 2\n")
    result = run("crawl", "--config", str(config))
    assert result.exit_code == 2  # a usage error
    assert "unknown key(s) rate_limt" in result.output


def test_cli_export_of_an_empty_archive_writes_empty_files(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    open_archive(db).dispose()  # export reads only an archive that exists (a crawl makes it)
    result = run("export", "--db", db, "--format", "csv", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    header = (tmp_path / "out" / "posts.csv").read_text().splitlines()
    assert header[0].startswith("site,id,type,url,slug,title,author,published_at")
    result = run("export", "--db", db, "--format", "xml", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.output.startswith("error: ")


def test_rest_failing_after_it_yielded_records_saves_them_and_stops_partial(tmp_path: Path) -> None:
    """No fallback to feeds over the rows REST began: what it read is kept, the run is partial."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{HOME}/", body=HOME_PAGE, content_type="text/html")
        mock.get(ROOT, json={"name": "Blog", "home": HOME, "namespaces": ["wp/v2"]})
        author = {"id": 2, "name": "Ann", "slug": "ann", "link": f"{HOME}/author/ann/"}
        mock.get(f"{ROOT}wp/v2/users", json=[author], headers={"X-WP-TotalPages": "1"})
        for route in ("categories", "tags", "pages", "comments"):
            mock.get(f"{ROOT}wp/v2/{route}", json=[], headers={"X-WP-TotalPages": "1"})
        mock.get(f"{ROOT}wp/v2/posts", status=500, body="<html>fatal error</html>")
        feed = mock.get(f"{HOME}/feed/", body="<rss/>", content_type="application/rss+xml")
        store = ArchiveStore(open_archive(str(tmp_path / "a.db")))
        report = crawl_site(HOME, client(), store, CrawlSettings())
    assert (report.status, report.source) == ("partial", "rest")
    assert "stopped" in report.error and feed.call_count == 0
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert conn.execute("SELECT wp_id, name FROM authors").fetchall() == [(2, "Ann")]
        assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("partial",)]
