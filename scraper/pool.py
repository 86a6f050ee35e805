"""Bounded, ordered concurrency: fetch pages in parallel, hand them over in order, hold few in memory."""

from __future__ import annotations

import contextvars
import functools
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from scraper.errors import WparchiveError

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


class ContextThreadPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context (contextvars), as
    asyncio's tasks do: what a crawl sets there (its request tally, see scraper.http) follows
    its fetches onto the pool's threads."""

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        context = contextvars.copy_context()
        return super().submit(functools.partial(context.run, fn, *args, **kwargs))


def map_ordered(
    fn: Callable[[T], R], items: Iterable[T], workers: int
) -> Generator[R | WparchiveError, None, None]:
    """Apply `fn` to `items` on up to `workers` threads and yield results in input order.

    At most 2 x workers results are in flight or waiting, so memory stays flat however many pages a
    collection has. A WparchiveError raised by `fn` is yielded in its place (the caller records it
    and goes on); anything else propagates.
    """
    workers = max(1, workers)
    source = iter(items)
    with ContextThreadPool(max_workers=workers, thread_name_prefix="fetch") as pool:
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
