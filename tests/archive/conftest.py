"""Archive test engines: a SQLite file per test, and a fresh PostgreSQL database per session.

PostgreSQL databases come from the `postgres_database` factory in tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from archive.db import open_archive
from archive.models import Base, Meta
from archive.store import ArchiveStore
from tests.archive.samples import SITE


@pytest.fixture(scope="session")
def postgres_url(postgres_database: Callable[[], str]) -> str:
    """The session's throwaway PostgreSQL database for the store tests."""
    return postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def archive_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """The URL of an empty archive: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return os.path.join(tmp_path, "archive.db")
    url: str = request.getfixturevalue("postgres_url")
    engine = open_archive(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != Meta.__tablename__)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(archive_url: str) -> Iterator[Engine]:
    engine = open_archive(archive_url)
    yield engine
    engine.dispose()


class Clock:
    """A settable clock for runs and leases."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: Engine, clock: Clock) -> ArchiveStore:
    return ArchiveStore(engine, clock=clock)


@pytest.fixture
def site_run(store: ArchiveStore) -> tuple[int, int]:
    """The seed site and an open full run on it."""
    site_id = store.ensure_site(SITE)
    return site_id, store.start_run(site_id, "rest", "full")
