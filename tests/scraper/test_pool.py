"""map_ordered: results in input order, bounded look-ahead, work started before it is asked for."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from scraper.errors import FetchError
from scraper.pool import map_ordered


def test_results_come_in_input_order_with_errors_in_their_place() -> None:
    def fetch(n: int) -> int:
        time.sleep(0.01 * (5 - n))  # later items finish first
        if n == 3:
            raise FetchError("page 3 failed")
        return n * 10

    results = list(map_ordered(fetch, range(6), 3))

    assert [r if isinstance(r, int) else str(r) for r in results] == [
        0,
        10,
        20,
        "page 3 failed",
        40,
        50,
    ]


def test_the_first_tasks_run_before_a_result_is_asked_for_and_no_more_than_twice_the_workers() -> (
    None
):
    started = [threading.Event() for _ in range(10)]
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for n in range(10):
            pulled.append(n)
            yield n

    def fetch(n: int) -> int:
        started[n].set()
        return n

    results = map_ordered(fetch, items(), 2)
    # Nothing asked yet: the first 2 x workers items are submitted and running or done.
    assert all(started[n].wait(5) for n in range(4))
    assert pulled == [0, 1, 2, 3]
    assert list(results) == list(range(10))


def test_closing_cancels_what_has_not_started() -> None:
    calls: list[int] = []

    def fetch(n: int) -> int:
        calls.append(n)
        time.sleep(0.2)
        return n

    results = map_ordered(fetch, range(10), 1)
    results.close()  # item 0 runs (and is waited for), item 1 waits in the queue: cancelled

    assert calls == [0]
    assert list(results) == []
