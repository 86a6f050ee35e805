"""Crawl one site end to end: discover, pick a source (with fallbacks), stream records into the archive."""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from archive.records import CommentRecord, CrawlState, ProblemRecord, Record
from archive.store import ArchiveStore
from scraper.config import CrawlSettings
from scraper.discover import Discovery, discover_site
from scraper.errors import (
    SITE_REFUSALS,
    DiscoveryError,
    FetchError,
    WparchiveError,
)
from scraper.http import HttpClient
from scraper.sources import Source
from scraper.sources.rest import RestSource

if TYPE_CHECKING:
    from scraper.sources.html import HtmlSource

LOGGER = logging.getLogger(__name__)

# A lease long enough to outlast one batch, renewed after every batch: a crawl killed outright
# frees its site within minutes (at once for a later crawl on the same host, see ArchiveStore).
LEASE_SECONDS = 600.0
# Problems that mean data is missing from this run, so its high-water marks must not advance.
GAP_KINDS = frozenset({"gap"})
# A source that fails with these before yielding anything hands over to the next in the chain.
FALLBACK_ERRORS = (DiscoveryError, FetchError)

SourceFactory = Callable[[HttpClient, Discovery, int], Source]


# The fallback sources are imported when the chain reaches them: a REST crawl (the common case,
# and every hourly run) does not pay for loading the HTML and feed parsers.
def _wpcom_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.wpcom import WpcomSource

    return WpcomSource.from_discovery(client, found, workers)


def _feed_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.feeds import FeedSource

    return FeedSource(client, found, workers)


def _html_source(client: HttpClient, found: Discovery, workers: int) -> HtmlSource:
    from scraper.sources.html import HtmlSource

    return HtmlSource(client, found, workers=workers)


SOURCE_FACTORIES: dict[str, SourceFactory] = {
    "rest": RestSource,
    "wpcom": _wpcom_source,
    "feed": _feed_source,
    "html": _html_source,
}
AUTO_CHAIN = ("rest", "wpcom", "feed", "html")
PING_TYPES = frozenset({"pingback", "trackback", "pings"})
SOURCE_LABELS = {
    "rest": "REST",
    "wpcom": "WordPress.com API",
    "feed": "feeds + HTML",
    "html": "post HTML",
}

ProgressHook = Callable[[Record], None]


@dataclass
class CrawlReport:
    """What one crawl of one site did, for the summary line and the exit code."""

    site_url: str
    status: str = "failed"  # ok | partial | failed | skipped
    source: str = ""
    mode: str = "full"
    counts: Counter[str] = field(default_factory=Counter)
    problems: int = 0
    requests: int = 0
    chain: list[str] = field(default_factory=list)
    error: str = ""

    def summary_line(self) -> str:
        """One line: site, status, source, counts, requests, and why the chain fell back."""
        parts = [f"{self.site_url}: {self.status}"]
        if self.source:
            parts.append(f"via {self.source} ({self.mode})")
        kinds = ("post", "page", "comment", "author", "term")
        counted = ", ".join(f"{self.counts[k]} {k}s" for k in kinds if self.counts.get(k))
        if counted:
            parts.append(counted)
        parts.append(f"{self.requests} requests")
        if self.problems:
            parts.append(f"{self.problems} problems recorded")
        if self.chain:
            parts.append("; ".join(self.chain))
        if self.error:
            parts.append(self.error)
        return " | ".join(parts)

    @property
    def saved(self) -> int:
        """Records written so far, problems included."""
        return sum(self.counts.values())


def crawl_site(
    url: str,
    client: HttpClient,
    store: ArchiveStore,
    settings: CrawlSettings,
    concurrency: int = 4,
    progress: ProgressHook | None = None,
) -> CrawlReport:
    """Archive one site. Raises WparchiveError when the site cannot be read at all."""
    requests_before = client.requests_made  # discovery's requests count too
    discovery = discover_site(client, url)
    crawl = _SiteCrawl(client, store, settings, concurrency, progress, discovery, requests_before)
    return crawl.run()


def plan_sources(discovery: Discovery, choice: str) -> tuple[list[str], list[str]]:
    """The sources to try in order, and the explanations for those passed over up front."""
    if choice != "auto":
        return [choice], []
    plan, passed_over = [], []
    for name in AUTO_CHAIN:
        if name == "rest" and discovery.rest_root is None:
            passed_over.append(discovery.rest_problem or "REST: not found")
        elif name == "wpcom" and discovery.wpcom_site is None:
            continue
        else:
            plan.append(name)
    return plan, passed_over


class _SiteCrawl:
    """One crawl of one discovered site: lease, run record, fallback chain, batched saving."""

    def __init__(
        self,
        client: HttpClient,
        store: ArchiveStore,
        settings: CrawlSettings,
        concurrency: int,
        progress: ProgressHook | None,
        discovery: Discovery,
        requests_before: int,
    ) -> None:
        self.client, self.store, self.settings = client, store, settings
        self.concurrency, self.progress, self.discovery = concurrency, progress, discovery
        self.report = CrawlReport(site_url=discovery.home)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.requests_before = requests_before
        self.site_id = store.ensure_site(discovery.site)

    def run(self) -> CrawlReport:
        if not self._claim():
            holder = self.store.lease_holder(self.site_id) or "another worker"
            self.report.status = "skipped"
            self.report.error = f"{holder} is crawling this site"
            return self.report
        try:
            full = self.settings.full
            state = (
                CrawlState(site_id=self.site_id) if full else self.store.load_state(self.site_id)
            )
            has_marks = state.posts_modified_after is not None or state.comments_after is not None
            self.report.mode = "incremental" if has_marks else "full"
            run_id = self.store.start_run(self.site_id, self.settings.source, self.report.mode)
            self._run_chain(state, run_id)
        finally:
            self.store.release_site(self.site_id, self.worker)
        return self.report

    def _claim(self) -> bool:
        """Lease the site; a lease left by a killed crawl on this host is taken over at once."""
        if self.store.claim_site(self.site_id, self.worker, LEASE_SECONDS):
            return True
        holder = self.store.lease_holder(self.site_id)
        if holder is None or not _dead_local_worker(holder):
            return False
        LOGGER.info("taking over the lease of %s, which is no longer running", holder)
        return self.store.claim_site(self.site_id, self.worker, LEASE_SECONDS, replacing=holder)

    def _run_chain(self, state: CrawlState, run_id: int) -> None:
        report = self.report
        plan, report.chain = plan_sources(self.discovery, self.settings.source)
        status = "failed"
        try:
            status = self._try_sources(plan, state, run_id)
        except WparchiveError as exc:
            report.error = str(exc)
            status = "partial" if report.saved else "failed"
            raise
        finally:
            report.status = status
            report.requests = self.client.requests_made - self.requests_before
            if status != "failed" and report.counts["comment"]:
                self.store.rethread(self.site_id)
            self.store.finish_run(
                run_id,
                status=status,
                source=report.source or self.settings.source,
                summary=report.summary_line(),
                requests=report.requests,
                advance_state=status == "ok",
            )

    def _try_sources(self, plan: list[str], state: CrawlState, run_id: int) -> str:
        """Read the site through the first source that works; return the run's status."""
        report = self.report
        for name in plan:
            saved_before = report.saved
            try:
                source = SOURCE_FACTORIES[name](self.client, self.discovery, self.concurrency)
                gaps = self._save_stream(source.fetch_records(state), run_id)
                if name == "feed" and self.report.mode == "full":
                    gaps |= self._save_stream(self._sitemap_pages().fetch_records(state), run_id)
            except SITE_REFUSALS:  # another source would only be refused again
                raise
            except FALLBACK_ERRORS as exc:
                if report.saved > saved_before:
                    report.source, report.error = name, f"stopped: {exc}"
                    return "partial"
                label = SOURCE_LABELS[name]
                report.chain.append(str(exc) if str(exc).startswith(label) else f"{label}: {exc}")
                continue
            report.source = name
            if report.chain:
                report.chain.append(f"using {SOURCE_LABELS[name]}")
            return "partial" if gaps else "ok"
        report.error = "no source could read this site"
        return "failed"

    def _sitemap_pages(self) -> HtmlSource:
        """Feeds list posts but never pages: a full crawl reads those from the site's sitemap."""
        from scraper.sources.html import HtmlSource

        return HtmlSource(self.client, self.discovery, workers=self.concurrency, pages_only=True)

    def _save_stream(self, records: Iterable[Record], run_id: int) -> bool:
        """Write records in batches, one transaction each; True if a gap (missing data) was seen."""
        gaps = False
        # Pingbacks and trackbacks are not comments: REST and WordPress.com leave them out when
        # asked, but page markup and Atom comment feeds list them, so they are dropped here, once.
        records = (r for r in records if not _is_ping(r))
        for batch in _batched(records, self.settings.batch_size):
            self.store.save_records(self.site_id, run_id, batch)
            self.store.claim_site(self.site_id, self.worker, LEASE_SECONDS)  # renew the lease
            for record in batch:
                self.report.counts[_kind(record)] += 1
                if isinstance(record, ProblemRecord):
                    self.report.problems += 1
                    gaps = gaps or record.kind in GAP_KINDS
                if self.progress is not None:
                    self.progress(record)
        return gaps


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _dead_local_worker(holder: str) -> bool:
    """True when `holder` ("host:pid") names a process of this host that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def _is_ping(record: Record) -> bool:
    return isinstance(record, CommentRecord) and record.type in PING_TYPES


def _kind(record: Record) -> str:
    if isinstance(record, ProblemRecord):
        return "problem"
    kind = type(record).__name__.removesuffix("Record").lower()
    return str(getattr(record, "type", kind)) if kind == "post" else kind
