"""What a sweep marks: through REST every unseen item; through post pages, never a reply whose
parent went (pages print no orphans), nor what the run could not list whole."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from archive.store import ArchiveStore
from scraper.sweep import sweep_deletions
from tests.archive.samples import COMMENT_ID, POST_ID, REPLY_IDS, comment, her_post, her_records


def deleted(engine: Engine) -> dict[int, str | None]:
    """wp_id -> deleted_reason of every post and comment."""
    with engine.connect() as conn:
        found: dict[int, Any] = dict(
            conn.execute(text("SELECT wp_id, deleted_reason FROM comments")).all()
        )
        found.update(conn.execute(text("SELECT wp_id, deleted_reason FROM posts")).all())
    return found


def sweep_seeing(store: ArchiveStore, site_id: int, source: str, seen: list[Any], **kw: Any) -> int:
    """A second, full run through `source` that saw only `seen`; its sweep. Returns the run."""
    run = store.start_run(site_id, source, "full")
    store.save_records(site_id, run, seen)
    sweep_deletions(store, site_id, run, source, None, **kw)
    return run


def test_through_pages_a_hidden_comment_is_marked_and_its_replies_stay_as_orphans(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run = site_run
    store.save_records(site_id, run, her_records())
    # The reader's comment was unapproved: its page shows neither it nor the replies under it.
    sweep_seeing(store, site_id, "feed", [her_post(source="feed")])
    marks = deleted(engine)
    assert marks[COMMENT_ID] == "gone"
    assert [marks[r] for r in REPLY_IDS] == [None, None]
    with engine.connect() as conn:
        orphans = conn.execute(text("SELECT wp_id FROM comments WHERE is_orphan")).scalars()
        assert sorted(orphans) == sorted(REPLY_IDS)


def test_through_rest_every_unseen_comment_is_marked(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run = site_run
    store.save_records(site_id, run, her_records())
    sweep_seeing(store, site_id, "rest", [her_post()])
    marks = deleted(engine)
    assert [marks[c] for c in (COMMENT_ID, *REPLY_IDS)] == ["gone"] * 3
    assert marks[POST_ID] is None


def test_what_a_run_could_not_list_whole_is_left_alone_with_its_comments(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run = site_run
    page = her_post(wp_id=77, type="page", raw={"id": 77})
    store.save_records(site_id, run, [*her_records(), page, comment(78, None, post=77)])
    # Posts and their comments listed, pages not (no page sitemap): the page and its comment stay.
    sweep_seeing(store, site_id, "feed", her_records()[3:], unlisted=frozenset({"page"}))
    assert deleted(engine)[77] is None and deleted(engine)[78] is None
    # Listed whole, the same absence marks both.
    sweep_seeing(store, site_id, "feed", her_records()[3:])
    assert (deleted(engine)[77], deleted(engine)[78]) == ("gone", "gone")
