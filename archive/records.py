"""Plain records: the contract between the scraper (which makes them) and the archive (which stores them).

Every source (REST, WordPress.com, feeds, HTML) hands over the same records with the same meaning, so a
post crawled through HTML and later through REST lands in the same row. Identity is always the
WordPress id within a site (`wp_id`); datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

JsonDict = dict[str, Any]
RecordKind = Literal["site", "author", "term", "post", "page", "comment", "problem"]


@dataclass(frozen=True)
class Capture:
    """Where the response an item came from was recorded: a WARC file's name (in the folder the
    crawl recorded into) and the offset of its response record."""

    warc_file: str
    offset: int


class SentJson(dict[str, Any]):
    """A JSON object as a response sent it: the decoded dict, with `text`, the exact JSON text of
    the object in the response (the archive stores it as the item's raw document rather than
    encoding the dict again), and `capture`, where the response was recorded, if it was. Never
    changed after decoding: `text` must stay what the dict says."""

    __slots__ = ("capture", "text")

    def __init__(
        self, data: Mapping[str, Any], text: str | None = None, capture: Capture | None = None
    ) -> None:
        super().__init__(data)
        self.text = text
        self.capture = capture


@dataclass(frozen=True)
class SourceTraits:
    """What the archive needs to know about the sources, told by the scraper's source registry.

    `head_readers`: sources that read a post page's head, so they see JSON-LD ratings; when one of
    them finds no rating, the rating is gone. Other sources see only the body, and their empty
    rating never erases a head (JSON-LD) one.
    `fidelity`: source -> field group -> rank (higher is richer), for which source may overwrite what.
    """

    head_readers: frozenset[str] = frozenset()
    fidelity: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteRecord:
    """A WordPress site as discovered: its home URL, name and the API root it answered on (if any)."""

    record_kind: ClassVar[RecordKind] = "site"
    url: str
    name: str = ""
    description: str = ""
    api_root: str | None = None
    gmt_offset: float | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class AuthorRecord:
    """A user who published on the site (`wp_id` is the WordPress user id)."""

    record_kind: ClassVar[RecordKind] = "author"
    wp_id: int
    name: str
    slug: str = ""
    url: str = ""
    source: str = "rest"
    raw: JsonDict = field(default_factory=dict)


@dataclass(frozen=True)
class TermRecord:
    """A category or tag. Identity within a site is (taxonomy, slug); `wp_id` is None when unknown."""

    record_kind: ClassVar[RecordKind] = "term"
    taxonomy: str  # "category" | "post_tag"
    slug: str
    name: str
    wp_id: int | None = None
    source: str = "rest"
    raw: JsonDict = field(default_factory=dict)


@dataclass(frozen=True)
class TermRef:
    """A post's link to a term: by WordPress id when the source gives one, else by (taxonomy, slug)."""

    taxonomy: str
    slug: str = ""
    name: str = ""
    wp_id: int | None = None


@dataclass(frozen=True)
class RatingRecord:
    """A review rating: value on a scale from `worst` to `scale`, normalized to 0..1, and where it was found.

    `found_in` names the parser that matched (e.g. "text", "stars", "percent", "json-ld", "yasr",
    "wp-review", "site-reviews", "wp-product-review"); `text` is the matched snippet, for audit.
    """

    value: float
    scale: float
    worst: float
    normalized: float
    found_in: str
    text: str = ""


@dataclass(frozen=True)
class PostRecord:
    """A public post or page with its parsed body and rating."""

    wp_id: int
    type: str  # "post" | "page"
    url: str
    title: str
    slug: str = ""
    status: str = "publish"
    author_wp_id: int | None = None
    author_name: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    excerpt: str = ""  # clean text
    content_html: str = ""  # sanitized HTML
    content_text: str = ""  # clean text, paragraphs separated by a blank line
    rating: RatingRecord | None = None
    terms: tuple[TermRef, ...] = ()
    comment_status: str | None = None
    source: str = "rest"
    raw: JsonDict = field(default_factory=dict)
    # Not content: the same post read from another capture is the same post.
    capture: Capture | None = field(default=None, compare=False)

    @property
    def record_kind(self) -> RecordKind:
        """ "page" for pages, "post" for posts (and any other post type WordPress lists)."""
        return "page" if self.type == "page" else "post"


@dataclass(frozen=True)
class CommentRecord:
    """An approved, public comment. `parent_wp_id` is None at top level.

    `parent_inferred` is True when the parent came from page markup that may flatten deep replies,
    not from an authoritative source (REST `parent`, Atom `thr:in-reply-to`, WordPress.com `parent`).
    Depth, root and orphan flags are computed by the archive from the stored tree.
    """

    record_kind: ClassVar[RecordKind] = "comment"
    wp_id: int
    post_wp_id: int
    parent_wp_id: int | None
    author_name: str
    author_url: str = ""
    author_wp_id: int | None = None
    published_at: datetime | None = None
    content_html: str = ""
    content_text: str = ""
    url: str = ""
    type: str = "comment"
    parent_inferred: bool = False
    source: str = "rest"
    raw: JsonDict = field(default_factory=dict)
    capture: Capture | None = field(default=None, compare=False)  # not content, as for posts


@dataclass(frozen=True)
class ProblemRecord:
    """Something a crawl could not read: recorded on the crawl run, and the crawl goes on."""

    record_kind: ClassVar[RecordKind] = "problem"
    kind: str  # e.g. "http", "parse", "blocked", "gap"
    message: str
    url: str = ""


Record = AuthorRecord | TermRecord | PostRecord | CommentRecord | ProblemRecord


@dataclass(frozen=True)
class CrawlState:
    """What the archive already holds for a site, so an incremental crawl asks only for what changed.

    High-water marks are advanced only when a crawl finishes, so a killed run is simply redone.
    """

    site_id: int | None = None
    last_complete_at: datetime | None = None
    posts_modified_after: datetime | None = None
    comments_after: datetime | None = None
    max_comment_wp_id: int | None = None
    last_sweep_at: datetime | None = None  # start of the last sweep (full crawl) that finished ok
    # What the archive holds, so an incremental crawl reads users and terms only when a changed
    # post names one it lacks: author wp_id -> name, and term wp_ids. None: unknown, read all.
    known_authors: Mapping[int, str] | None = None
    known_terms: frozenset[int] | None = None
