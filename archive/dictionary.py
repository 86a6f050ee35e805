"""The data dictionary: every table, view, column and export field, described once.

Datasette's metadata.yml (archive.datasette) and the README's export field list are rendered from
it; tests check that it covers every column of the schema and every exported field.
`python -m archive.dictionary README.md` rewrites the README's field list from it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

Columns = dict[str, str]

SEEN = "when a crawl first saw it (UTC)", "when a crawl last saw it (UTC)"
WARC_FILE = (
    "the WARC file (in the folder the crawl recorded into, `crawl --warc`) holding the response"
    " this row was last written from; empty when that crawl recorded nothing"
)
WARC_OFFSET = "where that response's record starts in the WARC file (bytes)"
RAW = (
    "the item as the source gave it, for re-parsing: a REST item's JSON text exactly as the"
    " response sent it (on PostgreSQL its value), WordPress.com's JSON, what a feed or page showed"
)
HASH = "fingerprint of the last saved record: an equal hash means an unchanged item"
SOURCE = "how it was read: rest, wpcom (WordPress.com API), feed or html"


def version_columns(owner: str, owner_text: str) -> Columns:
    """The columns of post_versions and comment_versions."""
    return {
        "id": "row id",
        owner: owner_text,
        "site_id": "the site (sites.id)",
        "wp_id": "WordPress's id of the item",
        "content_hash": "fingerprint of the version's fields",
        "fields": "the visible fields of this version (JSON)",
        "deleted_reason": "set on a tombstone: the item was gone or hidden from then on",
        "is_current": "true for the version the item's row holds now",
        "first_seen_run_id": "the crawl run that first saw this version",
        "last_seen_run_id": "the crawl run that last saw this version",
        "first_seen_at": SEEN[0],
        "last_seen_at": SEEN[1],
    }


TABLES: dict[str, tuple[str, Columns]] = {
    "wparchive_meta": (
        "Facts about the archive file itself.",
        {"key": "name of the fact", "value": "its value"},
    ),
    "sites": (
        "One row per archived WordPress site, with its last crawl and its high-water marks.",
        {
            "id": "row id",
            "url": "the site's home URL, normalized (scheme and host lowercased, no trailing slash)",
            "name": "the site's title",
            "description": "the site's tagline",
            "api_root": "the REST API root it answered on, if any",
            "gmt_offset": "the site's UTC offset in hours, when it says",
            "timezone": "the site's timezone name (e.g. Europe/Paris), when it says",
            "created_at": "when the site was first archived (UTC)",
            "last_run_id": "the last crawl run (crawl_runs.id)",
            "last_crawl_status": "that run's status: ok, partial, failed or skipped",
            "last_crawl_source": "that run's source",
            "last_crawl_finished_at": "when that run finished (UTC)",
            "last_complete_at": "when the last crawl that missed nothing finished (UTC)",
            "posts_modified_after": "incremental crawls ask for posts modified after this (UTC)",
            "comments_after": "incremental crawls ask for comments made after this (UTC)",
            "max_comment_wp_id": "the highest comment id seen",
            "last_sweep_at": "when the last complete sweep (a full listing) finished (UTC)",
            "robots_txt": "the site's robots.txt rules, kept for a day between crawls",
            "robots_fetched_at": "when robots.txt was read (UTC)",
            "claimed_by": "the worker (host:pid) crawling the site now, if any",
            "claimed_until": "when that worker's lease runs out (UTC)",
        },
    ),
    "authors": (
        "Users who published on a site.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "wp_id": "WordPress's user id",
            "name": "display name",
            "slug": "public nicename (the author's URL slug)",
            "url": "the author's website",
            "source": SOURCE,
            "raw": RAW,
            "record_hash": HASH,
            "first_seen_at": SEEN[0],
            "last_seen_at": SEEN[1],
        },
    ),
    "terms": (
        "Categories and tags.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "taxonomy": "category or post_tag",
            "slug": "the term's URL slug",
            "name": "the term's name",
            "wp_id": "WordPress's term id (empty when only a feed or a page named it)",
            "source": SOURCE,
            "raw": RAW,
        },
    ),
    "posts": (
        "Posts and pages an anonymous visitor can see, one row each, keyed by site and WordPress id.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "wp_id": "WordPress's post id",
            "type": "post or page",
            "url": "the permalink",
            "slug": "the URL slug (empty when the permalinks do not show it)",
            "title": "the title as the site shows it",
            "status": "publish (only public items are archived)",
            "author_wp_id": "the author's user id (authors.wp_id), when the source gives it",
            "author_name": "the author's name, when the source gives only a name",
            "published_at": "publication date (UTC)",
            "modified_at": "last modification date (UTC), when the source gives it",
            "excerpt": "the excerpt the site shows",
            "content_html": "the body, sanitized HTML",
            "content_text": "the body as plain text",
            "rating_value": "a review rating found in the post: its value",
            "rating_scale": "the best value of the rating's scale (10 in 7/10)",
            "rating_worst": "the worst value of the scale (usually 0 or 1)",
            "rating_normalized": "the rating on 0..1: (value - worst) / (scale - worst)",
            "rating_source": "where the rating was found: text, stars, percent, json-ld or a review plugin's markup",
            "rating_text": "the matched snippet, to check the rating by eye",
            "comment_status": "open or closed",
            "source": SOURCE,
            "raw": RAW,
            "warc_file": WARC_FILE,
            "warc_offset": WARC_OFFSET,
            "record_hash": HASH,
            "content_hash": "fingerprint of what a visitor sees (its current version's hash)",
            "field_sources": "which source wrote each group of fields (JSON): a poorer one never overwrites",
            "first_seen_at": SEEN[0],
            "last_seen_at": SEEN[1],
            "last_seen_run_id": "the last crawl run that saw it (crawl_runs.id)",
            "deleted_at": "when a sweep found it no longer public (UTC); empty while it is",
            "deleted_reason": "gone (404/410 or no longer listed) or hidden (no longer public)",
        },
    ),
    "post_terms": (
        "Which categories and tags each post has.",
        {"post_id": "the post (posts.id)", "term_id": "the term (terms.id)"},
    ),
    "comments": (
        "Approved comments (no pingbacks or trackbacks), threaded.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "wp_id": "WordPress's comment id",
            "post_wp_id": "the post's WordPress id",
            "post_id": "the post (posts.id), once archived",
            "parent_wp_id": "the parent comment's WordPress id; empty at the top level",
            "parent_id": "the parent comment (comments.id), when it is archived",
            "depth": "1 at the top level; empty when an ancestor is not public",
            "root_wp_id": "the thread's top-level comment; empty when an ancestor is not public",
            "is_orphan": "true when the parent is not public (pending, spam)",
            "parent_inferred": "true when the parent came from flattened page markup, not an API or feed",
            "author_name": "the commenter's name",
            "author_url": "the commenter's website",
            "author_wp_id": "the commenter's user id, when a registered user",
            "published_at": "when it was posted (UTC)",
            "content_html": "the comment, sanitized HTML",
            "content_text": "the comment as plain text",
            "url": "the comment's permalink",
            "type": "comment",
            "source": SOURCE,
            "raw": RAW,
            "warc_file": WARC_FILE,
            "warc_offset": WARC_OFFSET,
            "record_hash": HASH,
            "content_hash": "fingerprint of what a visitor sees (its current version's hash)",
            "field_sources": "which source wrote each group of fields (JSON): a poorer one never overwrites",
            "first_seen_at": SEEN[0],
            "last_seen_at": SEEN[1],
            "last_seen_run_id": "the last crawl run that saw it (crawl_runs.id)",
            "deleted_at": "when a sweep found it no longer public (UTC); empty while it is",
            "deleted_reason": "gone (404/410 or no longer listed) or hidden (no longer public)",
        },
    ),
    "crawl_runs": (
        "One row per crawl of a site.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "source": "the source the run read the site through",
            "mode": "full, incremental, or reparse (stored raw items parsed again)",
            "status": "running, ok, partial, failed or skipped",
            "started_at": "when it started (UTC)",
            "progress_at": "when it last saved something (UTC)",
            "finished_at": "when it finished (UTC)",
            "requests": "HTTP requests it made",
            "counts": "items saved, by kind (JSON)",
            "summary": "the summary line it printed",
            "seen_post_modified_at": "the newest post modification it saw (UTC)",
            "seen_comment_published_at": "the newest comment it saw (UTC)",
            "seen_comment_wp_id": "the highest comment id it saw",
        },
    ),
    "media": (
        "Images a backup downloaded with --media (files media/<sha256>.<ext>), or refused.",
        {
            "id": "row id",
            "site_id": "the site (sites.id)",
            "url": "the image's URL, as a post named it",
            "sha256": "SHA-256 of its bytes (one file for all URLs with the same bytes)",
            "content_type": "the Content-Type it was served with",
            "size": "its size in bytes",
            "file": "its file in the backup folder (media/<sha256>.<ext>)",
            "problem": "why it was refused (not an image kept, too large); empty when kept",
            "fetched_at": "when it was downloaded or refused (UTC)",
        },
    ),
    "post_media": (
        "Which posts show which media.",
        {
            "post_id": "the post (posts.id)",
            "media_id": "the image (media.id)",
            "role": "featured (the post's featured image) or body (an image in its text)",
        },
    ),
    "host_pacing": (
        "When the next request may start to a host many sites share (http.shared_hosts), for"
        " every worker: one politeness budget across machines.",
        {
            "host": "host:port, as requests go to it",
            "next_start_at": "the earliest start of the next request to it (UTC)",
        },
    ),
    "problems": (
        "What a crawl run could not read.",
        {
            "id": "row id",
            "run_id": "the run (crawl_runs.id)",
            "kind": "what went wrong (gap, parse, fetch...)",
            "message": "the explanation",
            "url": "the URL concerned",
            "at": "when (UTC)",
        },
    ),
    "post_versions": (
        "Every version of a post a visitor saw: a new row when its visible fields change.",
        version_columns("post_id", "the post (posts.id)"),
    ),
    "comment_versions": (
        "Every version of a comment a visitor saw: a new row when its visible fields change.",
        version_columns("comment_id", "the comment (comments.id)"),
    ),
    "site_schedules": (
        "Sites that workers crawl on a schedule (wparchive sites add).",
        {
            "site_id": "the site (sites.id)",
            "crawl_every": "seconds between crawls",
            "sweep_every": "seconds between full crawls (sweeps)",
            "added_at": "when the site was scheduled (UTC)",
            "next_crawl_at": "when it is next due (UTC)",
            "last_sweep_at": "when its last full crawl finished (UTC)",
            "last_status": "its last crawl's status",
            "last_finished_at": "when its last crawl finished (UTC)",
            "last_message": "its last crawl's summary or error",
        },
    ),
}

VIEWS: dict[str, tuple[str, Columns]] = {
    "comment_threads": (
        "Every comment with its thread path: sort by post and thread_path and each thread reads "
        "in order, replies under their parents.",
        {
            "site": "the site's URL",
            "post_id": "the post's WordPress id",
            "post_title": "the post's title",
            "comment_id": "the comment's WordPress id",
            "parent_id": "the parent comment's WordPress id",
            "depth": "1 at the top level",
            "thread_path": "the ids of the comment's ancestors and its own, zero-padded, joined by /",
            "author_name": "the commenter's name",
            "published_at": "when it was posted (UTC)",
            "content_text": "the comment as plain text",
        },
    ),
    "post_ratings": (
        "Posts and pages with a review rating, best first.",
        {
            "site": "the site's URL",
            "post_id": "the post's WordPress id",
            "title": "the post's title",
            "url": "the permalink",
            "published_at": "publication date (UTC)",
            "rating_value": "the rating's value",
            "rating_scale": "the best value of its scale",
            "rating_worst": "the worst value of its scale",
            "rating_normalized": "the rating on 0..1",
            "rating_source": "where the rating was found",
            "rating_text": "the matched snippet",
        },
    ),
}

SYSTEM_TABLES: dict[str, tuple[str, Columns]] = {
    "alembic_version": (
        "The archive's schema revision (Alembic).",
        {"version_num": "the revision the schema is at"},
    ),
}

SEARCH_TABLES: dict[str, tuple[str, Columns]] = {
    "posts_fts": (
        "Full-text index of posts (title and text), kept in sync with every save.",
        {"title": "the post's title", "content_text": "the post's text"},
    ),
    "comments_fts": (
        "Full-text index of comments (author and text), kept in sync with every save.",
        {"author_name": "the commenter's name", "content_text": "the comment's text"},
    ),
}

# Export fields: None means "as the column of the same name" (posts or comments).
EXPORT_FIELDS: dict[str, dict[str, str | None]] = {
    "posts": {
        "site": "the site's URL",
        "id": "WordPress's post id",
        "type": None,
        "url": None,
        "slug": None,
        "title": None,
        "author": "the author's display name",
        "published_at": None,
        "modified_at": None,
        "categories": "category names, sorted",
        "tags": "tag names, sorted",
        "excerpt": None,
        "content_html": None,
        "content_text": None,
        "rating_value": None,
        "rating_scale": None,
        "rating_normalized": None,
        "rating_source": None,
        "comment_count": "approved comments archived for it",
        "rating_worst": None,
        "rating_text": None,
        "source": None,
    },
    "comments": {
        "site": "the site's URL",
        "id": "WordPress's comment id",
        "post_id": "the post's WordPress id",
        "parent_id": "the parent comment's WordPress id; empty at the top level",
        "depth": None,
        "root_id": "the thread's top-level comment id (the comment itself at the top level); empty when unknown",
        "author_name": None,
        "author_url": None,
        "published_at": None,
        "content_html": None,
        "content_text": None,
        "is_orphan": None,
        "parent_inferred": None,
        "source": None,
    },
}

README_START = "<!-- export-fields: generated by `python -m archive.dictionary README.md` -->"
README_END = "<!-- /export-fields -->"


def export_field_descriptions(dataset: str) -> dict[str, str]:
    """The fields of an exported dataset (posts, comments), in export order, with descriptions."""
    columns = TABLES[dataset][1]
    return {
        name: text if text is not None else columns[name]
        for name, text in EXPORT_FIELDS[dataset].items()
    }


def render_export_fields() -> str:
    """The README's export field list (Markdown), between its markers."""
    lines = [README_START]
    for dataset in EXPORT_FIELDS:
        lines += ["", f"{dataset.capitalize()} (`{dataset}.<ext>`):", ""]
        lines += [
            f"- `{name}`: {text}" for name, text in export_field_descriptions(dataset).items()
        ]
    return "\n".join([*lines, "", README_END])


def update_readme(text: str) -> str:
    """The README with its export field list replaced by the dictionary's."""
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError("the README has no export-fields markers")
    return pattern.sub(lambda _: render_export_fields(), text)


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(update_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
