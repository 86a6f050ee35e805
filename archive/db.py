"""Open an archive database (SQLite file or PostgreSQL) and make sure it holds wparchive's schema."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from archive.columns import dump_json
from archive.database_url import normalize_database_url, sqlite_file
from archive.errors import ArchiveError, UnsupportedDatabaseError
from archive.migrations import (
    LEGACY_SCHEMA_VERSION,
    SchemaStatus,
    current_revision,
    head_revision,
    schema_status,
    upgrade_schema,
)
from archive.redact import redact_text, redact_url

LOGGER = logging.getLogger(__name__)

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHED_STATEMENTS = 16  # prepared statements kept per connection (see _connect_args)
# Any constant works: it only has to be the same for every wparchive process on one server.
SCHEMA_LOCK_KEY = 0x77706172
SITE_WRITES_LOCK_SPACE = 0x77707377  # with a site id: the advisory lock of the site's batches
# Marks a connection whose transactions write, so SQLite takes the write lock at BEGIN.
WRITE_OPTION = "wparchive_write"
# deadlock_detected, serialization_failure
RETRY_SQLSTATES = ("40P01", "40001")
T = TypeVar("T")

# The package extra that installs each supported server's driver.
DRIVER_EXTRAS = {"postgresql": "postgres"}


def libpq_url(url: str) -> str:
    """The PostgreSQL archive's URL as libpq reads it (no SQLAlchemy driver suffix), for the job
    queue's own connections; ArchiveError for any other database."""
    db_url = make_url(normalize_database_url(url))
    if db_url.get_backend_name() != "postgresql":
        raise ArchiveError(
            f"workers need a PostgreSQL archive (--db postgresql+psycopg://...), not {url!r}"
        )
    return db_url.set(drivername="postgresql").render_as_string(hide_password=False)


def open_archive(url: str, pool_size: int = 5) -> Engine:
    """Open the archive at `url` for writing, creating it or upgrading its schema if needed;
    `pool_size` connections for as many threads writing at once.

    Raises ArchiveError with one clear line."""
    engine = _engine(url, read_only=False, pool_size=pool_size)
    _check(engine, lambda: ensure_schema(engine))
    return engine


def open_archive_readonly(url: str) -> Engine:
    """Open an existing, up-to-date archive for reading only; nothing is created or written.

    Raises ArchiveError when there is no archive at `url` or it needs `wparchive db upgrade`."""
    _require_sqlite_file(url)
    engine = _engine(url, read_only=True)
    _check(engine, lambda: _require_current(engine))
    return engine


def upgrade_archive(url: str) -> tuple[str | None, str]:
    """Upgrade an archive in place; return its revision before (None: the database was empty,
    now it holds the schema) and after. A SQLite file must exist: a mistyped path makes nothing."""
    _require_sqlite_file(url)
    engine = _engine(url, read_only=False)
    try:
        return _check(engine, lambda: ensure_schema(engine)), head_revision()
    finally:
        engine.dispose()


def ensure_schema(engine: Engine) -> str | None:
    """Bring the archive to the current schema, under a lock so two processes never migrate at
    once (PostgreSQL: an advisory lock; SQLite: the write lock BEGIN IMMEDIATE takes); refuse a
    database that holds someone else's tables or a revision this code does not know.

    Returns the revision the archive had, as seen under the lock (None: it was empty)."""
    with transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        status = schema_status(conn)
        _refuse(engine, conn, status, create=True)
        before = _revision_or_legacy(conn, status)
        if status != "current":
            upgrade_schema(conn, status)
    return before


def _require_current(engine: Engine) -> None:
    with transaction(engine, write=False) as conn:
        status = schema_status(conn)
        if status in ("legacy", "outdated"):
            raise ArchiveError(
                f"archive {_safe_url(engine)} needs upgrading: run `wparchive db upgrade`"
            )
        _refuse(engine, conn, status, create=False)


def _refuse(engine: Engine, conn: Connection, status: SchemaStatus, *, create: bool) -> None:
    if status == "empty" and not create:
        raise ArchiveError(f"no archive at {_safe_url(engine)} (nothing crawled into it yet)")
    if status == "unknown":
        raise ArchiveError(
            f"{_safe_url(engine)} has schema revision {current_revision(conn)!r}, unknown to this"
            " wparchive (made by a newer one?)"
        )
    if status == "foreign":
        shown = ", ".join(sorted(inspect(conn).get_table_names())[:5])
        raise ArchiveError(
            f"{_safe_url(engine)} is not a wparchive database (it holds tables: {shown})"
        )


def _revision_or_legacy(conn: Connection, status: SchemaStatus) -> str | None:
    if status == "legacy":
        return f"schema_version {LEGACY_SCHEMA_VERSION} (before migrations)"
    return None if status == "empty" else current_revision(conn)


def _check(engine: Engine, work: Callable[[], T]) -> T:
    """Run `work`; on failure dispose of the engine and raise one ArchiveError line."""
    try:
        return work()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ArchiveError(f"cannot open archive {_safe_url(engine)}: {error_reason(exc)}") from exc
    except ArchiveError:
        engine.dispose()
        raise


def _engine(url: str, *, read_only: bool, pool_size: int = 5) -> Engine:
    shown = redact_url(url)
    try:
        db_url = make_url(normalize_database_url(url))
    except (ArgumentError, ValueError) as exc:
        raise ArchiveError(f"cannot open archive {shown!r}: {redact_text(str(exc))}") from exc
    # Checked before create_engine, which would import a driver we could never use.
    if db_url.get_backend_name() not in SUPPORTED_DIALECTS:
        raise UnsupportedDatabaseError(
            f"unsupported database {db_url.get_backend_name()!r} in {shown!r}: "
            "use SQLite or PostgreSQL"
        )
    if read_only and db_url.get_backend_name() == "sqlite":
        db_url = _read_only_sqlite_url(db_url)
    try:
        engine = create_engine(
            db_url,
            connect_args=_connect_args(db_url.drivername, read_only),
            json_serializer=dump_json,
            pool_size=max(5, pool_size),
        )
    except ImportError as exc:
        extra = DRIVER_EXTRAS.get(db_url.get_backend_name(), "")
        hint = f"; install it with: pip install 'wparchive[{extra}]'" if extra else ""
        raise ArchiveError(
            f"cannot open archive {shown!r}: its driver {exc.name or db_url.drivername!r} "
            f"is not installed{hint}"
        ) from exc
    except (ArgumentError, ValueError) as exc:
        raise ArchiveError(f"cannot open archive {shown!r}: {redact_text(str(exc))}") from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, read_only=read_only)
    return engine


def _require_sqlite_file(url: str) -> None:
    """Readers and `db upgrade` must not create a database for a mistyped path."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise ArchiveError(f"no archive at {path}")


def _read_only_sqlite_url(db_url: URL) -> URL:
    """A `mode=ro` URI for the file. In a directory we cannot write, a WAL database's -shm file
    cannot be made, so it is opened `immutable` (safe: nobody can be writing there either);
    unless a -wal file holds changes not yet in the database file, which immutable would miss."""
    path = Path(db_url.database or "").expanduser().resolve()
    query = {"mode": "ro", "uri": "true"}
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        query["immutable"] = "1"
    return URL.create("sqlite", database=f"file:{quote(str(path))}", query=query)


def _connect_args(drivername: str, read_only: bool = False) -> dict[str, Any]:
    """Driver options. SQLite: a small prepared-statement cache. psycopg's automatic server-side prepares end in generic plans made while a
    table was still small (seq scans on a growing comments table, 10x slower saves on a first
    crawl); unprepared statements get plans for the table as it is now. A reader's PostgreSQL
    session is read-only, so the server itself refuses any write."""
    if drivername.startswith("sqlite"):
        # sqlite3 keeps up to 128 prepared statements per connection: a crawl of many sites at
        # once (a connection each) held 206 MiB with that, when lookups still rendered an IN
        # list per length, and 163 MiB with this.
        return {"cached_statements": SQLITE_CACHED_STATEMENTS}
    if drivername != "postgresql+psycopg":
        return {}
    args: dict[str, Any] = {"prepare_threshold": None}
    if read_only:
        args["options"] = "-c default_transaction_read_only=on"
    return args


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


def lock_site_writes(conn: Connection, site_id: int) -> None:
    """Make the transaction the site's only writer of saved batches until it ends.

    New rows get their ids before they are written (archive.upsert.assign_ids), which holds
    only while nobody else inserts the same site's rows at once. PostgreSQL: a transaction
    advisory lock per site (a crawl holds its site anyway; this covers two manual crawls).
    SQLite: the write lock (BEGIN IMMEDIATE) already serializes every writer."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :site)"),
            {"space": SITE_WRITES_LOCK_SPACE, "site": site_id},
        )


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


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writers; readers only read.

    pysqlite's own implicit BEGIN is switched off (SQLAlchemy's documented recipe) so a writer takes
    the write lock when its transaction starts; a deferred writer could fail with "database is
    locked" when upgrading its read lock, which busy_timeout cannot wait out. A reader's BEGIN
    makes its queries one snapshot; `query_only` refuses any write it might try.
    """
    pragmas = ["foreign_keys=ON", f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"]
    pragmas += ["query_only=ON"] if read_only else ["journal_mode=WAL", "synchronous=NORMAL"]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _safe_url(engine: Engine) -> str:
    """The engine's URL without its credentials, for messages (a read-only SQLite URI as its plain URL)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.query.get("uri") == "true":
        return "sqlite:///" + unquote((url.database or "").removeprefix("file:"))
    return redact_url(url.render_as_string(hide_password=False))
