"""Durations as people write them in config and flags (`90s`, `30m`, `1h`, `7d`): one parser, one printer."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from scraper.errors import ConfigError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """`1h`, `30m`, `7d`, `1h30m` -> timedelta; ConfigError for anything else or for zero."""
    compact = str(text).strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact.replace(" ", ""):
        raise ConfigError(f"{text!r} is not a duration: write e.g. 90s, 30m, 1h, 7d or 1h30m")
    seconds = sum(int(number) * UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ConfigError(f"{text!r} is not a duration: it must be longer than zero")
    return timedelta(seconds=seconds)


def parse_sweep_every(value: str | float) -> timedelta:
    """`crawl.sweep_every`: a duration (`7d`, `12h`), or a bare number of days (what older
    configs wrote); zero means only `--full` sweeps (a zero timedelta)."""
    if isinstance(value, int | float) or str(value).strip().replace(".", "", 1).isdigit():
        days = float(value)
        if math.isnan(days) or days < 0:
            raise ConfigError(f"{value!r} is not a duration: write e.g. 7d, 12h, or 0 for never")
        return timedelta(days=days)
    return parse_duration(str(value))


def format_duration(seconds: float) -> str:
    """The shortest exact form in the largest units: 3600 -> `1h`, 5400 -> `1h30m`."""
    left, parts = int(seconds), []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        if unit == "w":  # weeks read badly next to days in a table: 14d, not 2w
            continue
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def cron_every(period: timedelta) -> str:
    """A cron line (seconds as a 6th field) firing every `period`, which must divide a minute or
    an hour: cron counts from the top of each minute or hour, not from when a worker started."""
    seconds = int(period.total_seconds())
    if seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 3600 % seconds == 0:
        return f"*/{seconds // 60} * * * *"
    raise ConfigError(f"{format_duration(seconds)} does not divide a minute or an hour (30s, 5m)")
