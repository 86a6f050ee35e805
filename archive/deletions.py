"""Deletions found by a sweep: what a complete listing no longer shows is marked, never removed.

A sweep run sees (last_seen_run_id) every item its source lists. After a sweep whose listing was
complete, the site's items it did not see are marked `deleted_at` with a reason: `gone` (WordPress
answers 404/410 for it, or nothing tells more) or `hidden` (it still exists but is not public:
trashed, private, draft, a comment unapproved, spammed or on a post no longer public). An
anonymous listing cannot tell the two apart, so the scraper asks for each item when it can
(see scraper.sweep); the reasons it could not learn default to `gone`. Threading then treats a
deleted comment as not public, so its public replies become orphans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Table, or_, select

from archive.bulk import among, chunked
from archive.history import COMMENT_HISTORY, POST_HISTORY, DeletedReason, save_tombstones
from archive.models import COMMENTS, POSTS
from archive.threads import rethread_site
from archive.upsert import select_by_wp_id

ItemKind = Literal["post", "page", "comment"]
ITEM_KINDS: tuple[ItemKind, ...] = ("post", "page", "comment")
DEFAULT_REASON: DeletedReason = "gone"


def unseen_items(
    conn: Connection, site_id: int, run_id: int, kinds: tuple[ItemKind, ...]
) -> dict[ItemKind, dict[int, int | None]]:
    """The site's undeleted items of `kinds` that `run_id` did not see: kind -> {wp_id: post
    wp_id} (the comment's post; None for posts and pages)."""
    found: dict[ItemKind, dict[int, int | None]] = {kind: {} for kind in kinds}
    post_types = [k for k in kinds if k != "comment"]
    if post_types:
        stmt = select(POSTS.c.wp_id, POSTS.c.type).where(
            POSTS.c.site_id == site_id,
            POSTS.c.type.in_(post_types),
            POSTS.c.deleted_at.is_(None),
            _not_seen_by(POSTS.c.last_seen_run_id, run_id),
        )
        for wp_id, post_type in conn.execute(stmt):
            found[post_type][wp_id] = None
    if "comment" in kinds:
        stmt = select(COMMENTS.c.wp_id, COMMENTS.c.post_wp_id).where(
            COMMENTS.c.site_id == site_id,
            COMMENTS.c.deleted_at.is_(None),
            _not_seen_by(COMMENTS.c.last_seen_run_id, run_id),
        )
        found["comment"] = {wp_id: post for wp_id, post in conn.execute(stmt)}
    return found


def replies_to_unseen(
    conn: Connection, site_id: int, run_id: int, wp_ids: Iterable[int]
) -> set[int]:
    """Those of the given comments that reply to a comment `run_id` did not see (hidden since,
    or never archived)."""
    parent = COMMENTS.alias("parent")
    seen_parent = (
        select(parent.c.id)
        .where(
            parent.c.site_id == COMMENTS.c.site_id,
            parent.c.wp_id == COMMENTS.c.parent_wp_id,
            parent.c.last_seen_run_id == run_id,
        )
        .exists()
    )
    found: set[int] = set()
    for chunk in chunked(sorted(set(wp_ids))):
        stmt = select(COMMENTS.c.wp_id).where(
            COMMENTS.c.site_id == site_id,
            among(conn, COMMENTS.c.wp_id, chunk),
            COMMENTS.c.parent_wp_id.is_not(None),
            COMMENTS.c.parent_wp_id != 0,
            ~seen_parent,
        )
        found.update(conn.scalars(stmt))
    return found


def _not_seen_by(column: ColumnElement[Any], run_id: int) -> ColumnElement[bool]:
    return or_(column.is_(None), column != run_id)


def mark_deleted(
    conn: Connection,
    site_id: int,
    run_id: int,
    reasons: Mapping[ItemKind, Mapping[int, DeletedReason]],
    now: datetime,
) -> dict[ItemKind, int]:
    """Mark the given items deleted (kind -> {wp_id: reason}) with tombstone versions, then
    rethread the site; returns how many of each kind were marked."""
    counted: dict[ItemKind, int] = {}
    for kind, by_wp_id in reasons.items():
        table, history = (COMMENTS, COMMENT_HISTORY) if kind == "comment" else (POSTS, POST_HISTORY)
        ids = _row_ids(conn, table, site_id, by_wp_id)
        marked = {ids[w]: reason for w, reason in by_wp_id.items() if w in ids}
        save_tombstones(conn, history, marked, run_id, now)
        counted[kind] = len(marked)
    if any(counted.values()):
        rethread_site(conn, site_id)
    return counted


def _row_ids(
    conn: Connection, table: Table, site_id: int, wp_ids: Mapping[int, str]
) -> dict[int, int]:
    """wp_id -> row id of the items not marked deleted yet."""
    found = select_by_wp_id(conn, table, site_id, wp_ids, "id", "deleted_at")
    return {wp_id: row_id for wp_id, (row_id, deleted_at) in found.items() if deleted_at is None}
