"""RestSource and discovery against `responses`: paging, minimal requests, closed APIs, bad bodies."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from archive.records import CommentRecord, CrawlState, PostRecord, ProblemRecord, SiteRecord
from scraper.discover import Discovery, discover_site, normalize_home
from scraper.errors import ApiClosedError, DiscoveryError
from scraper.http import HttpClient, HttpSettings
from scraper.sources.rest import RestSource, SeenIds
from scraper.wpurls import rest_route_url

HOME = "http://blog.test"
ROOT = f"{HOME}/wp-json/"


def client() -> HttpClient:
    return HttpClient(HttpSettings(respect_robots=False, rate_limit=0.0), sleep=lambda s: None)


def discovery(root: str = ROOT) -> Discovery:
    return Discovery(home=HOME, site=SiteRecord(url=HOME), rest_root=root)


def post_item(wp_id: int) -> dict[str, Any]:
    return {
        "id": wp_id,
        "type": "post",
        "link": f"{HOME}/?p={wp_id}",
        "slug": f"post-{wp_id}",
        "status": "publish",
        "date_gmt": "2020-01-02T03:04:05",
        "modified_gmt": "2020-02-02T03:04:05",
        "title": {"rendered": f"Post &#8220;{wp_id}&#8221;"},
        "content": {"rendered": "<p>Rating: 4/5</p><p>Body</p>"},
        "excerpt": {"rendered": "<p>Body</p>"},
        "author": 2,
        "categories": [3],
        "tags": [],
        "comment_status": "open",
    }


def serve_collection(
    route: str, items: list[dict[str, Any]], per_page: int = 100
) -> Callable[..., Any]:
    """Serve a wp/v2 collection the way WordPress pages it, with X-WP-Total(Pages) headers."""

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        page = int(query.get("page", ["1"])[0])
        assert query["per_page"] == ["100"] and query["orderby"] == ["id"]
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        if page > pages and route in ("posts", "pages"):
            body = {
                "code": "rest_post_invalid_page_number",
                "message": "bad",
                "data": {"status": 400},
            }
            return 400, headers, json.dumps(body)
        return 200, headers, json.dumps(chunk)

    responses.add_callback(responses.GET, f"{ROOT}wp/v2/{route}", callback=callback)
    return callback


def rest_type(slug: str, base: str) -> dict[str, Any]:
    """A /wp/v2/types entry as anonymous readers get it (no `viewable`: edit context only)."""
    return {"slug": slug, "name": slug.title(), "rest_base": base, "rest_namespace": "wp/v2"}


# Core's own types, as WordPress 6.1 lists them.
CORE_TYPES = {
    slug: rest_type(slug, base)
    for slug, base in (
        ("post", "posts"),
        ("page", "pages"),
        ("attachment", "media"),
        ("nav_menu_item", "menu-items"),
        ("wp_block", "blocks"),
        ("wp_template", "templates"),
        ("wp_navigation", "navigation"),
    )
}


def serve_site(posts: int, comments: int) -> None:
    serve_collection(
        "users", [{"id": 2, "name": "Ann Author", "slug": "ann", "link": f"{HOME}/author/ann/"}]
    )
    serve_collection("categories", [{"id": 3, "name": "Film &amp; TV", "slug": "film"}])
    serve_collection("tags", [])
    serve_collection("posts", [post_item(i) for i in range(1, posts + 1)])
    serve_collection("pages", [])
    responses.get(f"{ROOT}wp/v2/types", json=CORE_TYPES)
    serve_collection(
        "comments",
        [
            {
                "id": c,
                "post": 1,
                "parent": c - 1 if c % 3 else 0,
                "author_name": "Reader",
                "author_url": "",
                "author": 0,
                "date_gmt": "2020-03-01T00:00:00",
                "content": {"rendered": "<p>Nice &amp; good</p>"},
                "link": f"{HOME}/?p=1#comment-{c}",
                "type": "comment",
            }
            for c in range(1, comments + 1)
        ],
    )


@responses.activate
def test_full_crawl_reads_everything_with_minimal_requests() -> None:
    serve_site(posts=250, comments=1001)
    http = client()
    records = list(RestSource(http, discovery(), concurrency=3).fetch_records(CrawlState()))
    posts = [r for r in records if isinstance(r, PostRecord)]
    comments = [r for r in records if isinstance(r, CommentRecord)]
    assert [p.wp_id for p in posts] == list(range(1, 251))
    assert len({c.wp_id for c in comments}) == 1001
    # users, categories, tags, pages, types: 1 each; posts: ceil(250/100) = 3; comments: 11
    assert http.requests_made == 5 + 3 + 11
    first = posts[0]
    assert first.title == "Post \u201c1\u201d"
    assert first.author_name == "Ann Author"
    assert first.published_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert first.rating is not None and (first.rating.value, first.rating.scale) == (4.0, 5.0)
    assert comments[2].parent_wp_id is None and comments[3].parent_wp_id == 3
    assert comments[0].content_text == "Nice & good"


@responses.activate
def test_comment_pages_are_fetched_while_posts_are_still_being_read() -> None:
    """One stream of pages across collections: the fetchers do not wait for the last post to
    be consumed before asking for comments (the consumer here is paused on post 101)."""
    serve_site(posts=250, comments=950)  # no full last page: no page past the end asked
    asked: list[tuple[str, int]] = []
    http = client()
    http.add_exchange_hook(lambda exchange: asked.append(_route_page(exchange.url)))
    records = RestSource(http, discovery(), concurrency=2).fetch_records(CrawlState())
    for record in records:
        if isinstance(record, PostRecord) and record.wp_id == 101:
            break
    # The hook sees an exchange when its answer is in: two fetchers may finish these two pages
    # in either order, so both are awaited.
    wanted = {("comments", 2), ("posts", 3)}
    deadline = time.monotonic() + 10
    while not wanted <= set(asked) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert wanted <= set(asked)
    rest = list(records)  # and the stream goes on in order from where it paused
    posts = [r.wp_id for r in rest if isinstance(r, PostRecord)]
    comments = [r.wp_id for r in rest if isinstance(r, CommentRecord)]
    assert posts == list(range(102, 251))
    assert comments == list(range(1, 951))
    assert http.requests_made == 5 + 3 + 10


def _route_page(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[-1], int(parse_qs(parts.query).get("page", ["1"])[0])


@responses.activate
def test_incremental_crawl_sends_high_water_marks_with_overlap() -> None:
    serve_site(posts=3, comments=2)
    http = client()
    mark = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
    state = CrawlState(site_id=1, posts_modified_after=mark, comments_after=mark)
    list(RestSource(http, discovery()).fetch_records(state))
    sent: dict[str, list[dict[str, list[str]]]] = {}
    for call in responses.calls:
        parts = urlsplit(call.request.url)
        sent.setdefault(parts.path, []).append(parse_qs(parts.query))
    since = ["2024-05-09T12:00:00"]
    # Edited posts by modified date, and posts the scheduler published by their date.
    assert [q.get("modified_after") or q.get("after") for q in sent["/wp-json/wp/v2/posts"]] == [
        since,
        since,
    ]
    assert {next(k for k in q if "after" in k) for q in sent["/wp-json/wp/v2/posts"]} == {
        "modified_after",
        "after",
    }
    assert sent["/wp-json/wp/v2/comments"][0]["after"] == since
    assert "after" not in sent["/wp-json/wp/v2/users"][0]


@responses.activate
def test_incremental_crawl_reads_users_and_terms_only_for_ones_the_archive_lacks() -> None:
    serve_site(posts=3, comments=2)
    mark = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
    known = CrawlState(
        site_id=1,
        posts_modified_after=mark,
        comments_after=mark,
        known_authors={2: "Ann"},
        known_terms=frozenset({3}),
    )
    records = list(RestSource(client(), discovery()).fetch_records(known))
    paths = {urlsplit(c.request.url).path for c in responses.calls}
    assert paths == {"/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages", "/wp-json/wp/v2/comments"}
    posts = [r for r in records if isinstance(r, PostRecord)]
    assert posts and {p.author_name for p in posts} == {"Ann"}


@responses.activate
def test_closed_posts_collection_raises_api_closed() -> None:
    serve_collection("users", [])
    serve_collection("categories", [])
    serve_collection("tags", [])
    responses.get(
        f"{ROOT}wp/v2/posts",
        status=401,
        json={"code": "rest_login_required", "message": "no", "data": {"status": 401}},
    )
    with pytest.raises(ApiClosedError, match="401 rest_login_required"):
        list(RestSource(client(), discovery()).fetch_records(CrawlState()))


@responses.activate
def test_hidden_users_are_a_problem_not_a_failure() -> None:
    serve_site(posts=2, comments=0)
    responses.replace(
        responses.GET,
        f"{ROOT}wp/v2/users",
        status=401,
        json={"code": "rest_user_cannot_view", "message": "no", "data": {"status": 401}},
    )
    records = list(RestSource(client(), discovery()).fetch_records(CrawlState()))
    problems = [r for r in records if isinstance(r, ProblemRecord)]
    assert len(problems) == 1 and "users" in problems[0].message
    assert sum(isinstance(r, PostRecord) for r in records) == 2


@responses.activate
def test_missing_total_headers_walk_until_a_short_page() -> None:
    items = [post_item(i) for i in range(1, 206)]

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        page = int(parse_qs(urlsplit(request.url).query)["page"][0])
        return 200, {}, json.dumps(items[(page - 1) * 100 : page * 100])

    responses.add_callback(responses.GET, f"{ROOT}wp/v2/posts", callback=callback)
    http = client()
    got = list(RestSource(http, discovery()).fetch_collection("wp/v2/posts"))
    assert [i["id"] for i in got] == list(range(1, 206))
    assert http.requests_made == 3


@responses.activate
def test_a_page_that_keeps_failing_is_a_recorded_gap() -> None:
    items = [post_item(i) for i in range(1, 301)]

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        page = int(parse_qs(urlsplit(request.url).query)["page"][0])
        if page == 2:
            return 500, {}, "<html>fatal error</html>"
        headers = {"X-WP-Total": "300", "X-WP-TotalPages": "3"}
        return 200, headers, json.dumps(items[(page - 1) * 100 : page * 100])

    responses.add_callback(responses.GET, f"{ROOT}wp/v2/posts", callback=callback)
    got = list(RestSource(client(), discovery()).fetch_collection("wp/v2/posts"))
    gaps = [g for g in got if isinstance(g, ProblemRecord)]
    assert len(gaps) == 1 and gaps[0].kind == "gap"
    assert [i["id"] for i in got if isinstance(i, dict)] == list(range(1, 101)) + list(
        range(201, 301)
    )


@responses.activate
def test_collection_shrinking_mid_crawl_is_reread_without_gaps_or_duplicates() -> None:
    items = [post_item(i) for i in range(1, 251)]
    served = {"n": 0}

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        page = int(parse_qs(urlsplit(request.url).query)["page"][0])
        served["n"] += 1
        current = items if served["n"] == 1 else items[5:]  # five posts deleted after page 1
        pages = -(-len(current) // 100)
        headers = {"X-WP-Total": str(len(current)), "X-WP-TotalPages": str(pages)}
        return 200, headers, json.dumps(current[(page - 1) * 100 : page * 100])

    responses.add_callback(responses.GET, f"{ROOT}wp/v2/posts", callback=callback)
    got = [i["id"] for i in RestSource(client(), discovery(), 1).fetch_collection("wp/v2/posts")]
    assert sorted(got) == list(range(1, 251))
    assert len(got) == len(set(got))


@responses.activate
def test_discovery_follows_link_header_and_checks_namespaces() -> None:
    responses.get(
        f"{HOME}/",
        body='<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>',
        headers={"Link": f'<{HOME}/custom-api/>; rel="https://api.w.org/"'},
        content_type="text/html",
    )
    responses.get(
        f"{HOME}/custom-api/",
        json={"name": "Blog", "home": HOME, "namespaces": ["oembed/1.0", "wp/v2"]},
    )
    http = client()
    found = discover_site(http, "blog.test/".replace("blog", "http://blog"))
    assert found.rest_root == f"{HOME}/custom-api/"
    assert found.site.name == "Blog"
    assert found.feed_url == f"{HOME}/feed/"
    assert http.requests_made == 2


@responses.activate
def test_discovery_falls_back_to_rest_route_when_wp_json_is_redirected_home() -> None:
    page = '<html><head><link rel="stylesheet" href="/wp-content/themes/x/style.css"></head></html>'
    responses.get(f"{HOME}/", body=page, content_type="text/html")
    responses.get(f"{HOME}/wp-json/", body=page, content_type="text/html")
    responses.get(
        f"{HOME}/",
        body=json.dumps({"home": HOME, "namespaces": ["wp/v2"]}),
        content_type="application/json",
        match=[responses.matchers.query_param_matcher({"rest_route": "/"})],
    )
    found = discover_site(client(), HOME)
    assert found.rest_root == f"{HOME}/?rest_route=/"
    assert rest_route_url(found.rest_root, "wp/v2/posts") == f"{HOME}/?rest_route=/wp/v2/posts"


@responses.activate
def test_discovery_explains_a_closed_api() -> None:
    page = '<html><head><script src="/wp-includes/js/wp-emoji.js"></script></head></html>'
    responses.get(f"{HOME}/", body=page, content_type="text/html")
    closed = {"code": "rest_login_required", "message": "no", "data": {"status": 401}}
    responses.get(f"{HOME}/wp-json/", status=401, json=closed)
    found = discover_site(client(), HOME)
    assert found.rest_root is None
    assert found.rest_problem == "REST: 401 rest_login_required"


@responses.activate
def test_a_site_that_is_not_wordpress_is_a_clear_error() -> None:
    responses.get(f"{HOME}/", body="<html><title>Shop</title></html>", content_type="text/html")
    responses.get(f"{HOME}/wp-json/", status=404, body="not found")
    responses.get(
        f"{HOME}/",
        status=200,
        body="<html><title>Shop</title></html>",
        content_type="text/html",
        match=[responses.matchers.query_param_matcher({"rest_route": "/"})],
    )
    with pytest.raises(DiscoveryError, match="does not look like a WordPress site"):
        discover_site(client(), HOME)


def test_normalize_home() -> None:
    assert normalize_home("Blog.Example.org/") == "https://blog.example.org"
    assert normalize_home("http://x.test/blog/#top") == "http://x.test/blog"
    with pytest.raises(DiscoveryError):
        normalize_home("ftp://x.test/")


def test_seen_ids_keep_every_id_once_in_any_order() -> None:
    seen = SeenIds()
    assert [seen.add(i) for i in (1, 2, 5, 9)] == [True] * 4
    # A re-read pass brings repeats and the ids a shifted page had skipped, out of order.
    assert [seen.add(i) for i in (1, 3, 5, 4, 9, 10, 3)] == [
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]


@responses.activate
def test_public_custom_post_types_are_read_with_their_type_name() -> None:
    serve_site(posts=2, comments=0)
    types = {**CORE_TYPES, "screening": rest_type("screening", "screenings")}
    responses.replace(responses.GET, f"{ROOT}wp/v2/types", json=types)
    serve_collection("screenings", [post_item(7) | {"type": "screening"}])
    records = list(RestSource(client(), discovery()).fetch_records(CrawlState()))
    posts = {r.wp_id: r.type for r in records if isinstance(r, PostRecord)}
    assert posts == {1: "post", 2: "post", 7: "screening"}
    asked = {urlsplit(c.request.url or "").path for c in responses.calls}
    assert not asked & {"/wp-json/wp/v2/media", "/wp-json/wp/v2/blocks", "/wp-json/wp/v2/templates"}


@responses.activate
def test_a_refused_custom_type_is_a_problem_and_the_rest_is_read() -> None:
    serve_site(posts=2, comments=0)
    types = {**CORE_TYPES, "event": rest_type("event", "events")}
    responses.replace(responses.GET, f"{ROOT}wp/v2/types", json=types)
    refusal = {"code": "rest_forbidden", "message": "no", "data": {"status": 401}}
    responses.get(f"{ROOT}wp/v2/events", status=401, json=refusal)
    records = list(RestSource(client(), discovery()).fetch_records(CrawlState()))
    problems = [r.message for r in records if isinstance(r, ProblemRecord)]
    assert len(problems) == 1 and "wp/v2/events" in problems[0]
    assert sum(isinstance(r, PostRecord) for r in records) == 2
