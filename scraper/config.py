"""config.yaml -> frozen dataclasses: defaults ship in code, a user file overrides only the keys it sets."""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scraper.durations import cron_every, parse_duration, parse_sweep_every
from scraper.errors import ConfigError
from scraper.http import HttpSettings
from scraper.sources.registry import AUTO, source_choices

LOGGER = logging.getLogger(__name__)

DEFAULT_DATABASE = "sqlite:///wparchive.db"
# The values each numeric setting may take: (low, high or None, "above" = low excluded or
# "from" = low included). A negative timeout or retry count is a mistake, never a mode.
RANGES: dict[str, tuple[float, float | None, str]] = {
    "connect_timeout": (0, 600, "above"),
    "read_timeout": (0, 3600, "above"),
    "max_retries": (0, 20, "from"),
    "backoff_base": (0, 600, "from"),
    "backoff_max": (0, 3600, "from"),
    "max_retry_after": (0, 86400, "from"),
    "rate_limit": (0, None, "from"),  # 0 = no cap
    "target_concurrency": (0, 64, "above"),
    "min_delay": (0, 3600, "from"),
    "max_delay": (0, 3600, "from"),
    "max_in_flight": (1, 1024, "from"),
    "concurrency": (1, 64, "from"),
    "batch_size": (1, 100_000, "from"),
    "sites_at_once": (1, 256, "from"),
    "max_response_bytes": (1, None, "from"),
    "request_deadline": (0, None, "above"),
}


@dataclass(frozen=True)
class CrawlSettings:
    """How a crawl reads a site."""

    source: str = AUTO  # each registered source in turn, as discovery allows (sources/registry.py)
    batch_size: int = 500  # records per database transaction
    full: bool = False  # ignore high-water marks and re-read everything (a sweep)
    # Read each post's own page too (one request per post) for a rating published only as
    # JSON-LD in the page head, which REST and WordPress.com cannot see.
    with_pages: bool = False
    # Sites of a list (`crawl --config`) crawled at once by one process.
    sites_at_once: int = 16
    # How old the last sweep may be before an incremental crawl becomes one (a full listing that
    # also marks what was deleted or hidden, and sees edited and late-approved comments): a
    # duration (`7d`), or a bare number of days; 0: only with --full. Scheduled sites take it as
    # their default too (`sites add --sweep-every`).
    sweep_every: str = "7d"


@dataclass(frozen=True)
class ScheduleSettings:
    """Defaults for sites scheduled with `wparchive sites add` (each site keeps its own)."""

    every: str = "1h"  # a crawl of the site this often (the sweep period is crawl.sweep_every)


@dataclass(frozen=True)
class WorkerSettings:
    """How `wparchive worker` runs jobs (PostgreSQL and procrastinate)."""

    concurrency: int = 16  # sites crawled at once by one worker process
    check_every: str = "30s"  # how often workers defer due sites and look for stalled jobs
    stalled_after: str = "60s"  # a job whose worker sent no heartbeat for this long is rerun
    heartbeat: str = "10s"  # how often a worker tells the database it is alive
    max_attempts: int = 5  # tries of a site whose crawl fails for a passing reason (network, 429)
    backoff_base: int = 4  # seconds; the n-th retry waits backoff_base ** n


@dataclass(frozen=True)
class MediaSettings:
    """What `wparchive backup --media` downloads (scraper/media.py)."""

    # Hosts besides the site's own that serve its uploads (a CDN such as i0.wp.com).
    hosts: tuple[str, ...] = ()
    max_file_bytes: int = 25_000_000  # a larger image is refused and recorded
    max_total_bytes: int = (
        2_000_000_000  # the backup's media in all; the rest waits for a later run
    )


@dataclass(frozen=True)
class Config:
    """Everything a run needs; built once in the CLI and passed down."""

    database: str = DEFAULT_DATABASE
    sites: tuple[str, ...] = ()
    http: HttpSettings = field(default_factory=HttpSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    workers: WorkerSettings = field(default_factory=WorkerSettings)
    media: MediaSettings = field(default_factory=MediaSettings)


def load_config(path: Path | None) -> Config:
    """Read `path` (YAML) over the defaults; None means defaults only. Unknown keys are errors."""
    if path is None:
        return Config()
    import yaml  # here: a crawl given only URLs does not wait for its import (~12 ms)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping of keys to values")
    return _merge(Config(), data, str(path))


def load_site_list(path: Path) -> list[str]:
    """Site URLs from a text file, one a line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def override(config: Config, **changes: Any) -> Config:
    """Apply command-line flags: `http__rate_limit=1.0` style keys; None values are left alone."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        if value is None:
            continue
        section, _, name = key.partition("__")
        if name:
            nested.setdefault(section, {})[name] = value
        else:
            top[key] = value
    for section, values in nested.items():
        top[section] = dataclasses.replace(getattr(config, section), **values)
    merged = dataclasses.replace(config, **top)
    _validate(merged, "command line")
    return merged


def _merge(config: Config, data: dict[str, Any], origin: str) -> Config:
    known = {f.name for f in dataclasses.fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    if "database" in data:
        changes["database"] = str(data["database"])
    if "sites" in data:
        sites = data["sites"] or []
        if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
            raise ConfigError(f"{origin}: 'sites' must be a list of URLs")
        changes["sites"] = tuple(sites)
    for section in ("http", "crawl", "schedule", "workers", "media"):
        if section in data:
            changes[section] = _merge_section(getattr(config, section), data[section], origin)
    merged = dataclasses.replace(config, **changes)
    _validate(merged, origin)
    return merged


def _merge_section(current: Any, values: Any, origin: str) -> Any:
    name = type(current).__name__
    if not isinstance(values, dict):
        raise ConfigError(f"{origin}: section for {name} must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(current)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}")
    typed: dict[str, Any] = {}
    for key, value in values.items():
        default = getattr(current, key)
        typed[key] = _coerce(value, default, f"{origin}: {key}")
    return dataclasses.replace(current, **typed)


def _coerce(value: Any, default: Any, where: str) -> Any:
    """`value` as the type of `default`; a float where a whole number is wanted is an error, not
    a silent truncation (`concurrency: 2.9` never becomes 2)."""
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, not {value!r}")
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(f"expected a whole number, not {value!r}")
            return int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise ValueError(f"expected a number, not {value!r}")
            return float(value)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"expected a list of names, not {value!r}")
            return tuple(v.strip().lower() for v in value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _validate(config: Config, origin: str) -> None:
    choices = source_choices()
    if config.crawl.source not in choices:
        raise ConfigError(
            f"{origin}: source must be one of {', '.join(choices)}, not {config.crawl.source!r}"
        )
    for section in (config.http, config.crawl):
        for setting in dataclasses.fields(section):
            _check_range(setting.name, getattr(section, setting.name), origin)
    _validate_workers(config, origin)


def _validate_workers(config: Config, origin: str) -> None:
    try:
        parse_sweep_every(config.crawl.sweep_every)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: sweep_every: {exc}") from None
    durations = {
        "every": config.schedule.every,
        "check_every": config.workers.check_every,
        "stalled_after": config.workers.stalled_after,
        "heartbeat": config.workers.heartbeat,
    }
    for key, text in durations.items():
        try:
            parse_duration(text)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {key}: {exc}") from None
    try:
        cron_every(parse_duration(config.workers.check_every))
    except ConfigError as exc:
        raise ConfigError(f"{origin}: check_every: {exc}") from None
    if config.workers.concurrency < 1 or config.workers.max_attempts < 1:
        raise ConfigError(f"{origin}: workers' concurrency and max_attempts must be at least 1")


def _check_range(name: str, value: Any, origin: str) -> None:
    limits = RANGES.get(name)
    if limits is None or isinstance(value, bool):
        return
    low, high, meaning = limits
    inside = value > low if meaning == "above" else value >= low
    if not inside or (high is not None and value > high) or math.isnan(value):
        wanted = f"more than {low:g}" if meaning == "above" else f"at least {low:g}"
        upto = f" and at most {high:g}" if high is not None else ""
        raise ConfigError(f"{origin}: {name} must be {wanted}{upto}, not {value!r}")
