"""Feeds recorded from the real WordPress 6.1 harness (tests/fixtures/recorded): parsed and crawled.

Expected values come from the manifest, which WordPress itself produced, never from our code.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from archive.records import CommentRecord, CrawlState, PostRecord, ProblemRecord, Record, SiteRecord
from scraper.discover import Discovery
from scraper.http import HttpClient, HttpSettings
from scraper.parse.feed import parse_comment_feed, parse_post_feed
from scraper.sources.feeds import FeedSource
from scraper.sources.html import PostPage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORDED = FIXTURES / "recorded"
SITE = "http://127.0.0.2:8000"
MANIFEST: dict[str, Any] = (
    json.loads((RECORDED / "manifest.json").read_text())
    if (RECORDED / "manifest.json").exists()
    else {}
)


def recorded(name: str) -> tuple[bytes, str]:
    """A recorded body and the Content-Type WordPress sent with it."""
    headers = MANIFEST["files"][name]["headers"]
    return (RECORDED / name).read_bytes(), headers.get("Content-Type", "")


def truth(post: str) -> dict[str, Any]:
    return dict(MANIFEST["posts"][post])


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value)


def serve(routes: dict[str, tuple[bytes, str]]) -> None:
    """Answer GETs on the recorded site from `routes` (path with query); anything else is a 404."""

    def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
        path = request.url.removeprefix(SITE)
        if path in routes:
            body, ctype = routes[path]
            return 200, {"Content-Type": ctype}, body
        return 404, {"Content-Type": "text/html; charset=UTF-8"}, b"<html>Not found</html>"

    responses.add_callback(responses.GET, re.compile(re.escape(SITE) + "/.*"), callback=callback)


def requested() -> list[str]:
    return [call.request.url.removeprefix(SITE) for call in responses.calls]


def source(fetch_page: Any = None) -> FeedSource:
    http = HttpClient(HttpSettings(respect_robots=False, rate_limit=0.0), sleep=lambda s: None)
    found = Discovery(
        home=SITE, site=SiteRecord(url=SITE, gmt_offset=1.0), feed_url=f"{SITE}/feed/"
    )
    return FeedSource(http, found, 2, fetch_page=fetch_page)


def of(records: list[Record], kind: type[Any]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


@pytest.mark.parametrize(
    ("name", "permalink_guids"),
    [
        ("feeds/rss2.xml", 1),
        ("feeds/rss2-page2.xml", 2),
        ("feeds/plain-rss2.xml", 0),
        ("feeds/excerpt-rss2.xml", 1),
    ],
)
def test_recorded_post_feeds_list_the_posts_wordpress_listed(
    name: str, permalink_guids: int
) -> None:
    parsed = parse_post_feed(*recorded(name))
    expected = MANIFEST["files"][name]["post_ids"]

    assert parsed.is_feed and parsed.problem is None
    assert len(parsed.items) == len(expected)
    # Imported posts keep a permalink guid: no id there, and never a wrong one.
    assert [i.wp_id for i in parsed.items if i.wp_id] == [
        pid for pid, i in zip(expected, parsed.items, strict=True) if i.wp_id
    ]
    assert sum(i.wp_id is None for i in parsed.items) == permalink_guids
    assert all(i.published_at is not None and i.author_name for i in parsed.items)
    excerpt_only = MANIFEST["sites"][MANIFEST["files"][name]["site"]]["rss_use_excerpt"] == 1
    assert all((i.content_html is None) == excerpt_only for i in parsed.items)


def test_recorded_atom_comment_feed_gives_wordpress_parents_and_dates() -> None:
    parsed = parse_comment_feed(*recorded("feeds/her-comments-atom.xml"))
    expected = {c["id"]: c for c in truth("her")["comments"]}

    assert [c.wp_id for c in parsed.comments] == MANIFEST["files"]["feeds/her-comments-atom.xml"][
        "comment_ids"
    ]
    for comment in parsed.comments:
        want = expected[comment.wp_id]
        assert comment.post_wp_id == truth("her")["id"]
        assert comment.parent_wp_id == (want["parent"] or None)
        assert comment.published_at == utc(want["date_gmt"])
        assert (comment.author_name, comment.author_url) == (
            want["author_name"],
            want["author_url"],
        )


def test_recorded_site_comment_feed_threads_every_entry() -> None:
    parsed = parse_comment_feed(*recorded("feeds/comments-atom.xml"))
    assert [c.wp_id for c in parsed.comments] == MANIFEST["files"]["feeds/comments-atom.xml"][
        "comment_ids"
    ]
    assert all(c.has_thread and c.post_wp_id in (172, 165) for c in parsed.comments)
    assert {c.post_link for c in parsed.comments} == {
        f"{SITE}/2023/12/review-oceans-eleven-2/",
        f"{SITE}/2023/11/night-trains-revisited/",
    }


@responses.activate
def test_recorded_feed_pages_crawl_when_no_page_is_readable() -> None:
    serve(
        {"/feed/": recorded("feeds/rss2.xml"), "/feed/?paged=2": recorded("feeds/rss2-page2.xml")}
    )
    calls: list[str] = []

    def no_html(url: str) -> PostPage:
        calls.append(url)
        return PostPage(None, [], [], None)

    records = list(source(no_html).fetch_records(CrawlState()))
    items = [
        *parse_post_feed(*recorded("feeds/rss2.xml")).items,
        *parse_post_feed(*recorded("feeds/rss2-page2.xml")).items,
    ]

    assert [r for r in requested() if "/feed/" in r and "atom" not in r] == [
        "/feed/",
        "/feed/?paged=2",
        "/feed/?paged=3",
    ]
    posts = of(records, PostRecord)
    assert [p.wp_id for p in posts] == [i.wp_id for i in items if i.wp_id]
    protected = next(p for p in posts if p.wp_id == 191)
    assert (protected.title, protected.content_html, protected.rating) == (
        "Members only: festival screener notes",
        "",
        None,
    )
    # Every post's page is asked for (terms and nextpage pages live there only).
    assert sorted(calls) == sorted(i.link for i in items)
    no_id = [p for p in of(records, ProblemRecord) if "no post id" in p.message]
    assert sorted(p.url for p in no_id) == sorted(i.link for i in items if i.wp_id is None)


@responses.activate
def test_recorded_html_and_atom_give_the_true_threads() -> None:
    serve(
        {
            "/feed/": (
                (FIXTURES / "feeds" / "recorded-site-rss2.xml").read_bytes(),
                "application/rss+xml; charset=UTF-8",
            ),
            "/2018/03/her/": recorded("html/tt1-her.html"),
            "/2018/03/her/feed/atom/": recorded("feeds/her-comments-atom.xml"),
            "/2015/09/review-zodiac/": recorded("html/tt1-heavy-all.html"),
            "/2015/09/review-zodiac/feed/atom/": (
                (FIXTURES / "feeds" / "recorded-heavy-comments.atom").read_bytes(),
                "application/atom+xml; charset=UTF-8",
            ),
        }
    )
    records = list(source().fetch_records(CrawlState()))  # the real fetch_post_page

    her, heavy = of(records, PostRecord)
    want = truth("her")
    assert (her.wp_id, her.title, her.published_at) == (56, "Her", utc(want["date_gmt"]))
    assert her.rating is not None and (
        her.rating.value,
        her.rating.scale,
        her.rating.normalized,
    ) == (
        10,
        10,
        1.0,
    )
    assert {t.name for t in her.terms if t.taxonomy == "post_tag"} == set(want["tags"])
    assert {t.name for t in her.terms if t.taxonomy == "category"} == set(want["categories"])
    comments = of(records, CommentRecord)
    her_comments = [c for c in comments if c.post_wp_id == 56]
    assert [(c.wp_id, c.parent_wp_id, c.parent_inferred) for c in her_comments] == [
        (c["id"], c["parent"] or None, False) for c in want["comments"]
    ]
    assert [(c.author_name, c.author_url, c.published_at) for c in her_comments] == [
        (c["author_name"], c["author_url"], utc(c["date_gmt"])) for c in want["comments"]
    ]
    assert "/2018/03/her/feed/atom/" not in requested()  # the markup proved every parent

    parents = {c["id"]: c["parent"] or None for c in truth("heavy")["comments"]}
    in_feed = set(_atom_ids("recorded-heavy-comments.atom"))
    heavy_comments = [c for c in comments if c.post_wp_id == heavy.wp_id == 15]
    assert len(heavy_comments) == truth("heavy")["comment_count"]
    assert all(c.parent_wp_id == parents[c.wp_id] for c in heavy_comments if not c.parent_inferred)
    assert all(not c.parent_inferred for c in heavy_comments if c.wp_id in in_feed)
    # The markup flattened 186 and 188 under 184; the Atom thread puts them back (185, 186).
    assert [c.parent_wp_id for c in heavy_comments if c.wp_id in (186, 188)] == [185, 186]
    assert all(c.parent_wp_id == parents[c.wp_id] for c in heavy_comments)
    # Deep replies older than the feed's window keep the markup's guess, flagged as a guess.
    still_guessed = {c.wp_id for c in heavy_comments if c.parent_inferred}
    assert still_guessed and not still_guessed & in_feed


def _atom_ids(name: str) -> list[int]:
    parsed = parse_comment_feed((FIXTURES / "feeds" / name).read_bytes(), "application/atom+xml")
    return [c.wp_id for c in parsed.comments]
