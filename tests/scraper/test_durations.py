"""Durations in flags and config: one parser, validated; the cron line of the workers' tick."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from scraper.config import load_config, override
from scraper.durations import cron_every, format_duration, parse_duration, parse_sweep_every
from scraper.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604800), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_durations_people_write_are_read_exactly(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "0m", "1.5h", "1h 30", "hourly"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ConfigError, match=r"90s, 30m, 1h, 7d|longer than zero"):
        parse_duration(text)


def test_printed_durations_read_back_to_the_same_value() -> None:
    for seconds in (45, 60, 3600, 5400, 86400, 604800, 90061):
        assert parse_duration(format_duration(seconds)).total_seconds() == seconds
    assert format_duration(604800) == "7d"


def test_the_tick_divides_a_minute_or_an_hour() -> None:
    assert cron_every(timedelta(seconds=2)) == "* * * * * */2"
    assert cron_every(timedelta(minutes=5)) == "*/5 * * * *"
    for bad in (timedelta(seconds=7), timedelta(minutes=7), timedelta(hours=2)):
        with pytest.raises(ConfigError, match="does not divide"):
            cron_every(bad)


def test_config_and_flags_refuse_a_bad_duration(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("schedule:\n  every: 2h\nworkers:\n  stalled_after: 90s\n")
    loaded = load_config(config)
    assert (loaded.schedule.every, loaded.workers.stalled_after) == ("2h", "90s")
    with pytest.raises(ConfigError, match="sweep_every"):
        override(loaded, crawl__sweep_every="weekly")
    config.write_text("workers:\n  check_every: 7s\n")
    with pytest.raises(ConfigError, match="check_every"):
        load_config(config)


@pytest.mark.parametrize(
    ("value", "period"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        (7, timedelta(days=7)),
        ("0.5", timedelta(hours=12)),
        (0, timedelta(0)),
        ("0", timedelta(0)),
    ],
)
def test_sweep_every_takes_a_duration_or_days_and_zero_means_never(
    value: str | float, period: timedelta
) -> None:
    assert parse_sweep_every(value) == period


def test_the_sweep_period_is_one_setting_for_crawls_and_schedules(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  sweep_every: 3d\n")
    assert load_config(config).crawl.sweep_every == "3d"
    config.write_text("schedule:\n  sweep_every: 3d\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(config)
    config.write_text("crawl:\n  sweep_every: -1\n")
    with pytest.raises(ConfigError, match="sweep_every"):
        load_config(config)
