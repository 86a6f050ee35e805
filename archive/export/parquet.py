"""Parquet exporter (needs the optional pyarrow): typed columns, one row group per batch.

Datetimes are `timestamp[us, tz=UTC]`, lists `list<string>`, ids int64, booleans bool; nulls are
Parquet nulls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from archive.errors import ArchiveError
from archive.export.rows import Field


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ArchiveError(
            "Parquet export needs pyarrow: pip install 'wparchive[parquet]'"
        ) from exc
    return pyarrow, pyarrow.parquet


class ParquetExporter:
    """Buffers `batch_size` rows, then writes them as one row group."""

    def __init__(self, file: BinaryIO, fields: Sequence[Field], batch_size: int = 1000) -> None:
        self.pa, self.pq = _pyarrow()
        self.file = file
        self.names = [f.name for f in fields]
        self.schema = self.pa.schema([(f.name, self._arrow_type(f.kind)) for f in fields])
        self.batch_size = batch_size
        self.buffer: list[Mapping[str, Any]] = []
        self.writer: Any = None

    def _arrow_type(self, kind: str) -> Any:
        pa = self.pa
        types = {
            "str": pa.string(),
            "int": pa.int64(),
            "float": pa.float64(),
            "bool": pa.bool_(),
            "datetime": pa.timestamp("us", tz="UTC"),
            "list": pa.list_(pa.string()),
        }
        return types[kind]

    def start(self) -> None:
        """Open the Parquet writer (the schema goes into the footer at finish)."""
        self.writer = self.pq.ParquetWriter(self.file, self.schema)

    def export_item(self, item: Mapping[str, Any]) -> None:
        """Buffer one row; a full buffer becomes a row group."""
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self._write_buffer()

    def finish(self) -> None:
        """Write the last row group and the footer."""
        self._write_buffer()
        self.writer.close()

    def _write_buffer(self) -> None:
        if not self.buffer:
            return
        columns = {name: [row[name] for row in self.buffer] for name in self.names}
        self.writer.write_table(self.pa.Table.from_pydict(columns, schema=self.schema))
        self.buffer = []
