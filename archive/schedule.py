"""Which sites workers crawl and when: add and remove schedules, claim the due ones, keep results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, or_, select, update

from archive.db import run_transaction
from archive.identity import normalize_site_url
from archive.models import SITE_SCHEDULES, SITES
from archive.upsert import dialect_insert

T = TypeVar("T")
# Due sites claimed per round: a tick defers this many jobs at most, the next tick the rest.
CLAIM_LIMIT = 1000


@dataclass(frozen=True)
class DueSite:
    """A site whose crawl was due and is now claimed for one job."""

    url: str
    crawl_every: int
    sweep_every: int


@dataclass(frozen=True)
class ScheduledSite:
    """One line of `wparchive status`: a scheduled site, when it runs next, how it last went."""

    url: str
    every: timedelta
    sweep_every: timedelta
    next_crawl_at: datetime | None
    last_status: str | None
    last_finished_at: datetime | None
    last_message: str


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(SITE_SCHEDULES.c.next_crawl_at.is_(None), SITE_SCHEDULES.c.next_crawl_at <= now)


def add_schedules(
    conn: Connection, urls: Iterable[str], every: int, sweep_every: int, now: datetime
) -> list[str]:
    """Schedule each site (created if new; its data, if any, kept); a scheduled one gets the new
    periods and keeps its next crawl time. Returns the normalized URLs."""
    normalized = list(dict.fromkeys(normalize_site_url(url) for url in urls))
    for url in normalized:
        site = {"url": url, "name": "", "description": "", "created_at": now}
        conn.execute(dialect_insert(conn, SITES).on_conflict_do_nothing(), site)
        site_id = conn.execute(select(SITES.c.id).where(SITES.c.url == url)).scalar_one()
        values = {"site_id": site_id, "crawl_every": every, "sweep_every": sweep_every}
        stmt = dialect_insert(conn, SITE_SCHEDULES)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["site_id"],
                set_={"crawl_every": every, "sweep_every": sweep_every},
            ),
            {**values, "added_at": now, "last_message": ""},
        )
    return normalized


def remove_schedules(conn: Connection, urls: Iterable[str]) -> list[str]:
    """Unschedule the sites (their archived data stays); returns those that were scheduled."""
    normalized = [normalize_site_url(url) for url in urls]
    ids = select(SITES.c.id).where(SITES.c.url.in_(normalized))
    removed = conn.execute(
        select(SITES.c.url)
        .join(SITE_SCHEDULES, SITE_SCHEDULES.c.site_id == SITES.c.id)
        .where(SITES.c.id.in_(ids))
    ).scalars()
    gone = sorted(removed)
    conn.execute(delete(SITE_SCHEDULES).where(SITE_SCHEDULES.c.site_id.in_(ids)))
    return gone


def claim_due_sites(conn: Connection, now: datetime, limit: int = CLAIM_LIMIT) -> list[DueSite]:
    """The sites due now, each moved to its next slot in the same transaction, so two workers
    ticking at once never claim a site twice (PostgreSQL skips rows another claim holds)."""
    stmt = (
        select(
            SITES.c.url,
            SITE_SCHEDULES.c.site_id,
            SITE_SCHEDULES.c.crawl_every,
            SITE_SCHEDULES.c.sweep_every,
        )
        .join(SITES, SITES.c.id == SITE_SCHEDULES.c.site_id)
        .where(_due(now))
        .order_by(SITE_SCHEDULES.c.next_crawl_at.is_not(None), SITE_SCHEDULES.c.next_crawl_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=SITE_SCHEDULES, skip_locked=True)
    rows = conn.execute(stmt).all()
    for row in rows:
        conn.execute(
            update(SITE_SCHEDULES)
            .where(SITE_SCHEDULES.c.site_id == row.site_id)
            .values(next_crawl_at=now + timedelta(seconds=row.crawl_every))
        )
    return [DueSite(row.url, row.crawl_every, row.sweep_every) for row in rows]


def count_due(conn: Connection, now: datetime) -> int:
    """How many scheduled sites are due and not yet claimed."""
    return int(conn.scalar(select(func.count()).select_from(SITE_SCHEDULES).where(_due(now))) or 0)


def sweep_due(conn: Connection, url: str, now: datetime) -> bool | None:
    """True when the site's next crawl should be a full one; None when it is not scheduled."""
    row = conn.execute(
        select(SITE_SCHEDULES.c.last_sweep_at, SITE_SCHEDULES.c.sweep_every)
        .join(SITES, SITES.c.id == SITE_SCHEDULES.c.site_id)
        .where(SITES.c.url == normalize_site_url(url))
    ).one_or_none()
    if row is None:
        return None
    if row.last_sweep_at is None:
        return True
    # A period of zero: only the first crawl is a full one (as `crawl.sweep_every: 0`).
    return bool(
        row.sweep_every > 0 and now - row.last_sweep_at >= timedelta(seconds=row.sweep_every)
    )


def record_result(
    conn: Connection, url: str, status: str, message: str, swept_at: datetime | None, now: datetime
) -> None:
    """Keep how a scheduled crawl ended; `swept_at` (a full crawl's start) when it was a sweep."""
    values: dict[str, object] = {
        "last_status": status,
        "last_finished_at": now,
        "last_message": message,
    }
    if swept_at is not None:
        values["last_sweep_at"] = swept_at
    site_ids = select(SITES.c.id).where(SITES.c.url == normalize_site_url(url))
    conn.execute(
        update(SITE_SCHEDULES).where(SITE_SCHEDULES.c.site_id.in_(site_ids)).values(**values)
    )


def scheduled_sites(conn: Connection) -> list[ScheduledSite]:
    """Every scheduled site with its periods, next crawl and last result, by URL."""
    stmt = (
        select(
            SITES.c.url,
            SITE_SCHEDULES.c.crawl_every,
            SITE_SCHEDULES.c.sweep_every,
            SITE_SCHEDULES.c.next_crawl_at,
            SITE_SCHEDULES.c.last_status,
            SITE_SCHEDULES.c.last_finished_at,
            SITE_SCHEDULES.c.last_message,
        )
        .join(SITES, SITES.c.id == SITE_SCHEDULES.c.site_id)
        .order_by(SITES.c.url)
    )
    return [
        ScheduledSite(
            row.url,
            timedelta(seconds=row.crawl_every),
            timedelta(seconds=row.sweep_every),
            row.next_crawl_at,
            row.last_status,
            row.last_finished_at,
            row.last_message,
        )
        for row in conn.execute(stmt)
    ]


class Schedule:
    """The schedule of an archive; each call is one transaction."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def add(self, urls: Iterable[str], every: timedelta, sweep_every: timedelta) -> list[str]:
        """Schedule sites (see add_schedules); returns their normalized URLs."""
        now, urls = self.clock(), list(urls)
        seconds = int(every.total_seconds()), int(sweep_every.total_seconds())
        return self._write(lambda conn: add_schedules(conn, urls, *seconds, now))

    def remove(self, urls: Iterable[str]) -> list[str]:
        """Unschedule sites; returns the URLs that were scheduled."""
        urls = list(urls)
        return self._write(lambda conn: remove_schedules(conn, urls))

    def claim_due(self) -> list[DueSite]:
        """Claim the sites due now (see claim_due_sites)."""
        now = self.clock()
        return self._write(lambda conn: claim_due_sites(conn, now))

    def count_due(self) -> int:
        """Sites due and not yet claimed."""
        now = self.clock()
        return run_transaction(self.engine, lambda conn: count_due(conn, now), write=False)

    def sweep_due(self, url: str) -> bool | None:
        """Whether the site's next crawl is a full one (None: not scheduled)."""
        now = self.clock()
        return run_transaction(self.engine, lambda conn: sweep_due(conn, url, now), write=False)

    def record(self, url: str, status: str, message: str, swept_at: datetime | None) -> None:
        """Keep a scheduled crawl's result."""
        now = self.clock()
        self._write(lambda conn: record_result(conn, url, status, message, swept_at, now))

    def sites(self) -> list[ScheduledSite]:
        """Every scheduled site, by URL."""
        return run_transaction(self.engine, scheduled_sites, write=False)

    def _write(self, work: Callable[[Connection], T]) -> T:
        return run_transaction(self.engine, work)
