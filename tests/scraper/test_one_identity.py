"""The same term or site, spelled differently by different sources, is one row in the archive."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archive.db import open_archive
from archive.records import PostRecord, SiteRecord, TermRecord, TermRef
from archive.store import ArchiveStore
from scraper.discover import normalize_home
from scraper.parse.feed import build_post, parse_post_feed
from scraper.parse.page import parse_post_page
from scraper.parse.rest import parse_rest_term

HOME = "https://example.org"
FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Blog</title><link>https://example.org</link>
<item><title>Espresso</title><link>https://example.org/espresso/</link>
<guid isPermaLink="false">https://example.org/?p=11</guid>
<pubDate>Mon, 01 Apr 2024 10:00:00 +0000</pubDate>
<category><![CDATA[Caf\xc3\xa9 Reviews]]></category>
<description>Short.</description></item></channel></rss>"""
PAGE = """<html><head><link rel="canonical" href="https://example.org/latte/"></head>
<body class="single single-post postid-12"><article id="post-12" class="post-12 post category-cafe-reviews">
<h1 class="entry-title">Latte</h1><div class="entry-content"><p>Good.</p></div>
<footer><a href="https://example.org/category/cafe-reviews/" rel="category tag">Café Reviews</a></footer>
</article></body></html>"""
REST_TERM = {"id": 5, "slug": "cafe-reviews", "name": "Caf&eacute; Reviews", "taxonomy": "category"}


@pytest.fixture
def store(tmp_path: Path) -> ArchiveStore:
    return ArchiveStore(open_archive(str(tmp_path / "archive.db")))


def rows(store: ArchiveStore, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def feed_post() -> PostRecord:
    post = build_post(parse_post_feed(FEED).items[0], None, body_from_html=False)
    assert post is not None
    return post


def page_post() -> PostRecord:
    post = parse_post_page(PAGE, "https://example.org/latte/").post
    assert post is not None
    return post


def test_a_term_named_by_feed_html_and_rest_is_one_row(store: ArchiveStore) -> None:
    site_id = store.ensure_site(SiteRecord(url=HOME))
    run_id = store.start_run(site_id, "feed", "full")
    store.save_records(site_id, run_id, [feed_post()])
    store.save_records(site_id, run_id, [page_post()])
    # A source that names the term only (no slug): the archive slugs it the same way.
    by_name = replace(feed_post(), wp_id=13, terms=(TermRef("category", name="Café Reviews"),))
    store.save_records(site_id, run_id, [by_name])
    term = parse_rest_term(REST_TERM, "category")
    assert isinstance(term, TermRecord)
    store.save_records(site_id, run_id, [term])
    assert rows(store, "SELECT taxonomy, slug, name, wp_id FROM terms") == [
        ("category", "cafe-reviews", "Café Reviews", 5)
    ]
    linked = rows(store, "SELECT post_id, term_id FROM post_terms ORDER BY post_id")
    assert len(linked) == 3
    assert len({term_id for _, term_id in linked}) == 1


def test_a_site_spelled_three_ways_is_one_row_without_credentials(store: ArchiveStore) -> None:
    spellings = (
        "https://Example.org:443/",
        "https://example.org",
        "https://user:pass@EXAMPLE.org/",
    )
    ids = {store.ensure_site(SiteRecord(url=normalize_home(url))) for url in spellings}
    ids |= {store.ensure_site(SiteRecord(url=url)) for url in spellings}
    assert len(ids) == 1
    stored = rows(store, "SELECT * FROM sites")
    assert [row[1] for row in stored] == [HOME]
    assert not any("pass" in str(value) for row in stored for value in row)
