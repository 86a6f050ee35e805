"""`backup --media` against a loopback site: images on the site's host, another host, an oversize
file, an HTML page served as .jpg, hostile names; two posts sharing one image; the second run
incremental; verify catching a changed media file."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import zlib
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from archive.backup import BackupStage, commit_backup, open_backup
from archive.db import open_archive
from archive.manifest import verify_backup
from archive.records import PostRecord, SiteRecord
from archive.store import ArchiveStore
from scraper.config import Config, MediaSettings
from scraper.http import HttpSettings
from scraper.media import fetch_backup_media, sniff_image
from tests.scraper.loopback import LoopbackServer, Reply

HOSTILE = "/wp-content/uploads/..%2F..%2F..%2Fetc%2Fpasswd"
NUL = "/wp-content/uploads/evil%00.php"


def png(width: int) -> bytes:
    """A small valid PNG, different for each width."""
    row = b"\x00" + b"\xff\x00\x00" * width
    raw = zlib.compress(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200) + b"\xff\xd9"
IMAGES = {
    "/wp-content/uploads/shared.png": (png(3), "image/png"),
    "/wp-content/uploads/featured.jpg": (JPEG, "image/jpeg"),
    "/wp-content/uploads/same-bytes.png": (png(3), "image/png"),  # the bytes of shared.png
    "/wp-content/uploads/big.png": (png(3) + bytes(5000), "image/png"),
    "/wp-content/uploads/fake.jpg": (b"<html><body>Not found</body></html>", "text/html"),
    "/wp-content/uploads/script.svg": (b"<svg onload='alert(1)'/>", "image/svg+xml"),
    HOSTILE: (png(5), "image/png"),
    NUL: (png(6), "image/png"),
}


def serve(path: str) -> Any:
    body, ctype = IMAGES[path]

    def route(reply: Reply) -> None:
        reply.send(200, body, {"Content-Type": ctype})

    return route


def posts(base: str) -> list[PostRecord]:
    uploads = f"{base}/wp-content/uploads"
    return [
        PostRecord(
            wp_id=1,
            type="post",
            url=f"{base}/?p=1",
            title="One",
            content_html=(
                f'<p><img src="{uploads}/shared.png" alt=""></p>'
                f'<p><img src="/wp-content/uploads/big.png"></p>'  # relative: the post's host
                f'<p><img src="{uploads}/fake.jpg"><img src="{uploads}/script.svg"></p>'
                f'<p><img src="http://127.0.0.2:9/elsewhere.png"></p>'
            ),
            raw={"id": 1, "jetpack_featured_media_url": f"{uploads}/featured.jpg"},
        ),
        PostRecord(
            wp_id=2,
            type="post",
            url=f"{base}/?p=2",
            title="Two",
            content_html=(
                f'<p><img src="{uploads}/shared.png"><img src="{uploads}/same-bytes.png"></p>'
                f'<p><img src="{base}{HOSTILE}"><img src="{base}{NUL}"></p>'
            ),
            raw={"id": 2},
        ),
    ]


def crawl_into(stage: BackupStage, base: str) -> None:
    engine = open_archive(stage.database_url)
    try:
        store = ArchiveStore(engine)
        site_id = store.ensure_site(SiteRecord(url=base, name="Images"))
        run_id = store.start_run(site_id, "rest", "full")
        store.save_records(site_id, run_id, posts(base))
        store.finish_run(
            run_id, status="ok", source="rest", summary="", requests=1, advance_state=True
        )
    finally:
        engine.dispose()


CONFIG = Config(
    http=HttpSettings(max_delay=0.0, max_retries=0),
    media=MediaSettings(max_file_bytes=1000),
)


def back_up(folder: Path, base: str) -> tuple[dict[str, Any], Any]:
    stage = open_backup(folder)
    crawl_into(stage, base)
    report = fetch_backup_media(stage, CONFIG)
    return commit_backup(stage), report


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def site() -> Any:
    with LoopbackServer({path: serve(path) for path in IMAGES}) as server:
        yield server


def test_media_are_kept_once_per_content_under_their_hash_and_never_elsewhere(
    tmp_path: Path, site: LoopbackServer
) -> None:
    folder = tmp_path / "blog"
    manifest, report = back_up(folder, site.url)
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    media_files = {f for f in files if f.startswith("blog/media/")}
    # shared.png and same-bytes.png are one file; the hostile names are stored by their hash.
    kept = [IMAGES[p][0] for p in ("/wp-content/uploads/shared.png", HOSTILE, NUL)]
    expected = {f"blog/media/{hashlib.sha256(b).hexdigest()}.png" for b in kept}
    expected.add(f"blog/media/{hashlib.sha256(JPEG).hexdigest()}.jpg")
    assert media_files == expected
    assert all(f.startswith("blog/") for f in files)  # nothing written beside the folder
    assert {n for n in manifest["files"] if n.startswith("media/")} == {
        f.removeprefix("blog/") for f in expected
    }
    assert verify_backup(folder) == []
    assert (report.fetched, report.reused, report.refused, report.other_hosts) == (4, 1, 3, 1)


def test_refusals_are_recorded_and_posts_link_what_they_show(
    tmp_path: Path, site: LoopbackServer
) -> None:
    folder = tmp_path / "blog"
    back_up(folder, site.url)
    db = folder / "archive.db"
    problems = dict(rows(db, "SELECT url, problem FROM media WHERE problem IS NOT NULL"))
    uploads = f"{site.url}/wp-content/uploads"
    assert set(problems) == {f"{uploads}/big.png", f"{uploads}/fake.jpg", f"{uploads}/script.svg"}
    assert "max_file_bytes" in problems[f"{uploads}/big.png"]
    assert "text/html" in problems[f"{uploads}/fake.jpg"]
    assert not any("127.0.0.2" in url for (url,) in rows(db, "SELECT url FROM media"))
    links = rows(
        db,
        "SELECT p.wp_id, m.url, pm.role FROM post_media pm JOIN posts p ON p.id = pm.post_id"
        " JOIN media m ON m.id = pm.media_id WHERE m.problem IS NULL ORDER BY 1, 2",
    )
    assert links == sorted(
        [
            (1, f"{uploads}/featured.jpg", "featured"),
            (1, f"{uploads}/shared.png", "body"),
            (2, f"{uploads}/same-bytes.png", "body"),
            (2, f"{uploads}/shared.png", "body"),
            (2, f"{site.url}{HOSTILE}", "body"),
            (2, f"{site.url}{NUL}", "body"),
        ]
    )
    shared, same = (
        rows(db, f"SELECT file FROM media WHERE url = '{uploads}/{name}'")[0][0]
        for name in ("shared.png", "same-bytes.png")
    )
    assert shared == same


def test_a_second_backup_downloads_nothing_again_and_verify_catches_a_changed_image(
    tmp_path: Path, site: LoopbackServer
) -> None:
    folder = tmp_path / "blog"
    first, _ = back_up(folder, site.url)
    images_fetched = len([s for s in site.sent if s.path in IMAGES])
    second, report = back_up(folder, site.url)
    assert len([s for s in site.sent if s.path in IMAGES]) == images_fetched
    assert report.fetched == 0 and report.reused == 5 and report.refused == 3
    media = {n: e for n, e in second["files"].items() if n.startswith("media/")}
    assert media == {n: e for n, e in first["files"].items() if n.startswith("media/")}
    name = sorted(media)[0]
    (folder / name).write_bytes(b"changed by hand")
    assert [p.name for p in verify_backup(folder)] == [name]


def test_sniffing_keeps_only_raster_images() -> None:
    assert sniff_image(png(1)) == "png"
    assert sniff_image(JPEG) == "jpg"
    assert sniff_image(b"GIF89a....") == "gif"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_image(b"<svg/>") is None
    assert sniff_image(b"<html>") is None
