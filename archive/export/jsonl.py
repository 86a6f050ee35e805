"""JSON Lines exporter: one compact JSON object per line, UTF-8, fields in contract order."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

from archive.export.rows import Field, format_datetime


class JsonLinesExporter:
    """Streams rows as JSON Lines; datetimes as ISO 8601 UTC strings, lists as arrays, None as null."""

    def __init__(self, file: BinaryIO, fields: Sequence[Field]) -> None:
        self.file = file
        self.names = [f.name for f in fields]

    def start(self) -> None:
        """Nothing precedes the first line."""

    def export_item(self, item: Mapping[str, Any]) -> None:
        """Write one row as one line."""
        values = {name: _json_value(item[name]) for name in self.names}
        line = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        self.file.write(line.encode("utf-8") + b"\n")

    def finish(self) -> None:
        """Flush what is buffered."""
        self.file.flush()


def _json_value(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, datetime) else value
