"""A backup restores: our WXR of the `rest` site, imported into the empty `restore` site by
import_wxr.php (the importer's rules, through WordPress's own functions), gives the same posts,
pages, terms, comments and parents, as WordPress itself reports them on both sites (truth.php).

Differences accepted, because the public site cannot show them: a password-protected post comes
back unprotected (its password is not public), modification dates are the import's, authors and
comments get new ids (compared by name, and by post, author and date), and a reply whose parent
is not public comes back at the top level.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import as_text, run_cli
from tests.wordpress.harness import HERE

pytestmark = pytest.mark.wordpress

POST_FIELDS = ("type", "status", "title", "slug", "date_gmt", "parent", "author_name", "sticky")


def import_wxr(site: Any, path: Path) -> dict[str, int]:
    """Run the tests' importer on `site`; return its counts."""
    script = HERE / "import_wxr.php"
    out = site.php(f"$wparchive_wxr = {str(path)!r};\nrequire {str(script)!r};")
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def restored(
    wp_rest: Any, wp_restore: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Back the `rest` site up, import its site.wxr twice into the empty site; empty it after."""
    folder = tmp_path_factory.mktemp("restore") / "blog"
    run_cli("backup", wp_rest.url, "--out", str(folder), "--rate-limit", "0")
    wp_restore.reseed()  # empty, whatever an interrupted earlier run left there
    try:
        first = import_wxr(wp_restore, folder / "site.wxr")
        again = import_wxr(wp_restore, folder / "site.wxr")
        yield {
            "original": wp_rest.truth(),
            "restored": wp_restore.truth(),
            "first": first,
            "again": again,
            "manifest": json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8")),
        }
    finally:
        wp_restore.reseed()


def post_view(post: dict[str, Any]) -> dict[str, Any]:
    view = {field: post[field] for field in POST_FIELDS}
    view["terms"] = (sorted(post["categories"]), sorted(post["tags"]))
    view["content"] = "" if post["password_protected"] else as_text(post["content_raw"])
    return view


def test_the_same_posts_and_pages(restored: dict[str, Any]) -> None:
    original = {p["id"]: post_view(p) for p in restored["original"]["posts"]}
    got = {p["id"]: post_view(p) for p in restored["restored"]["posts"]}
    protected = {p["id"] for p in restored["original"]["posts"] if p["password_protected"]}
    for post_id in protected:  # its content is not public: it comes back empty
        got[post_id]["content"] = ""
    assert got == original
    assert any(p["parent"] for p in original.values() if p["type"] == "page")
    assert (
        restored["first"]["posts"]
        == len(original)
        == sum(restored["manifest"]["counts"][k] for k in ("posts", "pages", "other_items"))
    )


def term_view(truth: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    slugs = {t["id"]: t["slug"] for t in truth["terms"]}
    return {
        (t["taxonomy"], t["slug"], t["name"], slugs.get(t["parent"], "")) for t in truth["terms"]
    }


def test_the_same_terms_with_their_parents(restored: dict[str, Any]) -> None:
    original = term_view(restored["original"])
    assert term_view(restored["restored"]) == original
    assert any(parent for *_, parent in original)


def comment_view(truth: dict[str, Any], orphans: set[int]) -> dict[tuple[int, str, str], Any]:
    """Comments keyed by post, author and date, with their parent's key and their text."""
    key = {c["id"]: (c["post"], c["author_name"], c["date_gmt"]) for c in truth["comments"]}
    return {
        key[c["id"]]: (
            None if not c["parent"] or c["id"] in orphans else key[c["parent"]],
            as_text(c["content_raw"]),
        )
        for c in truth["comments"]
    }


def test_the_same_comments_with_the_same_parents(restored: dict[str, Any]) -> None:
    original = restored["original"]
    want = comment_view(original, set(original["orphan_comment_ids"]))
    got = comment_view(restored["restored"], set())
    assert len(want) == len(original["comments"])  # the key names one comment
    assert got == want
    assert sum(parent is not None for parent, _ in got.values()) > len(got) // 2
    assert restored["restored"]["orphan_comment_ids"] == []


def test_importing_again_skips_every_duplicate(restored: dict[str, Any]) -> None:
    first, again = restored["first"], restored["again"]
    assert (again["posts"], again["comments"]) == (0, 0)
    assert again["skipped_posts"] == first["posts"]
    # A skipped post's comments are read again, and each is skipped as a duplicate.
    assert (
        again["skipped_comments"] == first["comments"] == restored["manifest"]["counts"]["comments"]
    )
