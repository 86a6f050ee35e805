"""`wparchive --help` starts without the parsing and crawling modules (lxml, nh3, feedparser,
rich, the crawl). SQLAlchemy, Alembic and requests still come in: the export format registry
and the source registry that the options' help lists are imported with their packages."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("lxml", "nh3", "feedparser", "rich", "pyarrow", "scraper.crawl", "scraper.parse.tree")


def test_the_cli_module_imports_no_heavy_dependency() -> None:
    code = "import sys, scraper.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert loaded & set(HEAVY) == set()
