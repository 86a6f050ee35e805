"""Shared pacing on SQLite and PostgreSQL: each reservation of a host's start is `interval` after
the one before, whatever process asks; hosts are paced apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from archive.pacing import SharedPacing

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_starts_to_a_shared_host_are_spaced_by_the_interval(engine: Engine) -> None:
    now = [NOW]
    pacing = SharedPacing(engine, clock=lambda: now[0])
    assert pacing.reserve("public-api.wordpress.com", 2.0) == 0.0
    assert pacing.reserve("public-api.wordpress.com", 2.0) == pytest.approx(2.0)
    assert pacing.reserve("public-api.wordpress.com", 2.0) == pytest.approx(4.0)
    assert pacing.reserve("other.example", 2.0) == 0.0  # another host, another budget
    now[0] = NOW + timedelta(seconds=10)  # the reserved starts are past: no wait
    assert pacing.reserve("public-api.wordpress.com", 0.5) == 0.0
    assert pacing.reserve("public-api.wordpress.com", 0.5) == pytest.approx(0.5)
