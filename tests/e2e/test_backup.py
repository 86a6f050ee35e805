"""`wparchive backup` and `verify` on the real `rest` site: two backups into one folder (the second
incremental), verify passing and failing, and a backup killed midway leaving a folder that verifies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from scraper.cli import app
from tests.e2e.helpers import read_jsonl, run_cli, spawn_cli
from tests.wxr_reader import read_wxr

pytestmark = pytest.mark.wordpress

FILES = {"archive.db", "site.wxr", "posts.jsonl", "comments.jsonl", "metadata.yml"}


def backup_args(url: str, folder: Path, *extra: str) -> list[str]:
    """A backup of a harness site; no rate limit (loopback) unless `extra` sets one."""
    return ["backup", url, "--out", str(folder), "--rate-limit", "0", *extra]


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def backed_up(wp_rest: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two backups of the `rest` site into one folder, with the requests each made."""
    folder = tmp_path_factory.mktemp("backup") / "blog"
    wp_rest.mark_log()
    first_output = run_cli(*backup_args(wp_rest.url, folder))
    first, first_requests = manifest_of(folder), len(wp_rest.requests())
    wp_rest.mark_log()
    run_cli(*backup_args(wp_rest.url, folder))
    return {
        "folder": folder,
        "first": first,
        "first_output": first_output,
        "first_requests": first_requests,
        "second": manifest_of(folder),
        "second_requests": len(wp_rest.requests()),
        "truth": wp_rest.truth(),
    }


def test_the_second_backup_is_incremental(backed_up: dict[str, Any]) -> None:
    first, second = backed_up["first"], backed_up["second"]
    assert (first["crawl"]["mode"], second["crawl"]["mode"]) == ("full", "incremental")
    assert backed_up["second_requests"] < backed_up["first_requests"]
    assert second["crawl"]["requests"] == backed_up["second_requests"]
    assert first["crawl"]["requests"] == backed_up["first_requests"]
    assert second["counts"] == first["counts"]


def test_the_backup_holds_the_whole_site(backed_up: dict[str, Any]) -> None:
    folder, manifest, truth = backed_up["folder"], backed_up["second"], backed_up["truth"]
    assert set(manifest["files"]) == FILES
    assert manifest["site"] == truth["site"]["home"].rstrip("/")
    assert manifest["source"] == "rest"
    posts = read_jsonl(folder / "posts.jsonl")
    comments = read_jsonl(folder / "comments.jsonl")
    assert {p["id"] for p in posts} == {p["id"] for p in truth["posts"]}
    assert {c["id"] for c in comments} == {c["id"] for c in truth["comments"]}
    counts = manifest["counts"]
    assert counts["posts"] + counts["pages"] + counts["other_items"] == len(posts)
    assert counts["comments"] == len(comments)
    wxr = read_wxr(folder / "site.wxr")
    assert set(map(int, wxr["items"])) == {p["id"] for p in truth["posts"]}


def test_verify_passes_then_names_a_file_changed_by_hand(
    backed_up: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name, data in folder_bytes(backed_up["folder"]).items():
        (folder / name).write_bytes(data)
    assert "every file matches" in run_cli("verify", str(folder))
    posts = folder / "posts.jsonl"
    posts.write_bytes(posts.read_bytes().replace(b"Review", b"Reveiw", 1))
    result = CliRunner().invoke(app, ["verify", str(folder)])
    assert result.exit_code == 1
    assert "posts.jsonl: content differs" in result.output
    assert "comments.jsonl" not in result.output


def test_a_backup_killed_midway_leaves_a_folder_that_verifies(
    backed_up: dict[str, Any], wp_rest: Any, tmp_path: Path
) -> None:
    folder = backed_up["folder"]
    before = folder_bytes(folder)
    log = tmp_path / "killed.log"
    wp_rest.mark_log()
    # Rate-limited so that the kill lands midway through a full re-read (~20 requests).
    process = spawn_cli(log, *backup_args(wp_rest.url, folder, "--full", "--rate-limit", "5"))
    deadline = time.monotonic() + 30
    while len(wp_rest.requests()) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert 8 <= len(wp_rest.requests()) < backed_up["first_requests"], log.read_text()
    assert folder_bytes(folder) == before
    assert "every file matches" in run_cli("verify", str(folder))
    # The next backup discards the killed one's work and completes.
    run_cli(*backup_args(wp_rest.url, folder))
    assert "every file matches" in run_cli("verify", str(folder))
    assert manifest_of(folder)["counts"] == backed_up["first"]["counts"]


def test_a_backup_with_warc_records_every_request_the_server_answered(
    wp_rest: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "blog"
    wp_rest.mark_log()
    run_cli(*backup_args(wp_rest.url, folder, "--warc"))
    served = wp_rest.requests()
    manifest = manifest_of(folder)
    warcs = sorted(name for name in manifest["files"] if name.startswith("warc/"))
    assert warcs and set(manifest["files"]) == FILES | set(warcs)
    responses = []
    for name in warcs:
        with (folder / name).open("rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    responses.append((uri, record.http_headers.get_statuscode()))
    assert sorted(path for path, _ in responses) == sorted(
        wp_rest.url + request.path for request in served
    )
    assert sorted(int(status) for _, status in responses) == sorted(r.status for r in served)
    assert "every file matches" in run_cli("verify", str(folder))
    check = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", *(str(folder / n) for n in warcs)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # A second backup adds its own capture and keeps the first.
    run_cli(*backup_args(wp_rest.url, folder, "--warc"))
    again = sorted(n for n in manifest_of(folder)["files"] if n.startswith("warc/"))
    assert set(warcs) < set(again)
    assert "every file matches" in run_cli("verify", str(folder))
