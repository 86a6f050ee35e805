"""Schema objects the models cannot declare: FTS5 search tables (SQLite), fed by the store's inserts
and kept in sync with edits and deletions by triggers, and the reading views `comment_threads`
and `post_ratings` (both backends).

A new archive gets them with the models' tables (archive.migrations.create_at_head), an older
one from revision 0002: both from this one DDL. A change to them is a new revision that drops and
recreates them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection

# table -> (its full-text index, the indexed columns)
SEARCHED = {
    "posts": ("posts_fts", ("title", "content_text")),
    "comments": ("comments_fts", ("author_name", "content_text")),
}
# Wide enough for any WordPress id, so that text order is number order along a thread.
PATH_DIGITS = 12
PAD = {
    "sqlite": "printf('%0{digits}d', {column})",
    "postgresql": "lpad(CAST({column} AS TEXT), {digits}, '0')",
}
THREADS = """
WITH RECURSIVE thread(id, path) AS (
    SELECT id, {pad_root} FROM comments WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, thread.path || '/' || {pad_child}
    FROM comments AS c JOIN thread ON c.parent_id = thread.id
)
SELECT s.url AS site, c.post_wp_id AS post_id, p.title AS post_title, c.wp_id AS comment_id,
    c.parent_wp_id AS parent_id, c.depth, thread.path AS thread_path, c.author_name,
    c.published_at, c.content_text
FROM thread
JOIN comments AS c ON c.id = thread.id
JOIN sites AS s ON s.id = c.site_id
LEFT JOIN posts AS p ON p.id = c.post_id"""
RATINGS = """
SELECT s.url AS site, p.wp_id AS post_id, p.title, p.url, p.published_at, p.rating_value,
    p.rating_scale, p.rating_worst, p.rating_normalized, p.rating_source, p.rating_text
FROM posts AS p JOIN sites AS s ON s.id = p.site_id
WHERE p.rating_value IS NOT NULL"""


def search_ddl(table: str) -> list[str]:
    """The FTS5 table over `table`, the triggers that keep it in sync on update and delete, and
    its first build. Inserted rows are indexed by `index_rows`."""
    fts, columns = SEARCHED[table]
    names = ", ".join(columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        # content=[table] is the spelling Datasette's FTS detection and sqlite-utils use.
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content=[{table}], content_rowid=[id],"
        " tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table}"
        f" BEGIN {delete} {_insert_new(table)} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # index the rows already there
    ]


def insert_trigger_ddl(table: str) -> str:
    """The per-row insert trigger archives had before revision 0008 (its downgrade restores it)."""
    return f"CREATE TRIGGER {SEARCHED[table][0]}_insert AFTER INSERT ON {table}" + (
        f" BEGIN {_insert_new(table)} END"
    )


def _insert_new(table: str) -> str:
    fts, columns = SEARCHED[table]
    new = ", ".join(f"new.{c}" for c in columns)
    return f"INSERT INTO {fts}(rowid, {', '.join(columns)}) VALUES (new.id, {new});"


def index_rows(conn: Connection, table: str, ids: Sequence[int]) -> None:
    """Add just-inserted rows of `table` (by id) to its full-text index (SQLite), in one statement.

    The archive's only insert path (archive.upsert) calls this after each batch: FTS5 driven by
    a trigger once per inserted row took three times the insert itself; in bulk it takes half.
    Updates and deletes stay with the triggers."""
    if conn.dialect.name != "sqlite" or table not in SEARCHED or not ids:
        return
    fts, columns = SEARCHED[table]
    names = ", ".join(columns)
    conn.exec_driver_sql(
        f"INSERT INTO {fts}(rowid, {names}) SELECT id, {names} FROM {table}"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    )


def view_ddl(dialect: str) -> dict[str, str]:
    """view name -> its SELECT, for `dialect`."""
    pad = PAD[dialect]
    threads = THREADS.format(
        pad_root=pad.format(digits=PATH_DIGITS, column="wp_id"),
        pad_child=pad.format(digits=PATH_DIGITS, column="c.wp_id"),
    )
    return {"comment_threads": threads, "post_ratings": RATINGS}


def create_search_objects(conn: Connection) -> None:
    """Create the search tables (SQLite) and the views on a schema that has the tables."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for table in SEARCHED:
            for statement in search_ddl(table):
                conn.exec_driver_sql(statement)
    for view, select in view_ddl(dialect).items():
        conn.exec_driver_sql(f"CREATE VIEW {view} AS {select}")


def drop_search_objects(conn: Connection) -> None:
    """Drop the views, then the search tables and their triggers."""
    for view in reversed(list(view_ddl(conn.dialect.name))):
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")
    if conn.dialect.name == "sqlite":
        for fts, _ in SEARCHED.values():
            for kind in ("insert", "delete", "update"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{kind}")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
