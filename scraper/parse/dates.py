"""Dates as WordPress and its feeds write them -> timezone-aware UTC datetimes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_iso_utc(value: str | None) -> datetime | None:
    """ISO 8601 with or without offset -> aware UTC; a value without offset is taken as UTC
    (WordPress's `*_gmt` fields). None or unreadable -> None, never an exception."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        # `0001-01-01T00:00:00+01:00` has no UTC form; MySQL's zero date is no date at all.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


# What date_format commonly is (WordPress's default "F j, Y" first); a page never says which.
TEXT_DATE_FORMATS = ("%B %d, %Y", "%d %B %Y", "%B %d %Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")


def parse_text_date(text: str, utc_offset_hours: float | None) -> datetime | None:
    """A date printed as text ("July 14, 2019"), with no time: midnight in the site's time
    (its gmt_offset, else UTC), as UTC. Only a day's precision: callers say so in the record."""
    words = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in TEXT_DATE_FORMATS:
        try:
            day = datetime.strptime(words, fmt)
        except ValueError:
            continue
        offset = timedelta(hours=utc_offset_hours or 0.0)
        return (day - offset).replace(tzinfo=UTC)
    return None


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """feedparser's `*_parsed` (already UTC) -> aware UTC datetime."""
    if value is None:
        return None
    return datetime(*value[:6], tzinfo=UTC)


def format_iso_utc(value: datetime) -> str:
    """Aware datetime -> `2014-01-20T10:00:00` in UTC, the form WordPress's REST API accepts."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_rest_utc(
    date_gmt: str | None, date_local: str | None, timezone: str | None
) -> datetime | None:
    """A REST item's UTC date, corrected for WordPress's DST bug.

    WordPress formats `*_gmt` fields with mysql_to_rfc3339(), which reads the UTC value as a wall
    time in the site's timezone: a UTC time that falls in the site's spring-forward gap (02:05 on
    the last Sunday of March in Europe/Rome) comes out an hour late. The local `date` field is
    right, so where the site has a named timezone and the local time is unambiguous, it decides.
    """
    utc = parse_iso_utc(date_gmt)
    if utc is None or not timezone or not date_local:
        return utc
    try:
        zone = ZoneInfo(timezone)
        local = datetime.fromisoformat(date_local.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return utc
    if local.tzinfo is not None:
        return utc
    earlier = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier == utc:  # the two agree (nearly always): nothing to correct
        return utc
    later = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if earlier != later:  # the local time repeats (autumn): only the gmt field can tell which
        return utc
    return earlier
