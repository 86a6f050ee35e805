"""FeedSource against `responses` on WordPress-shaped RSS2/Atom fixtures, with post HTML injected."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import responses

from archive.records import (
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    RatingRecord,
    Record,
    SiteRecord,
    TermRecord,
    TermRef,
)
from scraper.discover import Discovery, find_feed_links
from scraper.errors import DiscoveryError
from scraper.http import HttpClient, HttpSettings
from scraper.sources.feeds import FeedSource
from scraper.sources.html import PostPage
from scraper.wpurls import post_atom_comment_feed, post_id_in, site_comments_feed_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
HOME = "http://blog.test"
PLAIN = "http://plain.test"
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
HTML = "text/html; charset=UTF-8"
NOT_FOUND = (404, HTML, b"<!doctype html><html><body>Page not found</body></html>")
HER = f"{HOME}/2018/03/29/her/"
TOM = f"{HOME}/2018/03/20/tom-jerry-revisited/"
AMELIE = f"{HOME}/2018/03/10/review-amelie/"

Route = tuple[int, str, bytes]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def canonical(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def serve(routes: dict[str, Route]) -> None:
    """Answer every GET on the test hosts from `routes` (query order ignored); others are a 404."""
    table = {canonical(url): route for url, route in routes.items()}

    def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
        status, ctype, body = table.get(canonical(request.url), NOT_FOUND)
        return status, {"Content-Type": ctype}, body

    responses.add_callback(responses.GET, re.compile(r"http://\w+\.test/.*"), callback=callback)


def requested() -> list[str]:
    return [canonical(call.request.url) for call in responses.calls]


def client() -> HttpClient:
    return HttpClient(HttpSettings(respect_robots=False, rate_limit=0.0), sleep=lambda s: None)


def discovery(home: str = HOME, feed_url: str | None = None, html: str | None = None) -> Discovery:
    return Discovery(home=home, site=SiteRecord(url=home), feed_url=feed_url, home_html=html)


def html_post(wp_id: int, url: str, content: str, **fields: Any) -> PostRecord:
    return PostRecord(
        wp_id=wp_id, type="post", url=url, title="(from HTML)", content_html=content,
        content_text=re.sub(r"<[^>]+>", "", content), source="html", **fields,
    )  # fmt: skip


def html_comment(
    wp_id: int, post: int, parent: int | None, inferred: bool = False
) -> CommentRecord:
    return CommentRecord(
        wp_id=wp_id, post_wp_id=post, parent_wp_id=parent, author_name=f"reader {wp_id}",
        published_at=datetime(2018, 3, 29, 16, 2, tzinfo=UTC), content_html=f"<p>c{wp_id}</p>",
        content_text=f"c{wp_id}", url=f"{HER}#comment-{wp_id}", parent_inferred=inferred,
        source="html",
    )  # fmt: skip


class FakePages:
    """Stands in for fetch_post_page: serves PostPages by URL and counts calls; a URL it does
    not know reads as a page that names no post (the feed's own fields stand)."""

    def __init__(self, pages: dict[str, PostPage]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def __call__(self, url: str) -> PostPage:
        self.calls.append(url)
        return self.pages.get(url) or PostPage(None, [], [], None)


def page(post: PostRecord | None, comments: Iterable[CommentRecord] = ()) -> PostPage:
    return PostPage(post, list(comments), [], None)


def run(source: FeedSource, state: CrawlState | None = None) -> list[Record]:
    return list(source.fetch_records(state or CrawlState()))


def of(records: list[Record], kind: type[Any]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


HER_THREAD = [html_comment(21, 7, None), html_comment(22, 7, 21), html_comment(23, 7, 21)]
FULL_SITE: dict[str, Route] = {
    f"{HOME}/feed/": (200, RSS, fixture("rss2-page1.xml")),
    f"{HOME}/feed/?paged=2": (200, RSS, fixture("rss2-page2.xml")),
}


@responses.activate
def test_full_crawl_pages_the_feed_once_per_post_and_reads_each_post_page() -> None:
    serve(FULL_SITE)
    tom = html_post(
        6, TOM, "<p>Half the fun.</p>", terms=(TermRef("post_tag", "comedy", "comedy"),)
    )
    pages = FakePages({HER: page(None, HER_THREAD), TOM: page(tom)})
    records = run(FeedSource(client(), discovery(feed_url=f"{HOME}/feed/"), 2, fetch_page=pages))

    posts = of(records, PostRecord)
    assert [p.wp_id for p in posts] == [12, 7, 6, 4, 3]  # post 6, on both pages, once
    assert requested() == [f"{HOME}/feed/", f"{HOME}/feed/?paged=2", f"{HOME}/feed/?paged=3"]
    # Every post's page once (its term links and nextpage pages); no Atom needed.
    assert sorted(pages.calls) == sorted(p.url for p in posts)
    her = posts[1]
    assert (her.title, her.url, her.author_name) == ("Her", HER, "Jordan Reeve")
    assert her.published_at == datetime(2018, 3, 29, 10, 15, tzinfo=UTC)
    assert her.source == "feed" and her.modified_at is None
    assert her.content_text.startswith("10/10\n\nFrom the mind of Spike Jonze.")
    assert her.rating is not None and (her.rating.value, her.rating.scale) == (10, 10)
    assert [t.slug for t in her.terms] == [
        "film-reviews",
        "drama",
        "spike-jonze",
        "joaquin-phoenix",
    ]
    assert {t.taxonomy for t in her.terms} == {"category"}
    assert [(c.wp_id, c.parent_wp_id) for c in of(records, CommentRecord)] == [
        (21, None),
        (22, 21),
        (23, 21),
    ]
    # Post 6: id and body from its HTML, its terms from HTML (real taxonomy), title from the feed.
    assert (posts[2].title, posts[2].content_html, posts[2].terms) == (
        "Tom & Jerry, revisited",
        "<p>Half the fun.</p>",
        (TermRef("post_tag", "comedy", "comedy"),),
    )


@responses.activate
def test_terms_come_once_and_before_the_first_post_using_them() -> None:
    serve(FULL_SITE)
    pages = FakePages({HER: page(None, HER_THREAD), TOM: page(html_post(6, TOM, "<p>x</p>"))})
    records = run(FeedSource(client(), discovery(feed_url=f"{HOME}/feed/"), fetch_page=pages))
    terms = of(records, TermRecord)
    assert len(terms) == len({(t.taxonomy, t.slug) for t in terms})
    assert ("category", "film-reviews", "Film Reviews") in {
        (t.taxonomy, t.slug, t.name) for t in terms
    }
    first_post = records.index(of(records, PostRecord)[0])
    assert {t.slug for t in records[:first_post] if isinstance(t, TermRecord)} == {
        "film-reviews",
        "classic",
    }
    assert all(t.source == "feed" for t in terms)


@responses.activate
def test_atom_thread_replaces_parents_the_markup_could_only_infer() -> None:
    serve({**FULL_SITE, f"{HER}feed/atom/": (200, ATOM, fixture("her-comments.atom"))})
    # At the depth limit the markup prints 23 after 22 as if it answered 22.
    flattened = [html_comment(21, 7, None), html_comment(22, 7, 21), html_comment(23, 7, 22, True)]
    pages = FakePages({HER: page(None, flattened), TOM: page(html_post(6, TOM, "<p>x</p>"))})
    records = run(FeedSource(client(), discovery(feed_url=f"{HOME}/feed/"), fetch_page=pages))

    comments = {c.wp_id: c for c in of(records, CommentRecord)}
    assert [(c.parent_wp_id, c.parent_inferred) for c in comments.values()] == [
        (None, False),
        (21, False),
        (21, False),
    ]
    assert comments[23].published_at == datetime(2018, 3, 29, 18, 41, 30, tzinfo=UTC)
    assert comments[23].source == "html"  # the HTML's comment, with the feed's thread
    assert requested().count(f"{HER}feed/atom/") == 1


@responses.activate
def test_unreadable_comment_feed_keeps_markup_parents_and_records_why() -> None:
    serve(FULL_SITE)  # the Atom feed answers 404
    flattened = [html_comment(21, 7, None), html_comment(23, 7, 22, True)]
    pages = FakePages({HER: page(None, flattened), TOM: page(html_post(6, TOM, "<p>x</p>"))})
    records = run(FeedSource(client(), discovery(feed_url=f"{HOME}/feed/"), fetch_page=pages))

    assert [(c.parent_wp_id, c.parent_inferred) for c in of(records, CommentRecord)] == [
        (None, False),
        (22, True),
    ]
    problems = of(records, ProblemRecord)
    assert [(p.kind, p.url) for p in problems] == [("http", f"{HER}feed/atom/")]
    assert "404" in problems[0].message


@responses.activate
def test_excerpt_only_feed_on_plain_permalinks_takes_bodies_from_html_and_comments_from_atom() -> (
    None
):
    serve(
        {
            f"{PLAIN}/?feed=rss2": (200, RSS, fixture("plain-excerpt.xml")),
            f"{PLAIN}/?feed=atom&p=31": (200, ATOM, fixture("plain-arrival-comments.atom")),
        }
    )
    rating = RatingRecord(4, 5, 1, 0.75, "text", "Rating: 4/5")
    arrival = html_post(
        31,
        f"{PLAIN}/?p=31",
        "<p>A patient, humane piece of science fiction.</p><p>Rating: 4/5</p>",
        rating=rating,
        terms=(TermRef("category", "film-reviews", "Film Reviews"), TermRef("post_tag", "sci-fi")),
    )
    ragu = html_post(30, f"{PLAIN}/?p=30", "<p>The kitchen scenes alone.</p>")
    # The theme loads comments by script: the page lists none, the Atom feed has both.
    pages = FakePages({f"{PLAIN}/?p=31": page(arrival), f"{PLAIN}/?p=30": page(ragu)})
    records = run(FeedSource(client(), discovery(PLAIN), fetch_page=pages))

    assert requested() == [
        f"{PLAIN}/feed/",
        canonical(f"{PLAIN}/?feed=rss2"),
        canonical(f"{PLAIN}/?feed=atom&p=31"),
        canonical(f"{PLAIN}/?feed=rss2&paged=2"),
    ]
    posts = of(records, PostRecord)
    assert [(p.wp_id, p.content_html) for p in posts] == [
        (31, arrival.content_html),
        (30, ragu.content_html),
    ]
    assert posts[0].rating == rating and posts[0].terms == arrival.terms
    assert posts[0].excerpt.startswith("A patient, humane piece of science fiction.")
    assert posts[0].title == "Review: Arrival"  # the feed's title over the page's
    comments = of(records, CommentRecord)
    assert [(c.wp_id, c.parent_wp_id, c.source, c.author_url) for c in comments] == [
        (52, 51, "feed", "https://cinemaverdict.example"),
        (51, None, "feed", "https://wenli.example"),
    ]
    assert comments[1].content_text.startswith("The score does a lot of the heavy lifting & never")
    assert of(records, ProblemRecord) == []
    assert records.index(posts[0]) < records.index(comments[0])


@responses.activate
def test_bozo_feed_is_a_problem_but_its_entries_are_used() -> None:
    serve({f"{HOME}/feed/": (200, RSS, fixture("rss2-bozo.xml"))})  # page 2 answers 404
    pages = FakePages({HER: page(None, HER_THREAD), TOM: page(html_post(6, TOM, "<p>x</p>"))})
    records = run(FeedSource(client(), discovery(), fetch_page=pages))

    assert [p.title for p in of(records, PostRecord)] == [
        "Notes on Casablanca & Co",
        "Her",
        "Tom & Jerry, revisited",
    ]
    problems = of(records, ProblemRecord)
    assert [p.kind for p in problems] == ["parse"]
    assert "not well-formed" in problems[0].message


@responses.activate
def test_html_where_every_feed_was_promised_is_a_clear_error() -> None:
    home_page = (200, HTML, b"<!DOCTYPE html><html><head><title>Blog</title></head></html>")
    serve({f"{HOME}/feed/": home_page, f"{HOME}/?feed=rss2": home_page})
    source = FeedSource(client(), discovery(), fetch_page=FakePages({}))
    with pytest.raises(DiscoveryError) as caught:
        run(source)
    message = str(caught.value)
    assert f"{HOME}/feed/ answered text/html; charset=UTF-8 where a feed was expected" in message
    assert f"{HOME}/?feed=rss2 answered" in message


@responses.activate
def test_html_on_a_later_feed_page_is_a_gap_and_ends_paging() -> None:
    serve({**FULL_SITE, f"{HOME}/feed/?paged=2": (200, HTML, b"<html><body>Home</body></html>")})
    pages = FakePages({HER: page(None, HER_THREAD), TOM: page(html_post(6, TOM, "<p>x</p>"))})
    records = run(FeedSource(client(), discovery(), fetch_page=pages))

    assert [p.wp_id for p in of(records, PostRecord)] == [12, 7, 6]
    assert [(p.kind, p.url) for p in of(records, ProblemRecord)] == [
        ("gap", f"{HOME}/feed/?paged=2")
    ]
    assert f"{HOME}/feed/?paged=3" not in requested()


@responses.activate
def test_post_without_any_id_is_a_gap_not_a_guess() -> None:
    serve(FULL_SITE)
    unreadable = PostPage(None, [], [ProblemRecord("http", "404", TOM)], None)
    pages = FakePages({HER: page(None, HER_THREAD), TOM: unreadable})
    records = run(FeedSource(client(), discovery(), fetch_page=pages))

    assert 6 not in [p.wp_id for p in of(records, PostRecord)]
    assert [(p.kind, p.url) for p in of(records, ProblemRecord)] == [("http", TOM), ("gap", TOM)]


@responses.activate
def test_incremental_stops_at_the_mark_and_rereads_posts_with_new_comments() -> None:
    serve({**FULL_SITE, f"{HOME}/comments/feed/atom/": (200, ATOM, fixture("site-comments.atom"))})
    amelie = html_post(4, AMELIE, "<p>Every frame.</p>")
    new_comment = html_comment(41, 4, None)
    pages = FakePages({HER: page(None, HER_THREAD), AMELIE: page(amelie, [new_comment])})
    state = CrawlState(
        posts_modified_after=datetime(2018, 3, 26, tzinfo=UTC),
        comments_after=datetime(2018, 3, 30, tzinfo=UTC),
    )
    records = run(FeedSource(client(), discovery(), fetch_page=pages), state)

    # Post 6 (20 March) is older than the mark less a day: page 2 is never asked for.
    assert requested() == [f"{HOME}/feed/", f"{HOME}/comments/feed/atom/"]
    assert [(p.wp_id, p.source) for p in of(records, PostRecord)] == [
        (12, "feed"),
        (7, "feed"),
        # Re-read from its page alone (no feed item): an HTML copy, which never overwrites what
        # the feed wrote (its excerpt, its dates).
        (4, "html"),
    ]
    # Comment 23 is new too, but its post was read in this run; comment 9 is older than the mark.
    assert sorted(pages.calls) == sorted(p.url for p in of(records, PostRecord))
    assert [c.wp_id for c in of(records, CommentRecord)] == [21, 22, 23, 41]
    assert of(records, ProblemRecord) == []


@responses.activate
def test_incremental_warns_when_the_comments_feed_may_not_reach_back_to_the_mark() -> None:
    serve({**FULL_SITE, f"{HOME}/comments/feed/atom/": (200, ATOM, fixture("site-comments.atom"))})
    pages = FakePages({HER: page(None, HER_THREAD)})
    state = CrawlState(
        posts_modified_after=datetime(2018, 4, 5, tzinfo=UTC),
        comments_after=datetime(2018, 3, 1, tzinfo=UTC),
    )
    records = run(FeedSource(client(), discovery(), fetch_page=pages), state)

    assert of(records, PostRecord) == []  # every post in the feed is older than the mark
    gaps = [p for p in of(records, ProblemRecord) if p.kind == "gap"]
    assert len(gaps) == 1 and "all 3 comments" in gaps[0].message


@pytest.mark.parametrize(
    ("guid", "expected"),
    [
        ("http://blog.test/?p=7", 7),
        ("https://blog.test/?page_id=42", 42),
        ("http://blog.test/?p=7#comment-3", 7),
        ("http://blog.test/?foo=1&p=19", 19),
        ("http://old.blog.test/2018/03/20/tom-jerry-revisited/", None),
        ("http://blog.test/?pp=3", None),
        ("", None),
    ],
)
def test_wp_id_from_guid(guid: str, expected: int | None) -> None:
    assert post_id_in(guid) == expected


def test_feed_links_prefer_rss_and_skip_comment_feeds() -> None:
    html = """<html><head>
    <link rel="alternate" type="application/atom+xml" title="Atom" href="/feed/atom/" />
    <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed"
          href="http://blog.test/comments/feed/" />
    <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="/feed/" />
    </head><body></body></html>"""
    assert find_feed_links(html, HOME + "/") == [f"{HOME}/feed/", f"{HOME}/feed/atom/"]
    assert find_feed_links("<<<not html", HOME) == []


@pytest.mark.parametrize(
    ("feed_url", "expected"),
    [
        (f"{HOME}/feed/", f"{HOME}/comments/feed/atom/"),
        (f"{PLAIN}/?feed=rss2", f"{PLAIN}/?feed=comments-atom"),
    ],
)
def test_site_comments_feed_url_keeps_the_permalink_style(feed_url: str, expected: str) -> None:
    home = f"{urlsplit(feed_url).scheme}://{urlsplit(feed_url).netloc}"
    assert site_comments_feed_url(feed_url, home) == expected


def test_post_comment_feed_url_follows_wfw_comment_rss() -> None:
    from scraper.parse.feed import parse_post_feed

    items = {i.wp_id: i for i in parse_post_feed(fixture("rss2-page1.xml"), RSS).items}
    plain = parse_post_feed(fixture("plain-excerpt.xml"), RSS).items
    assert (
        post_atom_comment_feed(items[7].comment_feed_url or "", items[7].link, 7, HOME)
        == f"{HER}feed/atom/"
    )
    assert canonical(
        post_atom_comment_feed(plain[0].comment_feed_url or "", plain[0].link, 31, PLAIN)
    ) == canonical(f"{PLAIN}/?feed=atom&p=31")
    # No wfw:commentRss (comments closed): derived from the permalink.
    assert (
        post_atom_comment_feed(items[12].comment_feed_url or "", items[12].link, 12, HOME)
        == f"{HOME}/2018/04/02/notes-on-casablanca/feed/atom/"
    )
