"""The per-host throttle's arithmetic, on a clock of the test's own: the delay follows latency,
backs off on 429/503, never crosses its floor (Crawl-delay, min_delay, rate_limit) or ceiling."""

from __future__ import annotations

import pytest

from scraper.throttle import HostThrottle, Pacing


class FakeClock:
    """A clock that moves only when the throttle sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def throttle(clock: FakeClock, crawl_delay: float | None = None, **pacing: float) -> HostThrottle:
    return HostThrottle(Pacing(**pacing), crawl_delay, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def answer(host: HostThrottle, latency: float, status: int | None = 200) -> None:
    with host.turn() as done:
        done(latency, status)


def test_the_delay_moves_halfway_to_latency_over_target_concurrency() -> None:
    clock = FakeClock()
    host = throttle(clock, target_concurrency=1.0)
    answer(host, 0.4)
    assert host.delay == pytest.approx(0.2)
    answer(host, 0.4)
    assert host.delay == pytest.approx(0.3)
    for _ in range(20):
        answer(host, 0.4)
    assert host.delay == pytest.approx(0.4, abs=1e-3)
    # Two in flight on average: half the delay.
    busy = throttle(FakeClock(), target_concurrency=2.0)
    for _ in range(30):
        answer(busy, 0.4)
    assert busy.delay == pytest.approx(0.2, abs=1e-3)


def test_starts_are_spaced_by_the_delay() -> None:
    clock = FakeClock()
    host = throttle(clock, min_delay=0.5)
    for _ in range(3):
        answer(host, 0.0)
    assert clock.slept == [pytest.approx(0.5), pytest.approx(0.5)]


def test_429_and_503_double_the_delay_and_errors_never_lower_it() -> None:
    clock = FakeClock()
    host = throttle(clock)
    for _ in range(10):
        answer(host, 0.2)
    before = host.delay
    answer(host, 0.01, 500)  # fast, but an error: no sign the host is fast
    assert host.delay == pytest.approx(before)
    answer(host, 0.01, None)  # no answer at all
    assert host.delay == pytest.approx(before)
    answer(host, 0.01, 429)
    assert host.delay == pytest.approx(1.0)  # doubled, and at least a second
    answer(host, 0.01, 503)
    assert host.delay == pytest.approx(2.0)


def test_the_floor_is_never_crossed_and_the_ceiling_holds() -> None:
    clock = FakeClock()
    robots = throttle(clock, crawl_delay=3.0, max_delay=1.0)
    answer(robots, 0.0)
    assert robots.delay == 3.0  # Crawl-delay wins over max_delay
    capped = throttle(FakeClock(), rate_limit=4.0)
    answer(capped, 0.0)
    assert capped.delay == 0.25  # 1 / rate_limit
    ceiling = throttle(FakeClock(), max_delay=5.0)
    for _ in range(10):
        answer(ceiling, 0.0, 429)
    assert ceiling.delay == 5.0
    off = throttle(FakeClock(), max_delay=0.0)
    answer(off, 2.0)
    assert off.delay == 0.0  # max_delay 0: no adaptive delay at all


def test_a_hold_delays_the_next_start() -> None:
    clock = FakeClock()
    host = throttle(clock, max_delay=0.0)
    answer(host, 0.0)
    host.hold(7.0)
    answer(host, 0.0)
    assert clock.slept == [pytest.approx(7.0)]
