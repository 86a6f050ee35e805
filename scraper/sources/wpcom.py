"""Read a WordPress.com-hosted blog through public-api.wordpress.com (REST v1.1): posts, pages, comments.

Paging: posts are listed by ID ascending and followed by `meta.next_page` (a page handle, so a
site changing mid-crawl never shifts a page). A known trap is a listing with no `next_page` while
more items remain; then paging goes on by `offset`, and every item is de-duplicated by ID. `found`
is -1 on comment listings filtered by type, so a listing ends on an empty page or a page of IDs
already seen, never on arithmetic alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from archive.records import Capture, CrawlState, ProblemRecord, Record, SiteRecord
from scraper.discover import Discovery
from scraper.errors import ApiClosedError, DiscoveryError, HttpStatusError, NotJsonError
from scraper.exchange import with_capture
from scraper.http import HttpClient
from scraper.parse.wpcom import (
    parse_wpcom_author,
    parse_wpcom_comment,
    parse_wpcom_post,
    parse_wpcom_site,
    parse_wpcom_terms,
)
from scraper.sources import since_params

LOGGER = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://public-api.wordpress.com/rest/v1.1"
PAGE_SIZE = 100  # the API's maximum `number`
MAX_PAGES = 100_000
POST_TYPES = ("post", "page")
POST_FIELDS = (
    "ID,URL,slug,guid,title,date,modified,author,content,excerpt,categories,tags,type,status,"
    "parent,discussion"
)


class WpcomSource:
    """Every public post, page and approved comment of a WordPress.com blog, ~N/100 requests each."""

    name = "wpcom"

    def __init__(
        self,
        client: HttpClient,
        site: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.client = client
        self.site = site
        self.api_base = api_base.rstrip("/")
        self.page_size = page_size
        self.max_pages = max_pages

    @classmethod
    def from_discovery(
        cls, client: HttpClient, discovery: Discovery, workers: int = 4
    ) -> WpcomSource:
        """Build from discovery; without a detected identifier, try the home's host."""
        del workers  # page handles are a cursor: listings are read one page at a time
        site = discovery.wpcom_site or urlsplit(discovery.home).hostname
        if not site:
            raise DiscoveryError(f"WordPress.com: no site identifier for {discovery.home}")
        return cls(client, site)

    def site_url(self, path: str = "") -> str:
        """`https://public-api.wordpress.com/rest/v1.1/sites/SITE/` + path."""
        return f"{self.api_base}/sites/{quote(self.site, safe='')}/{path}"

    def fetch_site(self) -> SiteRecord:
        """The site's name, URL and time zone; raises DiscoveryError or ApiClosedError if unreadable."""
        data, _ = self._get(self.site_url(), {}, strict=True)
        return parse_wpcom_site(data, self.site, self.site_url())

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        """Yield each post's new author and terms before it; all posts and pages, then comments."""
        authors: set[int] = set()
        terms: set[tuple[str, str]] = set()
        since = since_params("modified_after", state.posts_modified_after, "+00:00")
        for post_type in POST_TYPES:
            params = {"type": post_type, "order_by": "ID", "order": "ASC", "fields": POST_FIELDS}
            first = post_type == POST_TYPES[0]
            for item in self.fetch_listing("posts/", "posts", {**params, **since}, strict=first):
                if isinstance(item, ProblemRecord):
                    yield item
                    continue
                author = parse_wpcom_author(item)
                if author is not None and author.wp_id not in authors:
                    authors.add(author.wp_id)
                    yield author
                for term in parse_wpcom_terms(item):
                    if (term.taxonomy, term.slug) not in terms:
                        terms.add((term.taxonomy, term.slug))
                        yield term
                yield parse_wpcom_post(item)
        params = {"type": "comment", "status": "approved", "order": "ASC"}
        for item in self.fetch_listing(
            "comments/",
            "comments",
            {**params, **since_params("after", state.comments_after, "+00:00")},
        ):
            record = item if isinstance(item, ProblemRecord) else parse_wpcom_comment(item)
            if record is not None:
                yield record

    def fetch_listing(
        self, path: str, key: str, params: Mapping[str, str], *, strict: bool = False
    ) -> Iterator[Any]:
        """Yield every item of a listing once; a failing page is a "gap" problem, except that with
        `strict` a failing first page raises (nothing was read yet: the site is not readable)."""
        url = self.site_url(path)
        seen: set[int] = set()
        handle: str | None = None
        position = 0  # listing positions read so far, from the start (items are in ID order)
        for number in range(1, self.max_pages + 1):
            query: dict[str, str | int] = {**params, "number": self.page_size}
            by_offset = handle is None and position > 0
            if handle:
                query["page_handle"] = handle
            elif by_offset:
                query["offset"] = position
            try:
                data, capture = self._get(url, query, strict=strict and number == 1)
            except (HttpStatusError, NotJsonError) as exc:
                if strict and number == 1:
                    raise
                yield ProblemRecord("gap", f"WordPress.com {path} page {number}: {exc}", exc.url)
                return
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list):
                message = f"WordPress.com {path} page {number}: no {key!r} list in the JSON"
                if strict and number == 1:
                    raise DiscoveryError(message)
                yield ProblemRecord("gap", message, url)
                return
            fresh = with_capture([item for item in items if _is_new(item, seen)], capture)
            LOGGER.debug("%s page %d: %d items, %d new", path, number, len(items), len(fresh))
            yield from fresh
            position += self.page_size
            if not fresh or _finished(data, len(items), position, by_offset=by_offset):
                return
            next_page = (data.get("meta") or {}).get("next_page")
            handle = next_page if isinstance(next_page, str) and next_page else None
        yield ProblemRecord(
            "gap", f"WordPress.com {path}: stopped after {self.max_pages} pages", url
        )

    def _get(
        self, url: str, query: Mapping[str, str | int], *, strict: bool = False
    ) -> tuple[Any, Capture | None]:
        """GET JSON and where it was recorded; with `strict`, refusals become
        DiscoveryError/ApiClosedError for the crawl."""
        try:
            data, response = self.client.get_json(url, query)
        except HttpStatusError as exc:
            if not strict:
                raise
            if exc.status in (401, 403):
                raise ApiClosedError(
                    f"WordPress.com: {self.site} is private or closes its API ({exc.status})",
                    exc.status,
                    exc.code,
                ) from exc
            if exc.status == 404:
                raise DiscoveryError(f"WordPress.com does not serve {self.site} (404)") from exc
            raise
        return data, response.capture


def _finished(data: dict[str, Any], count: int, read: int, *, by_offset: bool) -> bool:
    """Whether `found` says nothing is left. It counts what matches from this page on when paging by
    handle (so `found <= count`), and everything when paging by offset (so `found <= read`)."""
    found = data.get("found")
    if not isinstance(found, int) or found < 0:
        return False
    return found <= (read if by_offset else count)


def _is_new(item: Any, seen: set[int]) -> bool:
    wp_id = item.get("ID") if isinstance(item, dict) else None
    if not isinstance(wp_id, int):
        return True  # the parser turns it into a problem; never silently dropped
    if wp_id in seen:
        return False
    seen.add(wp_id)
    return True
