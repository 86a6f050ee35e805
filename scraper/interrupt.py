"""Ctrl-C and SIGTERM: stop fetching at once, then let the crawl save what it has and say so."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; `exit_code` is 128 + its number (130 Ctrl-C, 143 SIGTERM).

    A KeyboardInterrupt, so no `except Exception` on the way up can swallow it."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


@dataclass
class Interruption:
    """The signal that stopped the run, once one came."""

    signum: int | None = None

    def raise_if_stopped(self) -> None:
        """Raise Interrupted when a signal came."""
        if self.signum is not None:
            raise Interrupted(self.signum)


@contextmanager
def stop_on_signals(stop_fetching: Callable[[], None]) -> Iterator[Interruption]:
    """While inside, SIGINT or SIGTERM calls `stop_fetching` (in-flight requests end, new ones are
    refused) and is remembered; the crawl then stops at its next record, saves what it parsed and
    raises Interrupted. Nothing is raised inside the handler itself: an exception at an arbitrary
    point could leave a lock held (a worker's, the database pool's) and hang the save. A second
    signal stops at once. Outside the main thread (a test runner's worker) it does nothing."""
    interruption = Interruption()
    if threading.current_thread() is not threading.main_thread():
        yield interruption
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        del frame
        if interruption.signum is not None:
            raise Interrupted(signum)
        interruption.signum = signum
        stop_fetching()

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield interruption
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
