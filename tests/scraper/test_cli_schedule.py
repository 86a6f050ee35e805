"""`wparchive sites add/remove` and `status` on a real PostgreSQL: what a user types and reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scraper.cli import app

pytestmark = pytest.mark.postgres


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_sites_added_from_flags_and_a_file_are_due_until_removed(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    db = postgres_database()
    blogs = tmp_path / "blogs.txt"
    blogs.write_text("# my blogs\nhttps://A.example/\n\n  b.example  \n")
    code, out = run("sites", "add", "https://c.example", "--from-file", str(blogs),
                    "--every", "30m", "--db", db)  # fmt: skip
    assert (code, out) == (0, "3 sites scheduled: a crawl every 30m, a full one every 7d\n")
    code, out = run("status", "--db", db)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "due 3 | queued 0 | running 0 | failed 0"
    rows = [line.split("\t")[:3] for line in lines[2:]]
    assert rows == [[f"https://{n}.example", "30m", "7d"] for n in "abc"]

    assert run("sites", "remove", "B.example/", "--db", db) == (0, "1 site unscheduled; what is archived stays\n")  # fmt: skip
    assert run("status", "--db", db)[1].splitlines()[0].startswith("due 2 |")
    code, out = run("sites", "--db", db)  # removing unschedules; the site stays in the archive
    assert code == 0 and len(out.splitlines()) == 4


def test_bad_periods_and_sqlite_are_one_line_errors(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    code, out = run("sites", "add", "a.example", "--every", "hourly", "--db", postgres_database())
    assert code == 2 and "'hourly' is not a duration" in out
    sqlite = tmp_path / "archive.db"
    for args in (("sites", "add", "a.example"), ("worker",), ("status",)):
        code, out = run(*args, "--db", str(sqlite))
        assert code == 1 and "need a PostgreSQL archive" in out, args
    assert not sqlite.exists()
