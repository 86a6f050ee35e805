"""Lease: one worker crawls a site at a time; a lease left by a killed crawl on this host is taken over."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from archive.store import ArchiveStore

LOGGER = logging.getLogger(__name__)

# A lease long enough to outlast one batch, renewed after every batch: a crawl killed outright
# frees its site within minutes (at once for a later crawl on the same host, see claim_lease).
LEASE_SECONDS = 600.0


@dataclass
class SiteLease:
    """The site's lease: `held` is False when another worker holds it (then `holder` says who)."""

    store: ArchiveStore
    site_id: int
    worker: str
    held: bool = False
    holder: str = ""

    def renew(self) -> None:
        """Extend the lease; called after every batch."""
        self.store.claim_site(self.site_id, self.worker, LEASE_SECONDS)


@contextmanager
def site_lease(store: ArchiveStore, site_id: int) -> Iterator[SiteLease]:
    """Claim the site's lease for this process, and release it on the way out if held."""
    lease = SiteLease(store, site_id, f"{socket.gethostname()}:{os.getpid()}")
    lease.held = _claim(lease)
    if not lease.held:
        lease.holder = store.lease_holder(site_id) or "another worker"
        yield lease
        return
    try:
        yield lease
    finally:
        store.release_site(site_id, lease.worker)


def _claim(lease: SiteLease) -> bool:
    store, site_id, worker = lease.store, lease.site_id, lease.worker
    if store.claim_site(site_id, worker, LEASE_SECONDS):
        return True
    holder = store.lease_holder(site_id)
    if holder is None or not _dead_local_worker(holder):
        return False
    LOGGER.info("taking over the lease of %s, which is no longer running", holder)
    return store.claim_site(site_id, worker, LEASE_SECONDS, replacing=holder)


def _dead_local_worker(holder: str) -> bool:
    """True when `holder` ("host:pid") names a process of this host that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
