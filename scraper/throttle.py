"""Politeness per host: how many requests may be in flight, and how far apart they start.

Each host (host:port) gets one HostThrottle, shared by every thread and every site of a process
that talks to it. It allows at most `concurrency` requests in flight and spaces their starts by a
delay that follows the host's own latency, the way Scrapy's AutoThrottle does: after each answer
the target delay is latency / target_concurrency (so that about `target_concurrency` requests are
in flight on average), and the delay moves halfway toward it. A slow host gets fewer requests a
second, a fast one more. An error answer never lowers the delay; 429 and 503 double it; a
Retry-After holds the host for that long. The delay never goes below its floor (robots.txt's
Crawl-delay, `min_delay`, and 1 / `rate_limit` when a rate cap is set) nor above `max_delay`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Answers that say "too much": the delay doubles (at least to BACKOFF_FLOOR seconds).
SLOW_DOWN_STATUSES = frozenset({429, 503})
BACKOFF_FLOOR = 1.0


@dataclass(frozen=True)
class Pacing:
    """The politeness settings a throttle follows (from `http:` in config.yaml)."""

    concurrency: int = 2  # requests in flight per host
    target_concurrency: float = 1.0  # requests in flight on average, that the delay aims at
    min_delay: float = 0.0  # seconds between request starts, at least
    max_delay: float = 60.0  # ... and at most (429/503 backoff included)
    rate_limit: float = 0.0  # requests per second per host at most; 0 = no cap


class HostThrottle:
    """One host's budget (see the module docstring); safe to share across threads."""

    def __init__(
        self,
        pacing: Pacing,
        crawl_delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: Callable[[float], float] | None = None,
    ) -> None:
        self.pacing = pacing
        cap = 1.0 / pacing.rate_limit if pacing.rate_limit > 0 else 0.0
        # A floor the host or the user set is never crossed, not even by max_delay.
        self.floor = max(pacing.min_delay, cap, crawl_delay or 0.0)
        self.ceiling = max(pacing.max_delay, self.floor)
        self.delay = self.floor
        self._clock, self._sleep = clock, sleep
        # A host many sites share: its starts are reserved in the archive, for every process
        # (archive/pacing.py): `shared(interval)` -> seconds until this request's turn.
        self._shared = shared
        self._slots = threading.BoundedSemaphore(max(1, pacing.concurrency))
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def turn(self) -> Iterator[Callable[[float, int | None], None]]:
        """Wait for a slot and for the delay, then yield `done(latency, status)` to call once the
        answer is in (status None: no answer came). The slot is freed on leaving."""
        self._slots.acquire()
        try:
            self._wait_for_start()
            yield self._observe
        finally:
            self._slots.release()

    def obey_crawl_delay(self, crawl_delay: float | None) -> None:
        """Raise the floor to robots.txt's Crawl-delay (read after this throttle was made)."""
        if crawl_delay is None:
            return
        with self._lock:
            self.floor = max(self.floor, crawl_delay)
            self.ceiling = max(self.ceiling, self.floor)
            self.delay = max(self.delay, self.floor)

    def hold(self, seconds: float) -> None:
        """Start no request to this host for `seconds` (a Retry-After)."""
        with self._lock:
            self._next_start = max(self._next_start, self._clock() + seconds)

    def _wait_for_start(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.delay
            delay = self.delay
        wait = start - now
        if self._shared is not None:
            wait = max(wait, self._shared(delay))
        if wait > 0:
            self._sleep(wait)

    def _observe(self, latency: float, status: int | None) -> None:
        """Move the delay after an answer that took `latency` seconds."""
        with self._lock:
            if status in SLOW_DOWN_STATUSES:
                wanted = max(self.delay * 2, BACKOFF_FLOOR)
            else:
                target = latency / max(self.pacing.target_concurrency, 0.01)
                wanted = (self.delay + target) / 2
                if status is None or status >= 400:
                    wanted = max(wanted, self.delay)  # an error is no sign the host is fast
            self.delay = min(max(wanted, self.floor), self.ceiling)


class SleptClock:
    """Time that passes only when slept (`sleep` is called with each wait too): the clock of a
    client whose sleep a test replaced, so throttles see the waits they asked for as done."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self._lock = threading.Lock()
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
        self._sleep(seconds)
