"""A backup folder's MANIFEST.json: what it holds (site, crawl, counts) and each file's sha256 and size.

`verify_backup` needs no network and no database: it reads the manifest and hashes the files.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from archive.errors import ArchiveError

MANIFEST_FILE = "MANIFEST.json"
MANIFEST_FORMAT = "wparchive-backup/1"
STAGING_DIR = ".staging"  # where the next version of a backup is built (see archive.backup)
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    """One file of a backup as the manifest records it."""

    sha256: str
    size: int


@dataclass(frozen=True)
class FileProblem:
    """A file that does not match the manifest, and how."""

    name: str
    reason: str


def hash_file(path: Path) -> FileEntry:
    """The file's sha256 and size, read in chunks (an archive can be large)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(digest.hexdigest(), size)


def build_manifest(files: dict[str, Path], facts: dict[str, Any]) -> dict[str, Any]:
    """The manifest of `files` (name in the folder -> where it is now), after the facts (site,
    crawl, counts...)."""
    entries = {name: vars(hash_file(files[name])) for name in sorted(files)}
    return {"format": MANIFEST_FORMAT, **facts, "files": entries}


def write_json_durably(path: Path, data: dict[str, Any]) -> None:
    """Write `path` whole and flushed to disk (no rename: the caller renames it into place)."""
    with path.open("w", encoding="utf-8") as file:
        json.dump(data, file, indent=2, ensure_ascii=False)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest's content; ArchiveError when it is missing or is not one of ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArchiveError(f"{path} is missing: not a wparchive backup folder") from exc
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ArchiveError(f"{path} is not a {MANIFEST_FORMAT} manifest")
    if not isinstance(data.get("files"), dict):
        raise ArchiveError(f"{path} lists no files")
    return data


def manifest_files(manifest: dict[str, Any]) -> dict[str, FileEntry]:
    """The manifest's file entries; ArchiveError on an entry that is not a name, sha256 and size."""
    try:
        return {
            name: FileEntry(str(entry["sha256"]), int(entry["size"]))
            for name, entry in manifest["files"].items()
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"a file entry of the manifest is malformed: {exc!r}") from exc


def verify_backup(folder: Path) -> list[FileProblem]:
    """Every file the manifest lists that is missing or differs from it; empty when all match.

    Files the manifest does not list are not checked. A name that would leave the folder is a
    problem in itself (a manifest is data, not a list of paths to trust).
    """
    manifest = read_manifest(folder / MANIFEST_FILE)
    problems = [
        problem
        for name, entry in manifest_files(manifest).items()
        if (problem := _check_file(folder, name, entry)) is not None
    ]
    if problems and (folder / STAGING_DIR / MANIFEST_FILE).exists():
        reason = "a backup was stopped while replacing files: run the backup again to finish it"
        problems.append(FileProblem(f"{STAGING_DIR}/{MANIFEST_FILE}", reason))
    return problems


def _check_file(folder: Path, name: str, want: FileEntry) -> FileProblem | None:
    if not is_plain_name(name):
        return FileProblem(name, "not a plain file name inside the folder")
    path = folder / name
    if not path.is_file():
        return FileProblem(name, "missing")
    got = hash_file(path)
    if got.size != want.size:
        return FileProblem(name, f"size {got.size} bytes, the manifest says {want.size}")
    if got.sha256 != want.sha256:
        return FileProblem(name, "content differs from the manifest (sha256)")
    return None


def is_plain_name(name: str) -> bool:
    """True for a relative path of plain parts (`media/a.jpg`), never `..`, absolute or hidden."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not PurePosixPath(name).is_absolute()
        and "\\" not in name
        and all(part not in ("", ".", "..") and not part.startswith(".") for part in parts)
    )
