"""Bounded, ordered concurrency: fetch pages in parallel, hand them over in order, hold few in memory."""

from __future__ import annotations

import contextvars
import functools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, ParamSpec, TypeVar

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


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int) -> OrderedMap[T, R]:
    """Apply `fn` to `items` on up to `workers` threads; the results come in input order.

    The first tasks are submitted at once, not when the first result is asked for: a caller
    that parses what it already holds before asking (a collection's first page) finds the next
    pages in flight. At most 2 x workers results are in flight or waiting, so memory stays flat
    however many pages a collection has. A WparchiveError raised by `fn` comes in its result's
    place (the caller records it and goes on); anything else propagates."""
    return OrderedMap(fn, items, workers)


class OrderedMap(Iterator[R | WparchiveError], Generic[T, R]):
    """The results of map_ordered. `close()` (or the end, or dropping it) cancels the tasks not
    started; `close()` also waits for those running."""

    def __init__(self, fn: Callable[[T], R], items: Iterable[T], workers: int) -> None:
        workers = max(1, workers)
        self._fn, self._source = fn, iter(items)
        self._pool = ContextThreadPool(max_workers=workers, thread_name_prefix="fetch")
        self._pending: deque[Future[R]] = deque()
        try:
            for _ in range(workers * 2):
                self._submit_next()
        except BaseException:
            self.close()
            raise

    def __next__(self) -> R | WparchiveError:
        if not self._pending:
            self.close()
            raise StopIteration
        future = self._pending.popleft()
        self._submit_next()
        try:
            return future.result()
        except WparchiveError as exc:
            return exc
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Submit nothing more, cancel what has not started, wait for what runs."""
        self._source = iter(())
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()

    def __del__(self) -> None:
        # Left unfinished (a caller's loop raised): no new work; running tasks end by themselves.
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _submit_next(self) -> None:
        for item in self._source:
            self._pending.append(self._pool.submit(self._fn, item))
            return
