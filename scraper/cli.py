"""The `wparchive` command: wires config, HTTP client, archive and crawl together; no logic of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.export.formats import format_names
from scraper.console import Console, configure_logging, error_exit
from scraper.sources.registry import source_choices

# The archive, HTTP and crawl modules (requests, lxml, rich) are imported by the commands
# that use them: `wparchive --help` and a typo's error should not wait for them.
if TYPE_CHECKING:
    from archive.schedule import Schedule
    from archive.store import ArchiveStore
    from scraper.config import Config
    from scraper.crawl.many import Output
    from scraper.jobs import JobRunner

# Plain help text: Rich's markup renderer alone doubles `--help`'s start-up time.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Archive WordPress blogs (posts, pages, threaded comments) into SQLite or PostgreSQL.",
)

db_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Manage the archive database itself."
)
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
    sites_at_once: Annotated[
        int | None, typer.Option(help="Sites of the list crawled at once (default 16).")
    ] = None,
    warc: Annotated[
        Path | None,
        typer.Option("--warc", help="Record every HTTP exchange into WARC files in this folder."),
    ] = None,
    with_pages: Annotated[
        bool | None,
        typer.Option(
            "--with-pages",
            help="Also read each post's page for a rating only its head's JSON-LD holds"
            " (REST, WordPress.com): one more request per post.",
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Requests in flight per host (pages fetched at once per site)."),
    ] = None,
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests/second per host at most; 0 = no cap.")
    ] = None,
    max_delay: Annotated[
        float | None,
        typer.Option(help="Most seconds between requests to a host (0: no adaptive delay)."),
    ] = None,
    user_agent: Annotated[str | None, typer.Option(help="User-Agent header to send.")] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each retry and fallback.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per site on stdout (for cron).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures.")] = False,
) -> None:
    """Archive sites into the database: everything the first time, then only what changed.

    Exit codes: 0 every site ok, 1 some site failed or was partial, 2 usage or config error."""
    from scraper.site_input import parse_site_input

    with error_exit():
        configure_logging(verbose)
        cfg = _config(
            config,
            database=db,
            crawl__source=source,
            crawl__full=full,
            crawl__with_pages=with_pages,
            crawl__sites_at_once=sites_at_once,
            http__concurrency=concurrency,
            http__rate_limit=rate_limit,
            http__max_delay=max_delay,
            http__user_agent=user_agent,
        )
        # Every URL is checked before the first crawl: a typo is a usage error (exit 2).
        sites = [parse_site_input(url) for url in urls or cfg.sites]
        if not sites:
            raise typer.BadParameter("give a site URL, or list sites in the config file")
        from scraper.crawl.head_start import begin_head_start
        from scraper.warc import WarcRecorder

        recorders = [WarcRecorder(warc)] if warc else []
        # Before the archive's modules are imported: see head_start.py.
        head = begin_head_start(sites[0], cfg, recorders)
        from scraper.crawl.many import crawl_sites
        from scraper.memory import settle_startup_heap

        settle_startup_heap()
        output: Output = "json" if as_json else "quiet" if quiet else "text"
        try:
            failed = crawl_sites(sites, cfg, Console(), output, hooks=recorders, head=head)
        finally:
            for recorder in recorders:
                recorder.close()
        if failed:
            raise typer.Exit(1)


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
    include_deleted: Annotated[
        bool,
        typer.Option(help="Also items no longer public, with deleted_at and deleted_reason."),
    ] = False,
    versions: Annotated[
        bool, typer.Option(help="Also write post_versions and comment_versions.")
    ] = False,
) -> None:
    """Write the archive for analysts (posts and comments files, or one document per format),
    streaming from the archive, which is opened read-only."""
    from archive.db import open_archive_readonly
    from archive.export.dataset import export_dataset
    from archive.export.formats import find_format

    with error_exit():
        cfg = _config(config, database=db)
        find_format(fmt)  # a mistyped format is reported before the archive is opened
        engine = open_archive_readonly(cfg.database)
        counts = export_dataset(
            engine, out, fmt, site=site, include_deleted=include_deleted, versions=versions
        )
        typer.echo(
            ", ".join(f"{name}: {rows} rows" for name, rows in counts.items()) + f" -> {out}"
        )


@app.command()
def history(
    url: Annotated[str, typer.Argument(help="The archived site.")],
    post: Annotated[int | None, typer.Option(help="One post's (or page's) WordPress id.")] = None,
    comment: Annotated[int | None, typer.Option(help="One comment's WordPress id.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What changed, when: the site's versions (newest first), or one post's or comment's."""
    from archive.db import open_archive_readonly
    from archive.store import ArchiveStore

    with error_exit():
        if post is not None and comment is not None:
            raise typer.BadParameter("give --post or --comment, not both")
        cfg = _config(config, database=db)
        store = ArchiveStore(open_archive_readonly(cfg.database))
        for line in store.history_lines(url, post=post, comment=comment):
            typer.echo(line)


sites_app = typer.Typer(
    rich_markup_mode=None, help="Archived sites, and the sites workers crawl on a schedule."
)
app.add_typer(sites_app, name="sites")


@sites_app.callback(invoke_without_command=True)
def sites(ctx: typer.Context, db: DbOption = None, config: ConfigOption = None) -> None:
    """List archived sites: posts, pages, comments and the last crawl (read-only)."""
    if ctx.invoked_subcommand is not None:
        return
    from archive.db import open_archive_readonly
    from archive.store import ArchiveStore

    with error_exit():
        cfg = _config(config, database=db)
        Console().sites_table(ArchiveStore(open_archive_readonly(cfg.database)).site_summaries())


@sites_app.command("add")
def sites_add(
    urls: Annotated[list[str] | None, typer.Argument(help="Sites to crawl on a schedule.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="A file of site URLs, one a line.")
    ] = None,
    every: Annotated[str | None, typer.Option(help="Crawl this often: 30m, 1h, 1d.")] = None,
    sweep_every: Annotated[
        str | None, typer.Option(help="Re-read everything this often (0: only the first crawl).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Schedule sites for the workers (already scheduled ones take the new periods)."""
    from scraper.config import load_site_list
    from scraper.durations import format_duration, parse_duration, parse_sweep_every

    with error_exit():
        cfg = _config(config, database=db, schedule__every=every, crawl__sweep_every=sweep_every)
        wanted = [*(urls or []), *(load_site_list(from_file) if from_file else [])]
        if not wanted:
            raise typer.BadParameter("give site URLs, or --from-file FILE")
        sweep = parse_sweep_every(cfg.crawl.sweep_every)
        added = _schedule(cfg).add(wanted, parse_duration(cfg.schedule.every), sweep)
        swept = (
            f"a full one every {format_duration(sweep.total_seconds())}" if sweep else "no sweeps"
        )
        typer.echo(f"{_sites(len(added))} scheduled: a crawl every {cfg.schedule.every}, {swept}")


@sites_app.command("remove")
def sites_remove(
    urls: Annotated[list[str], typer.Argument(help="Sites to stop crawling.")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Unschedule sites; what is archived stays."""
    with error_exit():
        cfg = _config(config, database=db)
        removed = _schedule(cfg).remove(urls)
        typer.echo(f"{_sites(len(removed))} unscheduled; what is archived stays")


@app.command()
def worker(
    db: DbOption = None,
    config: ConfigOption = None,
    concurrency: Annotated[int | None, typer.Option(help="Sites crawled at once.")] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit when no site is due, queued or running.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each job.")] = False,
) -> None:
    """Crawl the scheduled sites of a PostgreSQL archive; run as many workers as you like."""
    from scraper.memory import settle_startup_heap
    from scraper.worker import open_jobs, run_worker

    with error_exit():
        configure_logging(verbose)
        cfg = _config(config, database=db, workers__concurrency=concurrency)
        runner = _job_runner(cfg)
        settle_startup_heap()
        run_worker(open_jobs(runner), runner, cfg.workers.concurrency, until_idle)


@app.command()
def status(db: DbOption = None, config: ConfigOption = None) -> None:
    """Scheduled crawls: due, queued, running and failed; each site's last result."""
    from scraper.console import STATUS_COLUMNS
    from scraper.worker import job_counts

    with error_exit():
        runner = _job_runner(_config(config, database=db), read_only=True)
        counts = job_counts(runner)
        typer.echo(" | ".join(f"{name} {n}" for name, n in vars(counts).items()))
        Console().table(runner.schedule.sites(), STATUS_COLUMNS, "no sites scheduled")


def _job_runner(cfg: Config, *, read_only: bool = False) -> JobRunner:
    from archive.db import libpq_url, open_archive, open_archive_readonly
    from scraper.jobs import JobRunner

    libpq_url(cfg.database)  # refuses SQLite before open_archive could create a file
    opener = open_archive_readonly if read_only else open_archive
    return JobRunner(cfg, opener(cfg.database), Console().done)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, config: ConfigOption = None) -> None:
    """Upgrade the archive's schema in place to this wparchive's (crawl does it by itself); an
    empty PostgreSQL database gets the schema, ready for workers."""
    from archive.db import upgrade_archive
    from scraper.worker import install_job_schema

    with error_exit():
        cfg = _config(config, database=db)
        before, after = upgrade_archive(cfg.database)
        change = "already at" if before == after else f"upgraded from {before or 'nothing'} to"
        typer.echo(f"archive {change} schema revision {after}")
        if (installed := install_job_schema(cfg.database)) is not None:
            typer.echo("job queue schema " + ("installed" if installed else "already installed"))


def _schedule(cfg: Config) -> Schedule:
    from archive.db import libpq_url, open_archive
    from archive.schedule import Schedule
    from archive.store import utc_now

    libpq_url(cfg.database)  # workers, the only readers of a schedule, need PostgreSQL
    return Schedule(open_archive(cfg.database), utc_now)


def _sites(count: int) -> str:
    return f"{count} site" if count == 1 else f"{count} sites"


@app.command()
def backup(
    url: Annotated[str, typer.Argument(help="The site to back up.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The backup folder.")],
    config: ConfigOption = None,
    full: Annotated[bool | None, typer.Option("--full", help="Re-read everything.")] = None,
    rate_limit: Annotated[float | None, typer.Option(help="Requests/second per host.")] = None,
    warc: Annotated[
        bool, typer.Option("--warc", help="Record every HTTP exchange (WARC).")
    ] = False,
    media: Annotated[
        bool,
        typer.Option(
            "--media", help="Download the posts' images into media/ (see media.* settings)."
        ),
    ] = False,
) -> None:
    """Back a site up into a folder (archive.db, site.wxr, JSONL, metadata.yml, MANIFEST.json);
    again into the same folder, only what changed is fetched."""
    from archive.backup import WARC_DIR, commit_backup, open_backup
    from scraper.crawl.many import crawl_sites
    from scraper.media import fetch_backup_media
    from scraper.site_input import parse_site_input
    from scraper.warc import WarcRecorder

    with error_exit():
        site = parse_site_input(url)
        stage = open_backup(out)
        cfg = _config(
            config, database=stage.database_url, crawl__full=full, http__rate_limit=rate_limit
        )
        recorder = [WarcRecorder(stage.staging / WARC_DIR)] if warc else []
        failed = crawl_sites([site], cfg, Console(), hooks=recorder)
        for hook in recorder:
            hook.close()
        if failed:
            raise typer.Exit(1)  # the previous backup stays as it was
        if media:
            Console().note(fetch_backup_media(stage, cfg).summary_line())
        manifest = commit_backup(stage)
        typer.echo(f"{len(manifest['files'])} files checked into {out / 'MANIFEST.json'}")


@app.command()
def reparse(
    site: Annotated[
        str | None, typer.Option("--site", help="Only this archived site (default: all).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    warc: Annotated[
        Path | None,
        typer.Option(
            "--warc",
            help="Crawl again from the WARC files recorded in this folder (feeds and pages too),"
            " with no network.",
        ),
    ] = None,
) -> None:
    """Run today's parsers again over the raw items the archive keeps (REST, WordPress.com),
    or with --warc over recorded responses, with no network: what changed gets a new version.
    One summary line per site."""
    from archive.db import open_archive
    from archive.store import ArchiveStore
    from scraper.sources.registry import archive_traits

    with error_exit():
        cfg = _config(config, database=db)
        store = ArchiveStore(open_archive(cfg.database), traits=archive_traits())
        if warc is not None:
            _reparse_recorded(store, warc, cfg, site)
            return
        from scraper.reparse import reparse_sites

        reports = reparse_sites(store, site)
        if not reports:
            raise typer.BadParameter(f"no archived site {site}" if site else "nothing archived yet")
        for report in reports:
            Console().done(report.summary_line())


def _reparse_recorded(store: ArchiveStore, folder: Path, cfg: Config, site: str | None) -> None:
    """`reparse --warc`: each site's summary line; exit 1 when one failed or was partial."""
    from scraper.crawl.many import FAILING_STATUSES
    from scraper.reparse import reparse_recorded_sites
    from scraper.replay import WarcIndex
    from scraper.site_input import parse_site_input

    url = parse_site_input(site).url if site else None
    reports = reparse_recorded_sites(store, WarcIndex.of_folder(folder), cfg, url)
    console, failed = Console(), False
    for report in reports:
        if report.status in FAILING_STATUSES:
            failed = True
            console.fail(report.summary_line())
        else:
            console.done(report.summary_line())
    if failed:
        raise typer.Exit(1)


@app.command()
def verify(folder: Annotated[Path, typer.Argument(help="A backup folder.")]) -> None:
    """Check every file of a backup folder against its manifest; exit 1 naming each bad file."""
    from archive.manifest import verify_backup

    with error_exit():
        problems = verify_backup(folder)
        for problem in problems:
            typer.echo(f"{problem.name}: {problem.reason}", err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo(f"{folder}: every file matches its manifest")
