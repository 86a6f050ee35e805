"""Cron output: `crawl --json` matches its documented schema, `--quiet` prints only failures, and the
exit codes are 0 (all ok), 1 (a site failed or was partial), 2 (usage or configuration error)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import responses
from typer.testing import CliRunner

from scraper.cli import app
from tests.scraper.test_crawl import HOME, serve_wordpress

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "crawl-report.schema.json").read_text(encoding="utf-8")
)
SHOP = "http://shop.test"


def crawl(tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "config.yaml"
    config.write_text("http:\n  respect_robots: false\n  rate_limit: 0\n", encoding="utf-8")
    flags = ["--db", str(tmp_path / "a.db"), "--config", str(config)]
    return CliRunner().invoke(app, ["crawl", *args, *flags])


def serve_shop() -> None:
    """Not WordPress: discovery fails, the site fails."""
    responses.get(f"{SHOP}/", body="<html><title>Shop</title></html>", content_type="text/html")
    responses.get(re.compile(rf"{SHOP}/.+"), status=404, body="not found")


def objects(output: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in output.splitlines() if line.strip()]
    for item in found:
        jsonschema.validate(item, SCHEMA)
    return found


@responses.activate
def test_json_gives_one_valid_object_per_site_and_exit_0_when_all_are_ok(tmp_path: Path) -> None:
    serve_wordpress(posts=3, comments=4)
    result = crawl(tmp_path, HOME, "--json")
    assert result.exit_code == 0, result.output
    (report,) = objects(result.output)
    assert (report["site"], report["status"], report["source"], report["mode"]) == (
        HOME,
        "ok",
        "rest",
        "full",
    )
    assert report["counts"]["posts"] == {"fetched": 3, "new": 3, "changed": 0, "deleted": 0}
    assert report["counts"]["comments"]["new"] == 4
    assert report["requests"] > 0 and report["error"] is None


@responses.activate
def test_a_failed_site_exits_1_and_is_a_failed_object(tmp_path: Path) -> None:
    serve_wordpress(posts=3, comments=4)
    serve_shop()
    result = crawl(tmp_path, HOME, SHOP, "--json")
    assert result.exit_code == 1
    # One object per site as each finishes (sites are crawled at once): found by site.
    by_site = {report["site"]: report for report in objects(result.output)}
    ok, failed = by_site[HOME], by_site[SHOP]
    assert (ok["status"], failed["status"], failed["site"]) == ("ok", "failed", SHOP)
    assert "does not look like a WordPress site" in failed["error"]


@responses.activate
def test_quiet_prints_only_the_failures(tmp_path: Path) -> None:
    serve_wordpress(posts=3, comments=4)
    serve_shop()
    result = crawl(tmp_path, HOME, SHOP, "--quiet")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {SHOP}")


def test_a_usage_error_exits_2(tmp_path: Path) -> None:
    result = crawl(tmp_path)  # no site and no config
    assert result.exit_code == 2
    assert "give a site URL" in result.output
