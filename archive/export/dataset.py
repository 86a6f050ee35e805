"""Export the archive in a registered format (see formats.py), streamed from one read snapshot."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from archive.db import error_reason
from archive.errors import ArchiveError
from archive.export.formats import DocumentFormat, RowFormat, find_format
from archive.export.rows import (
    ExportRow,
    Field,
    comment_fields,
    iter_comment_rows,
    iter_post_rows,
    post_fields,
)
from archive.export.versions import (
    COMMENT_VERSION_FIELDS,
    POST_VERSION_FIELDS,
    iter_comment_version_rows,
    iter_post_version_rows,
)
from archive.identity import normalize_site_url
from archive.models import SITES

LOGGER = logging.getLogger(__name__)

RowSource = Callable[[Connection, str | None, int], Iterator[ExportRow]]
Dataset = tuple[str, Sequence[Field], RowSource]
# One file may be written at a time: (file name, how to fill the open temporary file) -> row count.
FileJob = tuple[str, Callable[[BinaryIO], int]]


def datasets(include_deleted: bool = False, versions: bool = False) -> list[Dataset]:
    """The files a row format writes: posts and comments (items a sweep marked deleted only with
    `include_deleted`, then with deleted_at and deleted_reason), and with `versions` their
    post_versions and comment_versions."""
    chosen: list[Dataset] = [
        (
            "posts",
            post_fields(include_deleted),
            partial(iter_post_rows, include_deleted=include_deleted),
        ),
        (
            "comments",
            comment_fields(include_deleted),
            partial(iter_comment_rows, include_deleted=include_deleted),
        ),
    ]
    if versions:
        chosen.append(("post_versions", POST_VERSION_FIELDS, iter_post_version_rows))
        chosen.append(("comment_versions", COMMENT_VERSION_FIELDS, iter_comment_version_rows))
    return chosen


def export_dataset(
    engine: Engine,
    out_dir: Path,
    fmt: str,
    site: str | None = None,
    batch_size: int = 1000,
    *,
    include_deleted: bool = False,
    versions: bool = False,
) -> dict[str, int]:
    """Write the archive (or one site of it) in format `fmt` into out_dir; return rows per file.

    A row format writes posts.<ext> and comments.<ext> (see `datasets` for what
    `include_deleted` and `versions` add); a document format one <site>.<ext> per
    site, or, when `out_dir` itself ends in .<ext> (`--out blog.xml`), that one file for the one
    site asked for (or the only one archived). Every file is written from one read transaction (a consistent snapshot on PostgreSQL and
    SQLite WAL) into temporary files renamed into place at the end, so a failed export leaves the
    previous files (or none), never half a file.
    """
    export_format = find_format(fmt)
    file_name = None
    if (
        isinstance(export_format, DocumentFormat)
        and out_dir.suffix == f".{export_format.extension}"
    ):
        out_dir, file_name = out_dir.parent, out_dir.name
    chosen = datasets(include_deleted, versions)
    try:
        return _export_files(engine, out_dir, export_format, site, batch_size, chosen, file_name)
    except DBAPIError as exc:
        raise ArchiveError(f"export failed reading the archive: {error_reason(exc)}") from exc
    except OSError as exc:
        raise ArchiveError(f"export failed writing {out_dir}: {exc}") from exc


def _export_files(
    engine: Engine,
    out_dir: Path,
    export_format: RowFormat | DocumentFormat,
    site: str | None,
    batch_size: int,
    chosen: Sequence[Dataset],
    file_name: str | None = None,
) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    temps: dict[Path, Path] = {}
    try:
        with _snapshot(engine) as conn:
            site_url = _site_url(conn, site)
            jobs = _file_jobs(conn, export_format, site_url, batch_size, chosen, file_name)
            for name, fill in jobs:
                temps[out_dir / name], written[name] = _write_temp(out_dir, fill)
        for target, temp in temps.items():
            os.replace(temp, target)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    LOGGER.info("exported %s to %s", written, out_dir)
    return written


def _file_jobs(
    conn: Connection,
    export_format: RowFormat | DocumentFormat,
    site_url: str | None,
    batch_size: int,
    chosen: Sequence[Dataset],
    file_name: str | None = None,
) -> Iterator[FileJob]:
    """The files a format writes: one per dataset (row formats) or one per site (documents),
    or the one document `file_name`."""
    ext = export_format.extension
    if isinstance(export_format, RowFormat):
        for name, fields, rows in chosen:
            source = rows(conn, site_url, batch_size)
            yield f"{name}.{ext}", partial(_write_rows, export_format, fields, source, batch_size)
        return
    urls = [site_url] if site_url else list(conn.scalars(select(SITES.c.url).order_by(SITES.c.url)))
    if file_name is not None and len(urls) != 1:
        raise ArchiveError(
            f"the archive holds {len(urls)} sites: name one with --site, or give --out a directory"
        )
    for url in urls:
        name = file_name or f"{site_file_stem(url)}.{ext}"
        yield name, partial(_write_document, export_format, conn, url)


def _write_document(
    document_format: DocumentFormat, conn: Connection, site_url: str, file: BinaryIO
) -> int:
    return document_format.make().write(conn, file, site_url).items


def _write_rows(
    row_format: RowFormat,
    fields: Sequence[Field],
    rows: Iterator[ExportRow],
    batch_size: int,
    file: BinaryIO,
) -> int:
    writer = row_format.make(file, fields, batch_size)
    writer.start()
    count = 0
    for row in rows:
        writer.export_item(row)
        count += 1
    writer.finish()
    return count


def site_file_stem(site_url: str) -> str:
    """A file name for a site: its host and path, `https://example.com/blog` -> `example.com-blog`."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", site_url.split("://", 1)[-1]).strip("-.") or "site"


def _write_temp(out_dir: Path, fill: Callable[[BinaryIO], int]) -> tuple[Path, int]:
    # Not mkstemp: its 0600 mode would survive the rename; "x" still refuses to clobber.
    temp = out_dir / f".wparchive-{secrets.token_hex(8)}.part"
    try:
        with temp.open("xb") as file:
            count = fill(file)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, count


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection inside one read transaction (REPEATABLE READ on PostgreSQL), rolled back."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as transaction:
            yield conn
            transaction.rollback()


def _site_url(conn: Connection, site: str | None) -> str | None:
    if site is None:
        return None
    url = normalize_site_url(site)
    if conn.scalar(select(SITES.c.id).where(SITES.c.url == url)) is None:
        raise ArchiveError(f"no site {url} in the archive")
    return url
