"""`wparchive reparse`: today's parsers over the raw items the archive keeps, with no network.

Every post, page and comment that the REST API or WordPress.com's API sent is stored with its raw
JSON; reparsing runs it through the current parser again and saves the result through the normal
save path, as a run of its own (mode `reparse`): a parser fix reaches old crawls without
refetching, what changed gets a new version (history applies), and what did not adds nothing.
Items read from feeds or post HTML keep no raw page: those are reparsed from recorded WARC files
(`--warc`, reparse_recorded_sites), by crawling the site again through today's sources with every
request answered from the recording. The high-water marks never move: a reparse is not a crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from archive.raw_items import RawItem, RawKind, SiteRow
from archive.records import ProblemRecord, Record
from archive.store import ArchiveStore
from scraper.config import Config
from scraper.crawl.lease import site_lease
from scraper.crawl.report import CrawlReport
from scraper.crawl.run import crawl_site
from scraper.errors import WparchiveError
from scraper.parse.rest import parse_rest_comment, parse_rest_post
from scraper.parse.wpcom import parse_wpcom_comment, parse_wpcom_post
from scraper.replay import WarcIndex, replay_client

LOGGER = logging.getLogger(__name__)

# The sources whose raw items hold all a parser needs (the API's JSON).
REPARSABLE = ("rest", "wpcom")
BATCH = 500


@dataclass
class ReparseReport:
    """What one site's reparse did."""

    url: str
    read: dict[str, int] = field(default_factory=lambda: {"post": 0, "comment": 0})
    changed: dict[str, int] = field(default_factory=lambda: {"post": 0, "comment": 0})
    problems: int = 0

    def summary_line(self) -> str:
        posts, comments = self.read["post"], self.read["comment"]
        changed = self.changed["post"] + self.changed["comment"]
        return (
            f"{self.url}: reparsed {posts} posts and pages, {comments} comments"
            f" | {changed} changed (a new version each) | {self.problems} problems"
        )


def reparse_recorded_sites(
    store: ArchiveStore, index: WarcIndex, cfg: Config, url: str | None = None
) -> list[CrawlReport]:
    """Crawl `url` (else every archived site the recording holds) again from `index`, with no
    network, through the normal save path (see crawl_site's `replay`); one report each."""
    if url is not None:
        urls = [url]
    else:
        hosts = index.hosts()
        urls = [s.url for s in store.archived_sites() if urlsplit(s.url).netloc.lower() in hosts]
        if not urls:
            raise WparchiveError(
                "no archived site is in the recorded WARC files; name the site with --site"
            )
    client = replay_client(index, cfg.http)
    try:
        return [
            crawl_site(site, client, store, cfg.crawl, cfg.http.concurrency, replay=True)
            for site in urls
        ]
    finally:
        client.close()


def reparse_sites(store: ArchiveStore, url: str | None = None) -> list[ReparseReport]:
    """Reparse every archived site (or only `url`'s); one report each."""
    return [reparse_site(store, site) for site in store.archived_sites(url)]


def reparse_site(store: ArchiveStore, site: SiteRow) -> ReparseReport:
    """Reparse one site's stored raw items in a run of its own (see the module docstring),
    holding the site's lease as a crawl does: never while a crawl of it runs."""
    with site_lease(store, site.id) as lease:
        if not lease.held:
            raise WparchiveError(f"{site.url}: {lease.holder} is crawling it; reparse it later")
        return _reparse(store, site)


def _reparse(store: ArchiveStore, site: SiteRow) -> ReparseReport:
    report = ReparseReport(site.url)
    run_id = store.start_run(site.id, "reparse", "reparse")
    status = "failed"
    try:
        parse = _parsers(store.author_names(site.id), site.timezone)
        for kind in ("post", "comment"):
            for batch in _batches(store, site.id, kind):
                records = [parse(item) for item in batch]
                kept: list[Record] = [r for r in records if r is not None]
                report.read[kind] += len(batch)
                report.problems += sum(isinstance(r, ProblemRecord) for r in kept)
                counts = store.save_records(site.id, run_id, kept)
                report.changed[kind] += _versions(counts, kind)
        store.rethread(site.id)
        status = "ok"
    finally:
        store.finish_run(
            run_id,
            status=status,
            source="reparse",
            summary=report.summary_line(),
            requests=0,
            advance_state=False,
        )
    return report


def _batches(store: ArchiveStore, site_id: int, kind: RawKind) -> Iterator[list[RawItem]]:
    after = 0
    while batch := store.raw_items_after(site_id, kind, REPARSABLE, after, BATCH):
        yield batch
        after = batch[-1].wp_id


def _parsers(authors: dict[int, str], timezone: str | None) -> Callable[[RawItem], Any]:
    """The current parser for each (source, kind) of raw item."""

    def parse(item: RawItem) -> Record | None:
        if item.source == "rest":
            if item.kind == "post":
                return parse_rest_post(item.raw, authors, timezone)
            return parse_rest_comment(item.raw, timezone)
        if item.kind == "post":
            return parse_wpcom_post(item.raw)
        return parse_wpcom_comment(item.raw)

    return parse


def _versions(counts: Any, kind: str) -> int:
    """New versions a save wrote for posts or comments."""
    return int(getattr(counts.posts if kind == "post" else counts.comments, "versions", 0))
