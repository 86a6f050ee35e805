"""Batched dialect upserts (INSERT ... ON CONFLICT DO UPDATE) keyed by (site_id, wp_id), with counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import ColumnCollection

from archive.columns import Row

IN_CHUNK = 500
T = TypeVar("T")
Overrides = Callable[[ColumnCollection[str, Any]], Mapping[str, ColumnElement[Any]]]


@dataclass
class KindCounts:
    """How many records of one kind were new, changed, or identical to what was stored."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def add(self, other: KindCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (keeps IN lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT for this connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def select_by_wp_id(
    conn: Connection, table: Table, site_id: int, wp_ids: Iterable[int], *columns: str
) -> dict[int, tuple[Any, ...]]:
    """Map wp_id -> the requested columns for the site's rows among `wp_ids`."""
    wanted = sorted(set(wp_ids))
    found: dict[int, tuple[Any, ...]] = {}
    cols = [table.c[name] for name in columns]
    for chunk in chunked(wanted):
        stmt = select(table.c.wp_id, *cols).where(
            table.c.site_id == site_id, table.c.wp_id.in_(chunk)
        )
        for wp_id, *values in conn.execute(stmt):
            found[wp_id] = tuple(values)
    return found


def unique_by_wp_id(rows: Iterable[Row]) -> list[Row]:
    """One row per wp_id (the last one wins, as the newest record does), in wp_id order.

    PostgreSQL refuses to update one row twice in one statement, and a fixed order keeps two
    workers upserting the same site from locking rows in opposite orders (deadlock).
    """
    by_id = {row["wp_id"]: row for row in rows}
    return [by_id[wp_id] for wp_id in sorted(by_id)]


def upsert_by_wp_id(
    conn: Connection,
    table: Table,
    site_id: int,
    rows: Sequence[Row],
    now: datetime,
    overrides: Overrides | None = None,
) -> tuple[KindCounts, dict[int, int]]:
    """Insert or update `rows` (unique, sorted) of one site; return counts and wp_id -> row id.

    Counts compare fingerprints read just before the write: under concurrent writers they are
    indicative, the rows themselves stay correct because ON CONFLICT decides.
    """
    counts = KindCounts()
    if not rows:
        return counts, {}
    stored = select_by_wp_id(conn, table, site_id, (r["wp_id"] for r in rows), "record_hash")
    for row in rows:
        previous = stored.get(row["wp_id"])
        if previous is None:
            counts.inserted += 1
        elif previous[0] == row["record_hash"]:
            counts.unchanged += 1
        else:
            counts.updated += 1
    stmt = dialect_insert(conn, table)
    updates: dict[str, Any] = {
        name: stmt.excluded[name] for name in rows[0] if name not in ("site_id", "wp_id")
    }
    updates["last_seen_at"] = stmt.excluded.last_seen_at
    if overrides is not None:
        updates.update(overrides(stmt.excluded))
    upsert = stmt.on_conflict_do_update(index_elements=["site_id", "wp_id"], set_=updates)
    for chunk in chunked(rows):
        conn.execute(upsert, [{**row, "first_seen_at": now, "last_seen_at": now} for row in chunk])
    ids = select_by_wp_id(conn, table, site_id, (r["wp_id"] for r in rows), "id")
    return counts, {wp_id: values[0] for wp_id, values in ids.items()}
