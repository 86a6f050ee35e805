"""Dates on a theme that prints them only as text ("January 5, 2019", Twenty Twenty's way), on a
closed site in Pacific/Auckland: the feed gives each post's exact time; the post pages alone give
the day as the site printed it, and each record says where its date came from."""

from __future__ import annotations

import sqlite3
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.helpers import crawl_args, export_rows, iso_z, run_cli

pytestmark = pytest.mark.wordpress

ZONE = ZoneInfo("Pacific/Auckland")  # the site's timezone_string (tests/wordpress/harness.py)


@pytest.fixture(scope="module")
def crawled(
    wp_closed_textdate: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The truth, and per source the exported posts and each post's date_source."""
    site, out = wp_closed_textdate, {}
    for source in ("feed", "html"):
        work = tmp_path_factory.mktemp(source)
        db = work / "archive.db"
        run_cli(*crawl_args(site.url, f"sqlite:///{db}", "--source", source))
        posts, _ = export_rows(f"sqlite:///{db}", work / "export")
        with sqlite3.connect(db) as conn:
            origin = dict(
                conn.execute("SELECT wp_id, json_extract(raw, '$.date_source') FROM posts")
            )
        out[source] = {"posts": {p["id"]: p for p in posts}, "origin": origin}
    yield {"truth": site.truth(), **out}


def public_posts(truth: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [p for p in truth["posts"] if p["type"] == kind]


def test_the_theme_prints_no_machine_readable_date(wp_closed_textdate: Any) -> None:
    # The premise: a post page carries its date only as text.
    post = public_posts(wp_closed_textdate.truth(), "post")[0]
    with urllib.request.urlopen(post["link"], timeout=10) as answer:  # loopback only
        page = answer.read().decode("utf-8")
    assert "datetime=" not in page and "article:published_time" not in page
    day = datetime.fromisoformat(post["date_gmt"]).astimezone(ZONE)
    assert f"{day:%B} {day.day}, {day.year}" in page


def test_through_the_feed_every_post_has_its_exact_time(crawled: dict[str, Any]) -> None:
    got = crawled["feed"]
    posts = public_posts(crawled["truth"], "post")
    assert posts
    for post in posts:
        assert got["posts"][post["id"]]["published_at"] == iso_z(post["date_gmt"]), post["id"]
        assert got["origin"][post["id"]] == "feed"


def test_through_pages_alone_every_post_has_the_day_the_site_printed(
    crawled: dict[str, Any],
) -> None:
    got = crawled["html"]
    items = [*public_posts(crawled["truth"], "post"), *public_posts(crawled["truth"], "page")]
    assert items
    for item in items:
        printed = datetime.fromisoformat(item["date_gmt"]).astimezone(ZONE).date()
        # No timezone reaches a visitor of a closed site: the day's midnight, taken as UTC.
        want = datetime(printed.year, printed.month, printed.day, tzinfo=UTC)
        assert got["posts"][item["id"]]["published_at"] == want.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert got["origin"][item["id"]] == "text"
