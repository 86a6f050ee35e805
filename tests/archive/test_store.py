"""ArchiveStore on SQLite and PostgreSQL: upserts, rating rule, terms, failures, runs, leases."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from archive.models import POSTS
from archive.records import (
    ProblemRecord,
    RatingRecord,
    Record,
    SentJson,
    TermRecord,
    TermRef,
)
from archive.state import SaveCounts
from archive.store import ArchiveStore
from archive.threads import Placement, place_comments
from archive.upsert import KindCounts
from tests.archive.conftest import Clock
from tests.archive.samples import (
    POST_ID,
    SITE,
    SITE_URL,
    comment,
    her_comments,
    her_post,
    her_records,
)


def query(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def post_column(engine: Engine, column: str) -> Any:
    return query(engine, f"SELECT {column} FROM posts WHERE wp_id = :w", w=POST_ID)[0][0]


def test_ensure_site_normalizes_url_and_keeps_known_fields(
    store: ArchiveStore, engine: Engine
) -> None:
    first = store.ensure_site(SITE)
    again = store.ensure_site(replace(SITE, url="https://reviews.example.com", name=""))
    assert first == again
    assert query(engine, "SELECT url, name FROM sites") == [(SITE_URL, "Film Reviews")]


def stored_rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every row of `table`, without the last-seen time a re-crawl is allowed to move."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()
        return [{k: v for k, v in row.items() if k != "last_seen_at"} for row in rows]


def test_save_twice_changes_nothing(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int], clock: Clock
) -> None:
    site_id, run_id = site_run
    first = store.save_records(site_id, run_id, her_records())
    tables = ("authors", "terms", "posts", "comments")
    before = {table: stored_rows(engine, table) for table in tables}
    clock.advance(hours=1)
    second = store.save_records(site_id, run_id, her_records())
    assert (first.authors, first.terms) == (KindCounts(inserted=1), KindCounts(inserted=2))
    assert (first.posts, first.comments) == (
        KindCounts(inserted=1, versions=1),
        KindCounts(inserted=3, versions=3),
    )
    assert (second.authors, second.terms) == (KindCounts(unchanged=1), KindCounts(unchanged=2))
    assert (second.posts, second.comments) == (KindCounts(unchanged=1), KindCounts(unchanged=3))
    assert {table: stored_rows(engine, table) for table in tables} == before
    assert len(before["comments"]) == 3
    assert query(engine, "SELECT count(*) FROM post_terms") == [(2,)]
    with engine.connect() as conn:  # through the model, which reads SQLite's text as UTC
        assert conn.scalar(select(POSTS.c.last_seen_at)) == clock.now


def test_changed_record_updates_the_row(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_records())
    first_seen = post_column(engine, "first_seen_at")
    counts = store.save_records(site_id, run_id, [her_post(title="Her (2013)")])
    assert counts.posts == KindCounts(updated=1, versions=1)
    assert post_column(engine, "title") == "Her (2013)"
    assert post_column(engine, "first_seen_at") == first_seen
    assert query(engine, "SELECT count(*) FROM posts") == [(1,)]


def test_raw_change_alone_updates(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [her_post()])
    counts = store.save_records(site_id, run_id, [her_post(raw={"id": POST_ID, "sticky": True})])
    assert counts.posts == KindCounts(updated=1)


def test_an_item_is_stored_as_the_text_its_response_sent(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    """A raw document that knows its text (a REST item) is stored as that text, escapes and key
    order as sent (PostgreSQL's jsonb holds its value); the same text again changes nothing."""
    site_id, run_id = site_run
    sent = '{"id":7,"title":{"rendered":"Caf\\u00e9 \\/ x"},"a":1}'
    raw = SentJson(json.loads(sent), sent)
    first = store.save_records(site_id, run_id, [her_post(raw=raw)])
    stored = post_column(engine, "raw")
    if engine.dialect.name == "sqlite":
        assert stored == sent
    else:
        assert stored == {"id": 7, "title": {"rendered": "Caf\u00e9 / x"}, "a": 1}
    again = store.save_records(site_id, run_id, [her_post(raw=SentJson(json.loads(sent), sent))])
    assert (first.posts, again.posts) == (
        KindCounts(inserted=1, versions=1),
        KindCounts(unchanged=1),
    )


JSON_LD = RatingRecord(9, 10, 1, 8 / 9, "json-ld", '"ratingValue": "9"')


def test_rest_without_rating_keeps_html_rating(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [her_post(source="html", rating=JSON_LD, raw={})])
    store.save_records(site_id, run_id, [her_post(rating=None, title="Her!")])
    assert post_column(engine, "source") == "rest"
    assert post_column(engine, "title") == "Her!"
    assert post_column(engine, "rating_value") == 9
    assert post_column(engine, "rating_source") == "json-ld"
    assert query(engine, "SELECT count(*) FROM posts") == [(1,)]


def test_rest_without_rating_clears_a_rating_it_saw_in_the_body(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [her_post()])
    assert post_column(engine, "rating_source") == "text"
    store.save_records(site_id, run_id, [her_post(rating=None)])  # the author edited it out
    assert post_column(engine, "rating_value") is None
    assert post_column(engine, "rating_source") is None


def test_rest_rating_replaces_and_html_without_rating_clears(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [her_post(source="html", rating=JSON_LD)])
    store.save_records(site_id, run_id, [her_post()])
    assert post_column(engine, "rating_source") == "text"
    store.save_records(site_id, run_id, [her_post(source="html", rating=None)])
    assert post_column(engine, "rating_value") is None
    assert post_column(engine, "rating_text") is None


def terms_of_post(engine: Engine) -> list[tuple[Any, ...]]:
    return query(
        engine,
        "SELECT t.taxonomy, t.slug, t.name, t.wp_id FROM post_terms pt "
        "JOIN terms t ON t.id = pt.term_id ORDER BY t.taxonomy, t.slug",
    )


def test_term_refs_resolve_by_id_slug_and_name(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    refs = (
        TermRef("category", wp_id=7),
        TermRef("post_tag", slug="spike-jonze"),
        TermRef("post_tag", name="Joaquin Phoenix"),
    )
    store.save_records(site_id, run_id, [*her_records()[:3], her_post(terms=refs)])
    assert terms_of_post(engine) == [
        ("category", "film", "Film", 7),
        ("post_tag", "joaquin-phoenix", "Joaquin Phoenix", None),
        ("post_tag", "spike-jonze", "Spike Jonze", 11),
    ]


def test_feed_named_term_gains_id_without_duplicate(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [her_post(terms=(TermRef("category", name="Film"),))])
    counts = store.save_records(site_id, run_id, [TermRecord("category", "film", "Film", wp_id=7)])
    assert counts.terms == KindCounts(updated=1)
    assert query(engine, "SELECT taxonomy, slug, name, wp_id FROM terms") == [
        ("category", "film", "Film", 7)
    ]
    assert terms_of_post(engine) == [("category", "film", "Film", 7)]


def test_renamed_term_matches_by_id(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_records())
    store.save_records(site_id, run_id, [TermRecord("category", "films", "Films", wp_id=7)])
    assert query(engine, "SELECT slug, name FROM terms WHERE wp_id = 7") == [("films", "Films")]
    assert query(engine, "SELECT count(*) FROM terms") == [(2,)]


def test_changed_terms_replace_post_terms(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_records())
    store.save_records(site_id, run_id, [her_post(terms=(TermRef("post_tag", wp_id=11),))])
    assert terms_of_post(engine) == [("post_tag", "spike-jonze", "Spike Jonze", 11)]


def test_comment_before_its_post_is_linked_later(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_comments())
    assert query(engine, "SELECT count(*) FROM comments WHERE post_id IS NULL") == [(3,)]
    store.save_records(site_id, run_id, [her_post()])
    assert query(engine, "SELECT count(*) FROM comments WHERE post_id IS NULL") == [(0,)]


def test_failed_batch_leaves_previous_data(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_records())
    before = (
        query(engine, "SELECT title, content_text FROM posts"),
        query(engine, "SELECT counts FROM crawl_runs"),
    )

    def killed(*args: object) -> None:
        raise RuntimeError("killed midway")

    monkeypatch.setattr("archive.saving.save_comments", killed)
    batch: list[Record] = [her_post(title="changed"), comment(999, None), ProblemRecord("p", "x")]
    with pytest.raises(RuntimeError, match="killed midway"):
        store.save_records(site_id, run_id, batch)
    assert query(engine, "SELECT title, content_text FROM posts") == before[0]
    assert query(engine, "SELECT counts FROM crawl_runs") == before[1]
    assert query(engine, "SELECT count(*) FROM comments") == [(3,)]
    assert query(engine, "SELECT count(*) FROM problems") == [(0,)]


def test_run_belongs_to_site(store: ArchiveStore, site_run: tuple[int, int]) -> None:
    _, run_id = site_run
    other = store.ensure_site(replace(SITE, url="https://other.example.org"))
    with pytest.raises(ValueError, match="does not belong"):
        store.save_records(other, run_id, [her_post()])


def test_finish_run_reports_counts_and_problems(
    store: ArchiveStore, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(
        site_id, run_id, [*her_records(), ProblemRecord("http", "404", "https://x/")]
    )
    store.save_records(site_id, run_id, [her_post(title="new")])
    summary = store.finish_run(
        run_id,
        status="partial",
        source="feed",
        summary="partial: 1 problem",
        requests=12,
        advance_state=False,
    )
    assert (summary.status, summary.source, summary.mode, summary.requests) == (
        "partial",
        "feed",
        "full",
        12,
    )
    assert summary.problems == 1
    assert summary.counts.posts == KindCounts(inserted=1, updated=1, versions=2)
    assert summary.counts.comments == KindCounts(inserted=3, versions=3)
    assert summary.counts == SaveCounts.from_json(summary.counts.to_json())
    with pytest.raises(Exception, match="already finished"):
        store.finish_run(
            run_id, status="ok", source="rest", summary="", requests=0, advance_state=True
        )


def test_state_advances_only_when_asked(
    store: ArchiveStore, site_run: tuple[int, int], clock: Clock
) -> None:
    site_id, run_id = site_run
    started = clock.now
    store.save_records(site_id, run_id, her_records())
    clock.advance(minutes=5)
    store.finish_run(
        run_id, status="partial", source="rest", summary="", requests=1, advance_state=False
    )
    assert store.load_state(site_id).posts_modified_after is None
    run2 = store.start_run(site_id, "rest", "full")
    store.save_records(site_id, run2, her_records())
    store.finish_run(run2, status="ok", source="rest", summary="", requests=1, advance_state=True)
    state = store.load_state(site_id)
    assert state.site_id == site_id
    assert state.last_complete_at == started + timedelta(minutes=5)
    assert state.posts_modified_after == her_post().modified_at
    assert state.comments_after == max(c.published_at for c in her_comments() if c.published_at)
    assert state.max_comment_wp_id == 312


def test_marks_never_move_back(store: ArchiveStore, site_run: tuple[int, int]) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, her_records())
    store.finish_run(run_id, status="ok", source="rest", summary="", requests=1, advance_state=True)
    run2 = store.start_run(site_id, "rest", "incremental")
    store.save_records(site_id, run2, [comment(5, None)])
    store.finish_run(run2, status="ok", source="rest", summary="", requests=1, advance_state=True)
    assert store.load_state(site_id).max_comment_wp_id == 312


def test_stale_running_run_becomes_abandoned(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int], clock: Clock
) -> None:
    site_id, killed = site_run
    clock.advance(minutes=59)
    fresh = store.start_run(site_id, "rest", "full")
    assert query(engine, "SELECT status FROM crawl_runs WHERE id = :i", i=killed) == [("running",)]
    clock.advance(minutes=61)
    store.start_run(site_id, "rest", "incremental")
    statuses = dict(query(engine, "SELECT id, status FROM crawl_runs"))
    assert statuses[killed] == "abandoned" and statuses[fresh] == "abandoned"
    with pytest.raises(ValueError):
        store.start_run(site_id, "rest", "sometimes")


def test_claim_site_lease(store: ArchiveStore, site_run: tuple[int, int], clock: Clock) -> None:
    site_id, _ = site_run
    assert store.claim_site(site_id, "w1", 60)
    assert not store.claim_site(site_id, "w2", 60)
    clock.advance(seconds=50)
    assert store.claim_site(site_id, "w1", 60)  # renewal
    clock.advance(seconds=50)
    assert not store.claim_site(site_id, "w2", 60)
    store.release_site(site_id, "w2")  # not the holder: no effect
    assert not store.claim_site(site_id, "w2", 60)
    clock.advance(seconds=11)
    assert store.claim_site(site_id, "w2", 60)  # expired
    store.release_site(site_id, "w2")
    assert store.claim_site(site_id, "w1", 60)


def test_a_dead_holders_lease_is_taken_over_only_by_name(
    store: ArchiveStore, site_run: tuple[int, int], clock: Clock
) -> None:
    site_id, _ = site_run
    assert store.lease_holder(site_id) is None
    assert store.claim_site(site_id, "host:111", 600)
    assert store.lease_holder(site_id) == "host:111"
    # Naming the wrong holder takes nothing; naming the holder takes its lease at once.
    assert not store.claim_site(site_id, "host:222", 600, replacing="host:333")
    assert store.claim_site(site_id, "host:222", 600, replacing="host:111")
    assert store.lease_holder(site_id) == "host:222"
    assert not store.claim_site(site_id, "host:111", 600)
    clock.advance(seconds=601)
    assert store.lease_holder(site_id) is None  # expired


def test_site_summaries(store: ArchiveStore, site_run: tuple[int, int]) -> None:
    site_id, run_id = site_run
    page = her_post(wp_id=2, type="page", title="About", url=f"{SITE_URL}/about/", terms=())
    store.save_records(site_id, run_id, [*her_records(), page, ProblemRecord("gap", "page 3")])
    store.finish_run(run_id, status="ok", source="rest", summary="", requests=3, advance_state=True)
    store.ensure_site(replace(SITE, url="https://a.example.net", name="A"))
    summaries = store.site_summaries()
    assert [s.url for s in summaries] == ["https://a.example.net", SITE_URL]
    mine = summaries[1]
    assert (mine.posts, mine.pages, mine.comments) == (1, 1, 3)
    assert (mine.last_status, mine.last_source, mine.last_problems) == ("ok", "rest", 1)
    assert summaries[0].last_status is None and summaries[0].posts == 0


def test_concurrent_upserts_of_one_site(engine: Engine) -> None:
    """Four workers save overlapping batches of one site at once, in opposite orders."""
    site_id = ArchiveStore(engine).ensure_site(SITE)
    errors: list[BaseException] = []
    posts = [
        her_post(wp_id=n, slug=f"p{n}", terms=(TermRef("post_tag", name=f"tag {n % 7}"),))
        for n in range(1, 61)
    ]
    comments = [
        comment(1000 + n, None if n % 3 == 0 else 1000 + n - 1, post=1 + n % 60) for n in range(120)
    ]

    def worker(reverse: bool) -> None:
        store = ArchiveStore(engine)
        run_id = store.start_run(site_id, "rest", "full")
        items: list[Record] = [*posts, *comments]
        if reverse:
            items.reverse()
        try:
            for start in range(0, len(items), 25):
                store.save_records(site_id, run_id, items[start : start + 25])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n % 2 == 1,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(engine, "SELECT count(*) FROM posts") == [(60,)]
    assert query(engine, "SELECT count(*) FROM comments") == [(120,)]
    assert query(engine, "SELECT count(*) FROM terms") == [(7,)]
    assert query(engine, "SELECT count(*) FROM post_terms") == [(60,)]
    # A reply saved while its parent sat in another worker's open transaction could not see it;
    # the final rethread (the crawler runs it after every crawl) settles the tree.
    store = ArchiveStore(engine)
    store.rethread(site_id)
    assert store.rethread(site_id) == 0
    expected = place_comments((c.wp_id, c.parent_wp_id) for c in comments)
    stored = query(engine, "SELECT wp_id, depth, root_wp_id, is_orphan FROM comments")
    assert {w: Placement(d, r, bool(o)) for w, d, r, o in stored} == expected
    assert query(engine, "SELECT count(*) FROM comments WHERE post_id IS NULL") == [(0,)]


def test_concurrent_claims_have_one_winner(engine: Engine) -> None:
    site_id = ArchiveStore(engine).ensure_site(SITE)
    barrier = threading.Barrier(6)
    wins: list[str] = []

    def worker(name: str) -> None:
        store = ArchiveStore(engine)
        barrier.wait()
        if store.claim_site(site_id, name, 300):
            wins.append(name)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
