"""`backup --media`: the images the archived posts show, downloaded into the backup's media/ folder.

Which: each post's featured image and every `<img src>` of its stored body (archive/media.py).
From where: the site's own host and the hosts `media.hosts` names (a CDN for its uploads); an
image elsewhere is counted and left. How much: `media.max_file_bytes` a file (the HTTP client's
own response cap, so a huge body is never held) and `media.max_total_bytes` in all (what is over
waits for a later backup). What: a body whose first bytes are a JPEG, PNG, GIF, WebP or AVIF and
whose Content-Type says image/; anything else (an error page served as .jpg, an SVG, which can
carry script) is refused and recorded. Each content is stored once, as `media/<sha256>.<ext>`,
the extension from the checked bytes: no remote name ever becomes a path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from archive.backup import MEDIA_DIR, BackupStage, fetch_backup_facts
from archive.db import open_archive, run_transaction
from archive.media import (
    StoredMedia,
    WantedMedia,
    link_post_media,
    save_media,
    site_media_facts,
    stored_media,
    wanted_media,
)
from scraper.config import Config, MediaSettings
from scraper.errors import SITE_REFUSALS, FetchError, ResponseTooLargeError, WparchiveError
from scraper.http import HttpClient
from scraper.wpurls import rest_route_url

LOGGER = logging.getLogger(__name__)

# Leading bytes of the image formats kept, and the extension each is stored with.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"WEBP", 8, "webp"),  # after "RIFF" and the size
    (b"ftypavif", 4, "avif"),
)


@dataclass
class MediaReport:
    """What one `--media` run did."""

    fetched: int = 0  # new files written
    reused: int = 0  # already in the folder (the same URL, or the same bytes elsewhere)
    refused: int = 0  # wrong type or too large: recorded, not fetched again
    failed: int = 0  # unreachable or an error status: tried again next time
    other_hosts: int = 0
    left_for_later: int = 0  # over media.max_total_bytes
    bytes_written: int = 0

    def summary_line(self) -> str:
        return (
            f"media: {self.fetched} downloaded ({self.bytes_written} bytes), {self.reused} kept,"
            f" {self.refused} refused, {self.failed} failed, {self.other_hosts} on other hosts"
            + (f", {self.left_for_later} left (total cap)" if self.left_for_later else "")
        )


def sniff_image(body: bytes) -> str | None:
    """The extension of an image format kept, from its leading bytes; None for anything else."""
    for signature, offset, extension in _SIGNATURES:
        if body[offset : offset + len(signature)] == signature:
            return extension
    return None


def fetch_backup_media(stage: BackupStage, cfg: Config) -> MediaReport:
    """Download what the backed-up site's posts show that the backup folder lacks, into the
    staging folder's media/, and record it (media, post_media) in the staged archive."""
    engine = open_archive(stage.database_url)
    try:
        return _fetch_site_media(engine, stage.folder, stage.staging, cfg)
    finally:
        engine.dispose()


def _fetch_site_media(engine: Engine, folder: Path, staging: Path, cfg: Config) -> MediaReport:
    site_url = run_transaction(engine, fetch_backup_facts, write=False)["site"]
    facts = run_transaction(engine, lambda conn: site_media_facts(conn, site_url), write=False)
    if facts is None:
        raise WparchiveError(f"{site_url} is not in the backup's archive")
    wanted = run_transaction(engine, lambda conn: wanted_media(conn, facts.id), write=False)
    known = run_transaction(engine, lambda conn: stored_media(conn, facts.id), write=False)
    settings = cfg.media
    client = HttpClient(dataclasses.replace(cfg.http, max_response_bytes=settings.max_file_bytes))
    try:
        fetcher = _Fetcher(client, settings, facts.url, folder, staging, known)
        links = [
            (item.post_id, url, item.role)
            for item in wanted
            if (url := _resolved(client, facts.api_root, item))
        ]
        for url in dict.fromkeys(url for _, url, _ in links):
            fetcher.fetch(url)
    finally:
        client.close()
    now = datetime.now(UTC)

    def record(conn: Any) -> None:
        save_media(conn, facts.id, fetcher.rows, now)
        link_post_media(conn, facts.id, links)

    run_transaction(engine, record)
    return fetcher.report


def _resolved(client: HttpClient, api_root: str | None, item: WantedMedia) -> str:
    """The item's URL; a featured image known by its media id is asked of the REST API."""
    if item.url or item.media_id is None or not api_root:
        return item.url
    url = rest_route_url(api_root, f"wp/v2/media/{item.media_id}")
    try:
        data, _ = client.get_json(url, {"_fields": "source_url"})
    except SITE_REFUSALS:
        raise
    except FetchError as exc:
        LOGGER.info("featured media %s of post row %s: %s", item.media_id, item.post_id, exc)
        return ""
    source = data.get("source_url") if isinstance(data, dict) else None
    return source if isinstance(source, str) else ""


class _Fetcher:
    """Downloads and stores media one URL at a time, keeping the run's rows and counts."""

    def __init__(
        self,
        client: HttpClient,
        settings: MediaSettings,
        site_url: str,
        folder: Path,
        staging: Path,
        known: dict[str, StoredMedia],
    ) -> None:
        self.client, self.settings, self.known = client, settings, known
        self.folder, self.staging = folder, staging
        site_host = (urlsplit(site_url).hostname or "").lower()
        self.hosts = {site_host, *(h.lower() for h in settings.hosts)}
        self.total = sum(m.size or 0 for m in known.values() if m.file)
        self.rows: list[dict[str, Any]] = []
        self.report = MediaReport()

    def fetch(self, url: str) -> None:
        stored = self.known.get(url)
        if stored is not None and (stored.problem or self._present(stored.file)):
            self.report.reused += stored.problem is None
            self.report.refused += stored.problem is not None
            return
        if (urlsplit(url).hostname or "").lower() not in self.hosts:
            self.report.other_hosts += 1
            return
        if self.total >= self.settings.max_total_bytes:
            self.report.left_for_later += 1
            return
        try:
            response = self.client.get(url)
        except ResponseTooLargeError:
            self._refuse(url, f"larger than media.max_file_bytes ({self.settings.max_file_bytes})")
            return
        except SITE_REFUSALS:
            raise
        except FetchError as exc:
            LOGGER.info("media %s: %s", url, exc)
            self.report.failed += 1
            return
        if response.status >= 400:
            self.report.failed += 1
            return
        ctype = response.content_type.split(";")[0].strip().lower()
        extension = sniff_image(response.body)
        if not ctype.startswith("image/") or extension is None:
            self._refuse(url, f"not an image kept ({ctype or 'no content type'})")
            return
        self._store(url, ctype, extension, response.body)

    def _store(self, url: str, ctype: str, extension: str, body: bytes) -> None:
        digest = hashlib.sha256(body).hexdigest()
        name = f"{MEDIA_DIR}/{digest}.{extension}"  # from the bytes alone: never the URL's name
        if self._present(name):
            self.report.reused += 1
        else:
            target = self.staging / name
            target.parent.mkdir(exist_ok=True)
            with target.open("xb") as out:
                out.write(body)
            self.report.fetched += 1
            self.report.bytes_written += len(body)
            self.total += len(body)
        self.rows.append(
            _row(url, sha256=digest, content_type=ctype, size=len(body), file=name, problem=None)
        )

    def _refuse(self, url: str, why: str) -> None:
        self.report.refused += 1
        self.rows.append(_row(url, problem=why))

    def _present(self, name: str | None) -> bool:
        """Whether the backup already has media file `name` (committed, or staged this run)."""
        return bool(name) and any(
            (root / str(name)).is_file() for root in (self.folder, self.staging)
        )


def _row(url: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "url": url,
        "sha256": None,
        "content_type": None,
        "size": None,
        "file": None,
        "problem": None,
    }
    row.update(values)
    return row
