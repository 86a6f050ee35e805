"""A head start for a new archive: the first site is discovered while the archive opens.

Opening an archive imports SQLAlchemy and creates the schema: a third of a second or more of one
core, while the site's server waits for a first request. An archive that does not exist yet cannot
remember the site (its API root, its robots.txt rules), so its robots.txt, home page and API root
are read meanwhile, on a thread, by the HTTP client the crawl then goes on with; the crawl takes
the discovery (or its error) where it would have discovered the site itself, and counts its
requests. An archive that exists may remember the site: its crawls ask the archive first, as
always, and get no head start.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from archive.database_url import sqlite_file
from scraper.config import Config
from scraper.discover import Discovery, discover_site
from scraper.exchange import ExchangeHook
from scraper.http import HttpClient, RequestTally, counting_requests
from scraper.site_input import SiteInput, start_site


@dataclass(frozen=True)
class Discovered:
    """What a head start found: the URL to crawl, the note on its scheme (see resolve_scheme),
    the discovery, and the requests they took."""

    url: str
    note: str
    discovery: Discovery
    requests: RequestTally


class HeadStart:
    """The first site's discovery, running on its own thread with the crawl's HTTP client."""

    def __init__(self, site: SiteInput, client: HttpClient) -> None:
        self.site, self.client = site, client
        self._result: Future[Discovered] = Future()
        # A daemon: a run that ends before it takes the result (Ctrl-C, an archive that cannot
        # be opened) does not wait for the site to answer.
        threading.Thread(target=self._discover, name="head-start", daemon=True).start()

    def _discover(self) -> None:
        try:
            with counting_requests() as tally:
                url, note = start_site(self.client, self.site)
                discovery = discover_site(self.client, url)
        except BaseException as exc:  # raised again, in the crawl, by result()
            self._result.set_exception(exc)
        else:
            self._result.set_result(Discovered(url, note, discovery, tally))

    def result(self) -> Discovered:
        """The discovery, once done; raises what discovering the site raised."""
        return self._result.result()


def begin_head_start(
    site: SiteInput, cfg: Config, hooks: Sequence[ExchangeHook] = ()
) -> HeadStart | None:
    """Begin discovering `site` if `cfg`'s archive is a SQLite file yet to be made (in a folder
    it can be made in), with a client that shows every exchange to `hooks`; else None."""
    path = sqlite_file(cfg.database)
    if path is None or path.exists() or not os.access(path.parent, os.W_OK | os.X_OK):
        return None
    return HeadStart(site, crawl_client(cfg, hooks))


def crawl_client(cfg: Config, hooks: Sequence[ExchangeHook] = ()) -> HttpClient:
    """The HTTP client of a crawl, showing every exchange to `hooks` (its shared hosts' pacing
    is given once the archive is open: HttpClient.share_pacing)."""
    client = HttpClient(cfg.http)
    for hook in hooks:
        client.add_exchange_hook(hook)
    return client
