"""A password given in a site URL is sent as HTTP auth and appears nowhere: not in stdout, stderr,
logs, the archive file or its exports (every byte of every file is searched)."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.hostile import content
from tests.hostile.runner import FAST_CONFIG, query, run_wparchive
from tests.hostile.server import AUTH, HostileSite


def secret_forms() -> list[bytes]:
    """The password as typed, URL-encoded, and inside the Basic auth header's base64."""
    user, password = AUTH
    return [
        password.encode(),
        password.replace("-", "%2D").encode(),
        base64.b64encode(f"{user}:{password}".encode()),
    ]


def with_credentials(url: str) -> str:
    user, password = AUTH
    return url.replace("http://", f"http://{user}:{password}@")


def test_a_password_in_the_url_is_sent_as_auth_and_shown_nowhere(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(FAST_CONFIG)
    db = tmp_path / "archive.db"
    common = ["--db", str(db), "--config", str(config), "--verbose"]
    with HostileSite("needs-auth") as site:
        url = with_credentials(site.url)
        crawled = run_wparchive(tmp_path / "1", "crawl", url, *common)
        sent = [headers.get("authorization", "") for _, headers in site.requests]
    # The same credentials to a site that is gone: error lines that name the URL.
    failed = run_wparchive(tmp_path / "2", "crawl", url, *common)
    exported = [
        run_wparchive(
            tmp_path / fmt,
            "export",
            "--db",
            str(db),
            "--format",
            fmt,
            "--out",
            str(tmp_path / "export"),
        )
        for fmt in ("jsonl", "csv")
    ]
    listed = run_wparchive(tmp_path / "3", "sites", "--db", str(db))

    assert crawled.exit == 0 and ": ok | " in crawled.stdout, crawled.stderr
    assert query(db, "SELECT count(*) FROM posts") == [(content.POSTS,)]
    assert sent and all(value.startswith("Basic ") for value in sent)
    # --verbose logs come first; the error is the last line.
    assert failed.exit == 1 and failed.stderr.strip().splitlines()[-1].startswith("error: ")
    assert all(run.exit == 0 for run in [*exported, listed])
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 10  # outputs, the archive (and its WAL), both exports, the config
    for path in files:
        data = path.read_bytes()
        for secret in secret_forms():
            assert secret not in data, f"{secret!r} found in {path}"
