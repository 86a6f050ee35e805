"""Schema migrations: legacy archives upgrade keeping every row, under a lock, on both backends."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select
from typer.testing import CliRunner

from archive.database_url import normalize_database_url
from archive.db import open_archive
from archive.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    script_head_revision,
)
from archive.models import COMMENTS, METADATA
from archive.store import ArchiveStore
from scraper.cli import app
from tests.archive.conftest import is_search_index, table_rows


def upgrade(url: str) -> str:
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    return result.output


def assert_rows_kept(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every table of the legacy archive holds the same rows (later revisions append columns,
    NULL in old rows); tables that later revisions (and, on PostgreSQL, the job queue) added are
    empty; the revision is the head."""
    assert after.pop("alembic_version") == [(head_revision(),)]
    widths = {table: len(rows[0]) for table, rows in before.items() if rows}
    kept = {t: [row[: widths.get(t, len(row))] for row in after.pop(t)] for t in before}
    assert kept == before
    assert all(rows == [] for rows in after.values())


def test_db_upgrade_keeps_every_row_of_a_legacy_archive(legacy_url: str) -> None:
    before = table_rows(legacy_url)
    assert "alembic_version" not in before and before["wparchive_meta"] == [("schema_version", "1")]
    assert upgrade(legacy_url).splitlines()[0] == (
        f"archive upgraded from schema_version 1 (before migrations) to schema revision"
        f" {head_revision()}"
    )
    assert_rows_kept(before, table_rows(legacy_url))
    assert sum(len(rows) for rows in before.values()) >= 20  # the fixture is not empty
    again = upgrade(legacy_url).splitlines()
    assert again[0] == f"archive already at schema revision {head_revision()}"
    assert again[1:] in ([], ["job queue schema already installed"])  # on PostgreSQL


def test_upgrade_gives_stored_times_one_text_form(legacy_sqlite: str) -> None:
    """Whole-second times SQLAlchemy stored as `...:00.000000` are rewritten to the form bulk
    writes use, so a bound time finds them; the times read back unchanged."""
    url = normalize_database_url(legacy_sqlite)
    with sqlite3.connect(legacy_sqlite) as db:
        assert (
            db.execute(
                "SELECT count(*) FROM comments WHERE published_at LIKE '%.000000'"
            ).fetchone()[0]
            > 0
        )
    before = table_rows(url)
    upgrade(url)
    with sqlite3.connect(legacy_sqlite) as db:
        for (table,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall():
            for column in [
                c[1] for c in db.execute(f'PRAGMA table_info("{table}")') if c[2] == "DATETIME"
            ]:
                left = db.execute(
                    f"SELECT count(*) FROM \"{table}\" WHERE {column} LIKE '%.000000'"
                )
                assert left.fetchone()[0] == 0, (table, column)
    engine = open_archive(url)
    with engine.connect() as conn:
        when = datetime(2018, 3, 30, 9, tzinfo=UTC)
        assert conn.scalar(select(func.count()).where(COMMENTS.c.published_at == when)) >= 1
    engine.dispose()
    assert_rows_kept(before, table_rows(url))


def test_crawl_upgrades_a_legacy_archive_by_itself(legacy_url: str) -> None:
    engine = open_archive(legacy_url)
    summaries = ArchiveStore(engine).site_summaries()
    engine.dispose()
    assert [(s.url, s.posts, s.pages, s.comments) for s in summaries] == [
        ("https://other.example.org", 1, 0, 1),
        ("https://reviews.example.com", 1, 1, 4),
    ]
    assert table_rows(legacy_url)["alembic_version"] == [(head_revision(),)]


def ours(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
    """What the models declare: not the job queue's tables (procrastinate_*, from `db upgrade` on
    PostgreSQL), nor SQLite's full-text index tables (archive/search.py)."""
    queue = type_ == "table" and (name or "").startswith("procrastinate_")
    return not queue and not is_search_index(name or "")


def test_migrated_schema_is_the_models_schema(engine: Engine, legacy_url: str) -> None:
    """A new archive (made from the models, stamped at head) and an upgraded legacy one (made by
    the old create_all) both hold exactly what archive.models declares."""
    upgrade(legacy_url)
    legacy = open_archive(legacy_url)
    for each in (engine, legacy):
        with each.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": ours})
            assert compare_metadata(context, METADATA) == []
    legacy.dispose()


def spawn_upgrade(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scraper", "db", "upgrade", "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_processes_upgrading_at_once_both_succeed(legacy_url: str) -> None:
    before = table_rows(legacy_url)
    workers = [spawn_upgrade(legacy_url) for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    # One of them migrated, the other found the work done.
    assert sorted(out.split(" schema revision")[0] for out in outputs) == [
        "archive already at",
        "archive upgraded from schema_version 1 (before migrations) to",
    ]
    assert_rows_kept(before, table_rows(legacy_url))


def test_new_archive_is_stamped_at_head(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_archive(str(path)).dispose()
    rows = table_rows(str(path))
    assert rows["alembic_version"] == [(head_revision(),)]
    assert set(rows) == {*METADATA.tables, "alembic_version"}
    engine = open_archive(str(path))
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_head_constant_is_alembics_head() -> None:
    assert head_revision() == script_head_revision()


def search_objects(conn: Connection) -> list[tuple[str, str]]:
    """The views (both backends) and, on SQLite, the search tables and triggers, by name."""
    if conn.dialect.name != "sqlite":
        return sorted((name, "view") for name in inspect(conn).get_view_names())
    rows = conn.exec_driver_sql(
        "SELECT name, type FROM sqlite_master WHERE type IN ('view', 'trigger')"
        " OR name LIKE '%_fts%' ORDER BY name"
    )
    return [(name, kind) for name, kind in rows]


def search_objects_of_new_archive(tmp_path: Path) -> list[tuple[str, str]]:
    engine = open_archive(str(tmp_path / "new-for-comparison.db"))
    with engine.connect() as conn:
        found = search_objects(conn)
    engine.dispose()
    return found


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_revisions_from_nothing_build_the_models_schema(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """What a new archive gets without Alembic equals what the revisions build from nothing."""
    url = str(tmp_path / "revisions.db")
    if backend == "postgres":
        url = request.getfixturevalue("postgres_database")()
    engine = create_engine(normalize_database_url(url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        assert compare_metadata(context, METADATA) == []
        assert current_revision(conn) == head_revision()
        new = search_objects_of_new_archive(tmp_path)
        assert search_objects(conn) == (
            new if backend == "sqlite" else [v for v in new if v[1] == "view"]
        )
    engine.dispose()
