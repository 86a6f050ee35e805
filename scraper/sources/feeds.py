"""Read a site through its RSS2 feed, with post HTML for bodies and comments, Atom for threading.

Requests, for a full crawl of P posts shown N to a feed page: ceil(P/N) feed pages (plus the 404
past the end when the last page is full); then, per post, its HTML only when it is needed (the feed
has an excerpt only, the guid carries no id, or the post has comments), and its Atom comment feed
only when the HTML left a parent in doubt (`parent_inferred`) or showed none of its comments.

Rules worth knowing:
- Feed categories mix categories and tags and carry names only; they are stored as taxonomy
  "category" with a slug derived from the name. When the post's HTML was read anyway, its terms
  (real taxonomy and slug) are used instead.
- A password-protected post (its feed content is the password form) is kept with an empty body
  and no comments: anonymous readers see neither.
- Atom `thr:in-reply-to` is authoritative: it replaces markup parents (parent_inferred False).
  A comment feed holds only the newest `posts_per_rss` comments, so older deep replies keep the
  markup's inferred parent.
- Incremental (state.posts_modified_after set): feeds are newest-first by publication date and carry
  no modification dates, so paging stops at the first post published before the mark (minus a day);
  an edited old post is not seen. New comments on old posts are found through the site's Atom
  comments feed (newest comments only): each post it names that this run has not read is re-read.
  If every comment in that feed is newer than the mark, some may be beyond it: a "gap" problem.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Protocol

from archive.deletions import ITEM_KINDS, ItemKind
from archive.records import (
    AuthorRecord,
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    Record,
    TermRecord,
)
from scraper.discover import Discovery, find_feed_links
from scraper.errors import (
    SITE_REFUSALS,
    DiscoveryError,
    RobotsDisallowedError,
    UndecodableError,
    WparchiveError,
)
from scraper.exchange import decode_text
from scraper.http import HttpClient
from scraper.parse.feed import (
    FeedComment,
    FeedItem,
    ParsedFeed,
    build_post,
    parse_comment_feed,
    parse_post_feed,
    thread_comments,
)
from scraper.pool import map_ordered
from scraper.sources import INCREMENTAL_OVERLAP, fetch_or_problem
from scraper.sources.html import fetch_post_page
from scraper.wpurls import (
    feed_page_url,
    post_atom_comment_feed,
    post_feed_candidates,
    site_comments_feed_url,
)

LOGGER = logging.getLogger(__name__)

MAX_FEED_PAGES = 10_000
# Errors that mean the whole site refuses us: never turned into a per-post problem.


class PostPageLike(Protocol):
    """What `scraper.sources.html.fetch_post_page` returns, as far as this source needs it."""

    @property
    def post(self) -> PostRecord | None: ...

    @property
    def comments(self) -> Sequence[CommentRecord]: ...

    @property
    def problems(self) -> Sequence[ProblemRecord]: ...

    @property
    def author(self) -> AuthorRecord | None: ...


FetchPage = Callable[[str], PostPageLike]


@dataclass
class ItemResult:
    """Everything read for one feed item, in the order it is to be yielded."""

    post: PostRecord | None = None
    author: AuthorRecord | None = None
    comments: list[CommentRecord] = field(default_factory=list)
    problems: list[ProblemRecord] = field(default_factory=list)


@dataclass
class RunMemory:
    """What this run already yielded, so a post on two feed pages or a term on two posts goes once."""

    guids: set[str] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    authors: set[int] = field(default_factory=set)
    terms: set[tuple[str, str]] = field(default_factory=set)


class FeedSource:
    """Posts from the RSS2 feed; bodies from `content:encoded` or the post's HTML; comments from HTML."""

    name = "feed"

    def __init__(
        self,
        client: HttpClient,
        discovery: Discovery,
        workers: int = 4,
        *,
        fetch_page: FetchPage | None = None,
        max_pages: int = MAX_FEED_PAGES,
    ) -> None:
        self.client = client
        self.discovery = discovery
        self.home = discovery.home.rstrip("/")
        self.workers = workers
        offset = discovery.site.gmt_offset
        self.fetch_page: FetchPage = fetch_page or partial(
            fetch_post_page, client, utc_offset_hours=offset
        )
        self.max_pages = max_pages
        # What this run listed whole: posts and their comments once a full crawl has paged the
        # feed to its natural end (feeds never list pages).
        self.unlisted_kinds: frozenset[ItemKind] = frozenset(ITEM_KINDS)

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        """Yield terms, then each post followed by its comments; problems as ProblemRecords."""
        feed_url, first = self.open_feed()
        cutoff = state.posts_modified_after
        cutoff = cutoff - INCREMENTAL_OVERLAP if cutoff else None
        memory = RunMemory()
        for batch in self._fetch_item_pages(feed_url, first, cutoff, memory):
            if isinstance(batch, ProblemRecord):
                yield batch
                continue
            for result in map_ordered(self._read_item, batch, self.workers):
                yield from _emit(result, memory)
        if cutoff is not None:
            yield from self._fetch_commented_posts(feed_url, state, cutoff, memory)

    def open_feed(self) -> tuple[str, ParsedFeed]:
        """Find the posts feed (discovered, linked, /feed/, ?feed=rss2) and read its first page."""
        candidates = [
            self.discovery.feed_url,
            *find_feed_links(self.discovery.home_html, self.home + "/"),
            *post_feed_candidates(self.home),
        ]
        reasons: list[str] = []
        for url in dict.fromkeys(c for c in candidates if c):
            try:
                response = self.client.get(url)
                if response.status == 200:
                    decode_text(response)
            except (RobotsDisallowedError, UndecodableError) as exc:
                reasons.append(str(exc))
                continue
            ctype = response.headers.get("Content-Type", "")
            if response.status != 200:
                reasons.append(f"{url} answered {response.status}")
                continue
            parsed = parse_post_feed(response.body, ctype)
            if parsed.is_feed:
                LOGGER.info("reading the feed %s (%d items a page)", url, len(parsed.items))
                return url, parsed
            reasons.append(f"{url} answered {ctype or 'no content type'} where a feed was expected")
        raise DiscoveryError("feeds: no RSS feed found (" + "; ".join(reasons) + ")")

    def _fetch_item_pages(
        self, feed_url: str, parsed: ParsedFeed, cutoff: datetime | None, memory: RunMemory
    ) -> Iterator[list[FeedItem] | ProblemRecord]:
        """Page the feed with `paged=N` until a 404, an empty or repeated page, or the cutoff."""
        url, number, first_size = feed_url, 1, len(parsed.items)
        while True:
            if parsed.problem:
                # A broken page that still gave entries is a note; one that gave none lost them.
                kind, read = (
                    ("parse", "entries still read") if parsed.items else ("gap", "no entry read")
                )
                yield ProblemRecord(kind, f"malformed feed, {read}: {parsed.problem}", url)
            fresh = [item for item in parsed.items if item.guid not in memory.guids]
            memory.guids.update(item.guid for item in fresh)
            recent = [item for item in fresh if not _older(item, cutoff)]
            if recent:
                yield recent
            # A repeated page (a server ignoring `paged`), the cutoff, or a short last page ends it.
            short = len(parsed.items) < first_size and not parsed.problem
            if not fresh or len(recent) < len(fresh) or short:
                LOGGER.info("feed ends at page %d", number)
                self._note_end(cutoff, natural=short or not parsed.items)
                return
            number += 1
            if number > self.max_pages:
                yield ProblemRecord("gap", f"stopped after {self.max_pages} feed pages", url)
                return
            url = feed_page_url(feed_url, number)
            fetched = self._fetch_feed_page(url, number)
            if not isinstance(fetched, ParsedFeed):
                if fetched is not None:
                    yield fetched
                self._note_end(cutoff, natural=fetched is None)
                return
            parsed = fetched

    def _note_end(self, cutoff: datetime | None, *, natural: bool) -> None:
        """A full crawl that paged the feed to its end (a 404, a short or empty page, not a
        repeated page: a server ignoring `paged`) listed every post, and so every comment."""
        if cutoff is None and natural:
            self.unlisted_kinds = frozenset({"page"})

    def _fetch_feed_page(self, url: str, number: int) -> ParsedFeed | ProblemRecord | None:
        """Page `number` of the feed; None past the end (WordPress answers 404), else a "gap"."""
        problems: list[ProblemRecord] = []
        response = fetch_or_problem(
            self.client, url, problems, "gap", f"feed page {number} unreadable"
        )
        if response is None:
            return problems[0]
        if response.status == 404:
            return None
        ctype = response.headers.get("Content-Type", "")
        parsed = parse_post_feed(response.body, ctype)
        if response.status != 200 or not parsed.is_feed:
            what = f"{response.status} {ctype or '(no content type)'}"
            return ProblemRecord("gap", f"feed page {number} answered {what}", url)
        return parsed

    def _read_item(self, item: FeedItem) -> ItemResult:
        """Build one post (fetching its HTML only when needed) and its threaded comments."""
        result = ItemResult()
        needs_html = item.content_html is None or item.wp_id is None
        # A protected post's comments are hidden from anonymous readers whatever its count says.
        wants_comments = item.comment_count > 0 and not item.protected
        # The page is read for every post: a feed names terms without taxonomy or slug (tags and
        # categories mixed), and holds only the first page of a `<!--nextpage-->` post.
        page = self._fetch_page(item.link, result)
        html_post = page.post if page is not None else None
        result.author = page.author if page is not None else None
        result.post = build_post(item, html_post, body_from_html=needs_html)
        if result.post is not None and html_post is not None:
            # The post's page is read for every post: its capture is the post's.
            result.post = replace(result.post, capture=html_post.capture)
        if result.post is None:
            result.problems.append(
                ProblemRecord(
                    "gap", "no post id in the feed's guid nor in the post's HTML", item.link
                )
            )
            return result
        if item.content_html is None and html_post is None:
            result.problems.append(
                ProblemRecord(
                    "gap", "the feed has an excerpt only and the HTML was unreadable", item.link
                )
            )
        comments = list(page.comments) if page is not None else []
        if html_post is not None and html_post.raw.get("protected"):
            # Comments of a protected post are hidden from anonymous readers on its page, but
            # WordPress's comment feeds still list them: the page decides.
            wants_comments, comments = False, []
        if wants_comments and (not comments or any(c.parent_inferred for c in comments)):
            feed_url = post_atom_comment_feed(
                item.comment_feed_url or "", item.link, result.post.wp_id, self.home
            )
            thread = self._fetch_comment_feed(feed_url, result)
            comments = thread_comments(comments, thread, result.post.wp_id)
            if len(comments) < item.comment_count and not page_comments_shown(page):
                result.problems.append(
                    ProblemRecord(
                        "gap",
                        f"the page showed none of {item.comment_count} comments; "
                        f"{len(comments)} read from the comment feed",
                        item.link,
                    )
                )
        result.comments = comments
        return result

    def _fetch_page(self, url: str, result: ItemResult) -> PostPageLike | None:
        try:
            page = self.fetch_page(url)
        except SITE_REFUSALS:
            raise
        except WparchiveError as exc:
            result.problems.append(ProblemRecord("gap", f"post HTML unreadable: {exc}", url))
            return None
        result.problems.extend(page.problems)
        return page

    def _fetch_comment_feed(self, url: str, result: ItemResult) -> tuple[FeedComment, ...]:
        response = fetch_or_problem(
            self.client, url, result.problems, "http", "comment feed unreadable"
        )
        if response is None:
            return ()
        parsed = parse_comment_feed(response.body, response.headers.get("Content-Type", ""))
        if response.status != 200 or not parsed.is_feed:
            ctype = response.headers.get("Content-Type", "?")
            result.problems.append(
                ProblemRecord("http", f"comment feed answered {response.status} {ctype}", url)
            )
            return ()
        if parsed.problem and not parsed.comments:
            result.problems.append(
                ProblemRecord("parse", f"malformed comment feed: {parsed.problem}", url)
            )
        elif parsed.problem:
            # WordPress itself prints a raw "&" in thr:in-reply-to's href on sites with plain
            # permalinks and comment pages; feedparser's lenient pass reads such feeds whole.
            LOGGER.info("%s is not well-formed (%s); read leniently", url, parsed.problem)
        return parsed.comments

    def _fetch_commented_posts(
        self, feed_url: str, state: CrawlState, cutoff: datetime, memory: RunMemory
    ) -> Iterator[Record]:
        """Incremental: re-read the posts that the site's Atom comments feed shows new comments on."""
        url = site_comments_feed_url(feed_url, self.home)
        probe = ItemResult()
        comments = self._fetch_comment_feed(url, probe)
        yield from probe.problems
        since = state.comments_after - INCREMENTAL_OVERLAP if state.comments_after else cutoff
        recent = [c for c in comments if c.published_at is None or c.published_at > since]
        if recent and len(recent) == len(comments):
            yield ProblemRecord(
                "gap",
                f"all {len(comments)} comments in the comments feed are new; older new comments "
                "may be missed (run a full crawl)",
                url,
            )
        links = dict.fromkeys(c.post_link for c in recent if c.post_wp_id not in memory.posts)
        read = partial(self._reread_post, thread=comments)
        for result in map_ordered(read, [link for link in links if link], self.workers):
            yield from _emit(result, memory)

    def _reread_post(self, link: str, thread: Sequence[FeedComment]) -> ItemResult:
        result = ItemResult()
        page = self._fetch_page(link, result)
        if page is None or page.post is None:
            return result
        wp_id = page.post.wp_id
        # Read from its page alone (no feed item): an HTML copy, which fills what the feed left
        # empty and never overwrites what the feed wrote (its excerpt, its dates).
        result.post = page.post
        result.author = page.author
        mine = [c for c in thread if c.post_wp_id == wp_id or c.post_link == link]
        result.comments = thread_comments(list(page.comments), mine, wp_id)
        return result


def page_comments_shown(page: PostPageLike | None) -> bool:
    """Whether the post's HTML listed any comment (a theme may load them by script)."""
    return page is not None and bool(page.comments)


def _emit(result: ItemResult | WparchiveError, memory: RunMemory) -> Iterator[Record]:
    if isinstance(result, WparchiveError):
        if isinstance(result, SITE_REFUSALS):
            raise result
        yield ProblemRecord("gap", str(result), getattr(result, "url", ""))
        return
    yield from result.problems
    post = result.post
    if post is None or post.wp_id in memory.posts:
        return
    memory.posts.add(post.wp_id)
    author = result.author
    if author is not None and author.wp_id not in memory.authors:
        memory.authors.add(author.wp_id)
        yield author
    for ref in post.terms:
        key = (ref.taxonomy, ref.slug)
        if ref.slug and key not in memory.terms:
            memory.terms.add(key)
            yield TermRecord(
                ref.taxonomy, ref.slug, ref.name or ref.slug, wp_id=ref.wp_id, source="feed"
            )
    yield post
    yield from result.comments


def _older(item: FeedItem, cutoff: datetime | None) -> bool:
    return cutoff is not None and item.published_at is not None and item.published_at < cutoff
