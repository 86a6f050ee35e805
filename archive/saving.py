"""Saving one batch of records: authors, terms, posts (with their terms), comments, problems.

Rating rule: a record without a rating keeps a stored rating found in the page head (JSON-LD)
unless the record itself comes from the page ("html"). REST, WordPress.com and feeds see only the
post body, so they cannot see such a rating; a rating found in the body, though, is theirs to
clear (the author edited it out). Every other column follows the newest record, unless a richer
source wrote it (archive.fidelity, ranked by the traits the source registry gives). Posts and
comments keep versions of their visible content (archive.history); every row a batch saves is
marked seen by its run, and un-deleted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, delete, insert

from archive.bulk import among, chunked, insert_rows
from archive.columns import RATING_COLUMNS, author_row, comment_row, post_row
from archive.db import lock_site_writes
from archive.fidelity import COMMENT_GROUPS, POST_GROUPS, merge_rows
from archive.history import (
    COMMENT_HISTORY,
    POST_HISTORY,
    hash_visible,
    save_row_versions,
    save_versions,
)
from archive.models import AUTHORS, COMMENTS, POST_TERMS, POSTS, PROBLEMS
from archive.records import (
    AuthorRecord,
    CommentRecord,
    PostRecord,
    ProblemRecord,
    Record,
    SourceTraits,
    TermRecord,
    TermRef,
)
from archive.redact import redact_text, redact_url
from archive.state import RunMarks, SaveCounts, read_progress, record_progress
from archive.terms import resolve_term_refs, save_terms
from archive.threads import STORED_THREADING, finish_threads, link_comment_posts, thread_rows
from archive.upsert import (
    KindCounts,
    UpsertPlan,
    apply_upsert,
    assign_ids,
    plan_upsert,
    select_by_wp_id,
    unique_by_wp_id,
    upsert_by_wp_id,
)

HEAD_ONLY_RATING = "json-ld"  # the one place a rating hides from body-only sources


def save_authors(
    conn: Connection, site_id: int, records: Sequence[AuthorRecord], now: datetime
) -> KindCounts:
    """Upsert the site's authors."""
    rows = unique_by_wp_id(author_row(site_id, r) for r in records)
    return upsert_by_wp_id(conn, AUTHORS, site_id, rows, now).counts


@functools.lru_cache(maxsize=8)
def _rating_rule(head_readers: frozenset[str]) -> Callable[[Any], dict[str, ColumnElement[Any]]]:
    """Keep a head (JSON-LD) rating when a source that cannot see the head (none of
    `head_readers`) reports none. One rule object per set of readers, so the upsert statement
    it shapes is built once."""

    def keep_rating(excluded: Any) -> dict[str, ColumnElement[Any]]:
        keep = and_(
            excluded.rating_value.is_(None),
            # one comparison per name: an IN list cannot be bound in an executemany upsert
            *(excluded.source != name for name in sorted(head_readers)),
            POSTS.c.rating_source == HEAD_ONLY_RATING,
        )
        return {name: case((keep, POSTS.c[name]), else_=excluded[name]) for name in RATING_COLUMNS}

    return keep_rating


def _seen(run_id: int) -> dict[str, Any]:
    return {"last_seen_run_id": run_id, "deleted_at": None, "deleted_reason": None}


def save_posts(
    conn: Connection,
    site_id: int,
    run_id: int,
    records: Sequence[PostRecord],
    now: datetime,
    traits: SourceTraits,
) -> KindCounts:
    """Upsert posts and pages; relink the terms of those that changed (unless a richer source
    wrote them); link waiting comments; keep a version of changed visible content.

    A new post is hashed before its write, with the terms it will be linked to: nothing
    stored can differ from it. A changed one keeps its stored hash through the write and is
    read back after it, where a kept rating or kept terms show."""
    latest = {r.wp_id: r for r in records}
    rows = unique_by_wp_id(post_row(site_id, r) for r in latest.values())
    kept_terms = merge_rows(conn, POSTS, site_id, rows, POST_GROUPS, traits)
    plan = plan_upsert(conn, POSTS, site_id, rows, now, _seen(run_id), ("content_hash",))
    assign_ids(conn, plan)
    relinked = [latest[row["wp_id"]] for row in plan.writes if row["wp_id"] not in kept_terms]
    links = _term_links(conn, site_id, relinked)
    new_rows = [row for row in plan.writes if plan.is_new(row["wp_id"])]
    encoded = hash_visible(POST_HISTORY, new_rows, {w: t.values() for w, t in links.items()})
    for row in plan.writes:
        if not plan.is_new(row["wp_id"]):
            row["content_hash"] = plan.stored[row["wp_id"]][0]
    saved = apply_upsert(conn, plan, _rating_rule(traits.head_readers))
    _write_links(conn, plan, links)
    if saved.changed:
        link_comment_posts(conn, site_id, saved.changed)
    inserted = {
        saved.ids[row["wp_id"]]: (
            row["content_hash"],
            (site_id, row["wp_id"]),
            encoded[row["wp_id"]],
        )
        for row in new_rows
    }
    saved.counts.versions = save_versions(
        conn,
        POST_HISTORY,
        list(saved.ids.values()),
        [saved.ids[w] for w in saved.changed],
        run_id,
        now,
        inserted,
    )
    return saved.counts


def _term_links(
    conn: Connection, site_id: int, records: Sequence[PostRecord]
) -> dict[int, dict[int, list[str]]]:
    """wp_id -> the terms each post is to be linked to: term id -> [taxonomy, name] as stored
    (unknown terms are created)."""
    refs: list[tuple[TermRef, str]] = [(t, r.source) for r in records for t in r.terms]
    resolved = resolve_term_refs(conn, site_id, refs) if refs else {}
    return {
        r.wp_id: {
            resolved[t].id: [resolved[t].taxonomy, resolved[t].name]
            for t in r.terms
            if t in resolved
        }
        for r in records
    }


def _write_links(
    conn: Connection, plan: UpsertPlan, links: dict[int, dict[int, list[str]]]
) -> None:
    """Replace the post_terms links of the posts in `links` (by wp_id). A new post has none to
    delete: its id was never used (links cascade away with their post)."""
    stored = sorted(plan.ids[w] for w in links if not plan.is_new(w))
    for chunk in chunked(stored):
        conn.execute(delete(POST_TERMS).where(among(conn, POST_TERMS.c.post_id, chunk)))
    # The posts' links were all deleted above, under the site's write lock: none can conflict.
    rows = sorted((plan.ids[w], term_id) for w, terms in links.items() for term_id in terms)
    insert_rows(conn, POST_TERMS, [{"post_id": p, "term_id": t} for p, t in rows])


def save_comments(
    conn: Connection,
    site_id: int,
    run_id: int,
    records: Sequence[CommentRecord],
    now: datetime,
    traits: SourceTraits,
) -> KindCounts:
    """Upsert comments, link them to archived posts, thread them, keep versions.

    Each comment is written once: its post, threading and content hash are known before the
    write (new rows get their ids first, so replies in the same batch can point at them)."""
    rows = unique_by_wp_id(comment_row(site_id, r) for r in records)
    merge_rows(conn, COMMENTS, site_id, rows, COMMENT_GROUPS, traits)
    post_ids = select_by_wp_id(conn, POSTS, site_id, (r["post_wp_id"] for r in rows), "id")
    for row in rows:
        row["post_id"] = post_ids.get(row["post_wp_id"], (None,))[0]
    encoded = hash_visible(COMMENT_HISTORY, rows)
    read = ("content_hash", *STORED_THREADING)
    plan = plan_upsert(conn, COMMENTS, site_id, rows, now, _seen(run_id), read)
    assign_ids(conn, plan)
    written = {row["wp_id"] for row in plan.writes}
    stored_threads = {wp_id: values[1:] for wp_id, values in plan.stored.items()}
    threads = thread_rows(conn, rows, site_id, plan.ids, stored_threads, written)
    saved = apply_upsert(conn, plan)
    finish_threads(conn, site_id, threads)
    stored_hashes = {wp_id: values[0] for wp_id, values in plan.stored.items()}
    saved.counts.versions = save_row_versions(
        conn, COMMENT_HISTORY, rows, encoded, saved.ids, stored_hashes, written, run_id, now
    )
    return saved.counts


def save_problems(
    conn: Connection, run_id: int, records: Sequence[ProblemRecord], now: datetime
) -> int:
    """Append problems to the run."""
    if records:
        rows = [
            {
                "run_id": run_id,
                "kind": r.kind,
                "message": redact_text(r.message),
                "url": redact_url(r.url),
                "at": now,
            }
            for r in records
        ]
        conn.execute(insert(PROBLEMS), rows)
    return len(records)


def save_batch(
    conn: Connection,
    site_id: int,
    run_id: int,
    records: Sequence[Record],
    now: datetime,
    traits: SourceTraits,
) -> SaveCounts:
    """Save one batch of a run, in dependency order, and add its counts to the run."""
    lock_site_writes(conn, site_id)
    progress = read_progress(conn, run_id)
    if progress.site_id != site_id:
        raise ValueError(f"crawl run {run_id} does not belong to site {site_id}")
    posts = [r for r in records if isinstance(r, PostRecord)]
    comments = [r for r in records if isinstance(r, CommentRecord)]
    counts = SaveCounts()
    counts.authors = save_authors(
        conn, site_id, [r for r in records if isinstance(r, AuthorRecord)], now
    )
    counts.terms = save_terms(conn, site_id, [r for r in records if isinstance(r, TermRecord)])
    counts.posts = save_posts(conn, site_id, run_id, posts, now, traits)
    counts.comments = save_comments(conn, site_id, run_id, comments, now, traits)
    problems = [r for r in records if isinstance(r, ProblemRecord)]
    counts.problems = save_problems(conn, run_id, problems, now)
    record_progress(conn, progress, counts, batch_marks(posts, comments), now)
    return counts


def batch_marks(posts: Sequence[PostRecord], comments: Sequence[CommentRecord]) -> RunMarks:
    """The newest post modification (or publication) and comment in a batch."""
    marks = RunMarks()
    for post in posts:
        marks = marks.merge(RunMarks(post_modified_at=post.modified_at or post.published_at))
    for comment in comments:
        marks = marks.merge(RunMarks(None, comment.published_at, comment.wp_id))
    return marks
