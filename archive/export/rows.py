"""The exported datasets: their fields, and their rows streamed from the archive in a stable order.

Rows carry Python values (aware datetimes, lists of names, None); each exporter formats them.
Only record-derived values are exported (no seen-times, no run ids), so two identical crawls
export identical bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, nulls_last, select

from archive.bulk import chunked
from archive.models import AUTHORS, COMMENTS, POST_TERMS, POSTS, SITES, TERMS

ExportRow = dict[str, Any]
TAXONOMY_FIELDS = {"category": "categories", "post_tag": "tags"}


@dataclass(frozen=True)
class Field:
    """An exported column: its name and kind (str, int, float, bool, datetime, list)."""

    name: str
    kind: str


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a Z: `2014-01-20T10:00:00Z` (microseconds only when there are some)."""
    value = value.astimezone(UTC)
    timespec = "microseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _fields(spec: str) -> tuple[Field, ...]:
    return tuple(Field(*item.split(":")) for item in spec.split())


POST_FIELDS = _fields(
    "site:str id:int type:str url:str slug:str title:str author:str published_at:datetime"
    " modified_at:datetime categories:list tags:list excerpt:str content_html:str"
    " content_text:str rating_value:float rating_scale:float rating_normalized:float"
    " rating_source:str comment_count:int rating_worst:float rating_text:str source:str"
)
COMMENT_FIELDS = _fields(
    "site:str id:int post_id:int parent_id:int depth:int root_id:int author_name:str"
    " author_url:str published_at:datetime content_html:str content_text:str is_orphan:bool"
    " parent_inferred:bool source:str"
)
# Appended with --include-deleted: when a sweep found the item no longer public, and why.
DELETED_FIELDS = _fields("deleted_at:datetime deleted_reason:str")


def _posts_query(site_url: str | None, include_deleted: bool) -> Select[*tuple[Any, ...]]:
    counts = (
        select(COMMENTS.c.site_id, COMMENTS.c.post_wp_id, func.count().label("n"))
        .where(COMMENTS.c.deleted_at.is_(None))
        .group_by(COMMENTS.c.site_id, COMMENTS.c.post_wp_id)
        .subquery()
    )
    stmt = (
        select(
            POSTS.c.id.label("_row_id"),
            SITES.c.url.label("site"),
            POSTS.c.wp_id.label("id"),
            POSTS.c.type,
            POSTS.c.url,
            POSTS.c.slug,
            POSTS.c.title,
            func.coalesce(POSTS.c.author_name, AUTHORS.c.name).label("author"),
            POSTS.c.published_at,
            POSTS.c.modified_at,
            POSTS.c.excerpt,
            POSTS.c.content_html,
            POSTS.c.content_text,
            POSTS.c.rating_value,
            POSTS.c.rating_scale,
            POSTS.c.rating_normalized,
            POSTS.c.rating_source,
            func.coalesce(counts.c.n, 0).label("comment_count"),
            POSTS.c.rating_worst,
            POSTS.c.rating_text,
            POSTS.c.source,
            POSTS.c.deleted_at,
            POSTS.c.deleted_reason,
        )
        .join(SITES, SITES.c.id == POSTS.c.site_id)
        .outerjoin(
            AUTHORS,
            (AUTHORS.c.site_id == POSTS.c.site_id) & (AUTHORS.c.wp_id == POSTS.c.author_wp_id),
        )
        .outerjoin(
            counts, (counts.c.site_id == POSTS.c.site_id) & (counts.c.post_wp_id == POSTS.c.wp_id)
        )
        .order_by(SITES.c.url, nulls_last(POSTS.c.published_at.asc()), POSTS.c.wp_id)
    )
    stmt = stmt if include_deleted else stmt.where(POSTS.c.deleted_at.is_(None))
    return stmt if site_url is None else stmt.where(SITES.c.url == site_url)


def _comments_query(site_url: str | None, include_deleted: bool) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            SITES.c.url.label("site"),
            COMMENTS.c.wp_id.label("id"),
            COMMENTS.c.post_wp_id.label("post_id"),
            COMMENTS.c.parent_wp_id.label("parent_id"),
            COMMENTS.c.depth,
            COMMENTS.c.root_wp_id.label("root_id"),
            COMMENTS.c.author_name,
            COMMENTS.c.author_url,
            COMMENTS.c.published_at,
            COMMENTS.c.content_html,
            COMMENTS.c.content_text,
            COMMENTS.c.is_orphan,
            COMMENTS.c.parent_inferred,
            COMMENTS.c.source,
            COMMENTS.c.deleted_at,
            COMMENTS.c.deleted_reason,
        )
        .join(SITES, SITES.c.id == COMMENTS.c.site_id)
        .order_by(
            SITES.c.url,
            COMMENTS.c.post_wp_id,
            nulls_last(COMMENTS.c.published_at.asc()),
            COMMENTS.c.wp_id,
        )
    )
    stmt = stmt if include_deleted else stmt.where(COMMENTS.c.deleted_at.is_(None))
    return stmt if site_url is None else stmt.where(SITES.c.url == site_url)


def post_fields(include_deleted: bool) -> tuple[Field, ...]:
    """The posts file's fields."""
    return (*POST_FIELDS, *DELETED_FIELDS) if include_deleted else POST_FIELDS


def comment_fields(include_deleted: bool) -> tuple[Field, ...]:
    """The comments file's fields."""
    return (*COMMENT_FIELDS, *DELETED_FIELDS) if include_deleted else COMMENT_FIELDS


def iter_post_rows(
    conn: Connection, site_url: str | None, batch_size: int, include_deleted: bool = False
) -> Iterator[ExportRow]:
    """Posts and pages by site, publication date, id; with category and tag names. Items a
    sweep marked deleted only with `include_deleted`."""
    fields = post_fields(include_deleted)
    stmt = _posts_query(site_url, include_deleted)
    result = conn.execute(stmt.execution_options(yield_per=batch_size))
    for partition in result.mappings().partitions():
        terms = _term_names(conn, [row["_row_id"] for row in partition])
        for row in partition:
            item = {key: value for key, value in row.items() if key != "_row_id"}
            names = terms.get(row["_row_id"], {})
            for field_name in TAXONOMY_FIELDS.values():
                item[field_name] = names.get(field_name, [])
            yield {f.name: item[f.name] for f in fields}


def _term_names(conn: Connection, post_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    """post row id -> {"categories": [...], "tags": [...]}, names sorted for a stable output."""
    stmt = (
        select(POST_TERMS.c.post_id, TERMS.c.taxonomy, TERMS.c.name)
        .join(TERMS, TERMS.c.id == POST_TERMS.c.term_id)
        .where(TERMS.c.taxonomy.in_(TAXONOMY_FIELDS))
        .order_by(POST_TERMS.c.post_id, TERMS.c.name, TERMS.c.slug)
    )
    names: dict[int, dict[str, list[str]]] = {}
    for chunk in chunked(post_ids):
        for post_id, taxonomy, name in conn.execute(stmt.where(POST_TERMS.c.post_id.in_(chunk))):
            field_name = TAXONOMY_FIELDS[taxonomy]
            names.setdefault(post_id, {}).setdefault(field_name, []).append(name)
    return names


def iter_comment_rows(
    conn: Connection, site_url: str | None, batch_size: int, include_deleted: bool = False
) -> Iterator[ExportRow]:
    """Comments by site, post, publication date, id (deleted ones only with `include_deleted`)."""
    fields = comment_fields(include_deleted)
    stmt = _comments_query(site_url, include_deleted)
    for row in conn.execute(stmt.execution_options(yield_per=batch_size)).mappings():
        yield {f.name: row[f.name] for f in fields}
