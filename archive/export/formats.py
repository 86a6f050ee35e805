"""The one table of export formats: name -> how it writes. The CLI's choices and help read it.

Two kinds of writers. A row format streams each dataset (posts, comments) into its own file,
Scrapy-style (`start`, `export_item` per row, `finish`), so memory stays flat. A document format
writes one file for a whole site (the seam a WXR writer plugs into): it reads what it needs from
the archive itself. Adding a format is one module plus one entry in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from archive.errors import ArchiveError

# The writers (and SQLAlchemy, pyarrow) load when a format is used, not when its name is listed.
if TYPE_CHECKING:
    from sqlalchemy import Connection

    from archive.export.rows import Field


class RowWriter(Protocol):
    """Streams rows of one dataset into one file."""

    def start(self) -> None: ...
    def export_item(self, item: Mapping[str, Any]) -> None: ...
    def finish(self) -> None: ...


class DocumentCounts(Protocol):
    """What a document holds; `items` (its posts and pages) is what the export reports."""

    items: int


class DocumentWriter(Protocol):
    """Writes one whole site as one document (archive.export.wxr.WxrWriter is one)."""

    def write(self, conn: Connection, out: BinaryIO, site: str) -> DocumentCounts:
        """Write the archived site `site` read through `conn` (one read snapshot) to `out`."""
        ...


@dataclass(frozen=True)
class RowFormat:
    """A format writing posts.<extension> and comments.<extension>."""

    extension: str
    description: str
    make: Callable[[BinaryIO, Sequence[Field], int], RowWriter]


@dataclass(frozen=True)
class DocumentFormat:
    """A format writing one <site>.<extension> file per archived site."""

    extension: str
    description: str
    make: Callable[[], DocumentWriter]


ExportFormat = RowFormat | DocumentFormat


def _jsonl(out: BinaryIO, fields: Sequence[Field], _batch: int) -> RowWriter:
    from archive.export.jsonl import JsonLinesExporter

    return JsonLinesExporter(out, fields)


def _csv(out: BinaryIO, fields: Sequence[Field], _batch: int) -> RowWriter:
    from archive.export.csv import CsvExporter

    return CsvExporter(out, fields)


def _parquet(out: BinaryIO, fields: Sequence[Field], batch: int) -> RowWriter:
    from archive.export.parquet import ParquetExporter

    return ParquetExporter(out, fields, batch)


def _wxr() -> DocumentWriter:
    from archive.export.wxr import WxrWriter

    return WxrWriter()


FORMATS: dict[str, ExportFormat] = {
    "jsonl": RowFormat("jsonl", "JSON Lines", _jsonl),
    "csv": RowFormat("csv", "CSV (RFC 4180)", _csv),
    "parquet": RowFormat("parquet", "Parquet (needs pyarrow)", _parquet),
    "wxr": DocumentFormat("xml", "WordPress eXtended RSS 1.2, for WordPress's importer", _wxr),
}


def find_format(name: str) -> ExportFormat:
    """The registered format `name`; an unknown name is one ArchiveError naming the choices."""
    if name not in FORMATS:
        raise ArchiveError(f"unknown export format {name!r}: choose one of {', '.join(FORMATS)}")
    return FORMATS[name]


def format_names() -> list[str]:
    """The registered format names, in registration order."""
    return list(FORMATS)
