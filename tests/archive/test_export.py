"""Exports: exact fields and order, ISO dates, nulls, CSV round trip, determinism, atomic files."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from archive.errors import ArchiveError
from archive.export.dataset import datasets, export_dataset
from archive.store import ArchiveStore
from tests.archive.samples import POST_ID, SITE, SITE_URL, comment, her_post, her_records, when

POST_FIELDS = [
    "site",
    "id",
    "type",
    "url",
    "slug",
    "title",
    "author",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "excerpt",
    "content_html",
    "content_text",
    "rating_value",
    "rating_scale",
    "rating_normalized",
    "rating_source",
    "comment_count",
    "rating_worst",
    "rating_text",
    "source",
]
COMMENT_FIELDS = [
    "site",
    "id",
    "post_id",
    "parent_id",
    "depth",
    "root_id",
    "author_name",
    "author_url",
    "published_at",
    "content_html",
    "content_text",
    "is_orphan",
    "parent_inferred",
    "source",
]
TRICKY = 'Line one\nline "two", with comma\r\nünïcödé ✓ 🙂'


@pytest.fixture
def archived(store: ArchiveStore, site_run: tuple[int, int]) -> ArchiveStore:
    """The seed post with its three comments, an undated page, and an orphan with tricky text."""
    site_id, run_id = site_run
    page = her_post(wp_id=2, type="page", title="About", url=f"{SITE_URL}/about/", terms=())
    page = replace(page, published_at=None, modified_at=None, rating=None, author_wp_id=None)
    orphan = comment(400, 399, content_text=TRICKY, author_url="")
    store.save_records(site_id, run_id, [*her_records(), page, orphan])
    return store


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_contract(archived: ArchiveStore, engine: Engine, tmp_path: Path) -> None:
    counts = export_dataset(engine, tmp_path, "jsonl")
    assert counts == {"posts.jsonl": 2, "comments.jsonl": 4}
    posts = read_jsonl(tmp_path / "posts.jsonl")
    assert [list(p) for p in posts] == [POST_FIELDS, POST_FIELDS]
    her, page = posts  # dated posts first, undated last
    assert her["site"] == SITE_URL and her["id"] == POST_ID and her["author"] == "Film Reviews"
    assert her["published_at"] == "2018-03-29T10:00:00Z"
    assert her["modified_at"] == "2018-03-29T12:00:00Z"
    assert (her["categories"], her["tags"]) == (["Film"], ["Spike Jonze"])
    assert (her["rating_value"], her["rating_scale"], her["rating_normalized"]) == (10, 10, 1.0)
    assert (her["rating_source"], her["rating_text"], her["source"]) == ("text", "10/10", "rest")
    assert her["content_text"].startswith("10/10\n\nFrom the mind of Spike Jonze.")
    assert page["published_at"] is None and page["rating_value"] is None
    assert page["categories"] == [] and page["author"] is None
    comments = read_jsonl(tmp_path / "comments.jsonl")
    assert list(comments[0]) == COMMENT_FIELDS
    by_id = {c["id"]: c for c in comments}
    assert (
        by_id[311]["parent_id"] == 310 and by_id[311]["depth"] == 2 and by_id[311]["root_id"] == 310
    )
    assert by_id[400]["is_orphan"] is True and by_id[400]["depth"] is None
    assert by_id[400]["content_text"] == TRICKY


def test_comment_count_is_archived_comments(
    archived: ArchiveStore, engine: Engine, tmp_path: Path
) -> None:
    export_dataset(engine, tmp_path, "jsonl")
    counts = {p["id"]: p["comment_count"] for p in read_jsonl(tmp_path / "posts.jsonl")}
    assert counts == {POST_ID: 4, 2: 0}


def test_csv_contract_and_round_trip(
    archived: ArchiveStore, engine: Engine, tmp_path: Path
) -> None:
    export_dataset(engine, tmp_path, "csv")
    with (tmp_path / "comments.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == COMMENT_FIELDS
    by_id = {row[1]: dict(zip(COMMENT_FIELDS, row, strict=True)) for row in rows[1:]}
    orphan = by_id["400"]
    assert orphan["content_text"] == TRICKY
    assert (orphan["depth"], orphan["root_id"], orphan["author_url"]) == ("", "", "")
    assert (orphan["is_orphan"], orphan["parent_inferred"]) == ("true", "false")
    assert by_id["310"]["published_at"] == "2018-03-30T09:00:00Z"
    with (tmp_path / "posts.csv").open(encoding="utf-8", newline="") as file:
        posts = list(csv.DictReader(file))
    assert list(posts[0]) == POST_FIELDS
    assert json.loads(posts[0]["tags"]) == ["Spike Jonze"] and posts[0]["rating_value"] == "10.0"
    assert posts[1]["published_at"] == "" and json.loads(posts[1]["categories"]) == []


def test_parquet_contract(archived: ArchiveStore, engine: Engine, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    export_dataset(engine, tmp_path, "parquet", batch_size=2)
    posts = pq.read_table(tmp_path / "posts.parquet")
    assert posts.column_names == POST_FIELDS
    assert str(posts.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert posts.column("tags").to_pylist() == [["Spike Jonze"], []]
    comments = pq.ParquetFile(tmp_path / "comments.parquet")
    assert comments.schema_arrow.names == COMMENT_FIELDS
    assert comments.metadata.num_row_groups == 2  # 4 rows in batches of 2
    rows = comments.read().to_pylist()
    assert [r["id"] for r in rows] == [400, 310, 311, 312]  # the orphan is oldest
    assert rows[0]["depth"] is None and rows[0]["is_orphan"] is True
    assert rows[0]["published_at"].isoformat() == "2018-03-01T00:40:00+00:00"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_identical_crawls_export_identical_bytes(
    archived: ArchiveStore, engine: Engine, site_run: tuple[int, int], tmp_path: Path, fmt: str
) -> None:
    first = export_dataset(engine, tmp_path / "a", fmt)
    site_id, _ = site_run
    run_id = archived.start_run(site_id, "rest", "incremental")
    archived.save_records(site_id, run_id, her_records())
    archived.rethread(site_id)
    assert export_dataset(engine, tmp_path / "b", fmt) == first
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_order_is_by_site_post_date_id(store: ArchiveStore, engine: Engine, tmp_path: Path) -> None:
    later = store.ensure_site(replace(SITE, url="https://zz.example.org"))
    site_id = store.ensure_site(SITE)
    for site in (later, site_id):
        run_id = store.start_run(site, "rest", "full")
        same_time = [
            comment(9, None, post=5, published_at=when(2)),
            comment(8, None, post=5, published_at=when(2)),
            comment(1, None, post=7, published_at=when(1)),
            comment(3, None, post=5, published_at=when(1)),
        ]
        store.save_records(site, run_id, same_time)
    export_dataset(engine, tmp_path, "jsonl")
    got = [(c["site"], c["post_id"], c["id"]) for c in read_jsonl(tmp_path / "comments.jsonl")]
    mine = [(SITE_URL, 5, 3), (SITE_URL, 5, 8), (SITE_URL, 5, 9), (SITE_URL, 7, 1)]
    assert got == mine + [("https://zz.example.org", p, i) for _, p, i in mine]


def test_site_filter(archived: ArchiveStore, engine: Engine, tmp_path: Path) -> None:
    other = archived.ensure_site(replace(SITE, url="https://other.example.org"))
    run_id = archived.start_run(other, "rest", "full")
    archived.save_records(other, run_id, [her_post(wp_id=5)])
    counts = export_dataset(engine, tmp_path, "jsonl", site="https://REVIEWS.example.com/")
    assert counts == {"posts.jsonl": 2, "comments.jsonl": 4}
    assert {p["site"] for p in read_jsonl(tmp_path / "posts.jsonl")} == {SITE_URL}
    with pytest.raises(ArchiveError, match=r"no site https://nowhere\.example"):
        export_dataset(engine, tmp_path, "jsonl", site="https://nowhere.example")


def test_unknown_format(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="unknown export format 'xml'"):
        export_dataset(engine, tmp_path, "xml")


def test_failed_export_keeps_previous_files(
    archived: ArchiveStore,
    engine: Engine,
    site_run: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    export_dataset(engine, out, "jsonl")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    archived.save_records(*site_run, [her_post(title="Her, revisited")])

    def failing_comments(*args: object) -> Iterator[dict[str, Any]]:
        yield {name: None for name in COMMENT_FIELDS}
        raise RuntimeError("disk gone")

    posts_dataset = datasets()[0]
    monkeypatch.setattr(
        "archive.export.dataset.datasets",
        lambda *_: [posts_dataset, ("comments", [], failing_comments)],
    )
    with pytest.raises(RuntimeError, match="disk gone"):
        export_dataset(engine, out, "jsonl")
    # Neither file moved, though posts were written in full before comments failed.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_parquet_without_pyarrow(
    archived: ArchiveStore, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ArchiveError, match="Parquet export needs pyarrow"):
        export_dataset(engine, tmp_path / "out", "parquet")
    assert list((tmp_path / "out").iterdir()) == []


def test_unwritable_target_is_one_clear_error(engine: Engine, tmp_path: Path) -> None:
    blocker = tmp_path / "export"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(ArchiveError, match="export failed writing"):
        export_dataset(engine, blocker, "csv")
