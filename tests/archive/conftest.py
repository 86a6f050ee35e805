"""Archive test engines: a SQLite file per test, and a fresh PostgreSQL database per session.

PostgreSQL databases come from the `postgres_database` factory in tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from archive.database_url import normalize_database_url
from archive.db import open_archive
from archive.dictionary import SEARCH_TABLES
from archive.migrations import FIRST_REVISION, alembic_config
from archive.models import META, METADATA
from archive.records import SourceTraits
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
    tables = ", ".join(t.name for t in METADATA.sorted_tables if t.name != META.name)
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
    return ArchiveStore(engine, clock=clock, traits=SourceTraits(head_readers=frozenset({"html"})))


@pytest.fixture
def site_run(store: ArchiveStore) -> tuple[int, int]:
    """The seed site and an open full run on it."""
    site_id = store.ensure_site(SITE)
    return site_id, store.start_run(site_id, "rest", "full")


LEGACY_ARCHIVE = Path(__file__).parents[1] / "fixtures" / "archives" / "legacy-v1.db"


def is_search_index(name: str) -> bool:
    """A full-text index table (SQLite FTS5 and its shadow tables): derived data, not rows."""
    return name.startswith(tuple(SEARCH_TABLES))


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (not the search indexes), ordered by primary key, read through a
    plain engine."""
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            metadata = MetaData()
            metadata.reflect(conn, only=lambda name, _: not is_search_index(name))
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.fixture
def legacy_sqlite(tmp_path: Path) -> str:
    """A copy of the archive made by wparchive before migrations."""
    copy = tmp_path / "legacy.db"
    shutil.copyfile(LEGACY_ARCHIVE, copy)
    return str(copy)


@pytest.fixture
def legacy_postgres(postgres_database: Callable[[], str], legacy_sqlite: str) -> str:
    """A fresh PostgreSQL database holding the legacy archive: the first revision's tables, the
    old meta row and no alembic_version, with the rows of the committed legacy SQLite archive."""
    url = postgres_database()
    # Read from the copy: even a reader leaves -wal/-shm files beside a WAL database it opens.
    source = create_engine(f"sqlite:///{legacy_sqlite}")
    target = create_engine(normalize_database_url(url))
    with source.connect() as reading, target.begin() as conn:
        command.upgrade(alembic_config(conn), FIRST_REVISION)
        conn.execute(text("DROP TABLE alembic_version"))
        legacy = inspect(reading)
        for table in METADATA.sorted_tables:
            # The models' types (UTC datetimes), restricted to what the legacy archive holds.
            if not legacy.has_table(table.name):
                continue
            names = [column["name"] for column in legacy.get_columns(table.name)]
            columns = [table.c[name] for name in names]
            rows = [dict(row._mapping) for row in reading.execute(select(*columns))]
            if rows:
                conn.execute(table.insert(), rows)
    source.dispose()
    target.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def legacy_url(request: pytest.FixtureRequest) -> str:
    """The legacy archive on each backend."""
    url: str = request.getfixturevalue(f"legacy_{request.param}")
    return url
