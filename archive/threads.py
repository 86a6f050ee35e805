"""Comment threading: depth, root and orphan flags from (wp_id, parent_wp_id) pairs, and its storage.

Rules: a top-level comment has depth 1 and is its own root. A comment whose parent is not archived
is an orphan (is_orphan, parent_id NULL, parent_wp_id kept); the chain to the top passes a comment
we cannot see, so the depth and root of an orphan and of all its descendants are NULL (unknown).
Members of a parent cycle (bad data) are orphans too, so walking up parent_id always ends.
A comment a sweep marked deleted (archive.deletions) counts as not archived: its public replies are
orphans until it comes back; its own threading columns keep their last values.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Column, Connection, Select, func, select, update

from archive.bulk import among, chunked, select_site_rows, update_by_id
from archive.columns import Row
from archive.models import COMMENTS, POSTS

LOGGER = logging.getLogger(__name__)

RETHREAD_COMMENTS = 5000  # about this many comments are re-placed together in the full pass


class Placement(NamedTuple):
    """Where a comment sits in its thread; depth and root are None when unknown."""

    depth: int | None
    root_wp_id: int | None
    is_orphan: bool


ORPHAN = Placement(None, None, True)


def place_top(wp_id: int) -> Placement:
    """A top-level comment: depth 1, its own root."""
    return Placement(1, wp_id, False)


def place_child(parent: Placement) -> Placement:
    """A reply under `parent`: one level deeper, or unknown below an unknown chain."""
    if parent.depth is None:
        return Placement(None, None, False)
    return Placement(parent.depth + 1, parent.root_wp_id, False)


def place_comments(pairs: Iterable[tuple[int, int | None]]) -> dict[int, Placement]:
    """Place every comment of `pairs`; a parent outside the pairs makes an orphan.

    Each comment is walked once (O(n) time and memory); a parent 0 counts as top level.
    """
    parents = {wp_id: parent or None for wp_id, parent in pairs}
    placed: dict[int, Placement] = {}
    for start in parents:
        if start not in placed:
            _place_chain(start, parents, placed)
    return placed


def _place_chain(
    start: int,
    parents: Mapping[int, int | None],
    placed: dict[int, Placement],
) -> None:
    """Walk up from `start` to something placed, then place the walked path top-down."""
    path: list[int] = []
    on_path: dict[int, int] = {}
    node = start
    while True:
        on_path[node] = len(path)
        path.append(node)
        parent = parents[node]
        if parent is None:
            anchor = place_top(node)
        elif parent in placed:
            anchor = place_child(placed[parent])
        elif parent in on_path:
            cycle_start = on_path[parent]
            LOGGER.warning("comment parent cycle through %s", path[cycle_start:])
            for member in path[cycle_start:]:
                placed[member] = ORPHAN
            del path[cycle_start:]
            anchor = place_child(ORPHAN)
        elif parent in parents:
            node = parent
            continue
        else:
            anchor = ORPHAN
        break
    for wp_id in reversed(path):
        placed[wp_id] = anchor
        anchor = place_child(anchor)


class StoredThread(NamedTuple):
    """A comment's stored threading columns."""

    id: int
    parent_wp_id: int | None
    parent_id: int | None
    depth: int | None
    root_wp_id: int | None
    is_orphan: bool


_THREAD_COLUMNS = tuple(COMMENTS.c[name] for name in StoredThread._fields)
_PUBLIC = COMMENTS.c.deleted_at.is_(None)


STORED_THREADING = ("parent_id", "depth", "root_wp_id", "is_orphan")
NOT_THREADED = (None, None, None, False)  # a new row's threading columns before it is placed


@dataclass
class BatchThreads:
    """A batch's threading, placed before its write (see thread_rows): every placement, the rows
    it was placed with (the batch as it will be stored, and its stored ancestry), the batch
    rows whose threading differs from what is stored, and those that need an UPDATE after
    the write (not written by it, or pointing at a parent written after them)."""

    placed: dict[int, Placement]
    rows: dict[int, StoredThread]
    changed: set[int]
    updates: list[dict[str, Any]] = field(default_factory=list)


def thread_rows(
    conn: Connection,
    rows: Sequence[Row],
    site_id: int,
    ids: Mapping[int, int],
    stored: Mapping[int, tuple[Any, ...]],
    written: Container[int],
) -> BatchThreads:
    """Place a batch of comment rows before they are written, and set their threading columns.

    `ids` gives every row's id (new rows' ids are assigned before the write), `stored` the
    STORED_THREADING columns of the stored ones, `written` the wp_ids the write will insert or
    update. The batch is placed together with its whole stored ancestry (a few short queries),
    so a cycle closed by this batch is seen. A reply whose parent is new in this batch and
    comes after it in wp_id order gets its parent_id by an UPDATE after the write: a foreign
    key is checked row by row on SQLite."""
    batch = {}
    for row in rows:
        wp_id = row["wp_id"]
        batch[wp_id] = StoredThread(
            ids[wp_id], row["parent_wp_id"], *stored.get(wp_id, NOT_THREADED)
        )
    known = _with_ancestry(conn, site_id, dict(batch))
    placed = place_comments((wp_id, row.parent_wp_id) for wp_id, row in known.items())
    threads = BatchThreads(placed, known, set())
    for row in rows:
        wp_id = row["wp_id"]
        wanted = _wanted(placed[wp_id], known, batch[wp_id])
        if wanted != batch[wp_id][2:]:
            threads.changed.add(wp_id)
        parent_wp_id = row["parent_wp_id"]
        late_parent = (
            wanted[0] is not None
            and parent_wp_id in batch
            and parent_wp_id not in stored
            and parent_wp_id > wp_id
        )
        row.update(zip(STORED_THREADING, wanted, strict=True))  # written with the row
        if late_parent:
            row["parent_id"] = None
        if (wp_id not in written and wanted != batch[wp_id][2:]) or (
            wp_id in written and late_parent
        ):
            threads.updates.append(dict(zip(_UPDATED, (ids[wp_id], *wanted), strict=True)))
    return threads


def finish_threads(conn: Connection, site_id: int, threads: BatchThreads) -> int:
    """After the batch's write: its remaining UPDATEs, then the stored replies (saved by earlier
    batches) whose threading the batch changed, fixed level by level, so an out-of-order crawl
    converges without waiting for `rethread_site`. Returns the rows changed."""
    update_by_id(conn, COMMENTS, threads.updates)
    placed, rows, changed = threads.placed, threads.rows, set(threads.changed)
    total = len(changed)
    while changed:
        # Only below a changed row can a stored reply's threading change.
        children = _select_children(conn, site_id, changed, placed.keys())
        for wp_id, row in children.items():
            if row.parent_wp_id is not None:  # always: children were selected by their parent
                placed[wp_id] = place_child(placed[row.parent_wp_id])
        rows.update(children)
        changed = _write_changes(conn, placed, children, rows)
        total += len(changed)
    return total


def _with_ancestry(
    conn: Connection, site_id: int, rows: dict[int, StoredThread]
) -> dict[int, StoredThread]:
    """`rows` plus every stored ancestor they reach (a few short queries, one per level)."""
    missing = _parents_of(rows.values()) - rows.keys()
    while missing:
        ancestors = _select_threads(conn, site_id, missing)
        rows.update(ancestors)
        missing = _parents_of(ancestors.values()) - rows.keys()
    return rows


def _parents_of(rows: Iterable[StoredThread]) -> set[int]:
    return {row.parent_wp_id for row in rows if row.parent_wp_id is not None}


def rethread_site(conn: Connection, site_id: int) -> int:
    """The full pass over a site's comments: link posts, re-place every comment, write changes.

    Threads do not cross posts, so the pass goes a group of posts at a time: memory follows the
    largest post's comments, not the site's. A parent stored under another post (WordPress's database
    allows it) is fetched with its ancestry, as thread_rows does. Only rows that differ are
    written.
    """
    linked = link_comment_posts(conn, site_id)
    changed = comments = 0
    for chunk in _post_groups(conn, site_id):
        stmt = _select_comments(conn, site_id, COMMENTS.c.post_wp_id, chunk)
        targets = {wp_id: StoredThread(*row) for wp_id, *row in conn.execute(stmt)}
        rows = _with_ancestry(conn, site_id, dict(targets))
        placed = place_comments((wp_id, row.parent_wp_id) for wp_id, row in rows.items())
        changed += len(_write_changes(conn, placed, targets, rows))
        comments += len(targets)
    LOGGER.info("rethread site %s: %d comments, %d changed", site_id, comments, changed)
    return changed + linked


def _post_groups(conn: Connection, site_id: int) -> Iterator[list[int]]:
    """The site's commented posts in groups of about RETHREAD_COMMENTS comments (a post with
    more comments than that is a group of its own)."""
    counts = conn.execute(
        select(COMMENTS.c.post_wp_id, func.count())
        .where(COMMENTS.c.site_id == site_id)
        .group_by(COMMENTS.c.post_wp_id)
        .order_by(COMMENTS.c.post_wp_id)
    ).all()
    group: list[int] = []
    size = 0
    for post_wp_id, count in counts:
        if group and size + count > RETHREAD_COMMENTS:
            yield group
            group, size = [], 0
        group.append(post_wp_id)
        size += count
    if group:
        yield group


def _select_comments(
    conn: Connection, site_id: int, key: Column[Any], values: Sequence[int]
) -> Select[Any]:
    """The public comments of the site whose `key` is among `values`: wp_id and threading."""
    columns = [COMMENTS.c.wp_id, *_THREAD_COLUMNS]
    return select_site_rows(conn, columns, COMMENTS, site_id, key, values, _PUBLIC)


def _select_threads(
    conn: Connection, site_id: int, wp_ids: Iterable[int]
) -> dict[int, StoredThread]:
    found: dict[int, StoredThread] = {}
    for chunk in chunked(sorted(set(wp_ids))):
        stmt = _select_comments(conn, site_id, COMMENTS.c.wp_id, chunk)
        found.update({wp_id: StoredThread(*row) for wp_id, *row in conn.execute(stmt)})
    return found


def _select_children(
    conn: Connection, site_id: int, parent_wp_ids: Iterable[int], placed: Container[int]
) -> dict[int, StoredThread]:
    """Stored replies to `parent_wp_ids` that are not placed yet (so a cycle cannot repeat)."""
    children: dict[int, StoredThread] = {}
    for chunk in chunked(sorted(parent_wp_ids)):
        stmt = _select_comments(conn, site_id, COMMENTS.c.parent_wp_id, chunk)
        for wp_id, *row in conn.execute(stmt):
            if wp_id not in placed:
                children[wp_id] = StoredThread(*row)
    return children


def _write_changes(
    conn: Connection,
    placed: Mapping[int, Placement],
    targets: Mapping[int, StoredThread],
    rows: Mapping[int, StoredThread],
) -> set[int]:
    """UPDATE the `targets` whose stored threading differs from `placed`; return their wp_ids.

    `rows` (targets and their parents) give the parent's row id; an orphan gets no parent_id.
    """
    params = []
    changed = set()
    for wp_id, row in targets.items():
        wanted = _wanted(placed[wp_id], rows, row)
        if wanted != (row.parent_id, row.depth, row.root_wp_id, row.is_orphan):
            params.append(dict(zip(_UPDATED, (row.id, *wanted), strict=True)))
            changed.add(wp_id)
    update_by_id(conn, COMMENTS, params)
    return changed


_UPDATED = ("id", *STORED_THREADING)
Threading = tuple[int | None, int | None, int | None, bool]  # parent_id, depth, root, orphan


def _wanted(placement: Placement, rows: Mapping[int, StoredThread], row: StoredThread) -> Threading:
    """The threading columns `placement` gives `row`; `rows` hold its parent's row id (an orphan
    gets no parent_id)."""
    parent = rows.get(row.parent_wp_id or 0)
    parent_id = None if placement.is_orphan or parent is None else parent.id
    return (parent_id, placement.depth, placement.root_wp_id, placement.is_orphan)


def link_comment_posts(
    conn: Connection, site_id: int, post_wp_ids: Collection[int] | None = None
) -> int:
    """Point comments at their post row once the post is archived (only the comments of
    `post_wp_ids` when given); return rows linked."""
    post_id = (
        select(POSTS.c.id)
        .where(POSTS.c.site_id == site_id, POSTS.c.wp_id == COMMENTS.c.post_wp_id)
        .scalar_subquery()
    )
    stmt = (
        update(COMMENTS)
        .where(COMMENTS.c.site_id == site_id, COMMENTS.c.post_id.is_(None), post_id.is_not(None))
        .values(post_id=post_id)
    )
    if post_wp_ids is None:
        return conn.execute(stmt).rowcount
    wanted = sorted(post_wp_ids)
    return sum(
        conn.execute(stmt.where(among(conn, COMMENTS.c.post_wp_id, chunk))).rowcount
        for chunk in chunked(wanted)
    )
