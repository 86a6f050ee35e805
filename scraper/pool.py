"""Bounded, ordered concurrency: fetch pages in parallel, hand them over in order, hold few in memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from scraper.errors import WparchiveError

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(
    fn: Callable[[T], R], items: Iterable[T], workers: int
) -> Iterator[R | WparchiveError]:
    """Apply `fn` to `items` on up to `workers` threads and yield results in input order.

    At most 2 x workers results are in flight or waiting, so memory stays flat however many pages a
    collection has. A WparchiveError raised by `fn` is yielded in its place (the caller records it
    and goes on); anything else propagates.
    """
    workers = max(1, workers)
    source = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        pending: deque[Future[R]] = deque()

        def submit_next() -> None:
            for item in source:
                pending.append(pool.submit(fn, item))
                return

        for _ in range(workers * 2):
            submit_next()
        while pending:
            future = pending.popleft()
            submit_next()
            try:
                yield future.result()
            except WparchiveError as exc:
                yield exc
