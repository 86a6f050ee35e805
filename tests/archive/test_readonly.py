"""sites and export only read: a read-only archive works, a missing or outdated one is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from archive.db import open_archive_readonly, upgrade_archive
from archive.errors import ArchiveError
from archive.migrations import head_revision
from scraper.cli import app


def run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output.strip().splitlines()


def tree(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder any user can enter: as root the read-only export runs as `nobody` (chmod does
    not stop root, so only an unprivileged user shows that nothing tries to write)."""
    path = Path(tempfile.mkdtemp(prefix="wparchive-ro-"))
    path.chmod(0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o755)
    shutil.rmtree(path)


def export_as_reader(db: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """`wparchive export` in its own process, unprivileged when we are root."""
    command = [sys.executable, "-m", "scraper", "export", "--db", str(db), "--out", str(out)]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_export_of_a_read_only_archive_matches_the_original(
    legacy_sqlite: str, shared_tmp: Path
) -> None:
    upgrade_archive(legacy_sqlite)
    assert run("export", "--db", legacy_sqlite, "--out", str(shared_tmp / "original"))[0] == 0
    locked = shared_tmp / "locked"
    locked.mkdir()
    shutil.copyfile(legacy_sqlite, locked / "archive.db")  # WAL mode, no -wal or -shm beside it
    (locked / "archive.db").chmod(0o444)
    locked.chmod(0o555)
    out = shared_tmp / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    before = tree(locked)
    done = export_as_reader(locked / "archive.db", out)
    assert done.returncode == 0, done.stderr
    assert tree(out) == tree(shared_tmp / "original") and len(tree(out)) == 2
    assert tree(locked) == before  # nothing written, not even a -shm file


@pytest.mark.parametrize("command", ["export", "sites", "db upgrade"])
def test_missing_archive_is_one_line_and_nothing_is_created(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.db"
    extra = ["--out", str(tmp_path / "out")] if command == "export" else []
    code, lines = run(*command.split(), "--db", str(missing), *extra)
    assert (code, lines) == (1, [f"error: no archive at {missing}"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["export", "sites"])
def test_outdated_archive_is_one_line_and_left_alone(
    legacy_sqlite: str, tmp_path: Path, command: str
) -> None:
    before = Path(legacy_sqlite).read_bytes()
    extra = ["--out", str(tmp_path / "out")] if command == "export" else []
    code, lines = run(command, "--db", legacy_sqlite, *extra)
    assert (code, lines) == (
        1,
        [f"error: archive sqlite:///{legacy_sqlite} needs upgrading: run `wparchive db upgrade`"],
    )
    assert Path(legacy_sqlite).read_bytes() == before
    assert not (tmp_path / "out").exists()


def test_sites_reads_an_upgraded_archive(legacy_sqlite: str) -> None:
    upgrade_archive(legacy_sqlite)
    code, lines = run("sites", "--db", legacy_sqlite)
    assert code == 0
    rows = [line.split("\t")[1:6] for line in lines[1:]]
    assert rows == [
        ["https://other.example.org", "Other", "1", "0", "1"],
        ["https://reviews.example.com", "Film Reviews", "1", "1", "4"],
    ]


@pytest.mark.postgres
def test_postgres_reader_session_refuses_writes(legacy_postgres: str) -> None:
    with pytest.raises(ArchiveError, match="needs upgrading"):
        open_archive_readonly(legacy_postgres)
    upgrade_archive(legacy_postgres)
    engine = open_archive_readonly(legacy_postgres)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
        with pytest.raises(DBAPIError, match="read-only transaction"):
            conn.execute(text("DELETE FROM problems"))
    engine.dispose()


@pytest.mark.postgres
def test_db_upgrade_gives_an_empty_postgres_database_the_schema(
    postgres_database: Callable[[], str],
) -> None:
    url = postgres_database()
    assert run("sites", "--db", url)[0] == 1  # readers never create it
    code, lines = run("db", "upgrade", "--db", url)
    assert (code, lines) == (
        0,
        [
            f"archive upgraded from nothing to schema revision {head_revision()}",
            "job queue schema installed",
        ],
    )
    assert run("db", "upgrade", "--db", url)[1][1] == "job queue schema already installed"
    code, lines = run("sites", "--db", url)
    assert code == 0 and len(lines) == 1  # the header: no sites yet
