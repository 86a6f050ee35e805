"""open_archive: URL handling, schema creation, and one clear error for what is not an archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

from archive.columns import normalize_site_url
from archive.db import normalize_database_url, open_archive, run_transaction
from archive.errors import ArchiveError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_bare_path_is_a_sqlite_file_with_schema(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    engine = open_archive(str(path))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "sites",
        "authors",
        "terms",
        "posts",
        "post_terms",
        "comments",
        "crawl_runs",
        "problems",
    } <= tables
    open_archive(str(path)).dispose()  # reopening is fine


def test_schema_on_both(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {"posts", "comments", "wparchive_meta"} <= names


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(ArchiveError, match=r"cannot open archive .*not a database"):
        open_archive(str(path))


def test_someone_elses_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(ArchiveError, match=r"not a wparchive database .*invoices"):
        open_archive(str(path))


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="cannot open archive"):
        open_archive(str(tmp_path / "no" / "such" / "dir" / "a.db"))


def test_unsupported_dialect() -> None:
    with pytest.raises(ArchiveError, match=r"unsupported database 'mysql'|cannot open archive"):
        open_archive("mysql://root@127.0.0.1/x")


def test_unreachable_postgres() -> None:
    with pytest.raises(ArchiveError, match="cannot open archive postgresql"):
        open_archive("postgresql://nobody@127.0.0.1:1/none")


class Deadlock(Exception):
    sqlstate = "40P01"


def test_run_transaction_retries_a_deadlock_victim(engine: Engine) -> None:
    attempts: list[int] = []

    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO wparchive_meta (key, value) VALUES ('probe', 'x')"))
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT ...", {}, Deadlock("deadlock detected"))
        return len(attempts)

    assert run_transaction(engine, work) == 2
    with engine.connect() as conn:  # the first attempt was rolled back: one row, not two
        assert (
            conn.execute(text("SELECT count(*) FROM wparchive_meta WHERE key = 'probe'")).scalar()
            == 1
        )


def test_run_transaction_does_not_retry_other_errors(engine: Engine) -> None:
    calls: list[int] = []

    def work(conn: Connection) -> None:
        calls.append(1)
        raise OperationalError("SELECT ...", {}, Exception("disk full"))

    with pytest.raises(ArchiveError, match=r"archive .*: disk full"):
        run_transaction(engine, work)
    assert calls == [1]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://Example.COM:443/blog/", "https://example.com/blog"),
        ("http://example.com:8080/?p=1#top", "http://example.com:8080"),
        ("example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_site_url_identity(given: str, expected: str) -> None:
    assert normalize_site_url(given) == expected
