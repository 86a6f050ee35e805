"""Versions of posts and comments: a new one when the visible content changes, none when it does not.

A version holds the visible fields (post: title, body, excerpt, status, terms, rating, author name;
comment: author name and URL, text), their hash, and the crawl runs that first and last saw it.
The current version is the one the row holds (`is_current`). When a sweep finds an item no longer
public, a tombstone version (same fields, `deleted_reason` set) becomes current, so an item that
comes back starts a new version and its history keeps the gap.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Float, Table, select, update

from archive.bulk import among, chunked, insert_rows, update_by_id
from archive.columns import EncodedJson, Row, canonical_json, digest_of, fingerprint
from archive.models import COMMENT_VERSIONS, COMMENTS, POST_TERMS, POST_VERSIONS, POSTS, TERMS

DeletedReason = str  # "gone" | "hidden"
DELETED_REASONS = ("gone", "hidden")


@dataclass(frozen=True)
class VersionedKind:
    """A table whose visible content is versioned: its columns and its versions table."""

    table: Table
    versions: Table
    owner: str  # the versions table's foreign key column
    visible: tuple[str, ...]
    with_terms: bool


POST_HISTORY = VersionedKind(
    POSTS,
    POST_VERSIONS,
    "post_id",
    (
        "title",
        "excerpt",
        "status",
        "content_html",
        "content_text",
        "author_name",
        "rating_value",
        "rating_scale",
    ),
    with_terms=True,
)
COMMENT_HISTORY = VersionedKind(
    COMMENTS,
    COMMENT_VERSIONS,
    "comment_id",
    ("author_name", "author_url", "content_html", "content_text"),
    with_terms=False,
)


Owner = tuple[int, int]  # a versioned row's site_id and wp_id


class Visible(NamedTuple):
    """A row's visible fields as stored, with its identity and current content hash."""

    site_id: int
    wp_id: int
    content_hash: str | None
    fields: dict[str, Any]


def save_versions(
    conn: Connection,
    kind: VersionedKind,
    row_ids: Sequence[int],
    changed_ids: Iterable[int],
    run_id: int,
    now: datetime,
    inserted: Mapping[int, tuple[str, Owner, EncodedJson]] | None = None,
) -> int:
    """After a batch's upsert: a version for each row whose visible content, read back as stored,
    is new; the current version of every other row is marked seen by `run_id`. Returns the
    versions written. (Posts: a rating or terms kept from the stored row are only known there.)

    `inserted`: the rows (by id) the upsert inserted, hashed before the write, each with its
    content hash, its owner and its visible fields as hash_visible encoded them. Nothing stored
    can differ from what was inserted, so they are new versions (with none to retire), not
    read back. Only the other rows the upsert changed, and rows with no current version (back
    from deletion), are read again, in batched queries."""
    inserted = inserted or {}
    changed = set(changed_ids)
    unchanged = [row_id for row_id in row_ids if row_id not in changed]
    candidates = (changed - inserted.keys()) | _without_version(conn, kind, unchanged)
    stored = _visible_fields(conn, kind, sorted(candidates))
    encoded = {row_id: canonical_json(visible.fields) for row_id, visible in stored.items()}
    read_back = {
        row_id: (digest, (visible.site_id, visible.wp_id), encoded[row_id])
        for row_id, visible in stored.items()
        if (digest := digest_of(encoded[row_id])) != visible.content_hash
    }
    hashes = [{"id": row_id, "content_hash": v[0]} for row_id, v in sorted(read_back.items())]
    update_by_id(conn, kind.table, hashes)
    new = {**inserted, **read_back}
    return _keep_versions(conn, kind, row_ids, new, run_id, now, inserted.keys())


def hash_visible(
    kind: VersionedKind, rows: Sequence[Row], terms: Mapping[int, Iterable[list[str]]] | None = None
) -> dict[int, EncodedJson]:
    """Before a write that stores `rows` as they are: wp_id -> their visible fields as canonical
    JSON (as _visible_fields reads them back), and each row's `content_hash` set to its digest.
    Every visible column is the row's own; a post's terms are the [taxonomy, name] pairs it
    will be linked to, by wp_id (`terms`)."""
    encoded = {}
    floats = [name for name in kind.visible if isinstance(kind.table.c[name].type, Float)]
    for row in rows:
        visible = {name: row[name] for name in kind.visible}
        for name in floats:  # a Float column reads back a float: a scale of 5 as 5.0
            if visible[name] is not None:
                visible[name] = float(visible[name])
        if kind.with_terms:
            visible["terms"] = sorted((terms or {}).get(row["wp_id"], []))
        fields = canonical_json(visible)
        row["content_hash"] = digest_of(fields)
        encoded[row["wp_id"]] = fields
    return encoded


def save_row_versions(
    conn: Connection,
    kind: VersionedKind,
    rows: Sequence[Row],
    encoded: Mapping[int, EncodedJson],
    ids: Mapping[int, int],
    stored_hashes: Mapping[int, str | None],
    written: Container[int],
    run_id: int,
    now: datetime,
) -> int:
    """After the write of rows hashed by `hash_visible`: a version for each row whose content
    hash is not the stored one (`stored_hashes`, read before the write; a new row has none);
    the current version of every other row is marked seen by `run_id`. Rows the write did not
    touch (`written`) but that need a version (back from deletion) get their hash here. Returns
    the versions written."""
    new = {
        ids[row["wp_id"]]: (
            row["content_hash"],
            (row["site_id"], row["wp_id"]),
            encoded[row["wp_id"]],
        )
        for row in rows
        if row["content_hash"] != stored_hashes.get(row["wp_id"])
    }
    hashes = [
        {"id": ids[row["wp_id"]], "content_hash": row["content_hash"]}
        for row in rows
        if row["wp_id"] not in written and ids[row["wp_id"]] in new
    ]
    update_by_id(conn, kind.table, hashes)
    # A row the batch inserted has no version yet: none to retire.
    fresh = {ids[row["wp_id"]] for row in rows if row["wp_id"] not in stored_hashes}
    return _keep_versions(conn, kind, list(ids.values()), new, run_id, now, fresh)


def _keep_versions(
    conn: Connection,
    kind: VersionedKind,
    row_ids: Sequence[int],
    new: Mapping[int, tuple[str, Owner, EncodedJson]],
    run_id: int,
    now: datetime,
    fresh: Container[int] = (),
) -> int:
    """Write the `new` versions; mark the current version of the other `row_ids` seen. `fresh`:
    rows known to have no version yet."""
    _write_versions(conn, kind, new, run_id, now, reason=None, fresh=fresh)
    for chunk in chunked(sorted(set(row_ids) - new.keys())):
        conn.execute(
            update(kind.versions)
            .where(among(conn, kind.versions.c[kind.owner], chunk), kind.versions.c.is_current)
            .values(last_seen_run_id=run_id, last_seen_at=now)
        )
    return len(new)


def save_tombstones(
    conn: Connection,
    kind: VersionedKind,
    reasons: Mapping[int, DeletedReason],
    run_id: int,
    now: datetime,
) -> None:
    """Mark rows (by row id) deleted, with a tombstone version each; their content_hash is cleared
    so the item starts a new version when it comes back."""
    stored = _visible_fields(conn, kind, sorted(reasons))
    for reason in DELETED_REASONS:
        ids = [row_id for row_id, why in reasons.items() if why == reason]
        tombstones = {
            i: (
                fingerprint({**stored[i].fields, "deleted": reason}),
                (stored[i].site_id, stored[i].wp_id),
                canonical_json(stored[i].fields),
            )
            for i in ids
        }
        _write_versions(conn, kind, tombstones, run_id, now, reason=reason)
        for chunk in chunked(sorted(ids)):
            conn.execute(
                update(kind.table)
                .where(among(conn, kind.table.c.id, chunk))
                .values(deleted_at=now, deleted_reason=reason, content_hash=None)
            )


def _without_version(conn: Connection, kind: VersionedKind, row_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(sorted(row_ids)):
        stmt = select(kind.table.c.id).where(
            among(conn, kind.table.c.id, chunk), kind.table.c.content_hash.is_(None)
        )
        found.update(conn.scalars(stmt))
    return found


def _visible_fields(
    conn: Connection, kind: VersionedKind, row_ids: Sequence[int]
) -> dict[int, Visible]:
    """row id -> its visible fields as stored now."""
    table = kind.table
    out: dict[int, Visible] = {}
    head = (table.c.id, table.c.site_id, table.c.wp_id, table.c.content_hash)
    for chunk in chunked(row_ids):
        stmt = select(*head, *(table.c[name] for name in kind.visible)).where(
            among(conn, table.c.id, chunk)
        )
        terms = _term_names(conn, chunk) if kind.with_terms else {}
        for row_id, site_id, wp_id, content_hash, *values in conn.execute(stmt):
            fields = dict(zip(kind.visible, values, strict=True))
            if kind.with_terms:
                fields["terms"] = sorted(terms.get(row_id, []))
            out[row_id] = Visible(site_id, wp_id, content_hash, fields)
    return out


def _term_names(conn: Connection, post_ids: Sequence[int]) -> dict[int, list[list[str]]]:
    stmt = (
        select(POST_TERMS.c.post_id, TERMS.c.taxonomy, TERMS.c.name)
        .join(TERMS, TERMS.c.id == POST_TERMS.c.term_id)
        .where(among(conn, POST_TERMS.c.post_id, post_ids))
    )
    found: dict[int, list[list[str]]] = {}
    for post_id, taxonomy, name in conn.execute(stmt):
        found.setdefault(post_id, []).append([taxonomy, name])
    return found


def _write_versions(
    conn: Connection,
    kind: VersionedKind,
    versions: Mapping[int, tuple[str, Owner, EncodedJson]],
    run_id: int,
    now: datetime,
    reason: DeletedReason | None,
    fresh: Container[int] = (),
) -> None:
    """Insert `versions` (row id -> (hash, fields, their JSON)) as current; the ones they replace
    are not (rows in `fresh` have none to replace)."""
    if not versions:
        return
    owner = kind.versions.c[kind.owner]
    for chunk in chunked(sorted(row_id for row_id in versions if row_id not in fresh)):
        conn.execute(
            update(kind.versions)
            .where(among(conn, owner, chunk), kind.versions.c.is_current)
            .values(is_current=False)
        )
    rows = [
        {
            kind.owner: row_id,
            "site_id": site_id,
            "wp_id": wp_id,
            "content_hash": digest,
            "fields": fields,
            "deleted_reason": reason,
            "is_current": True,
            "first_seen_run_id": run_id,
            "last_seen_run_id": run_id,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for row_id, (digest, (site_id, wp_id), fields) in sorted(versions.items())
    ]
    insert_rows(conn, kind.versions, rows)
