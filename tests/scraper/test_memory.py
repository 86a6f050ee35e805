"""settle_startup_heap: the start-up heap frozen, cycles made later still collected on their own."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from scraper.memory import settle_startup_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_startup_heap_is_frozen_and_cycles_are_still_collected(restored_gc: None) -> None:
    thresholds = gc.get_threshold()
    # The test's own process holds pytest's garbage, which a crawl's start-up does not: freed
    # first, so the allocations counted below are the test's alone.
    gc.collect()
    before = Node()
    settle_startup_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == thresholds
    assert gc.is_tracked(before)

    first, second = Node(), Node()
    first.other, second.other = second, first
    # Told by the weakref's callback, not by calling it: from Python 3.12 the collector runs
    # when a call returns, and a probe called in the loop held the cycle every time it ran.
    freed: list[bool] = []
    watch = weakref.ref(first, lambda _: freed.append(True))
    del first, second
    # No gc.collect() here: objects that stay (as a crawl's batch does) must trigger the
    # collection that frees the cycle, by the time the young generation's threshold is passed.
    kept = []
    for _ in range(thresholds[0] * 2):
        kept.append([None])
        if freed:
            break
    assert freed and watch() is None
    assert len(kept) <= thresholds[0] + 1
