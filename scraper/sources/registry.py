"""The source registry: every way of reading a site, when it is usable, how it is built, what it sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from archive.records import CrawlState, Record, SourceTraits

if TYPE_CHECKING:
    from archive.deletions import ItemKind
    from scraper.discover import Discovery
    from scraper.http import HttpClient
    from scraper.sources import Source
    from scraper.sources.feeds import FeedSource
    from scraper.sources.html import HtmlSource

AUTO = "auto"  # not a source: the registry's fallback chain
# Groups of fields a source may know better or worse than another (issue 7's "never a worse copy").
FieldGroup = Literal["text", "dates", "authors", "rating", "threads"]


class Verdict(NamedTuple):
    """Whether discovery makes a source usable; `reason` (shown in the summary) when it does not.
    An empty reason passes the source over silently: it was never a candidate (e.g. WordPress.com
    for a self-hosted site)."""

    usable: bool
    reason: str = ""


USABLE = Verdict(True)
SourceFactory = Callable[["HttpClient", "Discovery", int], "Source"]


@dataclass(frozen=True)
class SourceSpec:
    """One registry entry. `build` imports its module when called, so a crawl loads only the
    parsers of the sources it reaches. `fidelity` ranks the source per field group (higher is
    richer; `default_fidelity` for groups not named)."""

    name: str
    label: str  # as the summary line says it, e.g. "feeds + HTML"
    build: SourceFactory
    usable: Callable[[Discovery], Verdict] = lambda _: USABLE
    in_auto: bool = True  # tried by `--source auto`, in registration order
    reads_head: bool = False  # sees the page head, so JSON-LD ratings
    exact_parents: bool = True  # comment parents as WordPress stores them, not inferred
    lists_pages: bool = True
    # Lists every public post, page and comment, so a sweep through it may mark what it no longer
    # lists as deleted (scraper.sweep). A run may still report kinds it could not list whole
    # (`unlisted_kinds`: a feed that ended early, a site without a page sitemap).
    complete_listing: bool = False
    # Shows a public reply whose parent is no longer public. Post pages do not (themes print no
    # orphans), so a sweep through them leaves such replies unmarked.
    shows_hidden_replies: bool = True
    default_fidelity: int = 1
    fidelity: Mapping[FieldGroup, int] = field(default_factory=dict)


SOURCES: dict[str, SourceSpec] = {}


def register_source(spec: SourceSpec) -> SourceSpec:
    """Add (or replace) a source; the CLI, config validation and the auto chain see it at once."""
    SOURCES[spec.name] = spec
    return spec


def source_names() -> tuple[str, ...]:
    """The registered sources, in auto-chain order."""
    return tuple(SOURCES)


def source_choices() -> tuple[str, ...]:
    """What `--source` and `crawl.source` accept."""
    return (AUTO, *SOURCES)


def source_spec(name: str) -> SourceSpec:
    """The entry for `name`; KeyError when none is registered."""
    return SOURCES[name]


def archive_traits() -> SourceTraits:
    """The facts the archive needs about sources, as plain data (`archive` never imports scraper)."""
    ranks: dict[str, Mapping[str, int]] = {
        spec.name: {str(g): spec.fidelity.get(g, spec.default_fidelity) for g in _FIELD_GROUPS}
        for spec in SOURCES.values()
    }
    readers = frozenset(spec.name for spec in SOURCES.values() if spec.reads_head)
    return SourceTraits(head_readers=readers, fidelity=ranks)


_FIELD_GROUPS: tuple[FieldGroup, ...] = ("text", "dates", "authors", "rating", "threads")


def _rest_usable(found: Discovery) -> Verdict:
    if found.rest_root is None:
        return Verdict(False, found.rest_problem or "REST: not found")
    return USABLE


def _wpcom_usable(found: Discovery) -> Verdict:
    return USABLE if found.wpcom_site is not None else Verdict(False)


def _rest_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.rest import RestSource

    return RestSource(client, found, workers)


def _wpcom_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.wpcom import WpcomSource

    return WpcomSource.from_discovery(client, found, workers)


def _feed_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.feeds import FeedSource
    from scraper.sources.html import HtmlSource

    # Feeds list posts but never pages: a full crawl reads those from the site's sitemap.
    pages = HtmlSource(client, found, workers=workers, pages_only=True)
    return _WithPages(FeedSource(client, found, workers), pages)


def _html_source(client: HttpClient, found: Discovery, workers: int) -> Source:
    from scraper.sources.html import HtmlSource

    return HtmlSource(client, found, workers=workers)


class _WithPages:
    """A source that lists no pages, followed on a full crawl by one that reads only pages."""

    def __init__(self, posts: FeedSource, pages: HtmlSource) -> None:
        self.posts, self.pages, self.name = posts, pages, posts.name

    @property
    def unlisted_kinds(self) -> frozenset[ItemKind]:
        """The kinds this run did not list whole: pages unless the page sitemap was read whole."""
        listed = {"page"} if self.pages.sitemap_complete else set()
        return self.posts.unlisted_kinds - listed

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        yield from self.posts.fetch_records(state)
        if state.posts_modified_after is None and state.comments_after is None:
            yield from self.pages.fetch_records(state)


_API: Mapping[FieldGroup, int] = {"text": 3, "dates": 3, "authors": 3, "rating": 2, "threads": 3}
register_source(
    SourceSpec(
        "rest",
        "REST",
        _rest_source,
        _rest_usable,
        complete_listing=True,
        default_fidelity=3,
        fidelity=_API,
    )
)
register_source(
    SourceSpec(
        "wpcom",
        "WordPress.com API",
        _wpcom_source,
        _wpcom_usable,
        complete_listing=True,
        default_fidelity=3,
        fidelity=_API,
    )
)
register_source(
    SourceSpec(
        "feed",
        "feeds + HTML",
        _feed_source,
        complete_listing=True,
        shows_hidden_replies=False,
        default_fidelity=2,
        fidelity={"rating": 1, "threads": 3},
    )
)
register_source(
    SourceSpec(
        "html",
        "post HTML",
        _html_source,
        reads_head=True,
        exact_parents=False,
        default_fidelity=1,
        fidelity={"rating": 3},
    )
)
