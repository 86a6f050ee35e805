"""What the user sees: progress on a terminal (quiet otherwise), summary lines, one-line errors."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import typer

from archive.records import ProblemRecord, Record
from archive.redact import redact_text
from scraper.durations import format_duration
from scraper.errors import WparchiveError

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

STATUS_COLUMNS = (
    "url",
    "every",
    "sweep_every",
    "next_crawl_at",
    "last_status",
    "last_finished_at",
    "last_message",
)
TERMINAL_COLUMNS = (
    "url",
    "posts",
    "pages",
    "comments",
    "last_status",
    "last_source",
    "last_finished_at",
    "last_problems",
)


class Console:
    """Progress bars and tables on stderr/stdout when they are terminals; plain lines otherwise."""

    def __init__(self) -> None:
        self.interactive = sys.stderr.isatty()

    # Rich is imported when something draws with it (a terminal's progress and tables): plain
    # lines, what cron and pipes get, do not wait for its import (~15 ms).
    @functools.cached_property
    def err(self) -> RichConsole:
        """Rich's console on stderr."""
        from rich.console import Console as RichConsole

        return RichConsole(stderr=True)

    @functools.cached_property
    def out(self) -> RichConsole:
        """Rich's console on stdout."""
        from rich.console import Console as RichConsole

        return RichConsole()

    @contextmanager
    def progress(
        self, label: str, requests: Callable[[], int] | None = None
    ) -> Iterator[Callable[[Record], None] | None]:
        """A live line for `label` from the first record parsed: counts per kind, requests
        made (`requests()`) and records per second; yields None (no output) off a terminal."""
        if not self.interactive:
            yield None
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(label)
            yield ProgressLine(label, requests, lambda text: bar.update(task, description=text))

    @contextmanager
    def sites_progress(self, total: int, requests: Callable[[], int]) -> Iterator[SitesLine]:
        """One live line for a list of sites crawled at once: sites done of `total`, requests
        made and their rate, redrawn by Rich's own timer; off a terminal it draws nothing."""
        line = SitesLine(total, requests)
        if not self.interactive:
            yield line
            return
        from rich.progress import Progress, ProgressColumn, SpinnerColumn, TimeElapsedColumn
        from rich.text import Text

        class Status(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(line.describe(time.monotonic()))

        with Progress(
            SpinnerColumn(), Status(), TimeElapsedColumn(), console=self.err, transient=True
        ) as bar:
            bar.add_task("sites")
            yield line

    def done(self, line: str) -> None:
        """Print a crawl's one-line summary."""
        typer.echo(redact_text(line))

    def note(self, line: str) -> None:
        """Print one line of information to stderr (never part of the summary on stdout)."""
        typer.echo(f"note: {redact_text(line)}", err=True)

    def fail(self, line: str) -> None:
        """Print one error line to stderr."""
        typer.echo(f"error: {redact_text(line)}", err=True)

    def sites_table(self, rows: Sequence[Any]) -> None:
        """Print archived sites as a table (a terminal) or tab-separated lines (a pipe)."""
        self.table(rows, TERMINAL_COLUMNS, "no sites archived yet")

    def table(self, rows: Sequence[Any], shown_on_terminal: Sequence[str], empty: str) -> None:
        """Print dataclass rows: on a terminal the columns a person checks, in a pipe every field
        tab-separated with a header line; `empty` when there are no rows."""
        if not rows:
            typer.echo(empty)
            return
        columns = [f.name for f in dataclasses.fields(rows[0])]
        values = [[_cell(getattr(row, c)) for c in columns] for row in rows]
        if not sys.stdout.isatty():
            typer.echo("\t".join(columns))
            for line in values:
                typer.echo("\t".join(line))
            return
        from rich.table import Table

        # A terminal gets what a person checks; scripts get every field above.
        shown = [c for c in shown_on_terminal if c in columns]
        table = Table(*(c.removeprefix("last_") for c in shown))
        table.columns[0].no_wrap = True
        for row in rows:
            table.add_row(*(_short_cell(getattr(row, c)) for c in shown))
        self.out.print(table)


class ProgressLine:
    """Counts records as they are parsed; redraws at most every REDRAW_SECONDS (a crawl parses
    thousands of records a second, and formatting the line for each would cost more than it)."""

    REDRAW_SECONDS = 0.1

    def __init__(
        self, label: str, requests: Callable[[], int] | None, draw: Callable[[str], None]
    ) -> None:
        self.label, self.requests, self.draw = label, requests, draw
        self.counts: Counter[str] = Counter()
        self.started = self.drawn = time.monotonic()

    def __call__(self, record: Record) -> None:
        kind = "problems" if isinstance(record, ProblemRecord) else type(record).__name__
        self.counts[kind.removesuffix("Record").lower()] += 1
        now = time.monotonic()
        if now - self.drawn >= self.REDRAW_SECONDS or sum(self.counts.values()) == 1:
            self.drawn = now
            self.draw(self.describe(now))

    def describe(self, now: float) -> str:
        """`label: 12 post, 340 comment | 25 requests | 180 records/s`."""
        shown = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        parts = [f"{self.label}: {shown}"]
        if self.requests is not None:
            parts.append(f"{self.requests()} requests")
        elapsed = now - self.started
        if elapsed > 0:
            parts.append(f"{sum(self.counts.values()) / elapsed:.0f} records/s")
        return " | ".join(parts)


@contextmanager
def error_exit() -> Iterator[None]:
    """Turn our exceptions into one clear line on stderr and their exit code.

    Exit codes: 0 every site crawled; 1 a site or the archive could not be read or written;
    2 a usage error (bad site URL, option, config value, unsupported database); 130 Ctrl-C and
    143 SIGTERM (the run is marked `interrupted`; what was fetched and parsed is kept).
    """
    try:
        yield
    except WparchiveError as exc:
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        typer.echo("interrupted: what was archived so far is kept", err=True)
        raise typer.Exit(getattr(exc, "exit_code", 130)) from None


class _RedactingFilter(logging.Filter):
    """Credentials out of every log line, whichever module logged the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        return True


def configure_logging(verbose: bool) -> None:
    """Log to stderr (INFO with --verbose, else WARNING), never showing credentials."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactingFilter())


def _short_cell(value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return format_duration(value.total_seconds())
    if hasattr(value, "isoformat"):
        return str(value.isoformat(timespec="seconds"))
    return str(value)


class SitesLine:
    """Sites finished of a list crawled at once, with the requests of all of them."""

    def __init__(self, total: int, requests: Callable[[], int]) -> None:
        self.total, self.requests = total, requests
        self.finished = 0
        self.started = time.monotonic()

    def site_done(self) -> None:
        self.finished += 1  # one thread at a time: the caller prints under its lock

    def describe(self, now: float) -> str:
        """`sites 5/24 | 310 requests | 42 requests/s`."""
        made = self.requests()
        elapsed = now - self.started
        rate = f" | {made / elapsed:.0f} requests/s" if elapsed > 0 else ""
        return f"sites {self.finished}/{self.total} | {made} requests{rate}"
