"""Open an archive database (SQLite file or PostgreSQL) and make sure it holds wparchive's schema."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from archive.errors import ArchiveError
from archive.models import SCHEMA_VERSION, Base, Meta, table_of

LOGGER = logging.getLogger(__name__)

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant works: it only has to be the same for every wparchive process on one server.
SCHEMA_LOCK_KEY = 0x77706172
# Marks a connection whose transactions write, so SQLite takes the write lock at BEGIN.
WRITE_OPTION = "wparchive_write"
# deadlock_detected, serialization_failure
RETRY_SQLSTATES = ("40P01", "40001")
T = TypeVar("T")

DRIVER_ALIASES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
}


def normalize_database_url(url: str) -> str:
    """Turn a bare path into a SQLite URL and give PostgreSQL URLs the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    return f"{DRIVER_ALIASES.get(scheme, scheme)}://{rest}"


def open_archive(url: str) -> Engine:
    """Open (creating if needed) the archive at `url`; raise ArchiveError with one clear line."""
    try:
        db_url = make_url(normalize_database_url(url))
        engine = create_engine(db_url, connect_args=_connect_args(db_url.drivername))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ArchiveError(f"cannot open archive {url!r}: {exc}") from exc
    if engine.dialect.name not in SUPPORTED_DIALECTS:
        engine.dispose()
        raise ArchiveError(
            f"unsupported database {engine.dialect.name!r} in {url!r}: use SQLite or PostgreSQL"
        )
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    try:
        ensure_schema(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ArchiveError(f"cannot open archive {_safe_url(engine)}: {error_reason(exc)}") from exc
    except ArchiveError:
        engine.dispose()
        raise
    return engine


def _connect_args(drivername: str) -> dict[str, Any]:
    """Driver options. psycopg's automatic server-side prepares end in generic plans made while a
    table was still small (seq scans on a growing comments table, 10x slower saves on a first
    crawl); unprepared statements get plans for the table as it is now."""
    return {"prepare_threshold": None} if drivername == "postgresql+psycopg" else {}


def ensure_schema(engine: Engine) -> None:
    """Create missing tables; refuse a database that holds someone else's tables."""
    with transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            # Two workers opening a fresh database at once must not both create the tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        tables = set(inspect(conn).get_table_names())
        if tables and Meta.__tablename__ not in tables:
            shown = ", ".join(sorted(tables)[:5])
            raise ArchiveError(
                f"{_safe_url(engine)} is not a wparchive database (it holds tables: {shown})"
            )
        Base.metadata.create_all(conn)
        version = conn.scalar(select(Meta.value).where(Meta.key == "schema_version"))
        if version is None:
            conn.execute(
                table_of(Meta).insert(), {"key": "schema_version", "value": SCHEMA_VERSION}
            )
        elif version != SCHEMA_VERSION:
            raise ArchiveError(
                f"{_safe_url(engine)} has wparchive schema version {version}, "
                f"this wparchive needs {SCHEMA_VERSION}"
            )


def run_transaction(
    engine: Engine, work: Callable[[Connection], T], *, write: bool = True, attempts: int = 3
) -> T:
    """Run `work` in one transaction; a database failure becomes one ArchiveError line.

    Retried from the start when PostgreSQL picks it as the victim of a deadlock or serialization
    failure (two workers writing the same rows): the rollback left nothing behind.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction(engine, write=write) as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt < attempts and getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES:
                LOGGER.warning("transaction retried (%s), attempt %d", exc.orig, attempt + 1)
                continue
            raise ArchiveError(f"archive {_safe_url(engine)}: {error_reason(exc)}") from exc
    raise AssertionError("unreachable")


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """A connection in a transaction: committed on success, rolled back on any exception.

    On SQLite a writing transaction takes the write lock at BEGIN (see _configure_sqlite).
    """
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: write})
        with conn.begin():
            yield conn


def error_reason(exc: SQLAlchemyError) -> str:
    """The first line of the driver's message, without SQLAlchemy's statement dump."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writers.

    pysqlite's own implicit BEGIN is switched off (SQLAlchemy's documented recipe) so a writer takes
    the write lock when its transaction starts; a deferred writer could fail with "database is
    locked" when upgrading its read lock, which busy_timeout cannot wait out.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _safe_url(engine: Engine) -> str:
    """The engine's URL without its password, for messages."""
    return make_url(str(engine.url)).render_as_string(hide_password=True)
