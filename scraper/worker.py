"""`wparchive worker` and `status`: run procrastinate's worker on the archive, install its schema,
count its jobs."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from archive.database_url import normalize_database_url
from archive.db import open_archive
from scraper.durations import parse_duration
from scraper.jobs import CRAWL_TASK, JobRunner, build_app, defer_due_sites, queue_app

if TYPE_CHECKING:
    from procrastinate import App

LOGGER = logging.getLogger(__name__)

# Any constant works: it only has to be the same for every wparchive process on one server.
JOB_SCHEMA_LOCK_KEY = 0x77706A62
# How often an --until-idle worker checks whether anything is left to do.
IDLE_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class JobCounts:
    """Crawl jobs by state, for `wparchive status`."""

    due: int
    queued: int
    running: int
    failed: int


def open_jobs(runner: JobRunner) -> App:
    """The job queue of the runner's archive, its schema installed if missing."""
    app = build_app(runner)
    ensure_job_schema(app, runner.engine)
    return app


def install_job_schema(database: str) -> bool | None:
    """`wparchive db upgrade`: install the job queue's schema in a PostgreSQL archive; None when
    the archive is not on PostgreSQL or procrastinate is not installed (no workers there)."""
    if make_url(normalize_database_url(database)).get_backend_name() != "postgresql":
        return None
    if importlib.util.find_spec("procrastinate") is None:
        return None
    engine = open_archive(database)
    try:
        return ensure_job_schema(queue_app(database), engine)
    finally:
        engine.dispose()


def ensure_job_schema(app: App, engine: Engine) -> bool:
    """Install procrastinate's schema unless it is there; True when it was installed. Under an
    advisory lock: workers starting at once on a fresh database must not both install it."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": JOB_SCHEMA_LOCK_KEY})
        try:
            if _job_schema_installed(engine):
                return False
            with app.open():
                app.schema_manager.apply_schema()
            LOGGER.info("installed the job queue's schema")
            return True
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": JOB_SCHEMA_LOCK_KEY})
            conn.commit()


def run_worker(app: App, runner: JobRunner, concurrency: int, until_idle: bool) -> None:
    """Crawl queued sites, `concurrency` at once, until stopped (SIGINT/SIGTERM finish the
    running crawls first) or, with `until_idle`, until no site is due, queued or running."""
    asyncio.run(_work(app, runner, concurrency, until_idle))


async def _work(app: App, runner: JobRunner, concurrency: int, until_idle: bool) -> None:
    # Crawls are blocking code that procrastinate runs in the loop's default executor: give it a
    # thread for each job at once (plus the ticks), not asyncio's cpu_count + 4.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(concurrency + 2))
    cfg = runner.config.workers
    async with app.open_async():
        await defer_due_sites(app, runner.schedule)  # don't wait for the first tick
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=concurrency,
                delete_jobs="successful",
                update_heartbeat_interval=parse_duration(cfg.heartbeat).total_seconds(),
                stalled_worker_timeout=parse_duration(cfg.stalled_after).total_seconds(),
            )
        )
        if until_idle:
            while not worker.done():
                await asyncio.sleep(IDLE_POLL_SECONDS)
                if await _idle(app, runner):
                    worker.cancel()  # procrastinate's graceful stop: running jobs finish first
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def _idle(app: App, runner: JobRunner) -> bool:
    """Nothing due, nothing queued to run now, nothing running anywhere. A job that a dead
    worker left running counts: it runs again once stalled, maybe here."""
    if await asyncio.to_thread(runner.schedule.count_due):
        return False
    if list(await app.job_manager.list_jobs_async(task=CRAWL_TASK, status="doing")):
        return False
    now = runner.clock()
    queued = await app.job_manager.list_jobs_async(task=CRAWL_TASK, status="todo")
    return all(job.scheduled_at is not None and job.scheduled_at > now for job in queued)


def job_counts(runner: JobRunner) -> JobCounts:
    """Due sites and crawl jobs by state (failed: jobs that gave up, kept until deleted). Reads
    only: an archive whose job queue is not installed yet has no jobs."""
    stats: dict[str, int] = {}
    if _job_schema_installed(runner.engine):
        app = build_app(runner)
        with app.open():
            stats = next(iter(app.job_manager.list_tasks(task=CRAWL_TASK)), stats)
    return JobCounts(
        due=runner.schedule.count_due(),
        queued=int(stats.get("todo", 0)),
        running=int(stats.get("doing", 0)),
        failed=int(stats.get("failed", 0)),
    )


def _job_schema_installed(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None
