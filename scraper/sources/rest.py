"""Read a site through the WordPress REST API (wp/v2): authors, terms, posts, pages, comments."""

from __future__ import annotations

import logging
import math
from array import array
from bisect import bisect_left
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from archive.records import CrawlState, ProblemRecord, Record
from scraper.discover import Discovery
from scraper.errors import (
    SITE_REFUSALS,
    ApiClosedError,
    FetchError,
    HttpStatusError,
    NotJsonError,
    WparchiveError,
)
from scraper.http import HttpClient
from scraper.parse.rest import (
    parse_rest_author,
    parse_rest_comment,
    parse_rest_post,
    parse_rest_term,
    parse_rest_types,
)
from scraper.pool import map_ordered
from scraper.sources import since_params
from scraper.wpurls import rest_route_url

LOGGER = logging.getLogger(__name__)

PER_PAGE = 100
# Collections whose refusal we record and survive (many security plugins hide users).
OPTIONAL_ROUTES = ("wp/v2/users", "wp/v2/categories", "wp/v2/tags")


@dataclass(frozen=True)
class Page:
    """One page of a collection: its items and the totals WordPress reported with it."""

    number: int
    items: list[Any]
    total: int | None
    total_pages: int
    counted: bool = True  # False when the server sent no X-WP-TotalPages: walk until a short page


class RestSource:
    """Reads every public post, page and approved comment with ceil(N/100) requests per collection.

    Collections are ordered by id ascending, so items created during the crawl land on later pages
    and never shift earlier ones; if the total changes mid-crawl (deletions can shift pages), the
    collection is read once more and de-duplicated, so nothing is skipped.
    """

    name = "rest"

    def __init__(self, client: HttpClient, discovery: Discovery, concurrency: int = 4) -> None:
        if discovery.rest_root is None:
            raise ApiClosedError(discovery.rest_problem or "REST API not available")
        self.client = client
        self.root = discovery.rest_root
        self.timezone = discovery.site.timezone
        self.concurrency = concurrency

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        """Yield authors, terms, posts and pages, then comments (only what changed, given a state)."""
        posts_since = since_params("modified_after", state.posts_modified_after)
        plan = {
            "wp/v2/users": {},
            "wp/v2/categories": {},
            "wp/v2/tags": {},
            "wp/v2/posts": posts_since,
            "wp/v2/pages": posts_since,
            "wp/v2/comments": since_params("after", state.comments_after),
        }
        # Every collection's first page at once: each is a round trip the others need not wait
        # for (the client still holds requests in flight to `concurrency`).
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="first-page") as pool:
            firsts = {
                route: pool.submit(self._fetch_page, *self._query(route, params), 1)
                for route, params in plan.items()
            }
            types = pool.submit(self._fetch_type_routes)
            yield from self._fetch_all(plan, firsts, types)

    def _fetch_type_routes(self) -> list[str] | ProblemRecord:
        """Collections of the site's public custom post types (one request: `/wp/v2/types`)."""
        url = rest_route_url(self.root, "wp/v2/types")
        try:
            data, _ = self.client.get_json(url)
        except SITE_REFUSALS:
            raise
        except FetchError as exc:
            return ProblemRecord("http", f"wp/v2/types unreadable: {exc}", url)
        return parse_rest_types(data)

    def _fetch_all(
        self,
        plan: dict[str, dict[str, str]],
        firsts: dict[str, Future[Page]],
        types: Future[list[str] | ProblemRecord],
    ) -> Iterator[Record]:
        authors: dict[int, str] = {}
        for item in self.fetch_collection("wp/v2/users", first=firsts["wp/v2/users"]):
            record = item if isinstance(item, ProblemRecord) else parse_rest_author(item)
            if not isinstance(record, ProblemRecord):
                authors[record.wp_id] = record.name
            yield record
        for route, taxonomy in (("wp/v2/categories", "category"), ("wp/v2/tags", "post_tag")):
            for item in self.fetch_collection(route, first=firsts[route]):
                yield item if isinstance(item, ProblemRecord) else parse_rest_term(item, taxonomy)
        yield from self._fetch_posts(plan, firsts, types.result(), authors)
        comments = "wp/v2/comments"
        for item in self.fetch_collection(comments, plan[comments], firsts[comments]):
            yield (
                item if isinstance(item, ProblemRecord) else parse_rest_comment(item, self.timezone)
            )

    def _fetch_posts(
        self,
        plan: dict[str, dict[str, str]],
        firsts: dict[str, Future[Page]],
        types: list[str] | ProblemRecord,
        authors: dict[int, str],
    ) -> Iterator[Record]:
        """Posts, pages, then each public custom type's collection (stored with its type name)."""
        if isinstance(types, ProblemRecord):
            yield types
            types = []
        routes = [("wp/v2/posts", False), ("wp/v2/pages", False), *((t, True) for t in types)]
        for route, optional in routes:
            params = plan.get(route, plan["wp/v2/posts"])
            items = self.fetch_collection(route, params, firsts.get(route), optional=optional)
            for item in items:
                if isinstance(item, ProblemRecord):
                    yield item
                else:
                    yield parse_rest_post(item, authors, self.timezone)

    def fetch_collection(
        self,
        route: str,
        params: Mapping[str, str] | None = None,
        first: Future[Page] | None = None,
        *,
        optional: bool = False,
    ) -> Iterator[Any | ProblemRecord]:
        """Yield every item of a collection once, in id order; failed pages become ProblemRecords.

        `first`, when given, is the first page already being fetched; an `optional` collection
        (or one of OPTIONAL_ROUTES) that is refused is recorded as a problem and skipped."""
        url, query = self._query(route, params)
        try:
            first_page = first.result() if first is not None else self._fetch_page(url, query, 1)
        except HttpStatusError as exc:
            optional = optional or route in OPTIONAL_ROUTES
            if optional and exc.status in (400, 401, 403, 404):
                yield ProblemRecord("http", f"{route} refused: {exc}", exc.url)
                return
            if exc.status in (401, 403):
                raise ApiClosedError(
                    f"REST: {exc.status} {exc.code or 'forbidden'}", exc.status, exc.code
                ) from exc
            raise
        yield from self._pages_after(route, url, query, first_page)

    def _query(
        self, route: str, params: Mapping[str, str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        query = {"per_page": PER_PAGE, "orderby": "id", "order": "asc", **(params or {})}
        return rest_route_url(self.root, route), query

    def _pages_after(
        self, route: str, url: str, query: Mapping[str, Any], first: Page
    ) -> Iterator[Any | ProblemRecord]:
        """The first page's items, then the other pages fetched concurrently, in order; then, if
        the last page was full, on while full pages come back, whatever X-WP-TotalPages said."""
        seen = SeenIds()
        yield from _unseen(first.items, seen)
        if not first.counted:
            yield from self._walk_uncounted(url, query, first, seen)
            return
        totals, last = {first.total}, first
        pages = range(2, first.total_pages + 1)
        for page in map_ordered(lambda n: self._fetch_page(url, query, n), pages, self.concurrency):
            if isinstance(page, WparchiveError):
                yield ProblemRecord("gap", f"{route}: {page}", getattr(page, "url", url))
                continue
            totals.add(page.total)
            last = page
            yield from _unseen(page.items, seen)
        if last.number == first.total_pages and len(last.items) >= PER_PAGE:
            more = yield from self._walk_uncounted(url, query, last, seen)
            if more:
                message = (
                    f"{route}: X-WP-TotalPages said {first.total_pages}, "
                    f"but {more} more items came on later pages"
                )
                yield ProblemRecord("pagination", message, url)
        if len(totals) > 1:
            LOGGER.info("%s changed while it was read (totals %s); reading it again", route, totals)
            for number in range(1, math.ceil(max(t or 0 for t in totals) / PER_PAGE) + 1):
                yield from _unseen(self._fetch_page(url, query, number).items, seen)

    def _walk_uncounted(
        self, url: str, query: Mapping[str, Any], page: Page, seen: SeenIds
    ) -> Generator[Any | ProblemRecord, None, int]:
        """Fetch the pages after `page` one by one until a short or empty one (some proxies strip
        X-WP-* headers, some plugins miscount them); return how many items they held."""
        more = 0
        while len(page.items) >= PER_PAGE:
            try:
                page = self._fetch_page(url, query, page.number + 1)
            except HttpStatusError as exc:
                if exc.status in (400, 404):  # past the end, as terms and users say it
                    break
                yield ProblemRecord("gap", f"{exc}", exc.url)
                break
            more += len(page.items)
            yield from _unseen(page.items, seen)
        return more

    def _fetch_page(self, url: str, query: Mapping[str, Any], number: int) -> Page:
        params = {**query, "page": number}
        try:
            data, response = self.client.get_json(url, params)
        except HttpStatusError as exc:
            if exc.code == "rest_post_invalid_page_number" and number > 1:
                return Page(number, [], None, number - 1, counted=True)
            raise
        if not isinstance(data, list):
            raise NotJsonError(
                f"{response.url} sent {type(data).__name__}, not a list", response.url
            )
        total = _int_header(response.headers.get("X-WP-Total"))
        pages = _int_header(response.headers.get("X-WP-TotalPages"))
        if pages is None:
            return Page(number, data, total, number, counted=False)
        return Page(number, data, total, pages)


class SeenIds:
    """Ids a collection has yielded. Collections are read in ascending id order, so this is a
    sorted array of 8-byte ints with an O(1) common case: a million comments cost 8 MB, not the
    70 MB a set of Python ints would."""

    def __init__(self) -> None:
        self._ids = array("q")

    def add(self, wp_id: int) -> bool:
        """Record `wp_id`; False when it was already there."""
        ids = self._ids
        if not ids or wp_id > ids[-1]:
            ids.append(wp_id)
            return True
        at = bisect_left(ids, wp_id)  # only when a page repeats or a collection is re-read
        if at < len(ids) and ids[at] == wp_id:
            return False
        ids.insert(at, wp_id)
        return True


def _unseen(items: list[Any], seen: SeenIds) -> Iterator[Any]:
    for item in items:
        wp_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(wp_id, int) and not seen.add(wp_id):
            continue
        yield item


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
