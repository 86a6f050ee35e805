"""`wparchive --help` starts without the heavy modules of crawling (requests, lxml, rich).

SQLAlchemy still comes in: the export format registry (`archive.export.format_names`, in the
`--format` help) is imported with the archive package."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("requests", "lxml", "nh3", "feedparser", "rich", "scraper.http", "scraper.crawl")


def test_the_cli_module_imports_no_heavy_dependency() -> None:
    code = "import sys, scraper.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert loaded & set(HEAVY) == set()
