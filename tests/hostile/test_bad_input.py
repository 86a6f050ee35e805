"""Every bad input of issue 10's table, and more, through the real CLI in a child process.

Each row ends either in a summary line on stdout (a status, recorded problems, the crawl going on)
or in one `error:` line on stderr with a documented exit code; never a traceback, never a runaway
(wall time and the child's peak RSS are measured against bounds), never stored damage.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile import content
from tests.hostile.runner import FAST_CONFIG, Run, query, run_wparchive, send_when
from tests.hostile.server import HostileSite

SECONDS = 20.0  # no row may take longer, whatever the server does
PEAK_MIB = 200.0  # a clean crawl of the hostile site peaks near 90 MiB
CAP_CONFIG = FAST_CONFIG + "  max_response_bytes: 8000000\n  request_deadline: 4\n"
OTHER_FIRST_ID = 10_001


@dataclass(frozen=True)
class Row:
    """One bad input and the outcome it must have."""

    fault: str
    exit: int
    status: str = ""  # the summary line's status; "" when one error line is expected
    says: str = ""  # in the summary line or the error line
    problem: str = ""  # in a recorded problem's message
    posts: int | None = None  # posts stored, when the outcome fixes it


SITE_ROWS = [
    Row("none", 0, "ok", posts=content.POSTS),
    Row("short-body", 1, "partial", problem="posts", posts=150),
    Row("bad-utf8", 1, "partial", problem="UTF-8", posts=150),
    Row("lone-surrogate", 1, "partial", problem="UTF-8", posts=150),
    Row("short-total", 0, "ok", problem="X-WP-TotalPages", posts=content.POSTS),
    Row("endless-chunked", 1, "partial", problem="bytes", posts=150),
    Row("gzip-bomb", 1, "partial", problem="bytes", posts=150),
    Row("big-body", 1, "partial", problem="bytes", posts=150),
    Row("slow-drip", 1, "partial", problem="s", posts=150),
    Row("redirect-off-host", 1, "partial", problem="another host", posts=150),
    Row("redirect-loop", 1, "partial", problem="redirect", posts=150),
    Row("html-for-json", 1, "partial", problem="promised JSON", posts=150),
    Row("retry-after", 0, "ok", posts=content.POSTS),
    Row("503-storm", 1, "partial", problem="503", posts=150),
    Row("nul-bytes", 0, "ok", posts=content.POSTS),
    Row("zero-dates", 0, "ok", posts=content.POSTS),
    Row("robots-disallow", 1, says="robots.txt disallows"),
    Row("wordfence", 1, says="Wordfence"),
    Row("cloudflare", 1, says="Cloudflare"),
    Row("not-wordpress", 1, says="does not look like a WordPress site"),
    Row("invalid-feed", 1, "partial", problem="feed"),
    # A feed that is not UTF-8 is no feed: the post pages are the next door (none linked here).
    Row("bad-utf8-feed", 0, "ok", says="not valid UTF-8", posts=0),
    Row("bad-utf8-html", 1, "partial", problem="not valid UTF-8", posts=10),
    Row("site-moved", 0, "ok", says="moved here from", posts=content.POSTS),
]


@pytest.fixture(scope="module")
def other_site() -> Iterator[HostileSite]:
    """A second, well-behaved site on another loopback address: where redirects point."""
    with HostileSite("none", host="127.0.0.9", first_id=OTHER_FIRST_ID) as site:
        yield site


def crawl(site_url: str, work: Path, config: str = CAP_CONFIG) -> tuple[Run, Path]:
    """Crawl `site_url` into a fresh archive in `work` with the test config."""
    (work / "config.yaml").write_text(config)
    db = work / "archive.db"
    run = run_wparchive(
        work, "crawl", site_url, "--db", str(db), "--config", str(work / "config.yaml")
    )
    return run, db


def assert_bounded(run: Run, seconds: float = SECONDS) -> None:
    """No traceback, no runaway in time or memory."""
    assert "Traceback" not in run.stderr and "╭" not in run.stderr, run.stderr[-3000:]
    assert run.seconds < seconds, f"took {run.seconds} s"
    assert run.peak_mib < PEAK_MIB, f"peaked at {run.peak_mib} MiB"


def assert_one_error_line(run: Run, exit_code: int, says: str) -> None:
    lines = run.stderr.strip().splitlines()
    assert run.exit == exit_code, run.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert says in lines[0]


def assert_nothing_wrong_stored(db: Path, site_url: str) -> None:
    """No replacement character, no NUL, no script link, no other host's post as this site's."""
    texts = query(db, "SELECT title || content_html || content_text FROM posts")
    texts += query(db, "SELECT author_name || author_url || content_html FROM comments")
    assert not [t for (t,) in texts if "\ufffd" in t or "\x00" in t]
    assert query(db, "SELECT author_url FROM comments WHERE wp_id = 1") in ([], [("",)])
    by_site = (
        "SELECT s.url, min(p.wp_id), max(p.wp_id) FROM posts p JOIN sites s ON s.id = p.site_id"
    )
    for url, low, high in query(db, by_site + " GROUP BY s.url"):
        # Each host's posts, and only those, under its own URL.
        assert (low >= OTHER_FIRST_ID) == (url != site_url) == (high >= OTHER_FIRST_ID)


@pytest.mark.parametrize("row", SITE_ROWS, ids=lambda row: row.fault)
def test_a_hostile_site_gives_a_bounded_clear_outcome(
    row: Row, other_site: HostileSite, tmp_path: Path
) -> None:
    with HostileSite(row.fault, other=other_site.url) as site:
        run, db = crawl(site.url, tmp_path)
    print(f"{row.fault}: exit {run.exit}, {run.seconds} s, {run.peak_mib} MiB")
    assert_bounded(run)
    if not row.status:
        assert_one_error_line(run, row.exit, row.says)
        return
    assert run.exit == row.exit, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()
    assert len(summary) == 1 and f": {row.status} | " in summary[0], run.stdout + run.stderr
    assert row.says in summary[0]
    problems = query(db, "SELECT kind, message FROM problems")
    if row.problem:
        assert any(row.problem in message for _, message in problems), problems
    if row.posts is not None:
        assert query(db, "SELECT count(*) FROM posts") == [(row.posts,)]
    assert_nothing_wrong_stored(db, site.url)


ARGUMENT_ROWS = [
    # (argv after "crawl", exit code, in the error line)
    (["not a url"], 2, "is not a URL"),
    (["http://bad host/"], 2, "is not a URL"),
    (["http://127.0.0.1:99999"], 2, "invalid port"),
    (["ftp://127.0.0.1/"], 2, "not an http(s) URL"),
    (["http://127.0.0.1:1", "--db", "mysql://me:pw@127.0.0.1/blog"], 2, "unsupported database"),
    (["http://127.0.0.1:1", "--concurrency", "0"], 2, "concurrency must be"),
]
CONFIG_ROWS = [
    ("http:\n  connect_timeout: -1\n", "connect_timeout must be more than 0"),
    ("http:\n  concurrency: 2.9\n", "concurrency: expected a whole number, not 2.9"),
    ("http:\n  max_retries: -3\n", "max_retries must be at least 0"),
    ("http:\n  read_timeout: fast\n", "read_timeout"),
]


@pytest.mark.parametrize(("argv", "exit_code", "says"), ARGUMENT_ROWS, ids=lambda v: str(v))
def test_a_bad_argument_is_one_error_line(
    argv: list[str], exit_code: int, says: str, tmp_path: Path
) -> None:
    db = ["--db", str(tmp_path / "a.db")] if "--db" not in argv else []
    run = run_wparchive(tmp_path, "crawl", *argv, *db)
    assert_bounded(run, seconds=10)
    assert_one_error_line(run, exit_code, says)
    assert "pw@" not in run.stderr


@pytest.mark.parametrize(("config", "says"), CONFIG_ROWS, ids=[c for c, _ in CONFIG_ROWS])
def test_a_bad_config_value_is_one_error_line(config: str, says: str, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(config)
    run = run_wparchive(
        tmp_path, "crawl", "http://127.0.0.1:1", "--config", str(tmp_path / "config.yaml")
    )
    assert_bounded(run, seconds=10)
    assert_one_error_line(run, 2, says)


def test_postgres_without_its_driver_names_the_extra_and_hides_the_password(
    tmp_path: Path,
) -> None:
    db = "postgresql+psycopg://archivist:hunter2-secret@127.0.0.1:1/blog"
    env = {"WPARCHIVE_FAKE_MISSING": "psycopg"}
    run = run_wparchive(tmp_path, "crawl", "http://127.0.0.1:1", "--db", db, env=env, fakes=True)
    assert_bounded(run, seconds=10)
    assert_one_error_line(run, 1, "pip install 'wparchive[postgres]'")
    assert "hunter2" not in run.stdout + run.stderr


def test_an_unknown_host_fails_at_once_without_retries(tmp_path: Path) -> None:
    lookups = tmp_path / "lookups"
    env = {
        "WPARCHIVE_FAKE_NXDOMAIN": "blog.example.invalid",
        "WPARCHIVE_FAKE_LOOKUPS": str(lookups),
    }
    # The default config: today's backoff would take over 20 s.
    run = run_wparchive(
        tmp_path,
        "crawl",
        "http://blog.example.invalid/",
        "--db",
        str(tmp_path / "a.db"),
        env=env,
        fakes=True,
    )
    assert_bounded(run, seconds=5)
    assert_one_error_line(run, 1, "blog.example.invalid")
    # robots.txt and the home page: one lookup each, none repeated.
    assert len(lookups.read_text().splitlines()) <= 2


def test_a_url_without_scheme_tries_https_then_http_and_says_which_answered(
    tmp_path: Path,
) -> None:
    with HostileSite("none") as site:
        bare = site.url.removeprefix("http://")
        run = run_wparchive(
            tmp_path, "crawl", bare, "--db", str(tmp_path / "a.db"), "--rate-limit", "0"
        )
    assert_bounded(run, seconds=8)  # the default config: no retries of a TLS handshake refused
    assert run.exit == 0, run.stderr
    assert run.stdout.startswith(f"{site.url}: ok | ")
    assert "https failed" in run.stderr and "http answered" in run.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_fetching_at_once_and_keeps_what_was_parsed(
    signum: signal.Signals, tmp_path: Path
) -> None:
    # A long deadline: only stopping at once ends this crawl in seconds.
    config = FAST_CONFIG + "  request_deadline: 60\n"
    with HostileSite("slow-drip") as site:
        page_2_sent: list[float] = []

        def page_1_parsed() -> bool:
            # Page 2 is asked for before page 1 is parsed (page 1's items are parsed while page 2
            # comes), and page 2 never ends: a second after it went out, page 1 is parsed.
            if not page_2_sent and any(
                "/posts" in path and "page=2" in path for path, _ in site.requests
            ):
                page_2_sent.append(time.monotonic())
            return bool(page_2_sent) and time.monotonic() - page_2_sent[0] > 1.0

        (tmp_path / "config.yaml").write_text(config)
        db = tmp_path / "archive.db"
        run = run_wparchive(
            tmp_path,
            *("crawl", site.url, "--db", str(db), "--config", str(tmp_path / "config.yaml")),
            while_running=send_when(page_1_parsed, signum),
        )
    assert run.exit == 128 + signum, run.stderr
    assert run.seconds < 10, f"took {run.seconds} s"
    assert run.stderr.strip().splitlines() == ["interrupted: what was archived so far is kept"]
    assert query(db, "SELECT status FROM crawl_runs") == [("interrupted",)]
    # Every request counted was sent (the server logged it), and every one sent was counted.
    assert query(db, "SELECT requests FROM crawl_runs") == [(len(site.requests),)]
    # The first page of posts was fetched and parsed before the signal: it is kept.
    assert query(db, "SELECT count(*) FROM posts") == [(content.PER_PAGE,)]


def test_a_script_author_url_is_dropped_from_every_export_and_kept_raw(tmp_path: Path) -> None:
    with HostileSite("none") as site:
        run, db = crawl(site.url, tmp_path)
    assert run.exit == 0, run.stderr
    [(raw,)] = query(db, "SELECT raw FROM comments WHERE wp_id = 1")
    assert content.BAD_AUTHOR_URL in raw  # the raw item keeps what the site sent
    outputs = {"jsonl": tmp_path / "jsonl", "csv": tmp_path / "csv", "wxr": tmp_path / "site.wxr"}
    for fmt, out in outputs.items():
        exported = run_wparchive(
            tmp_path, "export", "--db", str(db), "--format", fmt, "--out", str(out)
        )
        assert exported.exit == 0, exported.stderr
        files = [out] if out.is_file() else [f for f in out.rglob("*") if f.is_file()]
        assert files, fmt
        assert not [f for f in files if b"javascript:" in f.read_bytes()], fmt
    # The comment itself is exported, only its link is gone.
    lines = (tmp_path / "jsonl" / "comments.jsonl").read_text().splitlines()
    [first] = [row for row in map(json.loads, lines) if row["id"] == 1]
    assert (first["author_name"], first["author_url"]) == ("Reader 1", "")
