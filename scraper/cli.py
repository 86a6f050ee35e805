"""The `wparchive` command: wires config, HTTP client, archive and crawl together; no logic of its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.export import format_names
from scraper.console import Console, error_exit
from scraper.sources.registry import archive_traits, source_choices

# The archive, HTTP and crawl modules (requests, lxml, rich) are imported by the commands
# that use them: `wparchive --help` and a typo's error should not wait for them.
if TYPE_CHECKING:
    from scraper.config import Config

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Archive WordPress blogs (posts, pages, threaded comments) into SQLite or PostgreSQL.",
)

db_app = typer.Typer(no_args_is_help=True, help="Manage the archive database itself.")
app.add_typer(db_app, name="db")

DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL or SQLite file path.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")]


def source_help() -> str:
    """`--source` help from the registry. Typer evaluates the (postponed) annotations that call
    this when it builds the command, at each run, so a source registered later is listed too."""
    return "|".join(source_choices())


def _config(path: Path | None, **flags: object) -> Config:
    from scraper.config import load_config, override

    return override(load_config(path), **flags)


@app.command()
def crawl(
    urls: Annotated[
        list[str] | None, typer.Argument(help="Sites to archive (default: config's sites).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    source: Annotated[str | None, typer.Option(help=source_help())] = None,
    full: Annotated[
        bool | None, typer.Option("--full", help="Re-read everything, not only changes.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Pages fetched at once per site.")] = None,
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests/second per host; 0 = no limit.")
    ] = None,
    user_agent: Annotated[str | None, typer.Option(help="User-Agent header to send.")] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each retry and fallback.")
    ] = False,
) -> None:
    """Archive sites into the database: everything the first time, then only what changed."""
    with error_exit():
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
        cfg = _config(
            config,
            database=db,
            crawl__source=source,
            crawl__full=full,
            http__concurrency=concurrency,
            http__rate_limit=rate_limit,
            http__user_agent=user_agent,
        )
        sites = list(urls or cfg.sites)
        if not sites:
            raise typer.BadParameter("give a site URL, or list sites in the config file")
        if _crawl_all(sites, cfg, Console()):
            raise typer.Exit(1)


def _crawl_all(sites: list[str], cfg: Config, console: Console) -> int:
    """Crawl each site in turn, one summary line each; return how many failed. One site's
    failure does not stop the others (a cron job's list goes on)."""
    from archive.db import open_archive
    from archive.store import ArchiveStore
    from scraper.crawl import crawl_site
    from scraper.errors import WparchiveError
    from scraper.http import HttpClient

    store = ArchiveStore(open_archive(cfg.database), traits=archive_traits())
    client = HttpClient(cfg.http)
    failures = 0
    try:
        for url in sites:
            with console.progress(url, lambda: client.requests_made) as hook:
                try:
                    report = crawl_site(url, client, store, cfg.crawl, cfg.http.concurrency, hook)
                except WparchiveError as exc:
                    failures += 1
                    console.fail(f"{url}: {exc}")
                    continue
            failures += report.status == "failed"
            console.done(report.summary_line())
    finally:
        client.close()
    return failures


@app.command()
def export(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Directory to write into (a document format: or one FILE.ext)."
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="|".join(format_names()) + "."),
    ] = "jsonl",
    db: DbOption = None,
    config: ConfigOption = None,
    site: Annotated[str | None, typer.Option(help="Only this site (its URL).")] = None,
) -> None:
    """Write the archive for analysts (posts and comments files, or one document per format),
    streaming from the archive, which is opened read-only."""
    from archive.db import open_archive_readonly
    from archive.export import export_dataset, find_format

    with error_exit():
        cfg = _config(config, database=db)
        find_format(fmt)  # a mistyped format is reported before the archive is opened
        counts = export_dataset(open_archive_readonly(cfg.database), out, fmt, site=site)
        typer.echo(
            ", ".join(f"{name}: {rows} rows" for name, rows in counts.items()) + f" -> {out}"
        )


@app.command()
def sites(db: DbOption = None, config: ConfigOption = None) -> None:
    """List archived sites: posts, pages, comments and the last crawl (read-only)."""
    from archive.db import open_archive_readonly
    from archive.store import ArchiveStore

    with error_exit():
        cfg = _config(config, database=db)
        Console().sites_table(ArchiveStore(open_archive_readonly(cfg.database)).site_summaries())


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, config: ConfigOption = None) -> None:
    """Upgrade the archive's schema in place to this wparchive's (crawl does it by itself); an
    empty PostgreSQL database gets the schema, ready for workers."""
    from archive.db import upgrade_archive

    with error_exit():
        cfg = _config(config, database=db)
        before, after = upgrade_archive(cfg.database)
        change = "already at" if before == after else f"upgraded from {before or 'nothing'} to"
        typer.echo(f"archive {change} schema revision {after}")
