"""What Datasette needs of an archive beyond its schema: metadata.yml.

The search tables and views themselves are part of the schema (migration 0002).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archive.dictionary import SEARCH_TABLES, SYSTEM_TABLES, TABLES, VIEWS

LABEL_COLUMNS = {"sites": "url", "authors": "name", "terms": "name", "posts": "title", "comments": "author_name"}  # fmt: skip


def datasette_metadata(site: str, database: str = "archive") -> dict[str, Any]:
    """Datasette metadata for an archive opened under the name `database`: every table and column
    described (from archive.dictionary), label columns, full-text search, threads in order."""
    tables: dict[str, Any] = {}
    for name, (description, columns) in {
        **TABLES,
        **SYSTEM_TABLES,
        **VIEWS,
        **SEARCH_TABLES,
    }.items():
        tables[name] = {"description": description, "columns": dict(columns)}
        if name in LABEL_COLUMNS:
            tables[name]["label_column"] = LABEL_COLUMNS[name]
        if f"{name}_fts" in SEARCH_TABLES:
            tables[name] |= {"fts_table": f"{name}_fts", "fts_pk": "id"}
    tables["comment_threads"]["sort"] = "thread_path"
    tables["post_ratings"]["sort_desc"] = "rating_normalized"
    return {
        "title": f"Archive of {site}",
        "description": f"Posts, pages and threaded comments of {site}, archived by wparchive.",
        "databases": {database: {"tables": tables}},
    }


def write_datasette_metadata(path: Path, site: str, database: str = "archive") -> None:
    """Write metadata.yml for `datasette <database>.db -m metadata.yml`."""
    text = yaml.safe_dump(datasette_metadata(site, database), sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
