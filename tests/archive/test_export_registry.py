"""The export format registry: a format registered anywhere is a CLI choice and writes its files."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import Connection, func, select
from typer.testing import CliRunner

from archive.db import upgrade_archive
from archive.export.formats import FORMATS, DocumentFormat, DocumentWriter, RowFormat
from archive.export.rows import Field
from archive.export.wxr import WxrWriter
from archive.models import POSTS, SITES
from scraper.cli import app
from tests.wxr_reader import read_wxr


class TitleLines:
    """A throwaway row format: one `id` per line."""

    def __init__(self, file: BinaryIO, fields: Sequence[Field], batch_size: int) -> None:
        self.file = file

    def start(self) -> None:
        self.file.write(b"ids\n")

    def export_item(self, item: Mapping[str, Any]) -> None:
        self.file.write(f"{item['id']}\n".encode())

    def finish(self) -> None:
        self.file.flush()


@dataclass
class Card:
    items: int


class SiteCard:
    """A throwaway document format: the site URL and its post count."""

    def write(self, conn: Connection, out: BinaryIO, site: str) -> Card:
        count = conn.scalar(
            select(func.count()).select_from(POSTS).join(SITES).where(SITES.c.url == site)
        )
        out.write(f"{site} {count}\n".encode())
        return Card(items=1)


def test_the_wxr_writer_fits_the_document_seam() -> None:
    writer: DocumentWriter = WxrWriter()  # checked by mypy: registering WXR is one entry
    assert callable(writer.write)


@pytest.fixture
def throwaway_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMATS, "ids", RowFormat("ids", "ids only", TitleLines))
    monkeypatch.setitem(FORMATS, "card", DocumentFormat("card.txt", "one line", SiteCard))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("throwaway_formats")
def test_registered_formats_are_cli_choices(legacy_sqlite: str, tmp_path: Path) -> None:
    upgrade_archive(legacy_sqlite)
    code, output = run("export", "--db", legacy_sqlite, "--format", "nope", "--out", "x")
    assert code == 1
    assert output.strip() == (
        "error: unknown export format 'nope': choose one of jsonl, csv, parquet, wxr, ids, card"
    )
    code, output = run("export", "--db", legacy_sqlite, "-f", "ids", "--out", str(tmp_path / "r"))
    assert code == 0, output
    assert run("export", "--db", legacy_sqlite, "--out", str(tmp_path / "j"))[0] == 0
    for name in ("posts", "comments"):
        rows = (tmp_path / "j" / f"{name}.jsonl").read_text().splitlines()
        ids = [str(json.loads(row)["id"]) for row in rows]
        assert (tmp_path / "r" / f"{name}.ids").read_text().split() == ["ids", *ids]
    code, output = run("export", "--db", legacy_sqlite, "-f", "card", "--out", str(tmp_path / "d"))
    assert code == 0, output
    cards = {p.name: p.read_text() for p in (tmp_path / "d").iterdir()}
    assert cards == {
        "other.example.org.card.txt": "https://other.example.org 1\n",
        "reviews.example.com.card.txt": "https://reviews.example.com 2\n",
    }


def test_wxr_is_a_format_writing_one_file_or_one_per_site(
    legacy_sqlite: str, tmp_path: Path
) -> None:
    upgrade_archive(legacy_sqlite)
    code, output = run("export", "--db", legacy_sqlite, "-f", "wxr", "--out", str(tmp_path / "d"))
    assert code == 0, output
    files = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert files == ["other.example.org.xml", "reviews.example.com.xml"]
    blog = tmp_path / "blog.xml"
    site = "https://reviews.example.com"
    code, output = run(
        "export", "--db", legacy_sqlite, "-f", "wxr", "--site", site, "--out", str(blog)
    )
    assert code == 0, output
    assert blog.read_bytes() == (tmp_path / "d" / "reviews.example.com.xml").read_bytes()
    channel = read_wxr(blog.read_bytes())["channel"]
    assert channel["wp:base_blog_url"] == site
    code, output = run(
        "export", "--db", legacy_sqlite, "-f", "wxr", "--out", str(tmp_path / "x.xml")
    )
    assert code == 1
    assert output.strip() == (
        "error: the archive holds 2 sites: name one with --site, or give --out a directory"
    )
    assert not (tmp_path / "x.xml").exists()
