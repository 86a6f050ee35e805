"""Crawl one site end to end: discover, plan the sources, lease the site, run records into the archive."""

from __future__ import annotations

from scraper.crawl.report import CrawlReport, CrawlStatus, failure_json, report_json
from scraper.crawl.run import ProgressHook, crawl_site

__all__ = [
    "CrawlReport",
    "CrawlStatus",
    "ProgressHook",
    "crawl_site",
    "failure_json",
    "report_json",
]
