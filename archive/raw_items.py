"""The raw items the archive keeps, read back for `wparchive reparse` (no parsing here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Table, Text, select, type_coerce

from archive.models import AUTHORS, COMMENTS, POSTS, SITES
from archive.records import SentJson

RawKind = Literal["post", "comment"]


@dataclass(frozen=True)
class RawItem:
    """One stored item as its source sent it, and which source that was."""

    kind: RawKind
    wp_id: int
    source: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class SiteRow:
    """What reparsing a site needs to know of it."""

    id: int
    url: str
    timezone: str | None


def archived_sites(conn: Connection, url: str | None = None) -> list[SiteRow]:
    """The archived sites (only `url`'s, already normalized, when given), by URL."""
    stmt = select(SITES.c.id, SITES.c.url, SITES.c.timezone).order_by(SITES.c.url)
    if url is not None:
        stmt = stmt.where(SITES.c.url == url)
    return [SiteRow(row.id, row.url, row.timezone) for row in conn.execute(stmt)]


def author_names(conn: Connection, site_id: int) -> dict[int, str]:
    """wp_id -> name of the site's archived authors."""
    stmt = select(AUTHORS.c.wp_id, AUTHORS.c.name).where(AUTHORS.c.site_id == site_id)
    return {wp_id: name for wp_id, name in conn.execute(stmt)}


def raw_items_after(
    conn: Connection, site_id: int, kind: RawKind, sources: tuple[str, ...], after: int, batch: int
) -> list[RawItem]:
    """Up to `batch` of the site's items of `kind` that `sources` wrote, with wp_id > `after`, by
    wp_id (keyset paging: each batch its own short read, memory flat on a 100k-comment site)."""
    table: Table = POSTS if kind == "post" else COMMENTS
    # SQLite keeps the text a response sent: read as text, the item is saved again as that text
    # (and fingerprinted alike). PostgreSQL's jsonb keeps only the value.
    raw = type_coerce(table.c.raw, Text) if conn.dialect.name == "sqlite" else table.c.raw
    rows = conn.execute(
        select(table.c.wp_id, table.c.source, raw.label("raw"))
        .where(table.c.site_id == site_id, table.c.source.in_(sources), table.c.wp_id > after)
        .order_by(table.c.wp_id)
        .limit(batch)
    ).all()
    return [RawItem(kind, row.wp_id, row.source, _as_sent(row.raw)) for row in rows]


def _as_sent(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(raw, str):
        value = json.loads(raw)
        return SentJson(value, raw) if isinstance(value, dict) else {}
    return raw or {}
