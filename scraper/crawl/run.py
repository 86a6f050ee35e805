"""Run: the planned sources' records -> batches -> the archive, one transaction each -> the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from archive.records import CommentRecord, CrawlState, ProblemRecord, Record
from archive.state import SaveCounts
from archive.store import ArchiveStore
from scraper.config import CrawlSettings
from scraper.crawl.lease import SiteLease, site_lease
from scraper.crawl.plan import plan_sources
from scraper.crawl.report import CrawlReport, CrawlStatus
from scraper.discover import Discovery, discover_site
from scraper.errors import SITE_REFUSALS, DiscoveryError, FetchError, WparchiveError
from scraper.http import HttpClient
from scraper.interrupt import Interrupted
from scraper.sources.registry import source_spec

# Problems that mean data is missing from this run, so its high-water marks must not advance.
GAP_KINDS = frozenset({"gap"})
# A source that fails with these before yielding anything hands over to the next in the chain.
FALLBACK_ERRORS = (DiscoveryError, FetchError)
PING_TYPES = frozenset({"pingback", "trackback", "pings"})

ProgressHook = Callable[[Record], None]


def crawl_site(
    url: str,
    client: HttpClient,
    store: ArchiveStore,
    settings: CrawlSettings,
    concurrency: int = 4,
    progress: ProgressHook | None = None,
    job: str = "",
) -> CrawlReport:
    """Archive one site. Raises WparchiveError when the site cannot be read at all. `job`: the
    queued job this crawl runs, if any (see site_lease)."""
    requests_before = client.requests_made  # discovery's requests count too
    discovery = discover_site(client, url)
    report = CrawlReport(site_url=discovery.home, moved_from=discovery.moved_from or "")
    with site_lease(store, store.ensure_site(discovery.site), job) as lease:
        if not lease.held:
            report.status, report.error = "skipped", f"{lease.holder} is crawling this site"
            return report
        run = _SiteRun(client, store, settings, discovery, lease, report)
        run.concurrency, run.progress, run.requests_before = concurrency, progress, requests_before
        run.start()
    return report


@dataclass
class _SiteRun:
    """One run of a leased site: its crawl-run row, the fallback chain, batched saving."""

    client: HttpClient
    store: ArchiveStore
    settings: CrawlSettings
    discovery: Discovery
    lease: SiteLease
    report: CrawlReport
    concurrency: int = 4
    progress: ProgressHook | None = None
    requests_before: int = 0

    def start(self) -> None:
        """Open the run (incremental when the site has high-water marks) and read the site."""
        site_id = self.lease.site_id
        full = self.settings.full
        state = CrawlState(site_id=site_id) if full else self.store.load_state(site_id)
        has_marks = state.posts_modified_after is not None or state.comments_after is not None
        self.report.mode = "incremental" if has_marks else "full"
        run_id = self.store.start_run(site_id, self.settings.source, self.report.mode)
        self._run_chain(state, run_id)

    def _run_chain(self, state: CrawlState, run_id: int) -> None:
        report = self.report
        plan, report.chain = plan_sources(self.discovery, self.settings.source)
        status: CrawlStatus = "failed"
        try:
            status = self._try_sources(plan, state, run_id)
        except WparchiveError as exc:
            report.error = str(exc)
            status = "partial" if report.saved else "failed"
            raise
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: what was saved stays, the marks do not move
            status = "interrupted"
            raise
        finally:
            report.status = status
            report.requests = self.client.requests_made - self.requests_before
            if status != "failed" and report.counts["comment"]:
                self.store.rethread(self.lease.site_id)
            self.store.finish_run(
                run_id,
                status=status,
                source=report.source or self.settings.source,
                summary=report.summary_line(),
                requests=report.requests,
                advance_state=status == "ok",
            )

    def _try_sources(self, plan: list[str], state: CrawlState, run_id: int) -> CrawlStatus:
        """Read the site through the first source that works; return the run's status."""
        report = self.report
        for name in plan:
            spec, saved_before = source_spec(name), report.saved
            try:
                source = spec.build(self.client, self.discovery, self.concurrency)
                gaps = self._save_stream(source.fetch_records(state), run_id)
            except SITE_REFUSALS:  # another source would only be refused again
                raise
            except FALLBACK_ERRORS as exc:
                if self.client.stopped:  # the fetch failed because the run was stopped
                    raise Interrupted() from exc
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
