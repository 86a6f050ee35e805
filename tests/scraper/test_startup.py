"""`wparchive --help` loads no module it does not need: no SQLAlchemy, Alembic, requests, lxml,
nh3, feedparser, Rich or pyarrow, none of the crawl, the parsers or the export writers. (How long it
takes is a benchmark's question: tests/benchmarks/bench_startup.py.)"""

from __future__ import annotations

import subprocess
import sys

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
