"""History, deletions and fidelity in the archive: versions, tombstones, orphans, never a worse copy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, select, text

from archive.columns import canonical_json, digest_of
from archive.history import POST_HISTORY, _visible_fields
from archive.models import POST_VERSIONS
from archive.records import RatingRecord, TermRef
from archive.store import ArchiveStore
from scraper.sources.registry import archive_traits
from tests.archive.conftest import Clock
from tests.archive.samples import (
    COMMENT_ID,
    POST_ID,
    REPLY_IDS,
    her_comments,
    her_post,
    her_records,
)


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def post_versions(engine: Engine) -> list[tuple[Any, ...]]:
    return rows(
        engine,
        "SELECT first_seen_run_id, last_seen_run_id, is_current, deleted_reason"
        " FROM post_versions ORDER BY id",
    )


def new_run(store: ArchiveStore, site_id: int) -> int:
    return store.start_run(site_id, "rest", "full")


def test_unchanged_recrawls_add_no_version_and_edits_add_one(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run1 = site_run
    store.save_records(site_id, run1, her_records())
    run2 = new_run(store, site_id)
    again = store.save_records(site_id, run2, her_records())
    assert (again.posts.versions, again.comments.versions) == (0, 0)
    run3 = new_run(store, site_id)
    # A new modified date and raw item, same visible content: still no version.
    store.save_records(site_id, run3, [her_post(raw={"id": POST_ID, "x": 1})])
    run4 = new_run(store, site_id)
    edited = store.save_records(site_id, run4, [her_post(title="Her (2013)")])
    assert edited.posts.versions == 1
    assert post_versions(engine) == [(run1, run3, False, None), (run4, run4, True, None)]
    with engine.connect() as conn:
        fields = list(conn.scalars(select(POST_VERSIONS.c.fields).order_by(POST_VERSIONS.c.id)))
    assert [f["title"] for f in fields] == ["Her", "Her (2013)"]
    assert fields[0]["terms"] == [["category", "Film"], ["post_tag", "Spike Jonze"]]


def test_a_new_posts_hash_written_with_it_is_that_of_its_content_read_back(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    """New posts are hashed before their write (with the terms they will be linked to), not
    read back: the hash must be the one their stored content gives, or the next crawl would
    see a change that is not there. Odd cases: a rating in whole numbers (stored as floats),
    no rating, no terms, a term named only by slug (created on the fly), a term given twice,
    a NUL in the title (dropped)."""
    site_id, run1 = site_run
    posts = [
        her_post(),
        her_post(wp_id=POST_ID + 1, rating=None, terms=()),
        her_post(
            wp_id=POST_ID + 2,
            title="Nul\x00 here",
            rating=RatingRecord(4, 5, 1, 0.75, "stars", "4/5"),
            terms=(
                TermRef("post_tag", slug="brand-new"),
                TermRef("category", slug="film", wp_id=7),
                TermRef("category", slug="film", wp_id=7),
            ),
        ),
    ]
    store.save_records(site_id, run1, posts)
    with engine.connect() as conn:
        ids = list(conn.scalars(text("SELECT id FROM posts ORDER BY wp_id")))
        stored = _visible_fields(conn, POST_HISTORY, ids)
    assert len(stored) == 3
    for visible in stored.values():
        assert visible.content_hash == digest_of(canonical_json(visible.fields))
    assert stored[ids[2]].fields["title"] == "Nul here"
    assert stored[ids[2]].fields["rating_scale"] == 5.0
    assert stored[ids[2]].fields["terms"] == [["category", "film"], ["post_tag", "brand-new"]]
    assert stored[ids[1]].fields["terms"] == []
    run2 = new_run(store, site_id)
    again = store.save_records(site_id, run2, [replace(p, raw={"again": True}) for p in posts])
    assert again.posts.versions == 0
    assert len(post_versions(engine)) == 3


def test_terms_and_rating_are_part_of_the_visible_content(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run1 = site_run
    store.save_records(site_id, run1, her_records())
    run2 = new_run(store, site_id)
    retagged = her_post(terms=(TermRef("category", slug="film", wp_id=7),))
    assert store.save_records(site_id, run2, [retagged]).posts.versions == 1
    rerated = replace(retagged, rating=RatingRecord(8, 10, 0, 0.8, "text", "8/10"))
    assert store.save_records(site_id, run2, [rerated]).posts.versions == 1
    assert len(post_versions(engine)) == 3


def test_a_sweep_marks_unseen_items_and_a_return_unmarks_keeping_the_gap(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run1 = site_run
    store.save_records(site_id, run1, her_records())
    run2 = new_run(store, site_id)
    _reader, *replies = her_comments()
    store.save_records(site_id, run2, [her_post(), *replies])  # the reader's comment went
    unseen = store.unseen_items(site_id, run2, ("post", "page", "comment"))
    assert unseen == {"post": {}, "page": {}, "comment": {COMMENT_ID: POST_ID}}
    assert store.mark_deleted(site_id, run2, {"comment": {COMMENT_ID: "hidden"}}) == {"comment": 1}
    threads = rows(
        engine,
        "SELECT wp_id, deleted_reason, is_orphan, depth, root_wp_id, parent_id IS NULL"
        " FROM comments ORDER BY wp_id",
    )
    assert threads == [
        (COMMENT_ID, "hidden", False, 1, COMMENT_ID, True),
        (REPLY_IDS[0], None, True, None, None, True),
        (REPLY_IDS[1], None, True, None, None, True),
    ]
    run3 = new_run(store, site_id)
    store.save_records(site_id, run3, [her_post(), *her_comments()])
    store.rethread(site_id)
    back = rows(engine, "SELECT deleted_at, is_orphan FROM comments ORDER BY wp_id")
    assert back == [(None, False)] * 3
    history = rows(
        engine,
        "SELECT first_seen_run_id, is_current, deleted_reason FROM comment_versions"
        " WHERE wp_id = :w ORDER BY id",
        w=COMMENT_ID,
    )
    assert history == [(run1, False, None), (run2, False, "hidden"), (run3, True, None)]


def test_a_poorer_source_fills_gaps_but_never_overwrites_what_rest_wrote(
    engine: Engine, clock: Clock, site_run: tuple[int, int]
) -> None:
    """Ranked as the source registry ranks them: feeds below REST for text, dates, authors."""
    store = ArchiveStore(engine, clock=clock, traits=archive_traits())
    site_id, run1 = site_run
    store.save_records(site_id, run1, [*her_records()[:3], her_post(excerpt="")])
    feed_copy = her_post(
        source="feed",
        title="Her (from the feed)",
        author_wp_id=None,
        excerpt="Filled in by the feed",
        terms=(TermRef("category", name="Film"),),
        raw={"feed": True},
    )
    run2 = new_run(store, site_id)
    store.save_records(site_id, run2, [feed_copy])
    stored = rows(engine, "SELECT title, author_wp_id, excerpt, source, raw FROM posts")[0]
    assert stored[:4] == ("Her", 2, "Filled in by the feed", "feed")
    assert "feed" not in str(stored[4])
    assert rows(engine, "SELECT count(*) FROM post_terms") == [(2,)]
    run3 = new_run(store, site_id)
    store.save_records(site_id, run3, [her_post(title="Her, retitled")])
    assert rows(engine, "SELECT title, excerpt FROM posts") == [
        ("Her, retitled", her_post().excerpt)
    ]
