"""The collector's settings for a long crawl."""

from __future__ import annotations

import gc

# Objects allocated (less freed) before the youngest generation is collected: the default 700
# means a collection every few dicts of a page of comments.
YOUNG_THRESHOLD = 10_000


def settle_startup_heap() -> None:
    """Take what start-up made (modules, tables, compiled statements and patterns, hundreds of
    thousands of objects that live as long as the process) out of the cyclic collector's scans,
    and collect the youngest generation less often. A crawl allocates millions of short-lived
    objects; with the defaults the collector spent about a tenth of a large site's crawl CPU
    walking the same start-up heap again. Garbage cycles are still collected."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
