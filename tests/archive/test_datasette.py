"""Datasette serves an archive with our metadata: full-text search kept in sync by the crawl's own
saves, comment threads in reading order, label columns; the data dictionary covers the schema."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette
from sqlalchemy import Engine

from archive.datasette import write_datasette_metadata
from archive.db import open_archive
from archive.dictionary import (
    EXPORT_FIELDS,
    SEARCH_TABLES,
    SYSTEM_TABLES,
    TABLES,
    VIEWS,
    render_export_fields,
)
from archive.export.rows import COMMENT_FIELDS, POST_FIELDS
from archive.models import METADATA
from archive.records import CommentRecord
from archive.store import ArchiveStore
from tests.archive.samples import POST_ID, SITE, SITE_URL, comment, her_post, her_records

ROOT = Path(__file__).resolve().parents[2]
# A thread whose ids do not follow its reading order: 520 answers 505, 503 answers 520.
THREAD = [comment(505, None), comment(503, 520), comment(520, 505), comment(501, None)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A SQLite archive (its schema has the search tables and views) and its metadata.yml."""
    path = tmp_path / "archive.db"
    engine = open_archive(str(path))
    store = ArchiveStore(engine)
    site_id = store.ensure_site(SITE)
    run_id = store.start_run(site_id, "rest", "full")
    store.save_records(site_id, run_id, [*her_records(), *THREAD])
    store.rethread(site_id)
    write_datasette_metadata(tmp_path / "metadata.yml", SITE_URL)
    metadata = yaml.safe_load((tmp_path / "metadata.yml").read_text(encoding="utf-8"))
    yield {"engine": engine, "store": store, "site_id": site_id, "run_id": run_id,
           "path": path, "metadata": metadata}  # fmt: skip
    engine.dispose()


def get_rows(served: dict[str, Any], url: str) -> Any:
    """GET a Datasette JSON URL in-process (no network) and return its decoded body."""

    async def fetch() -> Any:
        datasette = Datasette([str(served["path"])], metadata=served["metadata"])
        await datasette.invoke_startup()
        response = await datasette.client.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(fetch())


def reading_order(comments: list[CommentRecord]) -> list[int]:
    """Depth first, siblings by id: how a thread reads."""
    children: dict[int | None, list[int]] = {}
    for c in sorted(comments, key=lambda c: c.wp_id):
        children.setdefault(c.parent_wp_id, []).append(c.wp_id)
    order: list[int] = []

    def walk(parent: int | None) -> None:
        for wp_id in children.get(parent, []):
            order.append(wp_id)
            walk(wp_id)

    walk(None)
    return order


def test_comment_threads_read_in_order(served: dict[str, Any]) -> None:
    comments = [r for r in [*her_records(), *THREAD] if isinstance(r, CommentRecord)]
    rows = get_rows(
        served, f"/archive/comment_threads.json?_shape=array&post_id={POST_ID}&_sort=thread_path"
    )
    assert [row["comment_id"] for row in rows] == reading_order(comments)
    by_id = {row["comment_id"]: row for row in rows}
    assert by_id[503]["thread_path"] == "000000000505/000000000520/000000000503"
    assert (by_id[503]["depth"], by_id[503]["parent_id"]) == (3, 520)
    assert by_id[503]["post_title"] == "Her"


def test_full_text_search_finds_posts_and_comments(served: dict[str, Any]) -> None:
    reader = next(r for r in her_records() if isinstance(r, CommentRecord))
    word = reader.content_text.split()[3].strip(".,;:!?")
    rows = get_rows(served, f"/archive/comments.json?_shape=array&_search={word}")
    want = sorted(r.wp_id for r in her_records() if isinstance(r, CommentRecord)
                  if word.lower() in r.content_text.lower())  # fmt: skip
    assert sorted(row["wp_id"] for row in rows) == want and want
    rows = get_rows(served, "/archive/posts.json?_shape=array&_search=Her")
    assert [row["wp_id"] for row in rows] == [POST_ID]


def test_search_follows_updates_made_by_later_crawls(served: dict[str, Any]) -> None:
    store, site_id, run_id = served["store"], served["site_id"], served["run_id"]
    store.save_records(
        site_id, run_id, [her_post(title="Samantha", content_text="Operating systems.")]
    )
    assert (
        get_rows(served, "/archive/posts.json?_shape=array&_search=Samantha")[0]["wp_id"] == POST_ID
    )
    assert get_rows(served, "/archive/posts.json?_shape=array&_search=Her") == []
    assert get_rows(served, "/archive/posts_fts.json?_shape=array&_search=operating")


def test_label_columns_name_linked_rows(served: dict[str, Any]) -> None:
    rows = get_rows(served, "/archive/comments.json?_shape=array&_labels=on&wp_id=520")
    assert rows[0]["post_id"]["label"] == "Her"
    assert rows[0]["parent_id"]["label"] == "reader 505"
    assert rows[0]["site_id"]["label"] == SITE_URL


def test_post_ratings_lists_rated_posts(served: dict[str, Any]) -> None:
    store, site_id, run_id = served["store"], served["site_id"], served["run_id"]
    store.save_records(
        site_id, run_id, [replace(her_post(), wp_id=7, rating=None, title="Unrated")]
    )
    rows = get_rows(served, "/archive/post_ratings.json?_shape=array")
    rating = her_post().rating
    assert rating is not None
    assert [(r["post_id"], r["rating_value"], r["rating_scale"]) for r in rows] == [
        (POST_ID, rating.value, rating.scale)
    ]


def test_the_dictionary_describes_every_table_view_and_column(served: dict[str, Any]) -> None:
    with closing(sqlite3.connect(served["path"])) as conn:
        for name, (_, columns) in {**VIEWS, **SEARCH_TABLES, **SYSTEM_TABLES}.items():
            actual = [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
            assert actual == list(columns), name
    for table in METADATA.sorted_tables:
        assert list(TABLES[table.name][1]) == [c.name for c in table.columns], table.name
    assert set(TABLES) == set(METADATA.tables)
    described = served["metadata"]["databases"]["archive"]["tables"]
    assert all(described[name]["description"] and described[name]["columns"] for name in described)


def test_the_dictionary_documents_every_export_field_and_the_readme_shows_it() -> None:
    assert list(EXPORT_FIELDS["posts"]) == [f.name for f in POST_FIELDS]
    assert list(EXPORT_FIELDS["comments"]) == [f.name for f in COMMENT_FIELDS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_export_fields() in readme, "run: python -m archive.dictionary README.md"


def test_an_upgraded_legacy_archive_is_searchable_at_once(legacy_sqlite: str) -> None:
    """Migration 0002 indexes the rows an archive already holds."""
    engine: Engine = open_archive(legacy_sqlite)
    with engine.connect() as conn:
        titles = conn.exec_driver_sql("SELECT title FROM posts").scalars().all()
        word = next(t for t in titles if t.isalpha())
        query = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?"
        assert conn.exec_driver_sql(query, (word,)).scalar() >= 1
        assert conn.exec_driver_sql("SELECT count(*) FROM comment_threads").scalar() == (
            conn.exec_driver_sql("SELECT count(*) FROM comments").scalar()
        )
    engine.dispose()


def test_comment_threads_on_both_backends(store: ArchiveStore, engine: Engine) -> None:
    site_id = store.ensure_site(SITE)
    store.save_records(site_id, store.start_run(site_id, "rest", "full"), [*her_records(), *THREAD])
    store.rethread(site_id)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT comment_id, thread_path FROM comment_threads ORDER BY post_id, thread_path"
        ).all()
    comments = [r for r in [*her_records(), *THREAD] if isinstance(r, CommentRecord)]
    assert [row[0] for row in rows] == reading_order(comments)
    assert dict(rows)[503] == "000000000505/000000000520/000000000503"


def test_search_follows_saved_comments_and_posts(tmp_path: Path) -> None:
    """New rows are indexed by the store in bulk, edits by the update trigger: the index finds
    what the rows say now, and FTS5's own integrity check agrees with the tables."""
    engine = open_archive(str(tmp_path / "search.db"))
    store = ArchiveStore(engine)
    site_id = store.ensure_site(SITE)
    first = [her_post(), *(comment(n, None, content_text=f"zebra number {n}") for n in (1, 2))]
    store.save_records(site_id, store.start_run(site_id, "rest", "full"), first)
    edited = [comment(2, None, content_text="giraffe after an edit"), comment(3, 2)]
    store.save_records(site_id, store.start_run(site_id, "rest", "full"), edited)

    def found(table: str, word: str) -> list[int]:
        query = (
            f"SELECT t.wp_id FROM {table}_fts JOIN {table} AS t ON t.id = {table}_fts.rowid"
            f" WHERE {table}_fts MATCH ? ORDER BY t.wp_id"
        )
        return list(conn.exec_driver_sql(query, (word,)).scalars())

    with engine.connect() as conn:
        assert found("comments", "zebra") == [1]
        assert found("comments", "giraffe") == [2]
        assert found("comments", "comment") == [3]
        assert found("posts", "her") == [POST_ID]
        for table in ("posts", "comments"):
            conn.exec_driver_sql(
                f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)"
            )
    engine.dispose()
