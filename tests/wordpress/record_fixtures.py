"""Record real WordPress responses (REST, HTML, feeds) into tests/fixtures/recorded/ with a manifest.

Run: `.venv/bin/python -m tests.wordpress.record_fixtures` (as root; provisions the harness itself).
The sites' random ports are rewritten to a fixed one (`IP:8000`) so re-recording gives stable files.
manifest.json says, per file, where it came from and what WordPress's own truth expects in it.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.wordpress.harness import (
    SITE_NAMES,
    WordPressSite,
    interrupt_on_sigterm,
    provision_sites,
    stop_sites,
)

LOGGER = logging.getLogger(__name__)

OUT_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
PLAN_PATH = Path(__file__).with_name("record_plan.json")
FIXED_PORT = "8000"
HEAVY_TITLE = "Review: Zodiac"  # 67 comments, 23 threads, a reply chain 7 deep
JSONLD_TITLE = "Parasite"  # Yoast-style @graph Review in the head
_COMMENT_ID = re.compile(r'id="comment-(\d+)"')
_FEED_COMMENT_ID = re.compile(r"#comment-(\d+)</(?:guid|id)>")
_FEED_ITEM_GUID = re.compile(r"<guid[^>]*>([^<]*)</guid>|<entry>.*?<id>([^<]*)</id>", re.S)


@dataclass(frozen=True)
class Recording:
    """One response to record."""

    site: str
    path: str
    file: str
    what: str
    kind: str  # "rest" | "html" | "feeds"
    post: str | None = None  # "her" | "heavy" | "jsonld": the post it shows
    theme: str | None = None  # cookie-picked theme, when not the site's own
    page: int | None = None  # comment page shown


def _fetch(site: WordPressSite, rec: Recording) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(site.url + rec.path)
    if rec.theme:
        request.add_header("Cookie", f"wparchive_theme={rec.theme}")
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, _headers(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, _headers(err.headers), err.read()


def _headers(message: Any) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in message.items():
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _normalize(text: str, site: WordPressSite) -> str:
    ip, port = site.host.split(":")
    for sep in (":", "%3A", "%3a"):
        text = text.replace(f"{ip}{sep}{port}", f"{ip}{sep}{FIXED_PORT}")
    return text


def _comment_truth(comment: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "parent", "depth", "author_name", "author_url", "user_id", "date_gmt")
    return {key: comment[key] for key in keys}


def _post_expectations(truth: dict[str, Any], post: dict[str, Any]) -> dict[str, Any]:
    comments = [c for c in truth["comments"] if c["post"] == post["id"]]
    keys = (
        "id",
        "title",
        "slug",
        "date_gmt",
        "author_name",
        "categories",
        "tags",
        "expected_rating",
    )
    return {
        **{key: post[key] for key in keys},
        "jsonld": post["jsonld"],
        "comment_count": len(comments),
        "top_level_count": sum(1 for c in comments if c["parent"] == 0),
        "max_depth": max((c["depth"] for c in comments), default=0),
        "comments": [_comment_truth(c) for c in comments],
    }


def _plan(posts: dict[str, dict[str, Any]], last_page: int) -> list[Recording]:
    """Recordings from record_plan.json. Path placeholders: {her}, {heavy}, {jsonld} post IDs and
    {slug} the heavy post's pretty path; comment page -1 means the heavy post's last page."""
    values: dict[str, object] = {key: post["id"] for key, post in posts.items()}
    values["slug"] = urlsplit(posts["heavy"]["link"]).path.lstrip("/")  # "YYYY/MM/slug/"
    plan = json.loads(PLAN_PATH.read_text())
    return [
        Recording(
            site=item["site"],
            path=item["path"].format(**values),
            file=item["file"],
            what=item["what"],
            kind=item["file"].split("/")[0],
            post=item.get("post"),
            theme=item.get("theme"),
            page=last_page if item.get("page") == -1 else item.get("page"),
        )
        for item in plan
    ]


def _feed_post_ids(truth: dict[str, Any], body: str) -> list[int | None]:
    """Post IDs of a feed's items, from `?p=ID` guids or else from the permalink they hold."""
    by_path = {urlsplit(p["link"]).path.rstrip("/"): p["id"] for p in truth["posts"]}
    ids: list[int | None] = []
    for match in _FEED_ITEM_GUID.finditer(body):
        guid = html.unescape(match[1] or match[2])
        query = parse_qs(urlsplit(guid).query)
        ids.append(
            int(query["p"][0]) if "p" in query else by_path.get(urlsplit(guid).path.rstrip("/"))
        )
    return ids


def _expect_listing(truth: dict[str, Any], rec: Recording, body: str) -> dict[str, Any]:
    """What a listing-type file must hold, from truth (feeds/pages) cross-checked with the file."""
    by_date = sorted(
        (p for p in truth["posts"] if p["type"] == "post"),
        key=lambda p: p["date_gmt"],
        reverse=True,
    )
    comment_ids = {c["id"] for c in truth["comments"]}
    if rec.file.startswith("feeds/") and "comments" in rec.file:
        found = [int(i) for i in _FEED_COMMENT_ID.findall(body)]
        return {"comment_ids": found, "not_comments": [i for i in found if i not in comment_ids]}
    if rec.file.startswith("feeds/") and rec.post is None:
        start = 10 if "page2" in rec.file else 0
        expected = [p["id"] for p in by_date[start : start + 10]]
        in_feed = _feed_post_ids(truth, body)
        if in_feed != expected:
            LOGGER.warning("%s: feed has %s, truth expects %s", rec.file, in_feed, expected)
        return {"post_ids": expected}
    if rec.file == "rest/posts-page2.json":
        return {"post_ids": [p["id"] for p in by_date[10:20]], "total": len(by_date)}
    return {}


def record(sites: dict[str, WordPressSite], out_dir: Path) -> dict[str, Any]:
    """Fetch every planned response into out_dir; return the manifest."""
    truths = {name: site.truth() for name, site in sites.items()}
    truth = truths["rest"]
    titles = {"her": "Her", "heavy": HEAVY_TITLE, "jsonld": JSONLD_TITLE}
    posts = {
        key: next(p for p in truth["posts"] if p["title"] == title) for key, title in titles.items()
    }
    manifest: dict[str, Any] = {
        "note": "Recorded from the wparchive WordPress harness (Debian WordPress 6.1). Ports rewritten to "
        f"{FIXED_PORT}. JSON files are {{url, status, headers, body}}; other files are raw bodies with "
        "status and headers here.",
        "sites": {
            name: {**t["settings"], "home": _normalize(t["site"]["home"], sites[name])}
            for name, t in truths.items()
        },
        "posts": {key: _post_expectations(truth, post) for key, post in posts.items()},
        "files": {},
    }
    last_page = -(-_post_expectations(truth, posts["heavy"])["top_level_count"] // 10)
    for rec in _plan(posts, last_page):
        site = sites[rec.site]
        status, headers, raw = _fetch(site, rec)
        body = _normalize(raw.decode("utf-8", "replace"), site)
        # Date changes on every run; without it a re-recording is byte-identical.
        headers = {k: _normalize(v, site) for k, v in headers.items() if k != "Date"}
        target = out_dir / rec.file
        target.parent.mkdir(parents=True, exist_ok=True)
        if rec.file.endswith(".json"):
            envelope = {
                "url": _normalize(site.url, site) + rec.path,
                "status": status,
                "headers": headers,
                "body": json.loads(body),
            }
            target.write_text(json.dumps(envelope, indent=1, ensure_ascii=False) + "\n")
        else:
            target.write_text(body)
        entry = {
            "site": rec.site,
            "path": rec.path,
            "what": rec.what,
            "status": status,
            "theme": rec.theme or truths[rec.site]["settings"]["theme"],
            "post": rec.post,
            "comment_page": rec.page,
            **_expect_listing(truth, rec, body),
        }
        if rec.kind != "rest":
            entry["headers"] = headers
        if rec.kind == "html" and rec.post:
            entry["comment_ids_on_page"] = [int(i) for i in _COMMENT_ID.findall(body)]
        manifest["files"][rec.file] = entry
        LOGGER.info("%s %s -> %s", status, rec.path, rec.file)
    return manifest


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with (
        tempfile.TemporaryDirectory(prefix="wparchive-record-") as workdir,
        interrupt_on_sigterm(),
    ):
        sites = provision_sites(SITE_NAMES, Path(workdir))
        try:
            manifest = record(sites, OUT_DIR)
        finally:
            stop_sites(sites.values())
    (OUT_DIR / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
