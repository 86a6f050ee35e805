"""Shared pytest fixtures: the real WordPress harness (session-scoped sites, started on first use).

Tests that use a `wp_*` fixture are marked `wordpress` automatically. Outside CI a machine that
cannot host WordPress (not root, packages missing and not installable) skips them with the cause;
under CI=true they fail instead, so a broken harness can never pass silently.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# The tests/ tree is not an installed package; make `tests.wordpress` importable from any cwd.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.database_url import normalize_database_url  # noqa: E402
from tests.wordpress.harness import WordPressSite, interrupt_on_sigterm  # noqa: E402
from tests.wordpress.pool import SitePool  # noqa: E402

WP_FIXTURES = frozenset(
    {
        "wp_sites",
        "wp_rest",
        "wp_plain",
        "wp_closed_classic",
        "wp_closed_block",
        "wp_mutable",
        "wp_mutable_closed",
        "wp_closed_textdate",
        "wp_restore",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WP_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.wordpress)


@pytest.fixture(scope="session")
def wp_pool() -> Iterator[SitePool]:
    """The session's sites; all stopped (configs removed) at the end, also on Ctrl-C or SIGTERM."""
    pool = SitePool(Path(os.environ.get("WPARCHIVE_HARNESS_DIR", ROOT / ".wp-harness")))
    with interrupt_on_sigterm():
        try:
            yield pool
        finally:
            pool.stop()


@pytest.fixture(scope="session")
def wp_sites(wp_pool: SitePool) -> dict[str, WordPressSite]:
    """All four sites: rest, plain, closed-classic, closed-block."""
    return wp_pool.get(("rest", "plain", "closed-classic", "closed-block"))


@pytest.fixture(scope="session")
def wp_rest(wp_pool: SitePool) -> WordPressSite:
    """REST open, pretty permalinks, twentytwentyone, comments on one page."""
    return wp_pool.get(("rest",))["rest"]


@pytest.fixture(scope="session")
def wp_plain(wp_pool: SitePool) -> WordPressSite:
    """REST open, plain permalinks (/wp-json/ 404s, use ?rest_route=/), twentytwentyone."""
    return wp_pool.get(("plain",))["plain"]


@pytest.fixture(scope="session")
def wp_restore(wp_pool: SitePool) -> WordPressSite:
    """WordPress installed (twentytwentyone, pretty permalinks) with no content: to import into.
    A test that fills it calls reseed() afterwards to empty it again."""
    return wp_pool.get(("restore",))["restore"]


@pytest.fixture(scope="session")
def wp_closed_classic(wp_pool: SitePool) -> WordPressSite:
    """REST closed (401), plain permalinks, twentytwentyone, 10 comment threads a page, oldest first."""
    return wp_pool.get(("closed-classic",))["closed-classic"]


@pytest.fixture(scope="session")
def wp_closed_block(wp_pool: SitePool) -> WordPressSite:
    """REST closed (401), pretty permalinks, twentytwentythree, 10 a page newest first, excerpt feeds."""
    return wp_pool.get(("closed-block",))["closed-block"]


@pytest.fixture(scope="session")
def wp_mutable(wp_pool: SitePool) -> WordPressSite:
    """REST open, pretty permalinks: the one site tests change (they reseed it first)."""
    return wp_pool.get(("mutable",))["mutable"]


@pytest.fixture(scope="session")
def wp_closed_textdate(wp_pool: SitePool) -> WordPressSite:
    """REST closed, a theme that prints dates only as text, Pacific/Auckland (read-only)."""
    return wp_pool.get(("closed-textdate",))["closed-textdate"]


@pytest.fixture(scope="session")
def wp_mutable_closed(wp_pool: SitePool) -> WordPressSite:
    """REST closed, pretty permalinks: the closed site tests change (they reseed it first)."""
    return wp_pool.get(("mutable-closed",))["mutable-closed"]


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[], str]]:
    """A factory of throwaway PostgreSQL databases `wparchive_test_<random>`, dropped at the end.

    The server comes from WPARCHIVE_TEST_PG_URL (an admin URL). When it cannot be reached the
    tests that ask for a database skip with the reason, except under CI=true, where they fail:
    CI must never pass without them.
    """
    admin_url = make_url(
        normalize_database_url(os.environ.get("WPARCHIVE_TEST_PG_URL", DEFAULT_PG_URL))
    )
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    made: list[str] = []

    def create() -> str:
        name = f"wparchive_test_{secrets.token_hex(4)}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            reason = f"PostgreSQL at {admin_url.render_as_string()} unreachable: {exc.orig}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason.strip())
            pytest.skip(reason.strip())
        made.append(name)
        return admin_url.set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
