"""CSV exporter: RFC 4180 (comma, double quotes, CRLF rows), UTF-8 without BOM, header first.

Null is an empty field; booleans are `true`/`false`; datetimes ISO 8601 UTC; the list fields
(categories, tags) hold a JSON-encoded array string such as `["Film","Reviews"]`. Text keeps its
newlines inside quoted fields, so read it with a CSV parser, not line by line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

from archive.export.rows import Field, format_datetime


class CsvExporter:
    """Streams rows as CSV with a header row."""

    def __init__(self, file: BinaryIO, fields: Sequence[Field]) -> None:
        self.text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text)
        self.names = [f.name for f in fields]

    def start(self) -> None:
        """Write the header row."""
        self.writer.writerow(self.names)

    def export_item(self, item: Mapping[str, Any]) -> None:
        """Write one row."""
        self.writer.writerow([_csv_value(item[name]) for name in self.names])

    def finish(self) -> None:
        """Flush and hand the binary file back to its owner (who closes it)."""
        self.text.flush()
        self.text.detach()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
