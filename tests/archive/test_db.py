"""open_archive: URL handling, schema creation, and one clear error for what is not an archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from archive.db import normalize_database_url, open_archive
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


def test_schema_on_postgres(engine: object) -> None:
    names = set(inspect(engine).get_table_names())  # type: ignore[arg-type]
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
