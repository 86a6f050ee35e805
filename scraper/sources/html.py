"""The post-HTML source: read posts and their threaded comments from the pages readers see.

The last resort when neither REST nor WordPress.com answers, and the way feeds get comments
beyond the feed's window. Post URLs come from the caller, else from the XML sitemap, else from
the home page and its pagination.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urljoin

from archive.records import (
    AuthorRecord,
    Capture,
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    Record,
    TermRecord,
)
from scraper.discover import Discovery
from scraper.errors import (
    SITE_REFUSALS,
    FetchError,
    RobotsDisallowedError,
    WparchiveError,
)
from scraper.exchange import decode_text
from scraper.http import HttpClient
from scraper.parse import selectors as sel
from scraper.parse.comments import parse_comments
from scraper.parse.listing import parse_listing, parse_sitemap
from scraper.parse.page import body_page_urls, parse_post_page
from scraper.parse.tree import ParsedPage, parse_page
from scraper.pool import map_ordered
from scraper.sources import fetch_or_problem
from scraper.wpurls import comment_page_number, same_page

LOGGER = logging.getLogger(__name__)

MAX_COMMENT_PAGES = 1000  # per post; WordPress's own pagination never gets near this
MAX_LISTING_PAGES = 2000
_UNDATED = datetime.max.replace(tzinfo=UTC)


@dataclass
class PostPage:
    """A post read from its page with the comments of every comment page, merged and sorted."""

    post: PostRecord | None
    comments: list[CommentRecord]
    problems: list[ProblemRecord]
    comment_feed_url: str | None
    author: AuthorRecord | None = None
    atom_comments_url: str | None = None
    pages_fetched: int = 0


@dataclass
class _Crawl:
    """The comment pages of one post: what is queued, what was seen, what was collected."""

    post_wp_id: int
    utc_offset_hours: float | None
    queue: deque[str] = field(default_factory=deque)
    seen_numbers: set[int] = field(default_factory=set)
    seen_urls: set[str] = field(default_factory=set)
    comments: dict[int, CommentRecord] = field(default_factory=dict)
    problems: list[ProblemRecord] = field(default_factory=list)
    fetched: int = 0


def fetch_post_page(
    client: HttpClient, url: str, *, utc_offset_hours: float | None = None
) -> PostPage:
    """Fetch a post page, its other `<!--nextpage-->` pages, and every comment page it links to
    (each once, in either order).

    Comments are de-duplicated by id and sorted by (published_at, id). A page that cannot be
    fetched becomes a problem; only site-wide refusals (rate limits, firewall blocks) raise.
    """
    problems: list[ProblemRecord] = []
    first = _fetch_html(client, url, problems)
    if first is None:
        return PostPage(None, [], problems, None)
    more = [p for p in (_fetch_html(client, u, problems) for u in body_page_urls(first)) if p]
    parsed = parse_post_page(first, more_pages=more, utc_offset_hours=utc_offset_hours)
    problems += parsed.problems
    if parsed.post is None:
        return PostPage(None, [], problems, parsed.comment_feed_url, pages_fetched=1 + len(more))
    crawl = _Crawl(parsed.post.wp_id, utc_offset_hours)
    _read_comment_page(crawl, first, url)
    if comment_page_number(first.url) is not None:
        crawl.queue.append(parsed.post.url)  # started on a comment page: read the default one too
    _follow_comment_pages(client, crawl)
    comments = sorted(crawl.comments.values(), key=_comment_order)
    LOGGER.debug("%s: %d comments on %d pages", url, len(comments), 1 + crawl.fetched)
    return PostPage(
        post=_captured(parsed.post, first.capture),
        comments=comments,
        problems=problems + crawl.problems,
        comment_feed_url=parsed.comment_feed_url,
        author=parsed.author,
        atom_comments_url=parsed.atom_comments_url,
        pages_fetched=1 + len(more) + crawl.fetched,
    )


RecordT = TypeVar("RecordT", PostRecord, CommentRecord)


def _captured(record: RecordT, capture: Capture | None) -> RecordT:
    """`record` knowing where the page it was read from was recorded."""
    return replace(record, capture=capture) if capture is not None else record


def _comment_order(comment: CommentRecord) -> tuple[datetime, int]:
    return (comment.published_at or _UNDATED, comment.wp_id)


def _read_comment_page(crawl: _Crawl, page: ParsedPage, requested: str) -> None:
    parsed = parse_comments(
        page, post_wp_id=crawl.post_wp_id, utc_offset_hours=crawl.utc_offset_hours
    )
    crawl.problems += parsed.problems
    crawl.seen_urls.update({same_page(page.url), same_page(requested)})
    for number in (parsed.current_page, comment_page_number(page.url)):
        if number is not None:
            crawl.seen_numbers.add(number)
    for comment in parsed.comments:
        crawl.comments.setdefault(comment.wp_id, _captured(comment, page.capture))
    crawl.queue.extend(parsed.page_urls)


def _follow_comment_pages(client: HttpClient, crawl: _Crawl) -> None:
    while crawl.queue and crawl.fetched < MAX_COMMENT_PAGES:
        url = crawl.queue.popleft()
        number = comment_page_number(url)
        if same_page(url) in crawl.seen_urls or (
            number is not None and number in crawl.seen_numbers
        ):
            continue
        crawl.seen_urls.add(same_page(url))
        if number is not None:
            crawl.seen_numbers.add(number)
        page = _fetch_html(client, url, crawl.problems)
        crawl.fetched += 1
        if page is None or same_page(page.url) in crawl.seen_urls - {same_page(url)}:
            continue  # e.g. comment-page-1 redirected back to the permalink already read
        _read_comment_page(crawl, page, url)
    if crawl.queue and crawl.fetched >= MAX_COMMENT_PAGES:
        message = f"stopped after {MAX_COMMENT_PAGES} comment pages of post {crawl.post_wp_id}"
        crawl.problems.append(ProblemRecord("gap", message))


def _fetch_html(client: HttpClient, url: str, problems: list[ProblemRecord]) -> ParsedPage | None:
    """GET and parse a page (once, for every reader); a failure of this one page is a problem,
    not an exception."""
    try:
        response = client.get(url)
        if response.status >= 400:
            problems.append(ProblemRecord("http", f"{url} answered {response.status}", url))
            return None
        text = decode_text(response)
    except SITE_REFUSALS:
        raise
    except RobotsDisallowedError as exc:
        problems.append(ProblemRecord("blocked", str(exc), url))
        return None
    except FetchError as exc:
        problems.append(ProblemRecord("http", str(exc), url))
        return None
    return parse_page(text, response.url or url, response.capture)


class HtmlSource:
    """Posts, authors, terms and comments read from post pages."""

    name = "html"

    def __init__(
        self,
        client: HttpClient,
        discovery: Discovery,
        post_urls: Iterable[str] | None = None,
        *,
        workers: int = 1,
        pages_only: bool = False,
    ) -> None:
        self.client = client
        self.discovery = discovery
        self.post_urls = list(post_urls) if post_urls is not None else None
        self.workers = workers
        # True when another source (feeds) has read the posts: only the sitemap's pages remain.
        self.pages_only = pages_only
        # True once a sitemap was read with every child it names: its listing is whole.
        self.sitemap_complete = False

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        """Every post page, once per post id (pages fetched on `workers` threads, yielded in
        order); the state cannot narrow what pages show, so every page is read."""
        seen_posts: set[int] = set()
        seen_authors: set[int] = set()
        seen_terms: set[tuple[str, str]] = set()
        for page in map_ordered(self._fetch_item, self._urls(), self.workers):
            if isinstance(page, WparchiveError):
                raise page  # fetch_post_page lets through only site-wide refusals
            if isinstance(page, ProblemRecord):
                yield page
                continue
            yield from page.problems
            if page.post is None or page.post.wp_id in seen_posts:
                continue
            seen_posts.add(page.post.wp_id)
            if page.author is not None and page.author.wp_id not in seen_authors:
                seen_authors.add(page.author.wp_id)
                yield page.author
            yield from _new_terms(page.post, seen_terms)
            yield page.post
            yield from page.comments

    def _fetch_item(self, item: str | ProblemRecord) -> PostPage | ProblemRecord:
        if isinstance(item, ProblemRecord):
            return item
        offset = self.discovery.site.gmt_offset
        return fetch_post_page(self.client, item, utc_offset_hours=offset)

    def _urls(self) -> Iterator[str | ProblemRecord]:
        if self.post_urls is not None:
            yield from dict.fromkeys(self.post_urls)
            return
        # The page sitemap lists the home URL first when the front page shows the latest posts:
        # a listing, not a page.
        seen: set[str] = {same_page(self.discovery.home)}
        found_any = False
        for item in self._sitemap_urls():
            if isinstance(item, str):
                found_any = True
                if same_page(item) in seen:
                    continue
                seen.add(same_page(item))
            yield item
        if not found_any and not self.pages_only:
            yield from self._listing_urls()

    def _sitemap_urls(self) -> Iterator[str | ProblemRecord]:
        home = self.discovery.home.rstrip("/") + "/"
        for path in sel.SITEMAP_PATHS:
            problems: list[ProblemRecord] = []
            index = self._fetch_bytes(urljoin(home, path), problems)
            sitemap = parse_sitemap(index) if index is not None else None
            if sitemap is None or not sitemap.readable:
                continue
            if not self.pages_only:  # a flat urlset mixes posts and pages
                yield from sitemap.urls
            children = sitemap.children
            if self.pages_only:
                children = [c for c in children if sel.SITEMAP_PAGE_CHILD.search(c)]
            for child in children:
                content = self._fetch_bytes(child, problems)
                if content is not None:
                    yield from parse_sitemap(content).urls
            yield from problems
            if sitemap.urls or sitemap.children:
                self.sitemap_complete = not problems
                return

    def _fetch_bytes(self, url: str, problems: list[ProblemRecord]) -> bytes | None:
        response = fetch_or_problem(self.client, url, problems, "http", "sitemap unreadable")
        if response is None or response.status >= 400:
            return None
        return response.body

    def _listing_urls(self) -> Iterator[str | ProblemRecord]:
        """Post links on the home page and the listing pages it paginates to, each once."""
        home = self.discovery.home
        queue: deque[str] = deque([home])
        seen_pages: set[str] = set()
        seen_posts: set[str] = set()
        problems: list[ProblemRecord] = []
        while queue and len(seen_pages) < MAX_LISTING_PAGES:
            url = queue.popleft()
            if same_page(url) in seen_pages:
                continue
            seen_pages.add(same_page(url))
            listing = parse_listing(self._listing_page(url, home, problems))
            for post_url in listing.post_urls:
                if post_url not in seen_posts:
                    seen_posts.add(post_url)
                    yield post_url
            queue.extend(listing.page_urls)
            yield from problems
            problems.clear()

    def _listing_page(self, url: str, home: str, problems: list[ProblemRecord]) -> ParsedPage:
        """A listing page, parsed; the home page's HTML came with discovery. Links resolve
        against the URL asked for, as a redirect to another host must not make its posts ours."""
        if url == home and self.discovery.home_html is not None:
            return parse_page(self.discovery.home_html, url)
        fetched = _fetch_html(self.client, url, problems)
        return replace(fetched, url=url) if fetched is not None else parse_page("", url)


def _new_terms(post: PostRecord, seen: set[tuple[str, str]]) -> Iterator[TermRecord]:
    """TermRecords for terms the HTML names by slug and this crawl has not yielded yet."""
    for ref in post.terms:
        key = (ref.taxonomy, ref.slug)
        if not ref.slug or key in seen:
            continue
        seen.add(key)
        yield TermRecord(ref.taxonomy, ref.slug, ref.name or ref.slug, ref.wp_id, source="html")
