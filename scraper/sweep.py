"""After a sweep: find what the site no longer shows, ask why when the source can tell, mark it.

Only a source the registry says lists everything (`complete_listing`) marks deletions, and only
after a sweep that finished `ok` (no gap, no failed page): an incomplete sweep marks nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import Literal

from archive.deletions import DEFAULT_REASON, ItemKind
from archive.history import DeletedReason
from archive.store import ArchiveStore
from scraper.sources.registry import SOURCES

LOGGER = logging.getLogger(__name__)

Visibility = Literal["gone", "hidden", "public"]
# Asks the site about one item: gone (404/410), hidden (exists, not public), public, None (unknown).
Probe = Callable[[ItemKind, int], Visibility | None]

ITEM_KINDS: tuple[ItemKind, ...] = ("post", "page", "comment")
# Requests a sweep may spend asking why items went; the others are `gone` (or their post's reason).
MAX_PROBES = 100


def sweep_deletions(
    store: ArchiveStore,
    site_id: int,
    run_id: int,
    source: str,
    probe: Probe | None,
    unlisted: Collection[ItemKind] = (),
) -> dict[ItemKind, int]:
    """Mark what the completed sweep `run_id` (through `source`) did not see; counts per kind.
    `unlisted`: the kinds this run could not list whole (a feed with no page sitemap), left alone."""
    spec = SOURCES.get(source)
    if spec is None or not spec.complete_listing:
        return {}
    unseen = store.unseen_items(site_id, run_id, ITEM_KINDS)
    # What the run could not list is left alone, and so are the comments on such posts.
    unlisted_posts = {wp_id for kind in unlisted if kind != "comment" for wp_id in unseen[kind]}
    unseen = {kind: items for kind, items in unseen.items() if kind not in unlisted}
    if "comment" in unseen:
        unseen["comment"] = {
            wp_id: post for wp_id, post in unseen["comment"].items() if post not in unlisted_posts
        }
    if not spec.shows_hidden_replies and unseen.get("comment"):
        unseen["comment"] = _spare_hidden_replies(store, site_id, run_id, unseen)
    if not any(unseen.values()):
        return {}
    reasons = explain_unseen(unseen, probe)
    LOGGER.info("sweep of site %s: %s", site_id, {k: len(v) for k, v in reasons.items()})
    return store.mark_deleted(site_id, run_id, reasons)


def _spare_hidden_replies(
    store: ArchiveStore,
    site_id: int,
    run_id: int,
    unseen: Mapping[ItemKind, Mapping[int, int | None]],
) -> dict[int, int | None]:
    """The unseen comments to mark, for a source that cannot show a reply whose parent is not
    public (a theme prints no orphans): such replies may well be public still, so they are left
    unmarked (threading makes them orphans), unless their post itself went."""
    comments = unseen["comment"]
    went = {*unseen.get("post", {}), *unseen.get("page", {})}
    spared = store.replies_to_unseen(site_id, run_id, comments)
    return {wp_id: post for wp_id, post in comments.items() if post in went or wp_id not in spared}


def explain_unseen(
    unseen: Mapping[ItemKind, Mapping[int, int | None]], probe: Probe | None
) -> dict[ItemKind, dict[int, DeletedReason]]:
    """Why each unseen item went: posts and pages first; a comment of a post that went shares
    its post's reason; the rest are asked while the probe budget lasts. Public items are left."""
    budget = [MAX_PROBES if probe is not None else 0]

    def ask(kind: ItemKind, wp_id: int) -> Visibility | None:
        if probe is None or budget[0] <= 0:
            return None
        budget[0] -= 1
        return probe(kind, wp_id)

    reasons: dict[ItemKind, dict[int, DeletedReason]] = {}
    post_reasons: dict[int, DeletedReason] = {}
    for kind in ("post", "page", "comment"):
        for wp_id, post_wp_id in sorted(unseen.get(kind, {}).items()):
            answer = post_reasons.get(post_wp_id or 0) or ask(kind, wp_id)
            if answer == "public":
                continue  # listed nowhere, yet served: not ours to mark
            reasons.setdefault(kind, {})[wp_id] = answer or DEFAULT_REASON
            if kind != "comment":
                post_reasons[wp_id] = answer or DEFAULT_REASON
    return reasons
