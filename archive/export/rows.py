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
from archive.models import Author, Comment, Post, PostTerm, Site, Term

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
        select(Comment.site_id, Comment.post_wp_id, func.count().label("n"))
        .where(Comment.deleted_at.is_(None))
        .group_by(Comment.site_id, Comment.post_wp_id)
        .subquery()
    )
    stmt = (
        select(
            Post.id.label("_row_id"),
            Site.url.label("site"),
            Post.wp_id.label("id"),
            Post.type,
            Post.url,
            Post.slug,
            Post.title,
            func.coalesce(Post.author_name, Author.name).label("author"),
            Post.published_at,
            Post.modified_at,
            Post.excerpt,
            Post.content_html,
            Post.content_text,
            Post.rating_value,
            Post.rating_scale,
            Post.rating_normalized,
            Post.rating_source,
            func.coalesce(counts.c.n, 0).label("comment_count"),
            Post.rating_worst,
            Post.rating_text,
            Post.source,
            Post.deleted_at,
            Post.deleted_reason,
        )
        .join(Site, Site.id == Post.site_id)
        .outerjoin(Author, (Author.site_id == Post.site_id) & (Author.wp_id == Post.author_wp_id))
        .outerjoin(counts, (counts.c.site_id == Post.site_id) & (counts.c.post_wp_id == Post.wp_id))
        .order_by(Site.url, nulls_last(Post.published_at.asc()), Post.wp_id)
    )
    stmt = stmt if include_deleted else stmt.where(Post.deleted_at.is_(None))
    return stmt if site_url is None else stmt.where(Site.url == site_url)


def _comments_query(site_url: str | None, include_deleted: bool) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            Site.url.label("site"),
            Comment.wp_id.label("id"),
            Comment.post_wp_id.label("post_id"),
            Comment.parent_wp_id.label("parent_id"),
            Comment.depth,
            Comment.root_wp_id.label("root_id"),
            Comment.author_name,
            Comment.author_url,
            Comment.published_at,
            Comment.content_html,
            Comment.content_text,
            Comment.is_orphan,
            Comment.parent_inferred,
            Comment.source,
            Comment.deleted_at,
            Comment.deleted_reason,
        )
        .join(Site, Site.id == Comment.site_id)
        .order_by(
            Site.url, Comment.post_wp_id, nulls_last(Comment.published_at.asc()), Comment.wp_id
        )
    )
    stmt = stmt if include_deleted else stmt.where(Comment.deleted_at.is_(None))
    return stmt if site_url is None else stmt.where(Site.url == site_url)


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
        select(PostTerm.post_id, Term.taxonomy, Term.name)
        .join(Term, Term.id == PostTerm.term_id)
        .where(Term.taxonomy.in_(TAXONOMY_FIELDS))
        .order_by(PostTerm.post_id, Term.name, Term.slug)
    )
    names: dict[int, dict[str, list[str]]] = {}
    for chunk in chunked(post_ids):
        for post_id, taxonomy, name in conn.execute(stmt.where(PostTerm.post_id.in_(chunk))):
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
