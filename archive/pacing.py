"""One politeness budget for a host that many sites share, across every process and machine.

A worker paces the hosts it talks to on its own (scraper/throttle.py); a host that serves many
sites (public-api.wordpress.com serves every WordPress.com blog) would then get one budget per
worker. For such hosts the next start time lives in the archive's database instead: each request
reserves its start under a row lock, so starts to that host are spaced by the interval whatever
process asks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from archive.db import run_transaction
from archive.models import HOST_PACING
from archive.store import utc_now
from archive.upsert import dialect_insert


def reserve_start(conn: Connection, host: str, interval: float, now: datetime) -> float:
    """Reserve the next start to `host` and the one after it `interval` seconds later; return
    how many seconds from `now` this start is. The row is locked until the transaction ends
    (PostgreSQL: FOR UPDATE; SQLite: the write lock its BEGIN IMMEDIATE holds)."""
    conn.execute(
        dialect_insert(conn, HOST_PACING)
        .values(host=host, next_start_at=now)
        .on_conflict_do_nothing(index_elements=["host"])
    )
    query = select(HOST_PACING.c.next_start_at).where(HOST_PACING.c.host == host)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    start: datetime = max(now, conn.execute(query).scalar_one())
    conn.execute(
        update(HOST_PACING)
        .where(HOST_PACING.c.host == host)
        .values(next_start_at=start + timedelta(seconds=interval))
    )
    return (start - now).total_seconds()


class SharedPacing:
    """`reserve(host, interval)` -> seconds to wait, against the archive at `engine`."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine, self.clock = engine, clock

    def reserve(self, host: str, interval: float) -> float:
        return run_transaction(
            self.engine, lambda conn: reserve_start(conn, host, interval, self.clock())
        )
