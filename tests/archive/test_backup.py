"""Backup folders: the manifest lists every file with its hash, verify names each bad file, and a
backup stopped before or during its commit never leaves a folder that fails to verify."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from archive.backup import ARCHIVE_FILE, BackupStage, commit_backup, open_backup
from archive.db import open_archive
from archive.errors import ArchiveError
from archive.manifest import MANIFEST_FILE, STAGING_DIR, verify_backup
from archive.records import Record
from archive.store import ArchiveStore
from tests.archive.samples import SITE, SITE_URL, comment, her_records

EXPECTED_FILES = {"archive.db", "site.wxr", "posts.jsonl", "comments.jsonl", "metadata.yml"}


def crawl_into(stage: BackupStage, records: Sequence[Record]) -> None:
    """What the crawl does to the staged archive: one finished run that saved `records`."""
    engine = open_archive(stage.database_url)
    try:
        store = ArchiveStore(engine)
        site_id = store.ensure_site(SITE)
        run_id = store.start_run(site_id, "rest", "full")
        store.save_records(site_id, run_id, records)
        store.rethread(site_id)
        store.finish_run(
            run_id, status="ok", source="rest", summary="", requests=7, advance_state=True
        )
    finally:
        engine.dispose()


def back_up(folder: Path, records: Sequence[Record]) -> dict[str, Any]:
    stage = open_backup(folder)
    crawl_into(stage, records)
    return commit_backup(stage)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_the_manifest_lists_every_file_with_its_hash_and_size(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    manifest = back_up(folder, her_records())
    assert set(manifest["files"]) == EXPECTED_FILES
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert json.loads((folder / MANIFEST_FILE).read_text()) == manifest
    assert manifest["site"] == SITE_URL
    assert (manifest["source"], manifest["crawl"]["requests"]) == ("rest", 7)
    assert manifest["counts"] == {
        "posts": 1,
        "pages": 0,
        "other_items": 0,
        "comments": 3,
        "authors": 1,
        "terms": 2,
    }
    assert manifest["tool"] == "wparchive" and manifest["tool_version"]
    # One self-contained file: no WAL left beside the archive, no staging folder.
    assert {p.name for p in folder.iterdir()} == EXPECTED_FILES | {MANIFEST_FILE}
    assert verify_backup(folder) == []


def test_verify_names_each_changed_or_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    back_up(folder, her_records())
    with (folder / "posts.jsonl").open("ab") as file:
        file.write(b"\n")
    data = (folder / "comments.jsonl").read_bytes()
    (folder / "comments.jsonl").write_bytes(data.replace(b"Film Reviews", b"Film Reviewz"))
    (folder / "site.wxr").unlink()
    problems = {p.name: p.reason for p in verify_backup(folder)}
    assert set(problems) == {"posts.jsonl", "comments.jsonl", "site.wxr"}
    assert problems["site.wxr"] == "missing"
    assert "size" in problems["posts.jsonl"] and "sha256" in problems["comments.jsonl"]


def test_verify_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    back_up(folder, her_records())
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["files"]["../outside"] = {"sha256": "0" * 64, "size": 0}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert [p.name for p in verify_backup(folder)] == ["../outside"]


def test_a_folder_without_manifest_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not a wparchive backup"):
        verify_backup(tmp_path)


def test_a_second_backup_starts_from_the_archive_and_replaces_every_file(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    first = back_up(folder, her_records())
    second = back_up(folder, [comment(500, None)])  # the staged copy keeps the first crawl
    assert second["counts"]["comments"] == first["counts"]["comments"] + 1
    assert second["files"]["comments.jsonl"] != first["files"]["comments.jsonl"]
    assert b'"id":500' in (folder / "comments.jsonl").read_bytes()
    assert verify_backup(folder) == []


def test_a_backup_stopped_before_its_commit_leaves_the_previous_one(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    back_up(folder, her_records())
    before = folder_bytes(folder)
    stage = open_backup(folder)
    crawl_into(stage, [comment(500, None)])  # then the process dies: no commit
    assert folder_bytes(folder) == before
    assert verify_backup(folder) == []
    restarted = open_backup(folder)  # the next run discards the uncommitted version
    with closing(sqlite3.connect(restarted.staging / ARCHIVE_FILE)) as conn:
        assert conn.execute("SELECT count(*) FROM comments").fetchone() == (3,)


def test_a_backup_stopped_during_its_commit_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "blog"
    back_up(folder, her_records())
    stage = open_backup(folder)
    crawl_into(stage, [comment(500, None)])
    real_replace, renamed = os.replace, []

    def dies_after_two_renames(src: Any, dst: Any) -> None:
        if Path(dst).parent == folder:  # the commit's renames, not the exports' own
            if len(renamed) == 2:
                raise OSError("killed")
            renamed.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr("archive.backup.os.replace", dies_after_two_renames)
    with pytest.raises(ArchiveError):
        commit_backup(stage)
    monkeypatch.undo()
    problems = [p.name for p in verify_backup(folder)]
    assert (
        problems[:-1] == [Path(p).name for p in renamed]
        and problems[-1] == f"{STAGING_DIR}/{MANIFEST_FILE}"
    )
    open_backup(folder)  # rolls the commit forward before starting anew
    assert verify_backup(folder) == []
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["counts"]["comments"] == 4
