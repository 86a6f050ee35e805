"""`wparchive --help` loads no module it does not need: no SQLAlchemy, Alembic, requests, lxml,
nh3, feedparser, Rich or pyarrow, none of the crawl, the parsers or the export writers. (How long it
takes is a benchmark's question: tests/benchmarks/bench_startup.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = frozenset(
    {
        "sqlalchemy",
        "alembic",
        "requests",
        "lxml",
        "nh3",
        "feedparser",
        "rich",
        "pyarrow",
        "yaml",
        "scraper.crawl",
        "scraper.http",
        "scraper.parse.tree",
        "archive.db",
        "archive.export.dataset",
        "archive.export.wxr",
    }
)
# Runs the command line as the `wparchive` script does, then lists what it loaded.
RUN_AND_LIST = """
import atexit, sys
atexit.register(lambda: print("\\nLOADED", " ".join(sorted(sys.modules))))
sys.argv = ["wparchive", *sys.argv[1:]]
from scraper.cli import app
app()
"""


def loaded_by(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, *argv], capture_output=True, text=True, check=False
    )
    marker = done.stdout.rindex("LOADED")
    return set(done.stdout[marker:].split()[1:])


@pytest.mark.parametrize("argv", [["--help"], ["crawl", "--help"], ["export", "--help"]])
def test_help_loads_no_heavy_module(argv: list[str]) -> None:
    loaded = loaded_by(*argv)
    assert "scraper.cli" in loaded  # the probe works: the command line ran
    assert {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY} == set()


def test_a_command_that_needs_the_archive_still_loads_it() -> None:
    # The lazy imports happen: `sites` on a missing file reaches SQLAlchemy before it fails.
    assert "sqlalchemy" in loaded_by("sites", "--db", "/nonexistent/dir/x.db")


def test_a_sqlite_archive_loads_neither_the_orm_nor_postgresql_nor_rich(tmp_path: Path) -> None:
    # Creating an archive reads the whole schema: the tables are Core tables (the ORM cost
    # ~0.1 s of every start-up), PostgreSQL's dialect is for PostgreSQL archives, Rich for
    # terminals and YAML for config files.
    db = tmp_path / "archive.db"
    db.touch()
    loaded = loaded_by("db", "upgrade", "--db", str(db))
    assert "archive.models" in loaded  # the probe works: the schema was read
    assert db.stat().st_size > 0
    unwanted = ("sqlalchemy.orm", "sqlalchemy.dialects.postgresql", "rich", "yaml")
    assert {m for m in loaded if m.split(".")[0] in unwanted or m.startswith(unwanted)} == set()
