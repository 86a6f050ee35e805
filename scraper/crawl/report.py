"""The report of one crawl of one site: its status, counts and the summary line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from archive.records import RecordKind
from archive.state import SaveCounts

CrawlStatus = Literal["ok", "partial", "failed", "skipped", "interrupted"]
# The kinds the summary line counts, in its order.
SUMMARY_KINDS: tuple[RecordKind, ...] = ("post", "page", "comment", "author", "term")


@dataclass
class CrawlReport:
    """What one crawl of one site did, for the summary line and the exit code."""

    site_url: str
    status: CrawlStatus = "failed"
    source: str = ""
    mode: str = "full"
    counts: Counter[RecordKind] = field(default_factory=Counter)  # records read, by declared kind
    saved_counts: SaveCounts = field(default_factory=SaveCounts)  # what the archive did with them
    problems: int = 0
    requests: int = 0
    chain: list[str] = field(default_factory=list)
    error: str = ""
    moved_from: str = ""  # the URL asked for, when the whole site moved to another host

    def summary_line(self) -> str:
        """One line: site, status, source, counts, requests, and why the chain fell back."""
        parts = [f"{self.site_url}: {self.status}"]
        if self.moved_from:
            parts.append(f"moved here from {self.moved_from}")
        if self.source:
            parts.append(f"via {self.source} ({self.mode})")
        counted = ", ".join(f"{self.counts[k]} {k}s" for k in SUMMARY_KINDS if self.counts.get(k))
        if counted:
            parts.append(counted)
        parts.append(f"{self.requests} requests")
        if self.problems:
            parts.append(f"{self.problems} problems recorded")
        if self.chain:
            parts.append("; ".join(self.chain))
        if self.error:
            parts.append(self.error)
        return " | ".join(parts)

    @property
    def saved(self) -> int:
        """Records written so far, problems included."""
        return sum(self.counts.values())
