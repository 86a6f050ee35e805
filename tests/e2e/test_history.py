"""An archive that remembers, on a real WordPress changed between crawls through its own functions.

Crawl; edit, publish, schedule, reply, trash, privatize, unapprove, edit and approve comments
(tests/wordpress/mutations.php); an incremental crawl; a sweep; restore the trashed post; crawl
again; then an unchanged re-crawl. After each, the archive is compared with WordPress's truth.
The story runs twice: through REST (the `mutable` site) and, on a site whose REST API is closed,
through feeds + post HTML (`mutable-closed`), where what a visitor cannot see differs (said below).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.helpers import crawl_args, read_jsonl, run_cli, truth_depths

pytestmark = pytest.mark.wordpress

MUTATIONS = Path(__file__).parents[1] / "wordpress" / "mutations.php"
SCHEMA = Path(__file__).parents[2] / "docs" / "crawl-report.schema.json"


def php_call(site: Any, call: str) -> Any:
    return json.loads(site.php(f"require '{MUTATIONS}';\necho json_encode({call});"))


def export(db: str, out: Path) -> dict[str, Any]:
    """The export with deleted items and versions, without the HTML (the texts say enough)."""
    run_cli("export", "--db", db, "--out", str(out), "--include-deleted", "--versions")
    return {
        name: {row["id"]: _slim(row) for row in read_jsonl(out / f"{name}.jsonl")}
        for name in ("posts", "comments")
    } | {
        name: _grouped(read_jsonl(out / f"{name}.jsonl"))
        for name in ("post_versions", "comment_versions")
    }


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "content_html"}


def _grouped(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["id"], []).append(_slim(row))
    return grouped


def slim_truth(site: Any) -> dict[str, Any]:
    """WordPress's truth without the raw bodies."""
    truth: dict[str, Any] = site.truth()
    for item in (*truth["posts"], *truth["comments"]):
        item.pop("content_raw", None)
    return truth


def crawl(site: Any, db: str, *extra: str) -> tuple[dict[str, Any], list[Any]]:
    """Crawl with --json; return its report (validated against the schema) and the requests."""
    site.mark_log()
    out = run_cli(*crawl_args(site.url, db, "--json", *extra))
    report = json.loads(out.strip().splitlines()[-1])
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    return report, site.requests()


def version_rows(db: str) -> int:
    engine = create_engine(db)
    with engine.connect() as conn:
        total = sum(
            conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0
            for table in ("post_versions", "comment_versions")
        )
    engine.dispose()
    return total


# The site each story runs on, by the source that reads it.
STORY_SITES = {"rest": "wp_mutable", "feed": "wp_mutable_closed"}


@pytest.fixture(scope="module", params=list(STORY_SITES))
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Every crawl of the story, with what WordPress said after each change."""
    site = request.getfixturevalue(STORY_SITES[request.param])
    site.reseed()
    work = tmp_path_factory.mktemp("history")
    db = f"sqlite:///{work / 'archive.db'}"
    seen: dict[str, Any] = {"source": request.param}
    try:
        seen["first"] = crawl(site, db)
        seen["ids"] = php_call(site, "wparchive_mutate_first()")
        seen["incremental"] = crawl(site, db)
        seen["after_incremental"] = export(db, work / "incremental")
        seen["sweep"] = crawl(site, db, "--full")
        seen["truth"] = slim_truth(site)
        seen["after_sweep"] = export(db, work / "sweep")
        php_call(site, f"wparchive_restore({seen['ids']['trashed']})")
        seen["restore"] = crawl(site, db)
        seen["after_restore"] = export(db, work / "restore")
        seen["resweep"] = crawl(site, db, "--full")
        seen["truth_restored"] = slim_truth(site)
        seen["after_resweep"] = export(db, work / "resweep")
        versions_before = version_rows(db)
        seen["unchanged"] = crawl(site, db)
        seen["new_versions"] = version_rows(db) - versions_before
        seen["history"] = run_cli(
            "history", site.url, "--db", db, "--post", str(seen["ids"]["trashed"])
        )
        yield seen
    finally:
        site.reseed()


def api_paths(requests: list[Any]) -> list[str]:
    return [r.path for r in requests]


def seen_by_visitors(truth: dict[str, Any], source: str, archived: set[int]) -> set[int]:
    """The public comments a crawl through `source` can see. Post pages print no reply whose
    parent is not public (no theme shows orphans): such replies are the only ones a closed-REST
    crawl may miss, unless it archived them while their parent was still public."""
    public = {c["id"] for c in truth["comments"]}
    if source == "rest":
        return public
    return public - (set(truth["orphan_comment_ids"]) - archived)


# Why a post or comment went, as each source can tell: REST asks WordPress (401/403: hidden); a
# visitor of a closed site gets a 404 for a trashed and a private post alike, so only `gone`.
HIDDEN_AS = {"rest": "hidden", "feed": "gone"}
# Requests of an unchanged re-crawl: REST remembers its API root (at most 4); feeds + HTML
# rediscover (home page, REST check), read feed page 1, the comments feed, and re-read the posts
# published within the incremental overlap (a day).
UNCHANGED_REQUESTS = {"rest": 4, "feed": 10}


def test_the_incremental_crawl_sees_edits_new_and_scheduled_posts_and_late_replies(
    story: dict[str, Any],
) -> None:
    ids, got, source = story["ids"], story["after_incremental"], story["source"]
    report, requests = story["incremental"]
    assert (report["status"], report["mode"], report["source"]) == ("ok", "incremental", source)
    # Feeds carry no modification date: an edited old post waits for the sweep (README says so).
    edits_seen = source == "rest"
    for post_id in ids["edited"]:
        edited = "Update: a correction, months later." in got["posts"][post_id]["content_text"]
        assert edited == edits_seen
        assert len(got["post_versions"][post_id]) == (2 if edits_seen else 1)
    assert got["posts"][ids["retitled"]]["title"].endswith("(revisited)") == edits_seen
    for post_id in [*ids["new"], ids["scheduled"]]:
        assert post_id in got["posts"] and len(got["post_versions"][post_id]) == 1
    for reply in ids["replies"]:
        assert got["comments"][reply]["post_id"] == ids["old_post"]
        assert got["comments"][reply]["depth"] == 2
    # What WordPress gives no date for waits for the sweep (the README says so).
    assert ids["approved"] not in got["comments"]
    assert got["posts"][ids["trashed"]]["deleted_at"] is None
    assert report["counts"]["posts"]["new"] == 3
    assert report["counts"]["posts"]["changed"] == (4 if edits_seen else 0)
    assert report["counts"]["comments"]["new"] == 2
    if source == "rest":
        # Posts modified since, posts published since (the scheduled one), pages, comments: no
        # discovery (the API root is remembered), no robots.txt (kept), no users or terms (known).
        assert len(requests) == 4, api_paths(requests)
    else:
        # Feed page 1 only, the new posts' pages, the comments feed and the old post it names.
        assert not [p for p in api_paths(requests) if "paged=" in p], api_paths(requests)
        assert len(requests) <= 10, api_paths(requests)


def test_after_the_sweep_the_archive_equals_wordpress(story: dict[str, Any]) -> None:
    truth, got, source = story["truth"], story["after_sweep"], story["source"]
    report, _ = story["sweep"]
    assert (report["status"], report["mode"]) == ("ok", "full")
    public_posts = {i for i, p in got["posts"].items() if p["deleted_at"] is None}
    public_comments = {i for i, c in got["comments"].items() if c["deleted_at"] is None}
    assert public_posts == {p["id"] for p in truth["posts"]}
    assert public_comments == seen_by_visitors(truth, source, set(got["comments"]))
    by_id = {p["id"]: p for p in truth["posts"]}
    for post_id in public_posts:
        assert got["posts"][post_id]["title"] == by_id[post_id]["title"]
    for post_id in story["ids"]["edited"]:
        assert "Update: a correction, months later." in got["posts"][post_id]["content_text"]
    truth_comments = {c["id"]: c for c in truth["comments"]}
    for comment_id in public_comments:
        assert (
            got["comments"][comment_id]["author_name"] == truth_comments[comment_id]["author_name"]
        )
    depths = truth_depths(truth["comments"])
    for comment_id in public_comments:
        row = got["comments"][comment_id]
        assert (row["depth"], row["root_id"]) == depths[comment_id], comment_id
    orphans = {i for i in public_comments if got["comments"][i]["is_orphan"]}
    assert orphans == set(truth["orphan_comment_ids"]) & public_comments


def test_the_sweep_marks_what_went_and_keeps_versions(story: dict[str, Any]) -> None:
    ids, got = story["ids"], story["after_sweep"]
    report, _ = story["sweep"]
    hidden = HIDDEN_AS[story["source"]]
    for post_id in (ids["trashed"], ids["private"]):
        assert got["posts"][post_id]["deleted_reason"] == hidden
    unapproved = got["comments"][ids["unapproved"]]
    assert unapproved["deleted_reason"] == hidden
    replies = [c for c in got["comments"].values() if c["parent_id"] == ids["unapproved"]]
    assert replies and all(r["is_orphan"] and r["depth"] is None for r in replies)
    assert got["comments"][ids["edited_comment"]]["content_text"] == "Edited: I changed my mind."
    assert [v["content_text"] for v in got["comment_versions"][ids["edited_comment"]]][
        -1
    ] == "Edited: I changed my mind."
    assert len(got["comment_versions"][ids["edited_comment"]]) == 2
    assert ids["approved"] in got["comments"]
    trashed_versions = got["post_versions"][ids["trashed"]]
    assert [v["deleted_reason"] for v in trashed_versions] == [None, hidden]
    deleted_posts = sum(1 for p in got["posts"].values() if p["deleted_at"] is not None)
    assert report["counts"]["posts"]["deleted"] == deleted_posts == 2
    assert report["counts"]["comments"]["changed"] >= 1


def test_a_restored_post_comes_back_and_its_history_keeps_the_gap(story: dict[str, Any]) -> None:
    ids, source = story["ids"], story["source"]
    # REST lists the restored post as modified; a feed lists posts by publication date, so an
    # old post that comes back waits for the next sweep.
    back = story["after_restore" if source == "rest" else "after_resweep"]
    restored = back["posts"][ids["trashed"]]
    assert restored["deleted_at"] is None
    versions = back["post_versions"][ids["trashed"]]
    assert [(v["deleted_reason"], v["is_current"]) for v in versions] == [
        (None, False),
        (HIDDEN_AS[source], False),
        (None, True),
    ]
    assert f"no longer public: {HIDDEN_AS[source]}" in story["history"]
    assert "public again" in story["history"]
    truth, got = story["truth_restored"], story["after_resweep"]
    assert {i for i, c in got["comments"].items() if c["deleted_at"] is None} == seen_by_visitors(
        truth, source, set(got["comments"])
    )


def test_an_unchanged_site_costs_at_most_four_requests_and_no_version(
    story: dict[str, Any],
) -> None:
    report, requests = story["unchanged"]
    assert report["status"] == "ok"
    assert len(requests) <= UNCHANGED_REQUESTS[story["source"]], api_paths(requests)
    assert story["new_versions"] == 0
    assert all(report["counts"][k]["new"] == 0 for k in report["counts"])


def test_a_feed_crawl_after_rest_changes_no_field_rest_wrote(
    wp_mutable: Any, tmp_path: Path
) -> None:
    """Degradation without a proxy: the same rows read again through feeds + HTML (poorer for
    text, dates and authors) keep every field REST wrote; they only fill what REST left empty
    (a JSON-LD rating in the page head, which REST cannot see), and `source` says who read last."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    run_cli(*crawl_args(wp_mutable.url, db))
    rest = export(db, tmp_path / "rest")
    report, _ = crawl(wp_mutable, db, "--source", "feed", "--full")
    assert report["source"] == "feed" and report["status"] in ("ok", "partial")
    after = export(db, tmp_path / "feed")
    filled: set[int] = set()
    for kind in ("posts", "comments"):
        assert after[kind].keys() == rest[kind].keys()
        for item_id, row in rest[kind].items():
            changed = {
                k: (v, after[kind][item_id][k])
                for k, v in row.items()
                if k != "source" and after[kind][item_id][k] != v
            }
            overwritten = {k: pair for k, pair in changed.items() if pair[0] not in (None, "")}
            assert not overwritten, (kind, item_id, overwritten)
            if changed and kind == "posts":
                filled.add(item_id)
    grew = {
        post_id
        for post_id, versions in after["post_versions"].items()
        if len(versions) != len(rest["post_versions"][post_id])
    }
    assert grew == filled  # a version only where a field was filled
    assert after["comment_versions"].keys() == rest["comment_versions"].keys()
