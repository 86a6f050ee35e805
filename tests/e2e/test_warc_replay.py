"""Recorded crawls on real WordPress: each stored item names the WARC record its response is in,
and `reparse --warc` rebuilds the same archive from the recording alone, with no request sent.

Run on the REST site and on a closed one (feeds and post pages), since the item-to-capture link
and the replay go through different sources."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.e2e.helpers import crawl_args, export_rows, run_cli

pytestmark = pytest.mark.wordpress

SITES = ("wp_rest", "wp_closed_block")


@pytest.fixture(scope="module", params=SITES)
def replayed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A recorded crawl into a.db, then `reparse --warc` of that recording into an empty b.db."""
    site = request.getfixturevalue(request.param)
    tmp = tmp_path_factory.mktemp(request.param)
    recorded, replayed_db, warc = tmp / "a.db", tmp / "b.db", tmp / "warc"
    run_cli(*crawl_args(site.url, str(recorded), "--full", "--warc", str(warc)))
    site.mark_log()
    output = run_cli(
        *("reparse", "--warc", str(warc), "--site", site.url, "--db", str(replayed_db))
    )
    return {
        "site": site,
        "tmp": tmp,
        "warc": warc,
        "a": recorded,
        "b": replayed_db,
        "output": output,
        "requests": site.requests(),
        "rest": request.param == "wp_rest",
    }


def captured_rows(db: Path) -> dict[tuple[str, int], tuple[str | None, int | None]]:
    """(table, wp_id) -> (warc_file, warc_offset) of every post, page and comment."""
    with closing(sqlite3.connect(db)) as conn:
        return {
            (table, wp_id): (warc_file, offset)
            for table in ("posts", "comments")
            for wp_id, warc_file, offset in conn.execute(
                f"SELECT wp_id, warc_file, warc_offset FROM {table}"
            )
        }


def record_at(warc: Path, name: str, offset: int) -> tuple[str, str, bytes]:
    """(type, target URI, decoded content) of the record at `offset` of WARC file `name`."""
    with (warc / name).open("rb") as file:
        file.seek(offset)
        record = next(iter(ArchiveIterator(file)))
        uri = record.rec_headers.get_header("WARC-Target-URI")
        return record.rec_type, uri, record.content_stream().read()


def test_every_item_names_the_response_record_that_holds_it(replayed: dict[str, Any]) -> None:
    rows = captured_rows(replayed["a"])
    truth = replayed["site"].truth()
    assert {wp_id for (t, wp_id) in rows if t == "comments"} >= {
        c["id"] for c in truth["comments"] if c["id"] not in truth["orphan_comment_ids"]
    } - {0}
    for (table, wp_id), (name, offset) in rows.items():
        assert name is not None and offset is not None, (table, wp_id)
        kind, uri, content = record_at(replayed["warc"], name, offset)
        assert kind == "response" and uri.startswith(replayed["site"].url)
        if replayed["rest"]:
            items = json.loads(content)
            assert wp_id in {item["id"] for item in items}, (table, wp_id, uri)
        elif table == "comments":
            assert f'id="comment-{wp_id}"'.encode() in content, (wp_id, uri)
        else:  # a post's own page: body classes name its id
            assert f"postid-{wp_id}".encode() in content or f"page-id-{wp_id}".encode() in content


def test_reparse_from_the_recording_sends_no_request(replayed: dict[str, Any]) -> None:
    assert replayed["requests"] == []
    assert "(reparse)" in replayed["output"]


def test_the_replayed_archive_exports_exactly_as_the_recorded_crawl(
    replayed: dict[str, Any],
) -> None:
    tmp = replayed["tmp"]
    posts_a, comments_a = export_rows(str(replayed["a"]), tmp / "export-a")
    posts_b, comments_b = export_rows(str(replayed["b"]), tmp / "export-b")
    assert posts_a and comments_a
    assert posts_b == posts_a
    assert comments_b == comments_a
    # Each replayed row points at the record it was read from: the recorded crawl's own.
    assert captured_rows(replayed["b"]) == captured_rows(replayed["a"])


def test_a_replay_adds_no_version_to_an_archive_that_holds_the_same(
    replayed: dict[str, Any],
) -> None:
    site = replayed["site"]
    site.mark_log()
    run_cli(*("reparse", "--warc", str(replayed["warc"]), "--db", str(replayed["a"])))
    assert site.requests() == []
    with closing(sqlite3.connect(replayed["a"])) as conn:
        runs = conn.execute("SELECT mode, status FROM crawl_runs ORDER BY id").fetchall()
        versions = conn.execute(
            "SELECT (SELECT count(*) FROM post_versions), (SELECT count(*) FROM comment_versions)"
        ).fetchone()
        posts, comments = conn.execute(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments)"
        ).fetchone()
    assert runs[-1] == ("reparse", "ok")
    # One version per item, from the recorded crawl; the replay read the same and added none.
    assert versions == (posts, comments)
