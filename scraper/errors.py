"""The one exception tree of wparchive; the CLI turns each into one clear line and an exit code.

WparchiveError
├── ConfigError            bad config file, option value or site URL (exit code 2)
├── FetchError             a request failed (carries url and, when there was a response, status)
│   ├── HttpStatusError    a final non-success status after retries (carries WordPress `code`)
│   ├── RateLimitedError   429/503 storms outlasted our retries, or Retry-After is too long
│   ├── BlockedError       a firewall or CDN challenge (Cloudflare, Wordfence): never content
│   ├── RobotsDisallowedError  robots.txt forbids the URL
│   ├── ResponseTooLargeError  the body (decoded) outgrew max_response_bytes: reading stopped
│   ├── DeadlineExceededError  connect + all reads outlasted request_deadline (a slow drip)
│   ├── RedirectRefusedError   a redirect loop, or a redirect to another host
│   ├── StoppedError       not fetched: the run was stopped (Ctrl-C, SIGTERM)
│   └── NotJsonError       HTML (or garbage) where JSON was promised
│       └── UndecodableError   bytes that are not text in their charset: never stored
├── DiscoveryError         not a WordPress site, or no usable source
│   └── ApiClosedError     the REST API answered but refuses anonymous readers
├── CrawlFailedError       a queued crawl read nothing through any source (the job fails)
└── ArchiveError           the database could not be opened or written
    └── UnsupportedDatabaseError  `--db` is neither SQLite nor PostgreSQL (exit code 2)

The root and ArchiveError live in archive.errors (the lower layer); the rest is here.
"""

from __future__ import annotations

from archive.errors import ArchiveError, UnsupportedDatabaseError, WparchiveError

__all__ = [
    "SITE_REFUSALS",
    "ApiClosedError",
    "ArchiveError",
    "BlockedError",
    "ConfigError",
    "CrawlFailedError",
    "DeadlineExceededError",
    "DiscoveryError",
    "FetchError",
    "HttpStatusError",
    "NotJsonError",
    "RateLimitedError",
    "RedirectRefusedError",
    "ResponseTooLargeError",
    "RobotsDisallowedError",
    "StoppedError",
    "UndecodableError",
    "UnsupportedDatabaseError",
    "WparchiveError",
]


class ConfigError(WparchiveError):
    """The configuration file, a command-line option or a site URL is invalid: a usage error."""

    exit_code = 2


class FetchError(WparchiveError):
    """A request failed; `url` and (when a response came) `status` say which and how."""

    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class HttpStatusError(FetchError):
    """The server answered with a final non-success status; `code` is WordPress's error code if any."""

    def __init__(
        self, message: str, url: str = "", status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, url, status)
        self.code = code


class RateLimitedError(FetchError):
    """The server kept answering 429/503 past our retry budget, or asked us to wait too long."""


class BlockedError(FetchError):
    """A firewall or CDN answered with a challenge or block page instead of content."""


class RobotsDisallowedError(FetchError):
    """robots.txt disallows this URL for our user agent."""


class NotJsonError(FetchError):
    """The body was not the JSON the endpoint promised (HTML, truncated or invalid data)."""


class UndecodableError(NotJsonError):
    """The body is not valid text in its charset (UTF-8 unless declared), or holds a JSON string
    no UTF-8 can hold: a recorded problem, never stored with replacement characters."""


class RedirectRefusedError(FetchError):
    """A redirect was not followed: a loop, too many hops, or another host's content."""


class StoppedError(FetchError):
    """The run was stopped (Ctrl-C, SIGTERM) before this URL was fetched."""


class ResponseTooLargeError(FetchError):
    """The body, once decoded, would exceed `max_response_bytes`; it was cut off, never inflated whole."""


class DeadlineExceededError(FetchError):
    """The request (connect, headers and every body read) took longer than `request_deadline`."""


class DiscoveryError(WparchiveError):
    """The URL is not a WordPress site we can read, or no source is open."""


class ApiClosedError(DiscoveryError):
    """The REST API exists but refuses anonymous readers (e.g. 401 rest_login_required)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class CrawlFailedError(WparchiveError):
    """No source could read the site; raised by a queued crawl so its job ends as failed."""


# A refusal of the whole site: no other URL or source would fare better, so a crawl stops on
# these, where any other FetchError is one URL's problem and the crawl goes on.
SITE_REFUSALS = (BlockedError, RateLimitedError)
