"""Batched dialect upserts (INSERT ... ON CONFLICT DO UPDATE) keyed by (site_id, wp_id), with counts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    func,
    select,
    text,
    update,
)
from sqlalchemy.sql.expression import ColumnCollection

from archive.bulk import (
    among,
    chunked,
    copy_rows,
    execute_rows,
    insert_by_arrays,
    select_site_rows,
)
from archive.columns import Row
from archive.search import index_rows

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

# What an update of a stored row keeps: its identity and when it was first seen.
KEPT_ON_UPDATE = frozenset({"id", "site_id", "wp_id", "first_seen_at"})
Overrides = Callable[[ColumnCollection[str, Any]], Mapping[str, ColumnElement[Any]]]


@dataclass
class KindCounts:
    """How many records of one kind were new, changed, or identical to what was stored; how many
    new versions of visible content were kept, and how many items a sweep found deleted."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    versions: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def add(self, other: KindCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.versions += other.versions
        self.deleted += other.deleted


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT for this connection's dialect."""
    return _insert_for(conn.dialect.name, table)


def _insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Each dialect's package is imported by the archives that use it: PostgreSQL's alone adds
    # ~17 ms to the start-up of every command on SQLite.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def select_by_wp_id(
    conn: Connection, table: Table, site_id: int, wp_ids: Iterable[int], *columns: str
) -> dict[int, tuple[Any, ...]]:
    """Map wp_id -> the requested columns for the site's rows among `wp_ids`."""
    wanted = sorted(set(wp_ids))
    found: dict[int, tuple[Any, ...]] = {}
    cols = [table.c[name] for name in columns]
    for chunk in chunked(wanted):
        stmt = select_site_rows(conn, [table.c.wp_id, *cols], table, site_id, table.c.wp_id, chunk)
        for wp_id, *stored in conn.execute(stmt):
            found[wp_id] = tuple(stored)
    return found


def unique_by_wp_id(rows: Iterable[Row]) -> list[Row]:
    """One row per wp_id (the last one wins, as the newest record does), in wp_id order.

    PostgreSQL refuses to update one row twice in one statement, and a fixed order keeps two
    workers upserting the same site from locking rows in opposite orders (deadlock).
    """
    by_id = {row["wp_id"]: row for row in rows}
    return [by_id[wp_id] for wp_id in sorted(by_id)]


@dataclass
class Upserted:
    """What an upsert did: counts, wp_id -> row id, the wp_ids inserted or updated (`changed`)
    and those of them inserted (`inserted`)."""

    counts: KindCounts
    ids: dict[int, int]
    changed: set[int]
    inserted: set[int]


@dataclass
class UpsertPlan:
    """An upsert read but not yet written (see plan_upsert): what is stored, what will be written.

    `ids` maps wp_id -> row id of the stored rows (and, after assign_ids, of the new ones too);
    `stored` holds the columns asked for, by wp_id; `writes` are the new and changed rows
    themselves (given their seen values: what is set on them before apply_upsert is written),
    `unchanged` the row ids whose fingerprint is the stored one."""

    table: Table
    site_id: int
    counts: KindCounts
    ids: dict[int, int]
    stored: dict[int, tuple[Any, ...]]
    writes: list[Row]
    unchanged: list[int]
    seen: dict[str, Any]

    def is_new(self, wp_id: int) -> bool:
        """Whether the row of `wp_id` is not stored yet."""
        return wp_id not in self.stored


def plan_upsert(
    conn: Connection,
    table: Table,
    site_id: int,
    rows: Sequence[Row],
    now: datetime,
    seen: Mapping[str, Any] | None = None,
    read: Sequence[str] = (),
) -> UpsertPlan:
    """Read what upserting `rows` (unique, sorted) of one site needs, in one batched query: which
    rows are new, changed (another fingerprint) or unchanged, and the stored `read` columns."""
    stored = select_by_wp_id(
        conn, table, site_id, (r["wp_id"] for r in rows), "id", "record_hash", *read
    )
    plan = UpsertPlan(
        table,
        site_id,
        KindCounts(),
        {wp_id: values[0] for wp_id, values in stored.items()},
        {wp_id: values[2:] for wp_id, values in stored.items()},
        [],
        [],
        {"last_seen_at": now, **(seen or {})},
    )
    for row in rows:
        previous = stored.get(row["wp_id"])
        if previous is not None and previous[1] == row["record_hash"]:
            plan.counts.unchanged += 1
            plan.unchanged.append(previous[0])
            continue
        plan.counts.inserted += previous is None
        plan.counts.updated += previous is not None
        row.update(first_seen_at=now, **plan.seen)
        plan.writes.append(row)
    return plan


def assign_ids(conn: Connection, plan: UpsertPlan) -> None:
    """Give the plan's new rows their row ids before they are written, so rows of the same batch
    can point at each other (a reply at its parent) without a second write.

    The caller must be the site's only writer (archive.db.lock_site_writes): a row another
    writer inserted meanwhile would keep its own id. PostgreSQL draws the ids from the table's
    own sequence; SQLite, whose writer holds the write lock for the whole transaction, numbers
    on from the largest id, as it would itself."""
    new = [row for row in plan.writes if plan.is_new(row["wp_id"])]
    if not new:
        return
    table = plan.table
    if conn.dialect.name == "postgresql":
        # The sequence is looked up once (a materialized CTE): called in the select list,
        # pg_get_serial_sequence ran for every row, ten times the cost of the draws themselves.
        ids = list(
            conn.scalars(
                text(
                    "WITH s AS MATERIALIZED"
                    " (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq)"
                    " SELECT nextval(s.seq) FROM s, generate_series(1, :count)"
                ),
                {"table": table.name, "count": len(new)},
            )
        )
    else:
        start = conn.scalar(select(func.max(table.c.id))) or 0
        ids = list(range(start + 1, start + 1 + len(new)))
    for row, row_id in zip(new, ids, strict=True):
        plan.ids[row["wp_id"]] = row_id
    for row in plan.writes:
        row["id"] = plan.ids[row["wp_id"]]


def apply_upsert(
    conn: Connection, plan: UpsertPlan, overrides: Overrides | None = None
) -> Upserted:
    """Write a plan whose new rows have their ids (assign_ids): the unchanged rows get only
    their seen values; new and changed rows go through INSERT ... ON CONFLICT DO UPDATE (on
    PostgreSQL, new rows by COPY). Under concurrent writers the counts (read just before) are
    indicative, the rows stay correct."""
    table, writes, ids = plan.table, plan.writes, plan.ids
    for chunk in chunked(sorted(plan.unchanged)):
        conn.execute(update(table).where(among(conn, table.c.id, chunk)).values(**plan.seen))
    if writes and conn.dialect.name == "postgresql":
        # New rows (their ids drawn, the site's writes locked) are loaded by COPY: they conflict
        # with nothing, so `overrides` has nothing to decide for them. Only the changed ones
        # need the upsert.
        copy_rows(conn, table, [w for w in writes if plan.is_new(w["wp_id"])])
        changed = [w for w in writes if not plan.is_new(w["wp_id"])]
        if changed and overrides is None:
            _upsert_by_arrays(conn, table, changed)
        elif changed:
            execute_rows(conn, _upsert_statement(conn, table, changed[0], overrides), changed)
    elif writes:
        # A plain executemany. Not RETURNING: SQLAlchemy would send the rows as multi-row
        # statements of every batch size, each its own long SQL string, and SQLite keeps every
        # statement it prepared per connection (crawls of many sites at once grew by 140 MiB).
        execute_rows(conn, _upsert_statement(conn, table, writes[0], overrides), writes)
        # SQLite's only writer holds the write lock since plan_upsert: these rows are new.
        index_rows(conn, table.name, [ids[w["wp_id"]] for w in writes if plan.is_new(w["wp_id"])])
    written = {w["wp_id"] for w in writes}
    return Upserted(plan.counts, ids, written, {w for w in written if plan.is_new(w)})


def upsert_by_wp_id(
    conn: Connection,
    table: Table,
    site_id: int,
    rows: Sequence[Row],
    now: datetime,
    overrides: Overrides | None = None,
    seen: Mapping[str, Any] | None = None,
) -> Upserted:
    """Insert or update `rows` (unique, sorted) of one site, keyed by their fingerprint; the
    caller is the site's only writer (see assign_ids).

    Rows whose fingerprint is unchanged only get their last-seen time (and the other `seen`
    values, which every row of the batch gets), so a re-crawl does not rewrite every body."""
    plan = plan_upsert(conn, table, site_id, rows, now, seen)
    assign_ids(conn, plan)
    return apply_upsert(conn, plan, overrides)


def _upsert_statement(
    conn: Connection, table: Table, sample: Row, overrides: Overrides | None
) -> Any:
    return _build_upsert(conn.dialect.name, table, tuple(sample), overrides)


# The same statement for every batch, built (and compiled) once: callers hand over the same
# `overrides` object each time (see saving._rating_rule).
@functools.lru_cache(maxsize=32)
def _build_upsert(
    dialect: str, table: Table, names: tuple[str, ...], overrides: Overrides | None
) -> Any:
    stmt = _insert_for(dialect, table)
    updates: dict[str, Any] = {
        name: stmt.excluded[name] for name in names if name not in KEPT_ON_UPDATE
    }
    if overrides is not None:
        updates.update(overrides(stmt.excluded))
    return stmt.on_conflict_do_update(index_elements=["site_id", "wp_id"], set_=updates)


def _upsert_by_arrays(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """PostgreSQL: the upsert of upsert_by_wp_id by arrays."""
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in rows[0] if n not in KEPT_ON_UPDATE)
    insert_by_arrays(conn, table, rows, f" ON CONFLICT (site_id, wp_id) DO UPDATE SET {updates}")
