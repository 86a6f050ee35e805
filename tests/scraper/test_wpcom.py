"""WpcomSource against `responses` on REST v1.1 fixtures: paging traps, threading, errors, detection."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from archive.records import (
    AuthorRecord,
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    Record,
    SiteRecord,
    TermRecord,
    TermRef,
)
from scraper.discover import Discovery, detect_wpcom
from scraper.errors import ApiClosedError, DiscoveryError, NotJsonError
from scraper.http import HttpClient, HttpSettings
from scraper.sources.wpcom import WpcomSource

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wpcom"
API = "http://api.test/rest/v1.1"
SITE = "cinemaverdict.wordpress.com"
POSTS = f"{API}/sites/{SITE}/posts/"
COMMENTS = f"{API}/sites/{SITE}/comments/"
EMPTY_POSTS: dict[str, Any] = {"found": 0, "posts": []}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def client(sleeps: list[float] | None = None) -> HttpClient:
    settings = HttpSettings(respect_robots=False, rate_limit=0.0)
    return HttpClient(settings, sleep=sleeps.append if sleeps is not None else lambda s: None)


def source(http: HttpClient | None = None, page_size: int = 2) -> WpcomSource:
    return WpcomSource(http or client(), SITE, api_base=API, page_size=page_size)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def calls_to(url: str) -> list[dict[str, str]]:
    urls = [call.request.url for call in responses.calls]
    return [query_of(u) for u in urls if u.split("?")[0] == url]


def reply(*bodies: Any, status: int = 200) -> Any:
    """A callback answering successive requests with successive bodies (the last one repeats)."""
    queue = list(bodies)

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        body = queue.pop(0) if len(queue) > 1 else queue[0]
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    return callback


def serve_posts(*bodies: Any, pages: Any = EMPTY_POSTS) -> None:
    """Posts listing answers `bodies` in turn for type=post; type=page answers `pages`."""
    post_bodies = list(bodies)

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        if query_of(request.url).get("type") == "page":
            body = pages
        else:
            body = post_bodies.pop(0) if len(post_bodies) > 1 else post_bodies[0]
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    responses.add_callback(responses.GET, re.compile(re.escape(POSTS) + r"\?.*"), callback=callback)


def serve_comments(*bodies: Any) -> None:
    responses.add_callback(
        responses.GET, re.compile(re.escape(COMMENTS) + r"\?.*"), callback=reply(*bodies)
    )


def run(src: WpcomSource, state: CrawlState | None = None) -> list[Record]:
    return list(src.fetch_records(state or CrawlState()))


def of(records: list[Record], kind: type[Any]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def posts_with_ids(*ids: int) -> list[dict[str, Any]]:
    template = fixture("posts-handle-1.json")["posts"][0]
    return [{**copy.deepcopy(template), "ID": i, "URL": f"https://{SITE}/p{i}/"} for i in ids]


@responses.activate
def test_posts_follow_page_handles_and_map_every_field() -> None:
    serve_posts(
        fixture("posts-handle-1.json"), fixture("posts-handle-2.json"), pages=fixture("pages.json")
    )
    serve_comments(fixture("comments-empty.json"))
    records = run(source())

    posts = of(records, PostRecord)
    assert [(p.wp_id, p.type) for p in posts] == [
        (101, "post"),
        (102, "post"),
        (103, "post"),
        (2, "page"),
    ]
    post_calls = [q for q in calls_to(POSTS) if q["type"] == "post"]
    assert [q.get("page_handle") for q in post_calls] == [None, "value=102&id=102"]
    assert all("offset" not in q for q in post_calls)
    first = dict(post_calls[0])
    assert {"ID", "content", "categories", "tags", "author"} <= set(first.pop("fields").split(","))
    assert first == {"type": "post", "order_by": "ID", "order": "ASC", "number": "2"}
    her = posts[1]
    assert (her.title, her.url, her.slug, her.status) == (
        "Her",
        f"https://{SITE}/2018/03/29/her/",
        "her",
        "publish",
    )
    assert her.published_at == datetime(2018, 3, 29, 10, 15, tzinfo=UTC)  # +01:00 -> UTC
    assert her.modified_at == datetime(2018, 3, 30, 8, 2, 11, tzinfo=UTC)
    assert (her.author_wp_id, her.author_name, her.comment_status) == (
        98765401,
        "Jordan Reeve",
        "open",
    )
    assert her.content_text.startswith("10/10\n\nFrom the mind of Spike Jonze.")
    assert her.rating is not None and (her.rating.value, her.rating.scale) == (10, 10)
    assert her.terms[0] == TermRef("category", "film-reviews", "Film Reviews", 5678)
    assert {t.taxonomy for t in her.terms[1:]} == {"post_tag"} and len(her.terms) == 4
    assert (her.source, posts[2].title, posts[2].terms) == ("wpcom", "Tom & Jerry, revisited", ())
    assert posts[2].published_at == datetime(2018, 4, 2, 15, 0, tzinfo=UTC)  # -07:00 -> UTC


@responses.activate
def test_authors_and_terms_come_once_before_the_posts_that_use_them() -> None:
    serve_posts(
        fixture("posts-handle-1.json"), fixture("posts-handle-2.json"), pages=fixture("pages.json")
    )
    serve_comments(fixture("comments-empty.json"))
    records = run(source())

    authors = of(records, AuthorRecord)
    assert [(a.wp_id, a.name, a.slug) for a in authors] == [
        (98765402, "Maria Kowalski", "mkowalski"),
        (98765401, "Jordan Reeve", "jreeve"),
    ]
    terms = of(records, TermRecord)
    assert len(terms) == len({(t.taxonomy, t.slug) for t in terms}) == 5
    for post in of(records, PostRecord):
        position = records.index(post)
        for ref in post.terms:
            term = next(t for t in terms if (t.taxonomy, t.wp_id) == (ref.taxonomy, ref.wp_id))
            assert records.index(term) < position
        if post.author_wp_id is not None:
            author = next(a for a in authors if a.wp_id == post.author_wp_id)
            assert records.index(author) < position


@responses.activate
def test_listing_without_next_page_goes_on_by_offset_and_drops_duplicates() -> None:
    # The known trap: more posts remain (found 5) but the listing gives no next_page.
    serve_posts(
        {"found": 5, "posts": posts_with_ids(101, 102)},
        {"found": 5, "posts": posts_with_ids(102, 103)},
        {"found": 5, "posts": posts_with_ids(104, 105)},
    )
    serve_comments(fixture("comments-empty.json"))
    records = run(source())

    assert [p.wp_id for p in of(records, PostRecord)] == [101, 102, 103, 104, 105]
    post_calls = [q for q in calls_to(POSTS) if q["type"] == "post"]
    assert [q.get("offset") for q in post_calls] == [None, "2", "4"]  # found reached: no 4th call


@responses.activate
def test_found_minus_one_walks_comments_until_an_empty_page() -> None:
    serve_posts(EMPTY_POSTS)
    serve_comments(
        fixture("comments-1.json"), fixture("comments-2.json"), fixture("comments-empty.json")
    )
    records = run(source())

    assert [c.wp_id for c in of(records, CommentRecord)] == [21, 22, 23]
    comment_calls = calls_to(COMMENTS)
    assert [q.get("offset") for q in comment_calls] == [None, "2", "4"]
    assert comment_calls[0] == {
        "type": "comment",
        "status": "approved",
        "order": "ASC",
        "number": "2",
    }


@responses.activate
def test_a_page_of_only_seen_ids_ends_the_listing() -> None:
    serve_posts(EMPTY_POSTS)
    serve_comments(fixture("comments-1.json"))  # a server ignoring `offset`: the same page forever
    records = run(source())

    assert [c.wp_id for c in of(records, CommentRecord)] == [21, 22]
    assert len(calls_to(COMMENTS)) == 2


@responses.activate
def test_comments_thread_through_parent_and_pingbacks_are_left_out() -> None:
    serve_posts(EMPTY_POSTS)
    serve_comments(
        fixture("comments-1.json"), fixture("comments-2.json"), fixture("comments-empty.json")
    )
    comments = {c.wp_id: c for c in of(run(source()), CommentRecord)}

    assert 24 not in comments  # the pingback
    assert [(c.parent_wp_id, c.parent_inferred, c.post_wp_id) for c in comments.values()] == [
        (None, False, 102),
        (21, False, 102),
        (21, False, 102),
    ]
    manja = comments[21]
    assert (manja.author_name, manja.author_url, manja.author_wp_id) == (
        "Manja",
        "http://manjameximovie3.wordpress.com",
        139402931,
    )
    assert manja.published_at == datetime(2018, 3, 29, 16, 2, 11, tzinfo=UTC)
    assert manja.url == f"https://{SITE}/2018/03/29/her/#comment-21"
    assert manja.content_text.endswith(
        "https://manjameximovie3.wordpress.com/2018/03/28/flash-mexi-movie-reviews/"
    )
    assert (manja.source, manja.type) == ("wpcom", "comment")


@responses.activate
def test_429_with_retry_after_is_waited_out_then_read() -> None:
    responses.add(
        responses.GET,
        re.compile(re.escape(POSTS) + r"\?.*"),
        status=429,
        headers={"Retry-After": "7"},
        json={"error": "rate_limit_exceeded", "message": "Too many requests"},
    )
    serve_posts(fixture("posts-handle-2.json"))
    serve_comments(fixture("comments-empty.json"))
    sleeps: list[float] = []
    records = run(source(client(sleeps)))

    # Retry-After, then the host's delay (doubled by the 429) coming back down by halves.
    assert sleeps == [7.0, 1.0, 0.5]
    assert [p.wp_id for p in of(records, PostRecord)] == [103]


@responses.activate
def test_html_instead_of_json_is_a_clear_error() -> None:
    responses.add(
        responses.GET,
        re.compile(re.escape(POSTS) + r"\?.*"),
        body="<!DOCTYPE html><html><head><title>WordPress.com</title></head></html>",
        content_type="text/html; charset=UTF-8",
    )
    with pytest.raises(NotJsonError, match=r"promised JSON but sent text/html"):
        run(source())


@responses.activate
def test_a_later_page_failing_is_a_gap_and_the_rest_is_kept() -> None:
    serve_posts(fixture("posts-handle-1.json"), "<html>oops</html>")
    serve_comments(fixture("comments-empty.json"))
    records = run(source())

    assert [p.wp_id for p in of(records, PostRecord)] == [101, 102]
    gaps = [p for p in of(records, ProblemRecord) if p.kind == "gap"]
    assert len(gaps) == 1 and "posts/ page 2" in gaps[0].message


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, "error-unknown-blog.json", DiscoveryError),
        (403, "error-unauthorized.json", ApiClosedError),
    ],
)
def test_unknown_or_private_site_cannot_be_read(
    status: int, body: str, error: type[Exception]
) -> None:
    responses.add(
        responses.GET, re.compile(re.escape(POSTS) + r"\?.*"), status=status, json=fixture(body)
    )
    with pytest.raises(error, match=SITE):
        run(source())


@responses.activate
def test_incremental_asks_only_for_what_changed_since_the_marks() -> None:
    serve_posts(EMPTY_POSTS)
    serve_comments(fixture("comments-empty.json"))
    state = CrawlState(
        posts_modified_after=datetime(2018, 4, 2, 12, tzinfo=UTC),
        comments_after=datetime(2018, 4, 3, tzinfo=UTC),
    )
    run(source(), state)

    assert {q["modified_after"] for q in calls_to(POSTS)} == {"2018-04-01T12:00:00+00:00"}
    assert calls_to(COMMENTS)[0]["after"] == "2018-04-02T00:00:00+00:00"


@responses.activate
def test_fetch_site_reads_name_url_and_time_zone() -> None:
    responses.add(responses.GET, f"{API}/sites/{SITE}/", json=fixture("site.json"))
    site = source().fetch_site()
    assert site == SiteRecord(
        url=f"https://{SITE}",
        name="Cinema Verdict",
        description="Films, books and the occasional recipe",
        api_root=f"{API}/sites/{SITE}/",
        gmt_offset=1.0,
        timezone="Europe/London",
    )


def test_from_discovery_uses_the_detected_site_or_the_home_host() -> None:
    found = Discovery(
        home="https://blog.example.org", site=SiteRecord(url="https://blog.example.org")
    )
    assert WpcomSource.from_discovery(client(), found).site == "blog.example.org"
    hosted = Discovery(home=found.home, site=found.site, wpcom_site=SITE)
    made = WpcomSource.from_discovery(client(), hosted, 4)
    assert (
        made.site_url("posts/") == f"https://public-api.wordpress.com/rest/v1.1/sites/{SITE}/posts/"
    )


@pytest.mark.parametrize(
    ("home", "html", "headers", "expected"),
    [
        ("https://cinemaverdict.wordpress.com", None, {}, "cinemaverdict.wordpress.com"),
        ("cinemaverdict.wordpress.com", None, {}, "cinemaverdict.wordpress.com"),
        ("https://verdict.example", "", {"Host-Header": "WordPress.com"}, "verdict.example"),
        (
            "https://verdict.example",
            '<meta name="generator" content="WordPress.com" />',
            {},
            "verdict.example",
        ),
        (
            "https://verdict.example",
            '<img src="https://cinemaverdict.files.wordpress.com/2018/03/her.jpg">',
            {"X-ac": "4.sjc _bur"},
            "verdict.example",
        ),
        # x-ac alone is also sent for WordPress VIP; Jetpack puts s0.wp.com and wp.me everywhere.
        ("https://news.example", "", {"x-ac": "1.ams _dca MISS"}, None),
        (
            "https://selfhosted.example",
            "<link rel='dns-prefetch' href='//s0.wp.com' /><link rel='shortlink' href='https://wp.me/p1'>"
            '<meta name="generator" content="WordPress 6.1.1" />',
            {"Server": "nginx"},
            None,
        ),
        ("https://public-api.wordpress.com", None, {}, None),
        ("https://wordpress.com", None, {}, None),
    ],
)
def test_detect_wpcom(
    home: str, html: str | None, headers: dict[str, str], expected: str | None
) -> None:
    assert detect_wpcom(home, html, headers) == expected
