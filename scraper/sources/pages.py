"""`--with-pages`: a source's posts read again from their own pages, for ratings in the head.

The REST API serves a post's body but not its page head, so a review rating a site publishes only
as schema.org JSON-LD there is invisible to it (unless Yoast SEO copies the schema into REST).
Wrapped in PostPages, each post or page the source yields without a rating costs one more request:
its page, of which only the head's JSON-LD is read. Everything else passes through in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archive.records import CrawlState, PostRecord, ProblemRecord, RatingRecord, Record
from scraper.errors import SITE_REFUSALS, FetchError
from scraper.exchange import decode_text
from scraper.parse.rating import parse_rating
from scraper.parse.tree import parse_page
from scraper.pool import map_ordered

if TYPE_CHECKING:
    from scraper.http import HttpClient
    from scraper.sources import Source

LOGGER = logging.getLogger(__name__)

# Posts read at once: the wrapped source's own order is kept, a chunk at a time.
CHUNK = 32
HeadResult = tuple[RatingRecord | None, ProblemRecord | None]


class PostPages:
    """`source`, with the head JSON-LD rating of each of its posts that has none."""

    def __init__(self, source: Source, client: HttpClient, workers: int) -> None:
        self.source, self.client, self.workers = source, client, workers
        self.name = source.name

    def __getattr__(self, name: str) -> Any:
        # What a crawl asks of its source beyond records (sweep probes, listing completeness).
        return getattr(self.source, name)

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        pending: list[PostRecord] = []
        for record in self.source.fetch_records(state):
            if isinstance(record, PostRecord) and record.rating is None and record.url:
                pending.append(record)
                if len(pending) < CHUNK:
                    continue
                yield from self._with_ratings(pending)
            else:
                # A post's comments and the records after it keep their place behind it.
                yield from self._with_ratings(pending)
                yield record
        yield from self._with_ratings(pending)

    def _with_ratings(self, posts: list[PostRecord]) -> Iterator[Record]:
        results = map_ordered(self._read_head, posts, self.workers)
        for post, result in zip(posts, results, strict=True):
            if isinstance(result, BaseException):
                raise result  # _read_head turns every failure of one page into a problem
            rating, problem = result
            if problem is not None:
                yield problem
            yield replace(post, rating=rating) if rating is not None else post
        posts.clear()

    def _read_head(self, post: PostRecord) -> HeadResult:
        try:
            response = self.client.get(post.url)
            if response.status >= 400:
                raise FetchError(f"{post.url} answered {response.status}", post.url)
            page = parse_page(decode_text(response), response.url or post.url)
        except SITE_REFUSALS:
            raise
        except FetchError as exc:
            return None, ProblemRecord("http", f"page of post {post.wp_id} unread: {exc}", post.url)
        return parse_rating("", page), None
