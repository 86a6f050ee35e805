"""Read a site through the WordPress REST API (wp/v2): authors, terms, posts, pages, comments."""

from __future__ import annotations

import itertools
import logging
import math
from array import array
from bisect import bisect_left
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from archive.deletions import ItemKind
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
from scraper.exchange import with_capture
from scraper.http import HttpClient
from scraper.parse.rest import (
    parse_rest_author,
    parse_rest_comment,
    parse_rest_post,
    parse_rest_term,
    parse_rest_types,
)
from scraper.pool import ContextThreadPool, map_ordered
from scraper.sources import since_params
from scraper.sweep import Visibility
from scraper.wpurls import rest_route_url

LOGGER = logging.getLogger(__name__)

PER_PAGE = 100
# Collections whose refusal we record and survive (many security plugins hide users).
OPTIONAL_ROUTES = ("wp/v2/users", "wp/v2/categories", "wp/v2/tags")
VISIBILITY_BY_STATUS: dict[int, Visibility] = {
    404: "gone",
    410: "gone",
    401: "hidden",
    403: "hidden",
}
Query = tuple[str, dict[str, str]]  # route, parameters
REFERENCE_ROUTES: dict[str, Query] = {
    "users": ("wp/v2/users", {}),
    "categories": ("wp/v2/categories", {}),
    "tags": ("wp/v2/tags", {}),
}
POST_QUERIES = ("posts", "pages", "scheduled")
# The collections a full crawl reads in one stream of pages, in the order it reads them.
LISTED = ("posts", "pages", "comments")
ITEM_ROUTES: dict[ItemKind, str] = {
    "post": "wp/v2/posts",
    "page": "wp/v2/pages",
    "comment": "wp/v2/comments",
}


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
        """Yield authors, terms, posts and pages, then comments (only what changed, given a state).

        An incremental crawl asks for posts and pages modified since the mark, and for posts
        published since it too: WordPress's scheduler publishes a `future` post without touching
        its modified date. It reads users and terms only when a changed post names one the
        archive does not hold (so an unchanged site costs four requests), and custom post types
        not at all: sweeps read those."""
        mark = state.posts_modified_after
        plan = {
            "posts": ("wp/v2/posts", since_params("modified_after", mark)),
            "pages": ("wp/v2/pages", since_params("modified_after", mark)),
            "comments": ("wp/v2/comments", since_params("after", state.comments_after)),
        }
        if mark is not None:
            plan["scheduled"] = ("wp/v2/posts", since_params("after", mark))
        full = mark is None or state.known_authors is None or state.known_terms is None
        if full:
            plan.update(REFERENCE_ROUTES)  # a full crawl reads them all, with the rest
        # Every collection's first page at once: each is a round trip the others need not wait
        # for (the client still holds requests in flight to `concurrency`).
        with ContextThreadPool(self.concurrency, thread_name_prefix="first-page") as pool:
            firsts = {
                name: pool.submit(self._fetch_page, *self._query(route, params), 1)
                for name, (route, params) in plan.items()
            }
            if full:
                types = pool.submit(self._fetch_type_routes)
                yield from self._fetch_all(plan, firsts, types)
            else:
                yield from self._fetch_changes(plan, firsts, state)

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
        plan: dict[str, Query],
        firsts: dict[str, Future[Page]],
        types: Future[list[str] | ProblemRecord],
    ) -> Iterator[Record]:
        authors: dict[int, str] = {}
        yield from self._fetch_references(plan, firsts, authors)
        # The later pages of posts, pages and comments come in one ordered stream: the next
        # collection's pages are already in flight while this one's are parsed and saved, so the
        # fetchers do not stand idle between collections.
        later = map_ordered(
            lambda task: self._fetch_page(*task),
            self._later_pages([(*plan[name], firsts[name]) for name in LISTED]),
            self.concurrency,
        )
        try:
            yield from self._fetch_posts(plan, firsts, types.result(), authors, later)
            yield from self._fetch_comments(plan, firsts, later)
        finally:
            later.close()

    def _later_pages(
        self, collections: list[tuple[str, dict[str, str], Future[Page]]]
    ) -> Iterator[tuple[str, dict[str, Any], int]]:
        """Pages 2 and on of each counted collection, in order (read as the stream needs them, so
        a collection's first page is awaited only when its turn to be fetched comes)."""
        for route, params, first in collections:
            try:
                page = first.result()
            except WparchiveError:
                continue  # its reader meets the error and decides what it means
            if page.counted:
                url, query = self._query(route, params)
                for number in range(2, page.total_pages + 1):
                    yield url, query, number

    def _fetch_changes(
        self, plan: dict[str, Query], firsts: dict[str, Future[Page]], state: CrawlState
    ) -> Iterator[Record]:
        """Changed posts first (held: an incremental set is small), then the users and terms
        they name that the archive lacks, then the posts, then comments."""
        held = [
            item
            for name in POST_QUERIES
            if name in plan
            for item in self.fetch_collection(*plan[name], firsts[name])
        ]
        posts = [item for item in held if not isinstance(item, ProblemRecord)]
        yield from (item for item in held if isinstance(item, ProblemRecord))
        authors = dict(state.known_authors or {})
        for name in _missing_references(posts, authors, state.known_terms or frozenset()):
            yield from self._fetch_references({name: REFERENCE_ROUTES[name]}, {}, authors)
        for item in posts:
            yield parse_rest_post(item, authors, self.timezone)
        yield from self._fetch_comments(plan, firsts)

    def fetch_visibility(self, kind: ItemKind, wp_id: int) -> Visibility | None:
        """Ask WordPress about one item an anonymous listing no longer shows: 404/410 = gone,
        401/403 = hidden (trashed, private, draft, unapproved: it exists, not for us), None when
        the answer says neither."""
        url = rest_route_url(self.root, f"{ITEM_ROUTES[kind]}/{wp_id}")
        try:
            self.client.get_json(url, {"_fields": "id"})
        except HttpStatusError as exc:
            return VISIBILITY_BY_STATUS.get(exc.status or 0)
        except FetchError:
            return None
        return "public"

    def _fetch_references(
        self, plan: dict[str, Query], firsts: dict[str, Future[Page]], authors: dict[int, str]
    ) -> Iterator[Record]:
        """Users (their names go into `authors`), then categories and tags, those in `plan`."""
        if "users" in plan:
            for item in self.fetch_collection(*plan["users"], firsts.get("users")):
                record = item if isinstance(item, ProblemRecord) else parse_rest_author(item)
                if not isinstance(record, ProblemRecord):
                    authors[record.wp_id] = record.name
                yield record
        for name, taxonomy in (("categories", "category"), ("tags", "post_tag")):
            if name in plan:
                for item in self.fetch_collection(*plan[name], firsts.get(name)):
                    if isinstance(item, ProblemRecord):
                        yield item
                    else:
                        yield parse_rest_term(item, taxonomy)

    def _fetch_posts(
        self,
        plan: dict[str, Query],
        firsts: dict[str, Future[Page]],
        types: list[str] | ProblemRecord,
        authors: dict[int, str],
        later: Iterator[Page | WparchiveError],
    ) -> Iterator[Record]:
        """Posts, pages, then each public custom type's collection (stored with its type name)."""
        if isinstance(types, ProblemRecord):
            yield types
            types = []
        queries = [plan["posts"], plan["pages"], *((t, plan["posts"][1]) for t in types)]
        for n, (route, params) in enumerate(queries):
            if n < 2:
                items = self.fetch_collection(route, params, firsts[LISTED[n]], later=later)
            else:
                items = self.fetch_collection(route, params, optional=True)
            for item in items:
                if isinstance(item, ProblemRecord):
                    yield item
                else:
                    yield parse_rest_post(item, authors, self.timezone)

    def _fetch_comments(
        self,
        plan: dict[str, Query],
        firsts: dict[str, Future[Page]],
        later: Iterator[Page | WparchiveError] | None = None,
    ) -> Iterator[Record]:
        for item in self.fetch_collection(*plan["comments"], firsts["comments"], later=later):
            yield (
                item if isinstance(item, ProblemRecord) else parse_rest_comment(item, self.timezone)
            )

    def fetch_collection(
        self,
        route: str,
        params: Mapping[str, str] | None = None,
        first: Future[Page] | None = None,
        *,
        optional: bool = False,
        later: Iterator[Page | WparchiveError] | None = None,
    ) -> Iterator[Any | ProblemRecord]:
        """Yield every item of a collection once, in id order; failed pages become ProblemRecords.

        `first`, when given, is the first page already being fetched, and `later`, when given,
        the stream its pages 2 and on come from (see _later_pages); an `optional` collection (or
        one of OPTIONAL_ROUTES) that is refused is recorded as a problem and skipped."""
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
        yield from self._pages_after(route, url, query, first_page, later)

    def _query(
        self, route: str, params: Mapping[str, str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        query = {"per_page": PER_PAGE, "orderby": "id", "order": "asc", **(params or {})}
        return rest_route_url(self.root, route), query

    def _pages_after(
        self,
        route: str,
        url: str,
        query: Mapping[str, Any],
        first: Page,
        later: Iterator[Page | WparchiveError] | None = None,
    ) -> Iterator[Any | ProblemRecord]:
        """The first page's items, then the other pages fetched concurrently, in order (taken
        from `later` when given); then, if the last page was full, on while full pages come
        back, whatever X-WP-TotalPages said."""
        seen = SeenIds()
        if not first.counted:
            yield from _unseen(first.items, seen)
            yield from self._walk_uncounted(url, query, first, seen)
            return
        numbers = range(2, first.total_pages + 1)
        # Asked for before the first page is parsed: the next pages are in flight meanwhile.
        pages = (
            map_ordered(lambda n: self._fetch_page(url, query, n), numbers, self.concurrency)
            if later is None
            else itertools.islice(later, len(numbers))  # this collection's share of the stream
        )
        yield from _unseen(first.items, seen)
        totals, last = {first.total}, first
        for page in pages:
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
        data = with_capture(data, response.capture)
        total = _int_header(response.headers.get("X-WP-Total"))
        pages = _int_header(response.headers.get("X-WP-TotalPages"))
        if pages is None:
            return Page(number, data, total, number, counted=False)
        return Page(number, data, total, pages)


def _missing_references(
    posts: list[Any], authors: Mapping[int, str], terms: frozenset[int]
) -> Iterator[str]:
    """The reference collections to read: those naming an author or term the archive lacks."""
    named_authors = {p.get("author") for p in posts if isinstance(p, dict)}
    if any(isinstance(a, int) and a > 0 and a not in authors for a in named_authors):
        yield "users"
    for name in ("categories", "tags"):
        ids = {
            i for p in posts if isinstance(p, dict) for i in p.get(name) or () if isinstance(i, int)
        }
        if ids - terms:
            yield name


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
