"""A backup folder: one site's archive, its exports and a manifest, replaced only as a whole.

A backup is built in `<folder>/.staging/` from a copy of the committed archive (so the crawl is
incremental and the committed files are never written in place), then committed: every staged
file is flushed to disk, the new manifest is written into the staging folder (the commit record),
the files are renamed into the folder, and the manifest last. A run stopped before the commit
record leaves the previous backup as it was (the next run discards the staging folder); one
stopped after it is finished by the next run (`open_backup` rolls the renames forward).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from archive.datasette import write_datasette_metadata
from archive.db import open_archive, run_transaction
from archive.errors import ArchiveError
from archive.export.dataset import export_dataset
from archive.export.rows import format_datetime
from archive.export.wxr import export_wxr
from archive.manifest import (
    MANIFEST_FILE,
    STAGING_DIR,
    build_manifest,
    is_plain_name,
    read_manifest,
    write_json_durably,
)
from archive.models import AUTHORS, COMMENTS, CRAWL_RUNS, POSTS, SITES, TERMS

LOGGER = logging.getLogger(__name__)

ARCHIVE_FILE = "archive.db"
WXR_FILE = "site.wxr"
METADATA_FILE = "metadata.yml"
DATASET_FILES = ("posts.jsonl", "comments.jsonl")
# Folders whose files accumulate: each backup adds new ones (WARC captures) and keeps the old.
WARC_DIR = "warc"
MEDIA_DIR = "media"  # media/<sha256>.<ext> (scraper/media.py)
ACCUMULATED_DIRS = (WARC_DIR, MEDIA_DIR)


@dataclass(frozen=True)
class BackupStage:
    """The next version of a backup folder, being built in its staging folder."""

    folder: Path
    staging: Path

    @property
    def database_url(self) -> str:
        """The staged archive, for the crawl to write into."""
        return f"sqlite:///{self.staging / ARCHIVE_FILE}"


def open_backup(folder: Path) -> BackupStage:
    """Start a new version of the backup in `folder` (created if needed) from its committed archive."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        finish_commit(folder)
        staging = folder / STAGING_DIR
        shutil.rmtree(staging, ignore_errors=True)  # a version never committed: discard it
        staging.mkdir()
        if (folder / ARCHIVE_FILE).exists():
            copy_sqlite(folder / ARCHIVE_FILE, staging / ARCHIVE_FILE)
    except (OSError, sqlite3.Error) as exc:
        raise ArchiveError(f"cannot prepare the backup in {folder}: {exc}") from exc
    return BackupStage(folder, staging)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (right even if someone left a WAL behind)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def commit_backup(stage: BackupStage, now: datetime | None = None) -> dict[str, Any]:
    """Export the staged archive's last-crawled site, write the manifest, commit; return it."""
    try:
        facts, names = _write_exports(stage)
        seal_sqlite(stage.staging / ARCHIVE_FILE)
        files = {name: stage.staging / name for name in names}
        files |= accumulated_files(stage.staging)
        for path in files.values():
            fsync_file(path)
        files = accumulated_files(stage.folder) | files
        facts = {**facts, "created_at": format_datetime(now or datetime.now(UTC))}
        manifest = build_manifest(files, facts)
        write_json_durably(stage.staging / MANIFEST_FILE, manifest)
        fsync_file(stage.staging)  # the commit record is durable before any rename
        finish_commit(stage.folder)
    except (OSError, sqlite3.Error) as exc:
        raise ArchiveError(f"backup failed writing {stage.folder}: {exc}") from exc
    return manifest


def _write_exports(stage: BackupStage) -> tuple[dict[str, Any], list[str]]:
    """Write the WXR, the datasets and the Datasette metadata next to the staged archive."""
    engine = open_archive(stage.database_url)
    try:
        facts = run_transaction(engine, fetch_backup_facts, write=False)
        export_wxr(engine, stage.staging / WXR_FILE, facts["site"])
        export_dataset(engine, stage.staging, "jsonl", site=facts["site"])
        write_datasette_metadata(stage.staging / METADATA_FILE, facts["site"])
    finally:
        engine.dispose()
    return facts, [ARCHIVE_FILE, WXR_FILE, *DATASET_FILES, METADATA_FILE]


def accumulated_files(root: Path) -> dict[str, Path]:
    """The files of the accumulating folders under `root`, by their name in the backup."""
    return {
        f"{folder}/{path.name}": path
        for folder in ACCUMULATED_DIRS
        if (root / folder).is_dir()
        for path in sorted((root / folder).iterdir())
        if path.is_file()
    }


def fetch_backup_facts(conn: Connection) -> dict[str, Any]:
    """The site of the archive's last crawl run, that run, the tool, and what the site holds."""
    run = conn.execute(
        select(
            SITES.c.id.label("site_id"),
            SITES.c.url,
            CRAWL_RUNS.c.source,
            CRAWL_RUNS.c.mode,
            CRAWL_RUNS.c.status,
            CRAWL_RUNS.c.requests,
        )
        .join(SITES, SITES.c.id == CRAWL_RUNS.c.site_id)
        .order_by(CRAWL_RUNS.c.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise ArchiveError("the backup's archive holds no crawl: nothing to back up")
    return {
        "site": run.url,
        "tool": "wparchive",
        "tool_version": tool_version(),
        "source": run.source,
        "crawl": {"mode": run.mode, "status": run.status, "requests": run.requests},
        "counts": fetch_site_counts(conn, run.site_id),
    }


def fetch_site_counts(conn: Connection, site_id: int) -> dict[str, int]:
    """Posts, pages, comments, authors and terms the archive holds for the site."""
    by_type: dict[str, int] = dict(
        conn.execute(
            select(POSTS.c.type, func.count())
            .where(POSTS.c.site_id == site_id)
            .group_by(POSTS.c.type)
        ).all()
    )
    counts = {"posts": int(by_type.get("post", 0)), "pages": int(by_type.get("page", 0))}
    # Other public post types (a plugin's) are archived and exported too.
    counts["other_items"] = sum(
        int(n) for kind, n in by_type.items() if kind not in ("post", "page")
    )
    for name, column in (
        ("comments", COMMENTS.c.site_id),
        ("authors", AUTHORS.c.site_id),
        ("terms", TERMS.c.site_id),
    ):
        counts[name] = int(conn.scalar(select(func.count()).where(column == site_id)) or 0)
    return counts


def tool_version() -> str:
    """wparchive's installed version."""
    try:
        return version("wparchive")
    except PackageNotFoundError:
        return "unknown"


def seal_sqlite(path: Path) -> None:
    """Rewrite the archive as one self-contained file in rollback-journal mode, so its hash is what
    any reader sees (no WAL beside it). VACUUM INTO reads a consistent snapshot even while the
    crawl's idle connections still hold the file; the next crawl switches WAL back on in its copy.
    """
    sealed = path.with_name(path.name + ".sealed")
    sealed.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("VACUUM INTO ?", (str(sealed),))
    with closing(sqlite3.connect(sealed)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    os.replace(sealed, path)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def finish_commit(folder: Path) -> None:
    """Rename a committed staging folder's files into place, manifest last; no-op without one."""
    staging = folder / STAGING_DIR
    staged_manifest = staging / MANIFEST_FILE
    if not staged_manifest.exists():
        return
    for name in read_manifest(staged_manifest)["files"]:
        if is_plain_name(name) and (staging / name).exists():
            (folder / name).parent.mkdir(exist_ok=True)
            os.replace(staging / name, folder / name)
            fsync_file((folder / name).parent)
    fsync_file(folder)
    os.replace(staged_manifest, folder / MANIFEST_FILE)
    fsync_file(folder)
    shutil.rmtree(staging, ignore_errors=True)
    LOGGER.info("committed the backup in %s", folder)


def fsync_file(path: Path) -> None:
    """Flush a file's (or a directory's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
