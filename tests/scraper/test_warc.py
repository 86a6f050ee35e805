"""WARC recording: request and response records per exchange, bodies as sent, rotation, `warcio check`."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from scraper.exchange import Exchange, Headers, Response
from scraper.warc import WarcRecorder

HTML = "<html><body><p>Her: 10/10 ✓</p></body></html>".encode()


def exchange(url: str, raw: bytes, headers: list[tuple[str, str]], body: bytes) -> Exchange:
    response = Response(url, 200, "OK", Headers(headers), body)
    request = (("User-Agent", "wparchive-test"), ("Accept-Encoding", "gzip"))
    return Exchange(
        "GET", url, request, datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), 0.1, response, raw
    )


SAMPLES = [
    exchange("http://127.0.0.1/plain", HTML, [("Content-Type", "text/html")], HTML),
    exchange(
        "http://127.0.0.1/gz?page=2",
        gzip.compress(HTML),
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        HTML,
    ),
    exchange(
        "http://127.0.0.1/chunked",
        gzip.compress(HTML),
        [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        HTML,
    ),
]


def read_records(paths: list[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        with path.open("rb") as file:
            for record in ArchiveIterator(file):
                records.append(
                    {
                        "type": record.rec_type,
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "date": record.rec_headers.get_header("WARC-Date"),
                        "version": record.rec_headers.protocol,
                        "line": (
                            f"{record.http_headers.protocol} {record.http_headers.statusline}"
                            if record.http_headers
                            else ""
                        ),
                        "content": record.content_stream().read(),
                        "headers": record.http_headers.headers if record.http_headers else [],
                    }
                )
    return records


def test_each_exchange_is_a_response_and_a_request_with_the_body_as_sent(tmp_path: Path) -> None:
    recorder = WarcRecorder(tmp_path / "warc")
    for sample in SAMPLES:
        recorder(sample)
    recorder.close()
    records = read_records(recorder.files)
    assert [(r["type"], r["uri"]) for r in records] == [
        (kind, sample.url) for sample in SAMPLES for kind in ("response", "request")
    ]
    assert {r["version"] for r in records} == {"WARC/1.1"}
    assert {r["date"] for r in records} == {"2026-01-02T03:04:05.000006Z"}
    responses = [r for r in records if r["type"] == "response"]
    assert [r["content"] for r in responses] == [s.response.body for s in SAMPLES if s.response]
    assert responses[1]["headers"] == [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    requests = [r for r in records if r["type"] == "request"]
    assert requests[1]["line"] == "GET /gz?page=2 HTTP/1.1"
    assert responses[1]["line"] == "HTTP/1.1 200 OK"
    assert ("Host", "127.0.0.1") in requests[1]["headers"]


def test_the_raw_gzip_body_is_stored_compressed(tmp_path: Path) -> None:
    recorder = WarcRecorder(tmp_path)
    recorder(SAMPLES[1])
    recorder.close()
    with recorder.files[0].open("rb") as file:
        record = next(iter(ArchiveIterator(file)))
        assert record.raw_stream.read() == SAMPLES[1].raw_body


def test_files_rotate_past_the_size_limit_and_pass_warcio_check(tmp_path: Path) -> None:
    recorder = WarcRecorder(tmp_path, max_bytes=1)
    for sample in SAMPLES:
        recorder(sample)
    recorder.close()
    assert len(recorder.files) == len(SAMPLES) and recorder.records == 2 * len(SAMPLES)
    assert len(read_records(recorder.files)) == 2 * len(SAMPLES)
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run(
        [str(warcio), "check", "-v", *map(str, recorder.files)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_an_exchange_without_a_response_is_not_recorded(tmp_path: Path) -> None:
    recorder = WarcRecorder(tmp_path)
    recorder(Exchange("GET", "http://127.0.0.1/", (), datetime.now(UTC), 0.0, None))
    recorder.close()
    assert recorder.files == [] and recorder.records == 0


def test_crawl_warc_records_one_response_per_request_the_server_answered(tmp_path: Path) -> None:
    from tests.hostile.runner import FAST_CONFIG, run_wparchive
    from tests.hostile.server import HostileSite

    (tmp_path / "config.yaml").write_text(FAST_CONFIG)
    warcs = tmp_path / "warc"
    with HostileSite() as site:
        run = run_wparchive(
            tmp_path,
            *("crawl", site.url, "--db", str(tmp_path / "a.db")),
            *("--config", str(tmp_path / "config.yaml"), "--warc", str(warcs)),
        )
        served = [path for path, _ in site.requests]
    assert run.exit == 0, run.stderr
    records = read_records(sorted(warcs.glob("*.warc.gz")))
    responses = [r for r in records if r["type"] == "response"]
    # One response record per request the server logged, for the same URLs, in any order.
    assert sorted(r["uri"].split(site.url, 1)[1] for r in responses) == sorted(served)
    assert len([r for r in records if r["type"] == "request"]) == len(served)
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run(
        [str(warcio), "check", *map(str, sorted(warcs.glob("*.warc.gz")))],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def recorded_crawl(tmp_path: Path) -> tuple[str, Path, Path]:
    """A crawl of a loopback site recorded into tmp/warc (archive tmp/a.db); the site is gone
    afterwards. Returns its URL, the archive and the WARC folder."""
    from tests.hostile.runner import FAST_CONFIG, run_wparchive
    from tests.hostile.server import HostileSite

    (tmp_path / "config.yaml").write_text(FAST_CONFIG)
    with HostileSite() as site:
        run = run_wparchive(
            tmp_path,
            *("crawl", site.url, "--db", str(tmp_path / "a.db")),
            *("--config", str(tmp_path / "config.yaml"), "--warc", str(tmp_path / "warc")),
        )
    assert run.exit == 0, run.stderr
    return site.url, tmp_path / "a.db", tmp_path / "warc"


def stored_items(db: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT 'post', wp_id, title, content_html, warc_file, warc_offset FROM posts UNION ALL"
            " SELECT 'comment', wp_id, author_name, content_html, warc_file, warc_offset"
            " FROM comments ORDER BY 1, 2"
        ).fetchall()


def test_reparse_warc_rebuilds_the_archive_once_the_site_is_gone(tmp_path: Path) -> None:
    from tests.hostile.runner import run_wparchive

    url, recorded, warc = recorded_crawl(tmp_path)
    run = run_wparchive(
        tmp_path,
        *("reparse", "--warc", str(warc), "--site", url, "--db", str(tmp_path / "b.db")),
        *("--config", str(tmp_path / "config.yaml")),
    )
    assert run.exit == 0, run.stderr
    assert "(reparse)" in run.stdout
    items = stored_items(recorded)
    assert len(items) > 100 and all(item[4] and item[5] is not None for item in items)
    assert stored_items(tmp_path / "b.db") == items


def test_a_response_missing_from_the_recording_fails_the_run_and_changes_nothing(
    tmp_path: Path,
) -> None:
    """A replay whose comments were never recorded: the run is partial, and the archive keeps
    every row and version it had."""
    from warcio.warcwriter import WARCWriter

    from tests.hostile.runner import run_wparchive

    _, recorded, warc = recorded_crawl(tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    with (partial / "only-posts.warc.gz").open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for path in sorted(warc.glob("*.warc.gz")):
            with path.open("rb") as file:
                for record in ArchiveIterator(file):
                    if "comments" not in record.rec_headers.get_header("WARC-Target-URI"):
                        writer.write_record(record)
    before = stored_items(recorded)
    run = run_wparchive(
        tmp_path,
        *("reparse", "--warc", str(partial), "--db", str(recorded)),
        *("--config", str(tmp_path / "config.yaml")),
    )
    assert run.exit == 1
    assert "is not in the recorded WARC files" in run.stdout + run.stderr
    assert stored_items(recorded) == before
    with closing(sqlite3.connect(recorded)) as conn:
        assert conn.execute("SELECT mode, status FROM crawl_runs ORDER BY id").fetchall() == [
            ("full", "ok"),
            ("reparse", "partial"),
        ]
        assert conn.execute("SELECT last_complete_at IS NOT NULL FROM sites").fetchone() == (1,)
