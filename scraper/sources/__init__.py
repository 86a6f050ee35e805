"""Sources: each turns one site into a stream of records (REST, WordPress.com, feeds, post HTML)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from archive.records import CrawlState, ProblemRecord, Record
from scraper.errors import SITE_REFUSALS, FetchError
from scraper.exchange import Response, decode_text
from scraper.parse.dates import format_iso_utc

if TYPE_CHECKING:
    from scraper.http import HttpClient

# WordPress compares `after`/`modified_after`, and orders feeds, by local time: every incremental
# read starts this far before the high-water mark, wider than any UTC offset (+14h), so nothing
# near the mark is missed (the upserts make the overlap harmless).
INCREMENTAL_OVERLAP = timedelta(days=1)


class Source(Protocol):
    """One way of reading a site. `fetch_records` yields authors and terms before the posts that use
    them, and posts before their comments; problems are yielded as ProblemRecord, never raised,
    unless the source as a whole cannot be read (then a WparchiveError)."""

    name: str

    def fetch_records(self, state: CrawlState) -> Iterator[Record]: ...


def fetch_or_problem(
    client: HttpClient, url: str, problems: list[ProblemRecord], kind: str, what: str
) -> Response | None:
    """GET `url`; when this one URL fails, record `what: cause` as a `kind` problem and return
    None so the crawl goes on. A refusal of the whole site (SITE_REFUSALS) propagates. A success
    whose body is not text in its charset fails too: what is stored is never guessed text."""
    try:
        response = client.get(url)
        if response.status < 400:
            decode_text(response)
    except SITE_REFUSALS:
        raise
    except FetchError as exc:
        problems.append(ProblemRecord(kind, f"{what}: {exc}", url))
        return None
    return response


def since_params(param: str, mark: datetime | None, offset: str = "") -> dict[str, str]:
    """`{param: mark - INCREMENTAL_OVERLAP}` as an ISO date (with `offset` appended, for APIs that
    want one), or nothing on a first crawl."""
    return {param: format_iso_utc(mark - INCREMENTAL_OVERLAP) + offset} if mark else {}
