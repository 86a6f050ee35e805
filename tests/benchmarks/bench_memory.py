"""Benchmark: does a crawl's memory stay flat as a site grows? Peak RSS at 10k and at 100k comments.

Run: .venv/bin/python tests/benchmarks/bench_memory.py [--small 10000] [--large 100000]
A WordPress-shaped REST API (generated on the fly, served on 127.0.0.1 on a free port) is crawled
into a fresh SQLite file by a wparchive child process, once per size; the report gives each run's
wall time, requests and the child's own peak RSS, and the ratio large/small of the peaks. The server
and the child are stopped at the end of each run, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.wordpress.processes import interrupt_on_sigterm  # noqa: E402

PER_PAGE = 100
POSTS = 500

RUN_WPARCHIVE = """
import resource, runpy, sys
sys.argv = ["wparchive", *sys.argv[1:]]
try:
    runpy.run_module("scraper", run_name="__main__")
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def make_handler(comments: int, base: list[str]) -> type[BaseHTTPRequestHandler]:
    """A handler serving a site with POSTS posts and `comments` comments threaded 3 deep."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            match = re.fullmatch(r"/wp-json/wp/v2/(\w+)", parts.path)
            if parts.path == "/":
                link = f'<link rel="https://api.w.org/" href="{base[0]}/wp-json/">'
                self.send(200, f"<html><head>{link}</head></html>", "text/html")
            elif parts.path == "/wp-json/":
                index = {"name": "Big", "home": base[0], "namespaces": ["wp/v2"]}
                self.send(200, json.dumps(index))
            elif match:
                self.collection(match.group(1), int(query.get("page", "1")))
            else:
                self.send(404, "not found", "text/plain")

        def collection(self, name: str, page: int) -> None:
            total = {"posts": POSTS, "comments": comments}.get(name, 0)
            first = (page - 1) * PER_PAGE + 1
            ids = range(first, min(total, first + PER_PAGE - 1) + 1)
            items = [post(i, base[0]) if name == "posts" else comment(i, base[0]) for i in ids]
            if name not in ("posts", "comments"):
                items = []
            pages = max(1, -(-total // PER_PAGE))
            headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
            self.send(200, json.dumps(items), headers=headers)

        def send(
            self,
            status: int,
            body: str,
            ctype: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def post(wp_id: int, home: str) -> dict[str, Any]:
    text = "<p>A long review paragraph with <a href='/x'>a link</a> &amp; entities.</p>" * 8
    return {
        "id": wp_id,
        "type": "post",
        "link": f"{home}/?p={wp_id}",
        "slug": f"p{wp_id}",
        "status": "publish",
        "date_gmt": "2020-01-01T00:00:00",
        "modified_gmt": "2020-01-01T00:00:00",
        "title": {"rendered": f"Post {wp_id}"},
        "content": {"rendered": f"<p>Rating: 4/5</p>{text}"},
        "excerpt": {"rendered": "<p>A long review</p>"},
        "author": 0,
        "categories": [],
        "tags": [],
    }


def comment(wp_id: int, home: str) -> dict[str, Any]:
    parent = wp_id - 1 if wp_id % 3 else 0
    return {
        "id": wp_id,
        "post": (wp_id % POSTS) + 1,
        "parent": parent,
        "author_name": f"Reader {wp_id}",
        "author_url": "",
        "author": 0,
        "date_gmt": "2021-01-01T00:00:00",
        "content": {"rendered": "<p>Thoughtful words about the film, and a second sentence.</p>"},
        "link": f"{home}/?p=1#comment-{wp_id}",
        "type": "comment",
    }


def crawl(comments: int) -> dict[str, Any]:
    """Serve a site of `comments` comments, crawl it once, report time, requests and peak RSS."""
    base: list[str] = [""]
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(comments, base))
    base[0] = f"http://127.0.0.1:{server.server_address[1]}"
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{Path(tmp) / 'big.db'}"
            argv = [sys.executable, "-c", RUN_WPARCHIVE, "crawl", base[0], "--db", db]
            started = time.perf_counter()
            done = subprocess.run(
                [*argv, "--rate-limit", "0"], cwd=ROOT, capture_output=True, text=True, check=True
            )
            elapsed = time.perf_counter() - started
    finally:
        # subprocess.run has already killed the child if it was interrupted.
        server.shutdown()
        server.server_close()
        serving.join()
    summary = done.stdout.strip().splitlines()[-1]
    return {
        "comments": comments,
        "seconds": round(elapsed, 2),
        "summary": summary,
        "peak_rss_mib": round(int(done.stderr.strip().splitlines()[-1]) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    with interrupt_on_sigterm():
        small, large = crawl(args.small), crawl(args.large)
    ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
    print(
        json.dumps(
            {"small": small, "large": large, "peak_ratio_large_over_small": round(ratio, 2)},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
