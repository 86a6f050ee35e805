"""A site URL as a person typed it: checked, its credentials split off, its missing scheme noted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from archive.redact import redact_url
from scraper.errors import ConfigError, FetchError
from scraper.http import HttpClient

_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
# A host name's labels (letters, digits, hyphens; IDNA already applied) or an IPv4 address.
# Underscores are not valid in host names, but real DNS names carry them and browsers accept them.
_HOST = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)(\.(?!-)[\w-]{1,63}(?<!-))*\.?$", re.A)
SCHEMES = ("https", "http")  # tried in this order when none is given


@dataclass(frozen=True)
class SiteInput:
    """A checked site URL: `url` has a scheme (https when none was given) and no credentials;
    `auth` holds the user and password it carried, to send as HTTP auth and never show."""

    url: str
    scheme_given: bool = True
    auth: tuple[str, str] | None = None

    def candidates(self) -> list[str]:
        """The URLs to try in order: the one given, or https then http when it had no scheme."""
        if self.scheme_given:
            return [self.url]
        rest = self.url.split("://", 1)[1]
        return [f"{scheme}://{rest}" for scheme in SCHEMES]


def parse_site_input(text: str) -> SiteInput:
    """Check a site URL; raise ConfigError (a usage error) with one line saying what is wrong."""
    raw = text.strip()
    shown = redact_url(raw)
    if not raw or any(ch.isspace() for ch in raw):
        raise ConfigError(f"{shown!r} is not a URL (it is empty or contains spaces)")
    scheme_given = bool(_HAS_SCHEME.match(raw))
    parts = urlsplit(raw if scheme_given else f"https://{raw}")
    if parts.scheme.lower() not in SCHEMES:
        raise ConfigError(f"{shown!r} is not an http(s) URL")
    host = _check_host(parts.hostname or "", shown)
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{shown!r} has an invalid port (0 to 65535)") from None
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return SiteInput(url, scheme_given, auth if parts.username or parts.password else None)


def _check_host(host: str, shown: str) -> str:
    """The host in ASCII (IDNA for names in other scripts); ConfigError when it cannot be one."""
    if not host:
        raise ConfigError(f"{shown!r} has no host name")
    if ":" in host:  # an IPv6 literal, already unbracketed by urlsplit
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ConfigError(f"{shown!r} has an invalid host name") from None
    if not _HOST.match(ascii_host):
        raise ConfigError(f"{shown!r} has an invalid host name")
    return ascii_host.lower()


def start_site(client: HttpClient, site: SiteInput) -> tuple[str, str]:
    """Give `client` the site's credentials (for every URL it may be read at), then find the
    URL to crawl and its note (see resolve_scheme)."""
    if site.auth is not None:
        for candidate in site.candidates():
            client.add_credentials(candidate, site.auth)
    return resolve_scheme(client, site)


def resolve_scheme(client: HttpClient, site: SiteInput) -> tuple[str, str]:
    """The URL to crawl and, for a URL typed without a scheme, a note saying which one answered:
    https first, then http when https could not even connect (a status, even an error, is an
    answer). Raises the last FetchError when neither connects."""
    if site.scheme_given:
        return site.url, ""
    failures: list[str] = []
    for url in site.candidates():
        try:
            client.get(url.rstrip("/") + "/")
        except FetchError as exc:
            if exc.status is not None:
                raise
            failures.append(f"{url.split(':', 1)[0]} failed ({exc})")
            if len(failures) == len(SCHEMES):
                raise FetchError("; ".join(failures), url) from exc
            continue
        scheme = url.split(":", 1)[0]
        return url, "; ".join([*failures, f"{scheme} answered"])
    raise AssertionError("unreachable")
