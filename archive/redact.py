"""Credentials never shown: one redaction for every URL a person, a log or a file can see."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# userinfo is everything between "scheme://" and the first "@" before the host; it cannot hold
# "/", "?", "#" or whitespace unencoded, so a path's "@" (`/@name`) is never mistaken for it.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]*@")
REDACTED = "***"


def redact_url(url: str) -> str:
    """`http://user:secret@host/` -> `http://***@host/`; a URL without credentials is unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redact_text(text: str) -> str:
    """Every URL's credentials in a message, a summary line or a log line replaced by `***`."""
    return _USERINFO.sub(rf"\1{REDACTED}@", text)
