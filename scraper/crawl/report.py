"""The report of one crawl of one site: its status, counts, the summary line and the cron JSON object
(schema: docs/crawl-report.schema.json)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

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
    deleted: Counter[str] = field(default_factory=Counter)  # marked by a sweep, by item kind

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
        if self.deleted:
            marked = ", ".join(f"{n} {k}s" for k, n in sorted(self.deleted.items()) if n)
            parts.append(f"marked deleted: {marked}")
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


JSON_SCHEMA_VERSION = 1
JSON_KINDS = ("posts", "comments", "authors", "terms")


def report_json(report: CrawlReport, seconds: float) -> dict[str, Any]:
    """The site's crawl as the documented JSON object (docs/crawl-report.schema.json)."""
    counts: dict[str, dict[str, int]] = {}
    for kind in JSON_KINDS:
        kind_counts = getattr(report.saved_counts, kind)
        # Posts and comments: a changed item is one whose visible content got a new version
        # (the first version of a new item is not a change); others: the stored row changed.
        versioned = kind in ("posts", "comments")
        changed = kind_counts.versions - kind_counts.inserted if versioned else kind_counts.updated
        counts[kind] = {
            "fetched": kind_counts.total,
            "new": kind_counts.inserted,
            "changed": max(changed, 0),
            "deleted": _deleted(report, kind),
        }
    return {
        "schema": JSON_SCHEMA_VERSION,
        "site": report.site_url,
        "status": report.status,
        "source": report.source or None,
        "mode": report.mode,
        "counts": counts,
        "problems": report.problems,
        "requests": report.requests,
        "seconds": round(seconds, 3),
        "error": report.error or None,
    }


def failure_json(url: str, error: str, seconds: float) -> dict[str, Any]:
    """A site that could not be read at all (discovery failed, archive unreachable)."""
    report = CrawlReport(site_url=url, error=error)
    return {**report_json(report, seconds), "mode": None}


def _deleted(report: CrawlReport, kind: str) -> int:
    if kind == "posts":
        return report.deleted["post"] + report.deleted["page"]
    return report.deleted["comment"] if kind == "comments" else 0
