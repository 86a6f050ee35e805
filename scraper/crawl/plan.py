"""Plan: the sources a crawl tries, in order, from the registry and what discovery found."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
