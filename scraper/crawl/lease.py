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
def site_lease(store: ArchiveStore, site_id: int, job: str = "") -> Iterator[SiteLease]:
    """Claim the site's lease for this process, and release it on the way out if held.

    `job` names the queued job the crawl runs, if any: a lease that an earlier attempt of the
    same job left behind (its worker died) is taken over at once."""
    lease = SiteLease(store, site_id, lease_name(job))
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
    if holder is None or not (dead_local_worker(holder) or same_job(holder, worker)):
        return False
    LOGGER.info("taking over the lease of %s, which is no longer running", holder)
    if not store.claim_site(site_id, worker, LEASE_SECONDS, replacing=holder):
        return False
    store.abandon_runs(site_id, holder)  # its run will never finish: say so now
    return True


def lease_name(job: str) -> str:
    """Who holds a lease: "host:pid", then the job's name when the crawl runs a queued job."""
    return f"{socket.gethostname()}:{os.getpid()} {job}".strip()


def same_job(holder: str, worker: str) -> bool:
    """True when both leases name the same job: the job queue runs a job again only once the
    worker of its earlier attempt stopped answering, so that attempt's lease is stale."""
    job = worker.partition(" ")[2]
    return bool(job) and holder.partition(" ")[2] == job


def dead_local_worker(holder: str) -> bool:
    """True when `holder` ("host:pid", maybe a job after it) names a process of this host that no
    longer runs."""
    host, _, pid = holder.partition(" ")[0].rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
