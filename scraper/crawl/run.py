"""Run: the planned sources' records -> batches -> the archive, one transaction each -> the report."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.records import CommentRecord, CrawlState, ProblemRecord, Record
from archive.state import KnownSite, SaveCounts
from archive.store import ArchiveStore
from scraper.config import CrawlSettings
from scraper.crawl.head_start import Discovered
from scraper.crawl.lease import SiteLease, site_lease
from scraper.crawl.plan import is_sweep_due, plan_sources
from scraper.crawl.report import CrawlReport, CrawlStatus
from scraper.discover import Discovery, discover_site, normalize_home
from scraper.errors import SITE_REFUSALS, DiscoveryError, FetchError, WparchiveError
from scraper.http import HttpClient, RequestTally, counting_requests
from scraper.interrupt import Interrupted
from scraper.sources import Source
from scraper.sources.pages import PostPages
from scraper.sources.registry import source_spec
from scraper.sweep import sweep_deletions

LOGGER = logging.getLogger(__name__)

# Problems that mean data is missing from this run, so its high-water marks must not advance.
GAP_KINDS = frozenset({"gap"})
# A source that fails with these before yielding anything hands over to the next in the chain.
FALLBACK_ERRORS = (DiscoveryError, FetchError)
PING_TYPES = frozenset({"pingback", "trackback", "pings"})
# How long robots.txt rules kept in the archive are obeyed without reading robots.txt again.
ROBOTS_MAX_AGE = timedelta(hours=24)

ProgressHook = Callable[[Record], None]


def crawl_site(
    url: str,
    client: HttpClient,
    store: ArchiveStore,
    settings: CrawlSettings,
    concurrency: int = 4,
    progress: ProgressHook | None = None,
    job: str = "",
    *,
    replay: bool = False,
    discovered: Discovered | None = None,
) -> CrawlReport:
    """Archive one site. Raises WparchiveError when the site cannot be read at all. `job`: the
    queued job this crawl runs, if any (see site_lease). `replay`: the client answers from
    recorded WARC files (scraper/replay.py), so the run reads everything again, as mode
    `reparse`: it marks nothing deleted and moves no high-water mark, since what was recorded
    may be older than what the archive holds.

    A site last read through REST is read again through the API root the archive remembers,
    without discovery; only when that fails is the site discovered again. Its robots.txt is
    read at most once every ROBOTS_MAX_AGE, its rules kept in the archive. `discovered`: the
    site's discovery, already made (see head_start.py), taken where it would be made; its
    requests count as the crawl's."""
    with counting_requests(discovered.requests if discovered else None) as tally:
        run = _SiteRun(client, store, settings, concurrency, progress, tally, job, replay=replay)
        known = store.known_site(normalize_home(url))
        if known is not None:
            _use_kept_robots(client, known)
        remembered = _remembered_discovery(known, settings)
        if remembered is not None:
            only_rest = dataclasses.replace(settings, source="rest")
            report = dataclasses.replace(run, settings=only_rest).crawl(remembered)
            if report.status != "failed":
                return report
            LOGGER.info(
                "%s: the remembered API root failed (%s); discovering again", url, report.error
            )
        return run.crawl(discovered.discovery if discovered else discover_site(client, url))


def _remembered_discovery(known: KnownSite | None, settings: CrawlSettings) -> Discovery | None:
    if known is None or known.record.api_root is None or known.last_source != "rest":
        return None
    if settings.source not in ("auto", "rest"):
        return None
    return Discovery(home=known.record.url, site=known.record, rest_root=known.record.api_root)


def _use_kept_robots(client: HttpClient, known: KnownSite) -> None:
    fetched = known.robots_fetched_at
    if known.robots_txt is None or fetched is None:
        return
    if datetime.now(UTC) - fetched < ROBOTS_MAX_AGE:
        client.use_robots(known.record.url, known.robots_txt)


@dataclass
class _SiteRun:
    """One run of a leased site: its crawl-run row, the fallback chain, batched saving."""

    client: HttpClient
    store: ArchiveStore
    settings: CrawlSettings
    concurrency: int = 4
    progress: ProgressHook | None = None
    # The requests of this site's crawl: sites crawled at once share the client.
    requests: RequestTally = dataclasses.field(default_factory=RequestTally)
    job: str = ""  # the queued job this run belongs to, if any (see site_lease)
    reader: Source | None = None  # the source that read the site
    replay: bool = False  # answered from recorded WARC files (see crawl_site)

    def crawl(self, discovery: Discovery) -> CrawlReport:
        """Lease the discovered site and read it; keep the robots.txt rules the client read."""
        self.discovery = discovery
        self.report = report = CrawlReport(
            site_url=discovery.home, moved_from=discovery.moved_from or ""
        )
        with site_lease(self.store, self.store.ensure_site(discovery.site), self.job) as lease:
            if not lease.held:
                report.status, report.error = "skipped", f"{lease.holder} is crawling this site"
                return report
            self.lease = lease
            self.start()
            rules = self.client.fetched_robots(discovery.home)
            if rules is not None:
                self.store.save_robots(lease.site_id, rules)
        return report

    discovery: Discovery = dataclasses.field(init=False)
    report: CrawlReport = dataclasses.field(init=False)
    lease: SiteLease = dataclasses.field(init=False)

    def start(self) -> None:
        """Open the run (a sweep when due, else incremental from the high-water marks) and read
        the site."""
        site_id = self.lease.site_id
        state = self.store.load_state(site_id)
        if self.replay or is_sweep_due(state, self.settings, datetime.now(UTC)):
            state = CrawlState(site_id=site_id)
        self.report.mode = "incremental" if state.posts_modified_after else "full"
        if self.replay:
            self.report.mode = "reparse"
        run_id = self.store.start_run(site_id, self.settings.source, self.report.mode)
        self._run_chain(state, run_id)

    def _run_chain(self, state: CrawlState, run_id: int) -> None:
        report = self.report
        plan, report.chain = plan_sources(self.discovery, self.settings.source)
        status: CrawlStatus = "failed"
        try:
            status = self._try_sources(plan, state, run_id)
            if status == "ok" and report.mode == "full":
                self._sweep(run_id)
        except WparchiveError as exc:
            report.error = str(exc)
            status = "partial" if report.saved else "failed"
            raise
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: what was saved stays, the marks do not move
            status = "interrupted"
            raise
        finally:
            report.status = status
            report.requests = self.requests.made
            self.store.finish_run(
                run_id,
                status=status,
                source=report.source or self.settings.source,
                summary=report.summary_line(),
                requests=report.requests,
                advance_state=status == "ok" and not self.replay,
            )

    def _sweep(self, run_id: int) -> None:
        """A complete full listing: mark what it no longer showed (asking the site why)."""
        probe = getattr(self.reader, "fetch_visibility", None)
        unlisted = getattr(self.reader, "unlisted_kinds", ())
        site_id, source = self.lease.site_id, self.report.source
        self.report.deleted.update(
            sweep_deletions(self.store, site_id, run_id, source, probe, unlisted)
        )

    def _try_sources(self, plan: list[str], state: CrawlState, run_id: int) -> CrawlStatus:
        """Read the site through the first source that works; return the run's status."""
        report = self.report
        for name in plan:
            spec, saved_before = source_spec(name), report.saved
            try:
                source = spec.build(self.client, self.discovery, self.concurrency)
                if self.settings.with_pages and not spec.reads_head:
                    source = PostPages(source, self.client, self.concurrency)
                self.reader = source
                gaps = self._save_stream(source.fetch_records(state), run_id)
            except SITE_REFUSALS:  # another source would only be refused again
                raise
            except FALLBACK_ERRORS as exc:
                if self.client.stopped:  # the fetch failed because the run was stopped
                    raise Interrupted() from exc
                # Records saved means this source read part of the site: another source would
                # go over the same rows with less (see archive.fidelity), so the run stops here.
                if report.saved > saved_before:
                    report.source, report.error = name, f"stopped: {exc}"
                    return "partial"
                said = str(exc)
                report.chain.append(
                    said if said.startswith(spec.label) else f"{spec.label}: {said}"
                )
                continue
            report.source = name
            if report.chain:
                report.chain.append(f"using {spec.label}")
            return "partial" if gaps else "ok"
        report.error = "no source could read this site"
        return "failed"

    def _save_stream(self, records: Iterable[Record], run_id: int) -> bool:
        """Write records in batches, one transaction each; True if a gap (missing data) was seen."""
        gaps, batch = False, []
        if self.progress is not None:  # shown as parsed, not as saved: a batch can take a while
            records = _tapped(records, self.progress)
        try:
            for record in records:
                if self.client.stopped:  # Ctrl-C, SIGTERM: what was read so far is saved below
                    raise Interrupted()
                # Pingbacks and trackbacks are not comments: REST and WordPress.com leave them out
                # when asked, but page markup and Atom comment feeds list them: dropped here, once.
                if not _is_ping(record):
                    batch.append(record)
                if len(batch) >= self.settings.batch_size:
                    full, batch = batch, []
                    gaps |= self._save_batch(full, run_id)
        finally:
            # The records read before the stream ended, or failed, or a signal came: kept.
            if batch:
                gaps |= self._save_batch(batch, run_id)
        return gaps

    def _save_batch(self, batch: list[Record], run_id: int) -> bool:
        """Write one batch in one transaction and count it; True if it holds a gap."""
        saved = self.store.save_records(self.lease.site_id, run_id, batch)
        self.lease.renew()
        self._count(batch, saved)
        return any(isinstance(r, ProblemRecord) and r.kind in GAP_KINDS for r in batch)

    def _count(self, batch: list[Record], saved: SaveCounts) -> None:
        self.report.saved_counts.add(saved)
        self.report.problems += saved.problems
        for record in batch:
            self.report.counts[record.record_kind] += 1


def _tapped(records: Iterable[Record], hook: ProgressHook) -> Iterator[Record]:
    for record in records:
        hook(record)
        yield record


def _is_ping(record: Record) -> bool:
    return isinstance(record, CommentRecord) and record.type in PING_TYPES
