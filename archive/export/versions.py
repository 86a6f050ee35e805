"""The versions datasets (`--versions`): every kept state of each post's and comment's visible content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Table, select

from archive.export.rows import ExportRow, Field
from archive.history import COMMENT_HISTORY, POST_HISTORY, VersionedKind
from archive.models import SITES


def _fields(spec: str) -> tuple[Field, ...]:
    return tuple(Field(*item.split(":")) for item in spec.split())


_HEAD = (
    "site:str id:int content_hash:str first_seen_run_id:int last_seen_run_id:int"
    " first_seen_at:datetime last_seen_at:datetime is_current:bool deleted_reason:str"
)
POST_VERSION_FIELDS = _fields(
    _HEAD + " title:str excerpt:str status:str content_html:str content_text:str"
    " author_name:str rating_value:float rating_scale:float terms:list"
)
COMMENT_VERSION_FIELDS = _fields(
    _HEAD + " author_name:str author_url:str content_html:str content_text:str"
)


def _iter_versions(
    conn: Connection,
    kind: VersionedKind,
    fields: tuple[Field, ...],
    site_url: str | None,
    batch_size: int,
) -> Iterator[ExportRow]:
    versions: Table = kind.versions
    stmt = (
        select(SITES.c.url.label("site"), versions)
        .join(SITES, SITES.c.id == versions.c.site_id)
        .order_by(SITES.c.url, versions.c.wp_id, versions.c.id)
    )
    if site_url is not None:
        stmt = stmt.where(SITES.c.url == site_url)
    for row in conn.execute(stmt.execution_options(yield_per=batch_size)).mappings():
        item: dict[str, Any] = {**row, **row["fields"], "id": row["wp_id"]}
        if "terms" in item:
            item["terms"] = [f"{taxonomy}:{name}" for taxonomy, name in item["terms"]]
        yield {f.name: item.get(f.name) for f in fields}


def iter_post_version_rows(
    conn: Connection, site_url: str | None, batch_size: int
) -> Iterator[ExportRow]:
    """Post versions by site, post id, age."""
    return _iter_versions(conn, POST_HISTORY, POST_VERSION_FIELDS, site_url, batch_size)


def iter_comment_version_rows(
    conn: Connection, site_url: str | None, batch_size: int
) -> Iterator[ExportRow]:
    """Comment versions by site, comment id, age."""
    return _iter_versions(conn, COMMENT_HISTORY, COMMENT_VERSION_FIELDS, site_url, batch_size)
