"""WXR's text primitives: XML-safe text and CDATA, and dates as WordPress writes them (local and GMT)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOGGER = logging.getLogger(__name__)

NO_DATE = "0000-00-00 00:00:00"  # what WordPress stores for "no date"
# Characters XML 1.0 cannot carry at all (not even escaped), lone surrogates included.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """Escaped element text, without the characters XML 1.0 forbids."""
    return escape(_NOT_XML.sub("", str(value)))


def xml_attr(value: str) -> str:
    """A quoted attribute value, without the characters XML 1.0 forbids."""
    return quoteattr(_NOT_XML.sub("", value))


def cdata(value: str) -> str:
    """A CDATA section holding `value` exactly (as export_wp's wxr_cdata: `]]>` split across two)."""
    safe = _NOT_XML.sub("", value).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{safe}]]>"


def element(name: str, text: str) -> str:
    """`<name>text</name>`; `text` is already escaped or CDATA."""
    return f"<{name}>{text}</{name}>"


def site_clock(timezone_name: str | None, gmt_offset: float | None) -> tzinfo:
    """The site's local time: its named timezone (DST included), else its fixed offset, else UTC."""
    if timezone_name:
        try:
            return ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            LOGGER.warning("unknown timezone %r: using the site's GMT offset", timezone_name)
    return timezone(timedelta(hours=gmt_offset or 0))


def mysql_date(value: datetime | None, clock: tzinfo = UTC) -> str:
    """A datetime as WordPress stores it (`2014-01-20 11:00:00`) in the given clock's time."""
    if value is None:
        return NO_DATE
    return value.astimezone(clock).strftime("%Y-%m-%d %H:%M:%S")


def rss_date(value: datetime) -> str:
    """RFC 2822 in GMT, as RSS's pubDate: `Mon, 20 Jan 2014 10:00:00 +0000`."""
    return format_datetime(value.astimezone(UTC))
