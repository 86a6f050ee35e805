"""Export the archive as datasets: posts and comments in JSON Lines, CSV or Parquet, streamed."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from archive.db import error_reason
from archive.errors import ArchiveError
from archive.export.csv import CsvExporter
from archive.export.jsonl import JsonLinesExporter
from archive.export.parquet import ParquetExporter
from archive.export.rows import (
    COMMENT_FIELDS,
    POST_FIELDS,
    ExportRow,
    Field,
    iter_comment_rows,
    iter_post_rows,
)
from archive.identity import normalize_site_url
from archive.models import Site

LOGGER = logging.getLogger(__name__)

FORMATS = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}  # format -> file extension


class Exporter(Protocol):
    """Scrapy-style streaming exporter."""

    def start(self) -> None: ...
    def export_item(self, item: dict[str, Any]) -> None: ...
    def finish(self) -> None: ...


def make_exporter(fmt: str, file: BinaryIO, fields: Sequence[Field], batch_size: int) -> Exporter:
    """The exporter for `fmt` writing to `file`."""
    if fmt == "parquet":
        return ParquetExporter(file, fields, batch_size)
    if fmt == "csv":
        return CsvExporter(file, fields)
    return JsonLinesExporter(file, fields)


RowSource = Callable[[Connection, str | None, int], Iterator[ExportRow]]
DATASETS: tuple[tuple[str, Sequence[Field], RowSource], ...] = (
    ("posts", POST_FIELDS, iter_post_rows),
    ("comments", COMMENT_FIELDS, iter_comment_rows),
)


def export_dataset(
    engine: Engine, out_dir: Path, fmt: str, site: str | None = None, batch_size: int = 1000
) -> dict[str, int]:
    """Write out_dir/posts.<ext> and out_dir/comments.<ext>; return rows per file name.

    Both files are written from one read transaction (a consistent snapshot on PostgreSQL and
    SQLite WAL) into temporary files renamed into place at the end, so a failed export leaves the
    previous files (or none), never half a file.
    """
    if fmt not in FORMATS:
        raise ArchiveError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    try:
        return _export_files(engine, out_dir, fmt, site, batch_size)
    except DBAPIError as exc:
        raise ArchiveError(f"export failed reading the archive: {error_reason(exc)}") from exc
    except OSError as exc:
        raise ArchiveError(f"export failed writing {out_dir}: {exc}") from exc


def _export_files(
    engine: Engine, out_dir: Path, fmt: str, site: str | None, batch_size: int
) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    temps: dict[Path, Path] = {}
    try:
        with _snapshot(engine) as conn:
            site_url = _site_url(conn, site)
            for name, fields, rows in DATASETS:
                target = out_dir / f"{name}.{FORMATS[fmt]}"
                temps[target], written[target.name] = _write_temp(
                    out_dir, fmt, fields, rows(conn, site_url, batch_size), batch_size
                )
        for target, temp in temps.items():
            os.replace(temp, target)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    LOGGER.info("exported %s to %s", written, out_dir)
    return written


def _write_temp(
    out_dir: Path, fmt: str, fields: Sequence[Field], rows: Iterator[ExportRow], batch_size: int
) -> tuple[Path, int]:
    # Not mkstemp: its 0600 mode would survive the rename; "x" still refuses to clobber.
    temp = out_dir / f".wparchive-{secrets.token_hex(8)}.part"
    count = 0
    try:
        with temp.open("xb") as file:
            exporter = make_exporter(fmt, file, fields, batch_size)
            exporter.start()
            for row in rows:
                exporter.export_item(row)
                count += 1
            exporter.finish()
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
    if conn.scalar(select(Site.id).where(Site.url == url)) is None:
        raise ArchiveError(f"no site {url} in the archive")
    return url
