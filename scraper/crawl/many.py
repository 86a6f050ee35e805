"""Crawl a list of sites in one process: up to `crawl.sites_at_once` at a time, one summary each.

The sites share one HTTP client, so one politeness budget per host (scraper/throttle.py) holds
however many of them a host serves, and one archive engine (SQLite serializes its writers with
BEGIN IMMEDIATE and a busy timeout; PostgreSQL's pool is sized to the sites at once). Each site's
summary line (or JSON object) is printed as it finishes; one site's failure never stops the
others; a signal stops them all, each keeping what it saved.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Literal

import typer

from archive.db import open_archive
from archive.pacing import SharedPacing
from archive.store import ArchiveStore
from scraper.config import Config
from scraper.console import Console
from scraper.crawl.head_start import HeadStart, crawl_client
from scraper.crawl.report import failure_json, report_json
from scraper.crawl.run import crawl_site
from scraper.errors import WparchiveError
from scraper.exchange import ExchangeHook
from scraper.http import HttpClient
from scraper.interrupt import stop_on_signals
from scraper.site_input import SiteInput, start_site
from scraper.sources.registry import archive_traits

Output = Literal["text", "json", "quiet"]
# A partial crawl is a failure for cron: data is missing until a later crawl completes it.
FAILING_STATUSES = ("failed", "partial")


def crawl_sites(
    sites: Sequence[SiteInput],
    cfg: Config,
    console: Console,
    output: Output = "text",
    hooks: Sequence[ExchangeHook] = (),
    head: HeadStart | None = None,
) -> int:
    """Crawl `sites`, `cfg.crawl.sites_at_once` at a time; return how many failed or were
    partial. `hooks` see every HTTP exchange. `head`: the first site's discovery, begun before
    the archive was opened (its client, already showing every exchange to the hooks, is the
    crawl's)."""
    at_once = max(1, min(cfg.crawl.sites_at_once, len(sites)))
    try:
        store = ArchiveStore(open_archive(cfg.database, pool_size=at_once), traits=archive_traits())
    except BaseException:
        if head is not None:
            head.client.stop()
        raise
    client = head.client if head is not None else crawl_client(cfg, hooks)
    client.share_pacing(SharedPacing(store.engine).reserve)
    run = _SiteRuns(client, store, cfg, console, output, live=at_once == 1, head=head)
    try:
        with stop_on_signals(client.stop) as interruption:
            if at_once == 1:
                failures = 0
                for site in sites:
                    try:
                        failures += run.crawl(site)
                    finally:
                        interruption.raise_if_stopped()  # with the signal's own exit code
            else:
                with (
                    console.sites_progress(len(sites), lambda: client.requests_made) as line,
                    ThreadPoolExecutor(at_once, thread_name_prefix="site") as pool,
                ):
                    run.finished = line.site_done
                    failures = sum(pool.map(run.crawl, sites))
                interruption.raise_if_stopped()
    finally:
        client.close()
        store.engine.dispose()
    if output == "text" and len(sites) > 1:
        console.note(f"{len(sites)} sites crawled: {len(sites) - failures} ok, {failures} not")
    return failures


class _SiteRuns:
    """One site's crawl and its summary; safe to run on several threads at once."""

    def __init__(
        self,
        client: HttpClient,
        store: ArchiveStore,
        cfg: Config,
        console: Console,
        output: Output,
        *,
        live: bool,
        head: HeadStart | None = None,
    ) -> None:
        self.client, self.store, self.cfg = client, store, cfg
        self.head = head  # the discovery of one of the sites, begun before the archive opened
        self.console, self.output = console, output
        self.live = live  # one site at a time: a live progress line on a terminal
        self.finished: Callable[[], None] = lambda: None  # told as each site ends
        self._print = threading.Lock()  # whole lines, never interleaved

    def crawl(self, site: SiteInput) -> bool:
        """Crawl one site and print its summary (or its error) as `output` asks; True on failure."""
        try:
            return self._crawl(site)
        finally:
            with self._print:
                self.finished()

    def _crawl(self, site: SiteInput) -> bool:
        client, cfg, output = self.client, self.cfg, self.output
        started = time.monotonic()
        # Live lines for several sites at once would overwrite each other: one site's only.
        progress = (
            self.console.progress(site.url, lambda: client.requests_made)
            if self.live
            else nullcontext(None)
        )
        with progress as hook:
            try:
                discovered = None
                if self.head is not None and self.head.site is site:
                    discovered = self.head.result()
                    url, note = discovered.url, discovered.note
                else:
                    url, note = start_site(client, site)
                if note and output == "text":
                    with self._print:
                        self.console.note(f"{site.url.split('://', 1)[1]}: no scheme given; {note}")
                report = crawl_site(
                    url,
                    client,
                    self.store,
                    cfg.crawl,
                    cfg.http.concurrency,
                    hook,
                    discovered=discovered,
                )
            except WparchiveError as exc:
                if client.stopped:  # a signal's own line says why this site stopped
                    return True
                with self._print:
                    if output == "json":
                        elapsed = time.monotonic() - started
                        typer.echo(json.dumps(failure_json(site.url, str(exc), elapsed)))
                    else:
                        self.console.fail(f"{site.url}: {exc}")
                return True
        failed = report.status in FAILING_STATUSES
        with self._print:
            if output == "json":
                typer.echo(json.dumps(report_json(report, time.monotonic() - started)))
            elif output == "text" or failed:
                self.console.done(report.summary_line())
        return failed
