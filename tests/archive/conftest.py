"""Archive test engines: a SQLite file per test, and a fresh PostgreSQL database per session.

PostgreSQL comes from WPARCHIVE_TEST_PG_URL (an admin URL; default the local `test` database).
When it cannot be reached the PostgreSQL tests are skipped with the reason, except under CI=true,
where they fail: CI must never pass without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from archive.db import normalize_database_url, open_archive
from archive.models import Base, Meta
from archive.store import ArchiveStore
from tests.archive.samples import SITE

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database `wparchive_test_<random>`, dropped when the session ends."""
    admin_url = make_url(
        normalize_database_url(os.environ.get("WPARCHIVE_TEST_PG_URL", DEFAULT_PG_URL))
    )
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"wparchive_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL at {admin_url.render_as_string()} unreachable: {exc.orig}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
