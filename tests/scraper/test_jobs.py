"""Crawl jobs: which failures are retried and how soon; whose lease a rerun job may take over."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest
from procrastinate.jobs import Job

from scraper.crawl.lease import dead_local_worker, lease_name, same_job
from scraper.errors import (
    BlockedError,
    CrawlFailedError,
    DiscoveryError,
    FetchError,
    RateLimitedError,
    RobotsDisallowedError,
    WparchiveError,
)
from scraper.jobs import CRAWL_TASK, _passing_failures


def retry_in(exc: BaseException, attempts: int) -> float | None:
    """Seconds until the retry procrastinate would schedule, None for no retry."""
    job = Job(queue="default", lock="u", queueing_lock="u", task_name=CRAWL_TASK, attempts=attempts)
    decision = _passing_failures(max_attempts=3, backoff_base=4).get_retry_decision(
        exception=exc, job=job
    )
    if decision is None:
        return None
    return round((decision.retry_at - datetime.now(UTC)).total_seconds())


def test_passing_failures_are_retried_with_exponential_backoff() -> None:
    assert [retry_in(FetchError("reset"), n) for n in range(4)] == [4, 16, 64, None]
    assert retry_in(RateLimitedError("429"), 0) == 4
    assert retry_in(WparchiveError("database went away"), 0) == 4


@pytest.mark.parametrize(
    "exc",
    [
        DiscoveryError("not WordPress"),
        BlockedError("Cloudflare challenge"),
        RobotsDisallowedError("robots.txt"),
        CrawlFailedError("no source could read this site"),
        ValueError("a bug"),
    ],
)
def test_failures_that_would_recur_are_not_retried(exc: BaseException) -> None:
    assert retry_in(exc, 0) is None


def test_a_rerun_job_takes_over_its_earlier_attempts_lease_only() -> None:
    here = lease_name("job-7")
    assert here == f"{socket.gethostname()}:{os.getpid()} job-7"
    assert same_job("otherhost:123 job-7", here)
    assert not same_job("otherhost:123 job-8", here)
    assert not same_job("otherhost:123", lease_name(""))  # manual crawls never match
    assert not dead_local_worker(here)  # alive
    assert not dead_local_worker("otherhost:1 job-7")  # another host: cannot tell
