"""Crawls as procrastinate jobs on the archive's PostgreSQL: one job per site, locked per site,
retried with backoff when the failure may pass; periodic tasks defer due sites and rerun the jobs
of workers that died. procrastinate is imported only by the commands that use it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from archive.db import libpq_url
from archive.pacing import SharedPacing
from archive.schedule import Schedule
from archive.store import ArchiveStore, utc_now
from scraper.config import Config
from scraper.crawl.head_start import crawl_client
from scraper.crawl.run import crawl_site
from scraper.durations import cron_every, parse_duration
from scraper.errors import (
    BlockedError,
    ConfigError,
    CrawlFailedError,
    DiscoveryError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    WparchiveError,
)

if TYPE_CHECKING:
    from procrastinate import App, JobContext
    from procrastinate.jobs import Job

LOGGER = logging.getLogger(__name__)

CRAWL_TASK = "wparchive.crawl_site"
DEFER_TASK = "wparchive.defer_due_sites"
RETRY_TASK = "wparchive.retry_stalled_jobs"
# Failures that a retry minutes later would meet again: not WordPress, a firewall's challenge,
# robots.txt, an oversized response, bad settings, no source could read the site. The next
# scheduled crawl tries again.
PERMANENT_ERRORS = (
    DiscoveryError,
    BlockedError,
    RobotsDisallowedError,
    ResponseTooLargeError,
    ConfigError,
    CrawlFailedError,
)

Reporter = Callable[[str], None]


@dataclass
class JobRunner:
    """What the tasks need in a worker process: config, the archive, where summary lines go."""

    config: Config
    engine: Engine
    report: Reporter
    clock: Callable[[], datetime] = utc_now

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.engine, self.clock)

    def crawl(self, site_url: str, job: str) -> None:
        """Crawl a scheduled site once (a full crawl when its sweep is due) and keep the result."""
        sweep = self.schedule.sweep_due(site_url)
        if sweep is None:
            LOGGER.info("%s is no longer scheduled: not crawled", site_url)
            return
        started, cfg = self.clock(), self.config
        settings = dataclasses.replace(cfg.crawl, full=cfg.crawl.full or sweep)
        client = crawl_client(cfg)
        client.share_pacing(SharedPacing(self.engine, self.clock).reserve)
        try:
            report = crawl_site(
                site_url, client, ArchiveStore(self.engine, self.clock), settings,
                cfg.http.concurrency, job=job,
            )  # fmt: skip
        except WparchiveError as exc:
            self.schedule.record(site_url, "failed", str(exc), None)
            self.report(f"{site_url}: failed | {exc}")
            raise
        finally:
            client.close()
        swept = report.mode == "full" and report.status == "ok"
        self.schedule.record(
            site_url, report.status, report.summary_line(), started if swept else None
        )
        self.report(report.summary_line())
        if report.status == "failed":
            raise CrawlFailedError(report.summary_line())


def build_app(runner: JobRunner) -> App:
    """The procrastinate app on the archive's PostgreSQL, with wparchive's tasks."""
    cfg = runner.config.workers
    app = queue_app(runner.config.database)
    retry = _passing_failures(cfg.max_attempts, cfg.backoff_base)
    tick = cron_every(parse_duration(cfg.check_every))
    stalled_after = parse_duration(cfg.stalled_after).total_seconds()

    @app.task(name=CRAWL_TASK, retry=retry, pass_context=True)
    def crawl_site_job(context: JobContext, site_url: str) -> None:
        runner.crawl(site_url, f"job-{context.job.id}")

    # No `lock` on the periodic tasks: a tick left in "doing" by a killed worker would hold it,
    # and block the very task that reruns stalled jobs. The queueing lock stops pile-ups.
    @app.periodic(cron=tick, periodic_id="due")
    @app.task(name=DEFER_TASK, queueing_lock=DEFER_TASK)
    async def defer_due_sites_job(timestamp: int) -> None:
        await defer_due_sites(app, runner.schedule)

    @app.periodic(cron=tick, periodic_id="stalled")
    @app.task(name=RETRY_TASK, queueing_lock=RETRY_TASK)
    async def retry_stalled_jobs_job(timestamp: int) -> None:
        await retry_stalled_jobs(app, stalled_after)

    return app


def queue_app(database: str) -> App:
    """A procrastinate app on the PostgreSQL archive at `database`, with no tasks yet."""
    import procrastinate

    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database)))


def _passing_failures(max_attempts: int, backoff_base: int) -> Any:
    """procrastinate's exponential RetryStrategy, for wparchive errors that may pass (network,
    429/503, a database hiccup) and not for PERMANENT_ERRORS or bugs."""
    from procrastinate import RetryStrategy

    class PassingFailures(RetryStrategy):
        def get_retry_decision(self, *, exception: BaseException, job: Job) -> Any:
            if not isinstance(exception, WparchiveError) or isinstance(exception, PERMANENT_ERRORS):
                return None
            return super().get_retry_decision(exception=exception, job=job)

    return PassingFailures(max_attempts=max_attempts, exponential_wait=backoff_base)


async def defer_due_sites(app: App, schedule: Schedule) -> int:
    """Claim the sites that are due and defer one crawl job each; returns how many were new.

    The site's URL is the job's lock (one crawl of a site at a time, anywhere) and queueing lock
    (never two waiting): a site still queued from its last slot is not queued twice."""
    from procrastinate import exceptions

    due = await asyncio.to_thread(schedule.claim_due)
    deferred = 0
    for site in due:
        job = app.configure_task(CRAWL_TASK, lock=site.url, queueing_lock=site.url)
        try:
            await job.defer_async(site_url=site.url)
        except exceptions.AlreadyEnqueued:
            continue
        deferred += 1
    if due:
        LOGGER.info("%d sites due, %d jobs deferred", len(due), deferred)
    return deferred


async def retry_stalled_jobs(app: App, stalled_after: float) -> int:
    """Put back in the queue the jobs of workers silent for `stalled_after` seconds (killed, power
    lost: procrastinate leaves their jobs in "doing"); returns how many."""
    from procrastinate import exceptions
    from procrastinate.jobs import Status

    retried = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        try:
            await app.job_manager.retry_job(job)
        except exceptions.UniqueViolation:  # a newer job of the same site waits: this one is moot
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            continue
        except exceptions.ConnectorException as exc:  # another worker retried it first
            LOGGER.info("stalled job %s not retried: %s", job.id, exc)
            continue
        LOGGER.warning("job %s (%s) stalled: its worker stopped; queued again", job.id, job.lock)
        retried += 1
    return retried
