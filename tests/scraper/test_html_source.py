"""fetch_post_page and HtmlSource through our real HttpClient, with `responses` serving the pages."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

from archive.records import (
    AuthorRecord,
    Capture,
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    SiteRecord,
    TermRecord,
)
from scraper.discover import Discovery
from scraper.errors import BlockedError
from scraper.http import HttpClient, HttpSettings
from scraper.parse.listing import parse_listing
from scraper.parse.tree import ParsedPage, parse_page
from scraper.sources import html as html_source
from scraper.sources.html import HtmlSource, fetch_post_page
from tests.recorded import RECORDED, load_manifest

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"
HOME = "http://blog.test"
PRETTY = f"{HOME}/2020/05/paged-post/"
PLAIN = f"{HOME}/?p=9"
THREADS_PER_PAGE = 2
PAGES = 3


def client() -> HttpClient:
    return HttpClient(HttpSettings(respect_robots=False, rate_limit=0.0), sleep=lambda s: None)


# ---- a post with three comment pages, marked up as Twenty Twenty-One prints them ------------------


def page_url(n: int, order: str, permalink: str) -> str:
    """Where comment page n lives: the default page is the bare permalink (WordPress's rule)."""
    default = 1 if order == "oldest" else PAGES
    if n == default:
        return permalink
    if "?" in permalink:
        return f"{permalink}&cpage={n}#comments"
    return f"{permalink}comment-page-{n}/#comments"


def comment_li(wp_id: int, depth: int, inner: str = "") -> str:
    day = wp_id % 28 + 1
    return (
        f'<li id="comment-{wp_id}" class="comment even depth-{depth}">'
        f'<article id="div-comment-{wp_id}" class="comment-body"><footer class="comment-meta">'
        f'<div class="comment-author vcard"><b class="fn">Reader {wp_id}</b> '
        '<span class="says">says:</span></div><div class="comment-metadata">'
        f'<a href="#comment-{wp_id}"><time datetime="2020-06-{day:02d}T10:00:00+02:00">'
        f'June {day}, 2020</time></a></div></footer><div class="comment-content">'
        f"<p>Comment {wp_id}</p></div>"
        '<div class="reply"><a rel="nofollow" class="comment-reply-link" '
        f'href="?replytocom={wp_id}#respond">Reply</a></div></article>{inner}</li>'
    )


def thread(n: int) -> str:
    """Thread n: top-level comment 10+n, and for even n a reply 20+n."""
    reply = f'<ol class="children">{comment_li(20 + n, 2)}</ol>' if n % 2 == 0 else ""
    return comment_li(10 + n, 1, reply)


def pagination(current: int, order: str, permalink: str) -> str:
    """the_comments_pagination(mid_size 0): prev, first, current, last, next."""
    links = []
    if current > 1:
        prev = page_url(current - 1, order, permalink)
        links.append(f'<a class="prev page-numbers" href="{prev}">Older comments</a>')
    for n in sorted({1, current, PAGES}):
        if n == current:
            links.append(f'<span aria-current="page" class="page-numbers current">Page {n}</span>')
        else:
            links.append(
                f'<a class="page-numbers" href="{page_url(n, order, permalink)}">Page {n}</a>'
            )
    if current < PAGES:
        nxt = page_url(current + 1, order, permalink)
        links.append(f'<a class="next page-numbers" href="{nxt}">Newer comments</a>')
    return (
        '<nav class="navigation comments-pagination" aria-label="Comments">'
        f'<div class="nav-links">{"".join(links)}</div></nav>'
    )


def feed_url(permalink: str) -> str:
    return f"{HOME}/?feed=rss2&p=9" if "?" in permalink else f"{permalink}feed/"


def post_html(current: int, order: str, permalink: str) -> str:
    first = (current - 1) * THREADS_PER_PAGE + 1
    threads = "".join(thread(n) for n in range(first, first + THREADS_PER_PAGE))
    return (
        f'<!doctype html><html><head><link rel="canonical" href="{permalink}">'
        f'<link rel="alternate" type="application/rss+xml" title="B &raquo; P Comments Feed" '
        f'href="{feed_url(permalink).replace("&", "&amp;")}"></head>'
        '<body class="single single-post postid-9"><article id="post-9" class="post-9 post">'
        '<h1 class="entry-title">Paged post</h1><div class="entry-content"><p>Body</p></div>'
        f'</article><div id="comments" class="comments-area"><ol class="comment-list">{threads}'
        f"</ol>{pagination(current, order, permalink)}</div></body></html>"
    )


def serve_paged_post(order: str, permalink: str) -> None:
    for n in range(1, PAGES + 1):
        url = page_url(n, order, permalink).split("#")[0]
        responses.add(
            responses.GET,
            url,
            body=post_html(n, order, permalink),
            content_type="text/html; charset=UTF-8",
        )


EXPECTED_IDS = [11, 12, 22, 13, 14, 24, 15, 16, 26]  # by date: comment n on June n%28+1


@pytest.mark.parametrize(
    ("order", "permalink"),
    [("oldest", PRETTY), ("newest", PRETTY), ("oldest", PLAIN), ("newest", PLAIN)],
)
@responses.activate
def test_every_comment_page_is_fetched_once_in_either_order(order: str, permalink: str) -> None:
    serve_paged_post(order, permalink)
    page = fetch_post_page(client(), permalink)
    assert page.post is not None and page.post.wp_id == 9
    ids = [c.wp_id for c in page.comments]
    assert sorted(ids) == sorted(EXPECTED_IDS) and len(ids) == len(set(ids))
    assert ids == sorted(ids, key=lambda i: (i % 28, i))  # (published_at, id) order
    parents = {c.wp_id: c.parent_wp_id for c in page.comments}
    assert parents == {
        11: None,
        12: None,
        22: 12,
        13: None,
        14: None,
        24: 14,
        15: None,
        16: None,
        26: 16,
    }
    fetched = [call.request.url for call in responses.calls]
    assert len(fetched) == PAGES == len(set(fetched)) == page.pages_fetched
    assert page.problems == []
    assert page.comment_feed_url == feed_url(permalink)


@responses.activate
def test_each_fetched_page_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    serve_paged_post("oldest", PRETTY)
    parsed: list[str] = []

    def counting_parse(html: str, url: str, capture: Capture | None = None) -> ParsedPage:
        parsed.append(url)
        return parse_page(html, url, capture)

    monkeypatch.setattr(html_source, "parse_page", counting_parse)
    page = fetch_post_page(client(), PRETTY)
    assert len(page.comments) == len(EXPECTED_IDS)
    assert sorted(parsed) == sorted(call.request.url for call in responses.calls)
    assert len(parsed) == PAGES


@responses.activate
def test_a_missing_comment_page_is_a_problem_and_the_rest_is_kept() -> None:
    serve_paged_post("oldest", PRETTY)
    responses.replace(responses.GET, f"{PRETTY}comment-page-2/", status=404, body="gone")
    page = fetch_post_page(client(), PRETTY)
    assert sorted(c.wp_id for c in page.comments) == [11, 12, 15, 16, 22, 26]
    assert [(p.kind, p.url) for p in page.problems] == [("http", f"{PRETTY}comment-page-2/")]


@responses.activate
def test_starting_from_a_comment_page_still_reads_the_default_page() -> None:
    serve_paged_post("oldest", PRETTY)
    page = fetch_post_page(client(), f"{PRETTY}comment-page-3/")
    assert page.post is not None and page.post.url == PRETTY
    assert sorted(c.wp_id for c in page.comments) == sorted(EXPECTED_IDS)
    assert len(responses.calls) == PAGES


@responses.activate
def test_an_unreachable_post_page_is_a_problem() -> None:
    responses.add(responses.GET, PRETTY, status=410, body="gone")
    page = fetch_post_page(client(), PRETTY)
    assert page.post is None and page.comments == []
    assert [(p.kind, p.message) for p in page.problems] == [("http", f"{PRETTY} answered 410")]


@responses.activate
def test_a_firewall_block_stops_the_source() -> None:
    responses.add(responses.GET, PRETTY, status=403, headers={"cf-mitigated": "challenge"})
    with pytest.raises(BlockedError):
        fetch_post_page(client(), PRETTY)


@responses.activate
def test_truncated_post_page_yields_the_post_and_the_comments_read() -> None:
    url = "https://kitchen.example/2021/02/sunday-ragu-revisited/"
    html = (HTML / "jetpack-twentytwentyone.html").read_text(encoding="utf-8")
    cut = html[: html.index('<li id="comment-90"')]
    responses.add(responses.GET, url, body=cut, content_type="text/html")  # no charset: UTF-8
    page = fetch_post_page(client(), url)
    assert page.post is not None and page.post.title == "Sunday ragù, revisited"
    assert [(c.wp_id, c.parent_wp_id) for c in page.comments] == [(88, None), (89, 88)]
    assert "page ends before </html>: truncated?" in [p.message for p in page.problems]


# ---- HtmlSource: discovery of post URLs and the order of records ---------------------------------


def sitemap_index(*children: str) -> str:
    items = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" '
        f'href="{HOME}/wp-sitemap-index.xsl" ?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    )


def urlset(*urls: str) -> str:
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


def simple_post(wp_id: int, with_comment: bool = True) -> str:
    comments = f'<ol class="comment-list">{comment_li(100 + wp_id, 1)}</ol>' if with_comment else ""
    return (
        f'<html><body class="single postid-{wp_id}"><article id="post-{wp_id}" class="post">'
        f'<h1 class="entry-title">Post {wp_id}</h1><div class="entry-content"><p>Body</p></div>'
        '<footer><span class="byline"><a href="/?author=2" rel="author">Jo</a></span>'
        '<span class="cat-links"><a href="/category/news/" rel="category tag">News</a></span>'
        f'</footer></article><div id="comments">{comments}</div></body></html>'
    )


def discovery(home_html: str | None = None) -> Discovery:
    return Discovery(home=HOME, site=SiteRecord(url=HOME, gmt_offset=2.0), home_html=home_html)


@pytest.mark.parametrize("workers", [1, 4])
@responses.activate
def test_source_discovers_posts_from_the_core_sitemap(workers: int) -> None:
    responses.add(
        responses.GET,
        f"{HOME}/wp-sitemap.xml",
        body=sitemap_index(
            f"{HOME}/wp-sitemap-posts-post-1.xml",
            f"{HOME}/wp-sitemap-posts-page-1.xml",
            f"{HOME}/wp-sitemap-taxonomies-category-1.xml",
            f"{HOME}/wp-sitemap-users-1.xml",
        ),
        content_type="application/xml",
    )
    responses.add(
        responses.GET,
        f"{HOME}/wp-sitemap-posts-post-1.xml",
        body=urlset(f"{HOME}/a/", f"{HOME}/b/"),
    )
    responses.add(responses.GET, f"{HOME}/wp-sitemap-posts-page-1.xml", body=urlset(f"{HOME}/a/"))
    responses.add(responses.GET, f"{HOME}/a/", body=simple_post(1))
    responses.add(responses.GET, f"{HOME}/b/", body=simple_post(2, with_comment=False))
    source = HtmlSource(client(), discovery(), workers=workers)
    records = list(source.fetch_records(CrawlState()))
    kinds = [(type(r).__name__, getattr(r, "wp_id", None)) for r in records]
    assert kinds == [
        ("AuthorRecord", 2),
        ("TermRecord", None),
        ("PostRecord", 1),
        ("CommentRecord", 101),
        ("PostRecord", 2),
    ]
    author, term, post = records[0], records[1], records[2]
    assert isinstance(author, AuthorRecord) and (author.name, author.source) == ("Jo", "html")
    assert isinstance(term, TermRecord) and (term.taxonomy, term.slug, term.name) == (
        "category",
        "news",
        "News",
    )
    assert isinstance(post, PostRecord) and post.author_wp_id == 2
    assert isinstance(records[3], CommentRecord) and records[3].post_wp_id == 1
    requested = [call.request.url for call in responses.calls]
    assert f"{HOME}/wp-sitemap-taxonomies-category-1.xml" not in requested
    assert requested.count(f"{HOME}/a/") == 1


@responses.activate
def test_source_falls_back_to_the_home_page_and_its_pagination() -> None:
    for path in ("wp-sitemap.xml", "sitemap_index.xml", "sitemap.xml"):
        responses.add(responses.GET, f"{HOME}/{path}", status=404, body="<html>404</html>")
    responses.add(responses.GET, f"{HOME}/?sitemap=index", body="<html><body>home</body></html>")
    home = (
        '<html><body class="home blog"><main>'
        f'<article id="post-1"><h2 class="entry-title"><a href="{HOME}/a/">A</a></h2></article>'
        '<a href="https://elsewhere.example/x/" rel="bookmark">offsite</a>'
        f'<nav class="navigation pagination"><a class="next page-numbers" href="{HOME}/page/2/">'
        "Older posts</a></nav></main></body></html>"
    )
    page2 = (
        '<html><body class="blog paged paged-2"><main>'
        f'<article id="post-2"><h2 class="entry-title"><a href="{HOME}/b/">B</a></h2></article>'
        f'<div class="nav-links"><a class="prev page-numbers" href="{HOME}/">Newer</a></div>'
        "</main></body></html>"
    )
    responses.add(responses.GET, f"{HOME}/page/2/", body=page2)
    responses.add(responses.GET, f"{HOME}/a/", body=simple_post(1, with_comment=False))
    responses.add(responses.GET, f"{HOME}/b/", body=simple_post(2, with_comment=False))
    records = list(HtmlSource(client(), discovery(home_html=home)).fetch_records(CrawlState()))
    assert [r.wp_id for r in records if isinstance(r, PostRecord)] == [1, 2]
    requested = [call.request.url for call in responses.calls]
    assert f"{HOME}/" not in requested  # the home page discovery already fetched is reused
    assert requested.count(f"{HOME}/page/2/") == 1


@responses.activate
def test_given_urls_are_used_as_is_and_problems_are_yielded() -> None:
    responses.add(responses.GET, f"{HOME}/a/", body=simple_post(1, with_comment=False))
    responses.add(responses.GET, f"{HOME}/gone/", status=404)
    responses.add(responses.GET, f"{HOME}/also-a/", body=simple_post(1, with_comment=False))
    source = HtmlSource(
        client(), discovery(), post_urls=[f"{HOME}/a/", f"{HOME}/gone/", f"{HOME}/also-a/"]
    )
    records = list(source.fetch_records(CrawlState()))
    posts = [r for r in records if isinstance(r, PostRecord)]
    problems = [r for r in records if isinstance(r, ProblemRecord)]
    assert [p.wp_id for p in posts] == [1]  # the same post under two URLs is yielded once
    assert [(p.kind, p.url) for p in problems] == [("http", f"{HOME}/gone/")]
    assert source.name == "html"


@responses.activate
def test_a_blocked_site_stops_the_source() -> None:
    responses.add(responses.GET, f"{HOME}/a/", body=simple_post(1, with_comment=False))
    responses.add(responses.GET, f"{HOME}/b/", status=403, body="Blocked by Wordfence")
    source = HtmlSource(client(), discovery(), post_urls=[f"{HOME}/a/", f"{HOME}/b/"], workers=2)
    records = source.fetch_records(CrawlState())
    with pytest.raises(BlockedError):
        list(records)


# ---- pages recorded from the real WordPress harness (tests/fixtures/recorded) ---------------------

MANIFEST = load_manifest()
HEAVY = {c["id"]: c for c in MANIFEST["posts"]["heavy"]["comments"]}


def serve_recorded(name: str, path: str | None = None) -> str:
    """Serve a recorded page at the path it was recorded from (or `path`); return its URL."""
    meta = MANIFEST["files"][f"html/{name}"]
    url = MANIFEST["sites"][meta["site"]]["home"] + (path or meta["path"])
    body = (RECORDED / "html" / name).read_bytes()
    ctype = meta.get("headers", {}).get("Content-Type", "text/html; charset=UTF-8")
    responses.add(responses.GET, url, body=body, content_type=ctype)
    return url


def assert_heavy_thread(comments: list[CommentRecord]) -> None:
    assert sorted(c.wp_id for c in comments) == sorted(HEAVY)  # all 67, each once
    for comment in comments:
        true_parent = HEAVY[comment.wp_id]["parent"] or None
        assert comment.parent_inferred or comment.parent_wp_id == true_parent, comment.wp_id
    dates = [(c.published_at, c.wp_id) for c in comments]
    assert dates == sorted(dates)


@pytest.mark.parametrize("theme", ["tt3", "tt2"])
@responses.activate
def test_recorded_newest_first_pages_are_each_fetched_once(theme: str) -> None:
    permalink = serve_recorded(f"{theme}-heavy-default.html")  # page 3 of 3: the newest
    serve_recorded(f"{theme}-heavy-page1.html")
    serve_recorded(f"{theme}-heavy-page2.html")
    page = fetch_post_page(client(), permalink)
    assert page.post is not None and page.post.wp_id == 15
    assert_heavy_thread(page.comments)
    fetched = [call.request.url for call in responses.calls]
    assert sorted(fetched) == sorted(
        [permalink, f"{permalink}comment-page-1/", f"{permalink}comment-page-2/"]
    )
    assert page.pages_fetched == 3 and page.problems == []


@responses.activate
def test_recorded_oldest_first_plain_permalink_pages() -> None:
    permalink = serve_recorded("tt1-heavy-cpage1.html")  # /?p=15 is page 1 of 3: the oldest
    serve_recorded("tt1-heavy-cpage2.html")
    responses.add(responses.GET, f"{permalink}&cpage=3", status=404, body="not recorded")
    page = fetch_post_page(client(), permalink)
    assert len(page.comments) == 44 + 14
    assert all(
        c.parent_inferred or c.parent_wp_id == (HEAVY[c.wp_id]["parent"] or None)
        for c in page.comments
    )
    assert [(p.kind, p.url) for p in page.problems] == [("http", f"{permalink}&cpage=3")]
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    ("name", "first", "pages"),
    [
        (
            "home-tt1.html",
            "http://127.0.0.2:8000/2023/11/night-trains-revisited/",
            ["http://127.0.0.2:8000/page/2/", "http://127.0.0.2:8000/page/18/"],
        ),
        (
            "home-tt3.html",
            "http://127.0.0.5:8000/2023/11/night-trains-revisited/",
            ["http://127.0.0.5:8000/page/2/"],
        ),
    ],
)
def test_recorded_home_pages_list_posts_and_pagination(
    name: str, first: str, pages: list[str]
) -> None:
    meta = MANIFEST["files"][f"html/{name}"]
    home = MANIFEST["sites"][meta["site"]]["home"] + "/"
    listing = parse_listing((RECORDED / "html" / name).read_text(encoding="utf-8"), home)
    assert len(listing.post_urls) == 10 and listing.post_urls[0] == first
    assert all(u.startswith(home) and "/page/" not in u for u in listing.post_urls)
    assert listing.page_urls == pages
