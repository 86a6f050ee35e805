"""The sites schedule on SQLite and PostgreSQL: due sites are claimed once, results are kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from archive.db import open_archive
from archive.models import POSTS, SITES
from archive.schedule import Schedule, claim_due_sites
from archive.store import ArchiveStore
from tests.archive.conftest import Clock
from tests.archive.samples import SITE, SITE_URL, her_post

HOUR, WEEK = timedelta(hours=1), timedelta(days=7)


def test_added_sites_are_due_at_once_then_every_period(engine: Engine, clock: Clock) -> None:
    schedule = Schedule(engine, clock)
    added = schedule.add(["HTTPS://A.example/", "https://b.example:443", "a.example"], HOUR, WEEK)
    assert added == ["https://a.example", "https://b.example"]
    assert schedule.count_due() == 2
    assert sorted(site.url for site in schedule.claim_due()) == added
    assert (schedule.count_due(), schedule.claim_due()) == (0, [])
    clock.advance(minutes=59)
    assert schedule.claim_due() == []
    clock.advance(minutes=1)
    assert [site.url for site in schedule.claim_due()] == added


def test_each_site_keeps_its_own_period(engine: Engine, clock: Clock) -> None:
    schedule = Schedule(engine, clock)
    schedule.add(["https://hourly.example"], HOUR, WEEK)
    schedule.add(["https://daily.example"], timedelta(days=1), WEEK)
    schedule.claim_due()
    clock.advance(hours=2)
    assert [site.url for site in schedule.claim_due()] == ["https://hourly.example"]
    shown = {site.url: site.every for site in schedule.sites()}
    assert shown == {"https://daily.example": timedelta(days=1), "https://hourly.example": HOUR}


def test_a_sweep_is_due_first_and_then_every_sweep_period(engine: Engine, clock: Clock) -> None:
    schedule = Schedule(engine, clock)
    url = schedule.add(["https://a.example"], HOUR, WEEK)[0]
    assert schedule.sweep_due("https://a.example/") is True
    schedule.record(url, "ok", "a.example: ok", swept_at=clock())
    clock.advance(days=6)
    assert schedule.sweep_due(url) is False
    schedule.record(url, "failed", "could not reach", swept_at=None)
    clock.advance(days=1)
    assert schedule.sweep_due(url) is True
    (site,) = schedule.sites()
    assert (site.last_status, site.last_message) == ("failed", "could not reach")
    assert schedule.sweep_due("https://unscheduled.example") is None


def test_a_zero_sweep_period_sweeps_only_the_first_crawl(engine: Engine, clock: Clock) -> None:
    schedule = Schedule(engine, clock)
    url = schedule.add(["https://a.example"], HOUR, timedelta(0))[0]
    assert schedule.sweep_due(url) is True
    schedule.record(url, "ok", "a.example: ok", swept_at=clock())
    clock.advance(days=400)
    assert schedule.sweep_due(url) is False


def test_removing_a_site_unschedules_it_and_keeps_its_data(
    engine: Engine, clock: Clock, store: ArchiveStore
) -> None:
    site_id = store.ensure_site(SITE)
    run_id = store.start_run(site_id, "rest", "full")
    schedule = Schedule(engine, clock)
    schedule.add([SITE.url], HOUR, WEEK)
    store.save_records(site_id, run_id, [her_post()])
    assert schedule.remove([SITE.url, "https://never.example"]) == [SITE_URL]
    assert (schedule.sites(), schedule.claim_due()) == ([], [])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SITES)) == 1
        assert conn.scalar(select(func.count()).select_from(POSTS)) == 1


@pytest.mark.postgres
def test_two_claims_at_once_never_share_a_site(
    postgres_database: Callable[[], str], clock: Clock
) -> None:
    engine = open_archive(postgres_database())
    urls = Schedule(engine, clock).add([f"https://s{n}.example" for n in range(6)], HOUR, WEEK)
    with engine.connect() as first, engine.connect() as second:
        held = claim_due_sites(first, clock(), limit=4)  # its transaction stays open
        other = claim_due_sites(second, clock())  # skips the rows the first one holds
        first.commit()
        second.commit()
    engine.dispose()
    assert len(held) == 4
    assert sorted(site.url for site in [*held, *other]) == urls
