"""Plan: the sources a crawl tries, in order, from the registry and what discovery found."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from archive.records import CrawlState
from scraper.config import CrawlSettings
from scraper.durations import parse_sweep_every
from scraper.sources.registry import AUTO, SOURCES

if TYPE_CHECKING:
    from scraper.discover import Discovery


def plan_sources(discovery: Discovery, choice: str) -> tuple[list[str], list[str]]:
    """The sources to try in order, and the explanations for those passed over up front.

    A source named explicitly is tried whatever discovery found; `auto` asks each registered
    source's predicate."""
    if choice != AUTO:
        return [choice], []
    plan: list[str] = []
    passed_over: list[str] = []
    for spec in SOURCES.values():
        if not spec.in_auto:
            continue
        verdict = spec.usable(discovery)
        if verdict.usable:
            plan.append(spec.name)
        elif verdict.reason:
            passed_over.append(verdict.reason)
    return plan, passed_over


def is_sweep_due(state: CrawlState, settings: CrawlSettings, now: datetime) -> bool:
    """A sweep (full listing) now: asked for, a first crawl, or the last sweep older than
    `sweep_every` (never swept counts as older; 0: only when asked)."""
    if settings.full or state.posts_modified_after is None:
        return True
    period = parse_sweep_every(settings.sweep_every)
    if not period:
        return False
    last = state.last_sweep_at
    return last is None or now - last >= period
