"""Comment threading: the pure placement rules, and the stored tree after batches and rethread."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import Engine, text

from archive.store import ArchiveStore
from archive.threads import ORPHAN, Placement, place_comments
from tests.archive.samples import comment


def test_top_level_and_replies() -> None:
    placed = place_comments([(1, None), (2, 1), (3, 2), (4, None), (5, 4)])
    assert placed == {
        1: Placement(1, 1, False),
        2: Placement(2, 1, False),
        3: Placement(3, 1, False),
        4: Placement(1, 4, False),
        5: Placement(2, 4, False),
    }


def test_parent_zero_is_top_level() -> None:
    assert place_comments([(7, 0)]) == {7: Placement(1, 7, False)}


def test_orphan_and_its_descendants_have_unknown_depth() -> None:
    placed = place_comments([(10, 99), (11, 10), (12, 11), (13, None)])
    assert placed[10] == ORPHAN
    assert placed[11] == placed[12] == Placement(None, None, False)
    assert placed[13] == Placement(1, 13, False)


def test_order_does_not_matter() -> None:
    pairs = [(n, None if n % 10 == 0 else n - 1) for n in range(1, 200)] + [(500, 404), (501, 500)]
    expected = place_comments(pairs)
    shuffled = pairs[:]
    random.Random(7).shuffle(shuffled)
    assert place_comments(shuffled) == expected
    assert expected[1] == Placement(1, 1, False) and expected[9] == Placement(9, 1, False)
    assert expected[15] == Placement(6, 10, False)
    assert expected[500] == ORPHAN and expected[501] == Placement(None, None, False)


@pytest.mark.parametrize(
    "pairs",
    [[(1, 1)], [(1, 2), (2, 1)], [(1, 2), (2, 3), (3, 1)]],
    ids=["self", "two", "three"],
)
def test_cycles_are_orphans(pairs: list[tuple[int, int]]) -> None:
    placed = place_comments(pairs)
    assert set(placed.values()) == {ORPHAN}


def test_tail_below_a_cycle_is_unknown_not_orphan() -> None:
    placed = place_comments([(1, 2), (2, 1), (3, 1), (4, 3)])
    assert placed[1] == placed[2] == ORPHAN
    assert placed[3] == placed[4] == Placement(None, None, False)


def test_deep_chain_needs_no_recursion() -> None:
    pairs = [(n, n - 1 if n > 1 else None) for n in range(1, 20_001)]
    assert place_comments(reversed(pairs))[20_000] == Placement(20_000, 1, False)


def stored(engine: Engine) -> dict[int, tuple[Any, ...]]:
    sql = (
        "SELECT c.wp_id, p.wp_id, c.depth, c.root_wp_id, c.is_orphan FROM comments c "
        "LEFT JOIN comments p ON p.id = c.parent_id ORDER BY c.wp_id"
    )
    with engine.connect() as conn:
        return {row[0]: (row[1], row[2], row[3], bool(row[4])) for row in conn.execute(text(sql))}


def test_batch_threads_against_stored_parents(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [comment(1, None), comment(2, 1)])
    store.save_records(site_id, run_id, [comment(3, 2), comment(4, 404)])
    assert stored(engine) == {
        1: (None, 1, 1, False),
        2: (1, 2, 1, False),
        3: (2, 3, 1, False),
        4: (None, None, None, True),
    }


def test_out_of_order_batches_converge(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [comment(3, 2), comment(4, 3)])
    assert stored(engine)[3] == (None, None, None, True)
    assert stored(engine)[4] == (3, None, None, False)
    store.save_records(site_id, run_id, [comment(2, 1)])
    store.save_records(site_id, run_id, [comment(1, None)])
    assert stored(engine) == {
        1: (None, 1, 1, False),
        2: (1, 2, 1, False),
        3: (2, 3, 1, False),
        4: (3, 4, 1, False),
    }
    assert store.rethread(site_id) == 0


def test_reparented_comment_moves_its_subtree(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    batch = [comment(1, None), comment(2, 1), comment(3, 1, parent_inferred=True), comment(4, 3)]
    store.save_records(site_id, run_id, batch)
    store.save_records(site_id, run_id, [comment(3, 2)])  # REST gives the true parent
    assert stored(engine)[3] == (2, 3, 1, False)
    assert stored(engine)[4] == (3, 4, 1, False)


def test_cycle_in_storage_ends(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [comment(1, 2)])
    store.save_records(site_id, run_id, [comment(2, 1), comment(3, 2)])
    assert stored(engine) == {
        1: (None, None, None, True),
        2: (None, None, None, True),
        3: (2, None, None, False),
    }
    assert store.rethread(site_id) == 0


def test_rethread_repairs_only_wrong_rows(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    store.save_records(
        site_id, run_id, [comment(n, None if n == 1 else n - 1) for n in range(1, 8)]
    )
    expected = stored(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE comments SET depth = 99, root_wp_id = NULL WHERE wp_id IN (3, 5)")
        )
    assert store.rethread(site_id) == 2
    assert stored(engine) == expected
    assert store.rethread(site_id) == 0


def test_rethread_goes_post_by_post_and_follows_a_parent_under_another_post(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    site_id, run_id = site_run
    # 450 posts (more than one chunk of the full pass), a short thread on each; comment 9001 sits
    # under post 7 but answers a reply on post 1 (WordPress's database allows it).
    records = [
        comment(n, None if n % 3 == 1 else n - 1, post=1 + (n - 1) // 3) for n in range(1, 1351)
    ]
    records.append(comment(9001, 2, post=7))
    store.save_records(site_id, run_id, records)
    expected = stored(engine)
    assert expected[9001] == (2, 3, 1, False)
    with engine.begin() as conn:
        conn.execute(text("UPDATE comments SET depth = NULL, root_wp_id = NULL, is_orphan = true"))
    assert store.rethread(site_id) == len(records)
    assert stored(engine) == expected


def test_replies_older_than_their_parents_in_one_batch(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    """Ids are given before the write: a reply whose parent comes later in the same batch (an
    imported thread, renumbered) still points at it once the batch is saved."""
    site_id, run_id = site_run
    batch = [comment(1, 5), comment(3, 1), comment(5, 9), comment(9, None), comment(10, 9)]
    store.save_records(site_id, run_id, batch)
    assert stored(engine) == {
        1: (5, 3, 9, False),
        3: (1, 4, 9, False),
        5: (9, 2, 9, False),
        9: (None, 1, 9, False),
        10: (9, 2, 9, False),
    }
    assert store.rethread(site_id) == 0


def test_an_unchanged_reply_is_placed_under_a_parent_that_arrived_with_it(
    store: ArchiveStore, engine: Engine, site_run: tuple[int, int]
) -> None:
    """A reply saved before its parent is an orphan; saved again, unchanged, in the parent's
    batch, it is placed under it (its row is not rewritten, its threading is)."""
    site_id, run_id = site_run
    store.save_records(site_id, run_id, [comment(2, 1)])
    assert stored(engine)[2] == (None, None, None, True)
    counts = store.save_records(site_id, run_id, [comment(1, None), comment(2, 1)])
    assert (counts.comments.inserted, counts.comments.unchanged) == (1, 1)
    assert stored(engine) == {1: (None, 1, 1, False), 2: (1, 2, 1, False)}
    assert store.rethread(site_id) == 0
