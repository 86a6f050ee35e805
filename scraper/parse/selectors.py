"""Where themes put things: ordered CSS selectors and URL patterns, tried in turn, first match wins.

Checked against WordPress core 6.1 (class-walker-comment.php, blocks/comment-*.php,
theme-compat/comments.php) and the themes Twenty Twenty (div-style walker), Twenty Twenty-One,
Twenty Twenty-Two and Twenty Twenty-Three. Add a theme by adding data here, not branches in code.
"""

from __future__ import annotations

import re

# ---- comments -------------------------------------------------------------------------------

# Element ids that mark one comment; the outermost element carrying a comment's id is its node
# (Twenty Ten-Twelve: li#li-comment-N > article#comment-N; core: li#comment-N > article#div-comment-N).
COMMENT_ID_PATTERNS = (
    re.compile(r"^comment-(\d+)$"),
    re.compile(r"^li-comment-(\d+)$"),
    re.compile(r"^div-comment-(\d+)$"),
)
COMMENT_NODE_TAGS = frozenset({"li", "div", "article", "section"})

COMMENT_AUTHOR = (
    ".wp-block-comment-author-name",
    ".comment-author .fn",
    "cite.fn",
    ".fn",
    ".comment-author",
    "[itemprop=author]",
)
COMMENT_AUTHOR_URL = (
    ".wp-block-comment-author-name a[href]",
    ".comment-author a.url[href]",
    ".fn a[href]",
    "a.url[href]",
)
COMMENT_DATETIME = (
    ".wp-block-comment-date time[datetime]",
    ".comment-metadata time[datetime]",
    ".comment-meta time[datetime]",
    "time[datetime]",
)
# Legacy (xhtml) walkers and some themes print the date only as text.
COMMENT_DATE_TEXT = (
    ".commentmetadata a",
    ".comment-metadata a",
    ".comment-meta a",
    ".wp-block-comment-date",
    ".comment-date",
    ".commentmetadata",
)
# get_comment_link(): the comment's own permalink, on its comment page.
COMMENT_PERMALINK = (
    ".wp-block-comment-date a[href]",
    ".comment-metadata a[href]:not(.comment-edit-link)",
    ".commentmetadata a[href]:not(.comment-edit-link)",
)
COMMENT_CONTENT = (
    ".wp-block-comment-content",
    ".comment-content",
    ".comment-text",
    "[itemprop=text]",
    ".comment-entry",
)
# Legacy markup prints the text straight into the comment body: take the body minus its chrome.
COMMENT_LEGACY_BODY = (".comment-body", "[id^=div-comment-]")
COMMENT_CHROME = (
    ".comment-author",
    ".commentmetadata",
    ".comment-meta",
    ".comment-metadata",
    ".reply",
    ".comment-awaiting-moderation",
    ".comment-footer-meta",
    ".says",
)
# Never part of a comment's text: notices, reply/edit links, Jetpack comment likes.
COMMENT_CONTENT_NOISE = (
    ".comment-awaiting-moderation",
    ".reply",
    ".comment-reply",
    "a.comment-reply-link",
    ".wp-block-comment-reply-link",
    ".comment-edit-link",
    ".edit-link",
    ".comment-likes",
    ".comment-like-feedback",
)
COMMENT_REPLY_LINK = (
    "a.comment-reply-link",
    ".wp-block-comment-reply-link a",
    "a.comment-reply-login",
)
# An explicit "In reply to <a href=#comment-N>" proves a parent.
IN_REPLY_TO_LINK = "a[href*='#comment-']"
IN_REPLY_TO_TEXT = re.compile(r"\bin reply to\b", re.IGNORECASE)
COMMENT_ANCHOR = re.compile(r"#comment-(\d+)\b")
DEPTH_CLASS = re.compile(r"^depth-(\d+)$")
# Block themes render replies beyond thread_comments_depth inside the parent's li (no ol), so
# their markup nesting stays true; the core walker prints them as siblings instead.
BLOCK_COMMENT_TEMPLATE = "ol.wp-block-comment-template"
PING_CLASSES = ("pingback", "trackback")
# WordPress's default thread_comments_depth, used when markup cannot show the site's own.
DEFAULT_THREAD_DEPTH = 5

# ---- comment pages --------------------------------------------------------------------------

COMMENT_PAGE_LINKS = (
    ".comment-navigation a[href]",
    ".comments-pagination a[href]",
    ".wp-block-comments-pagination a[href]",
    ".nav-links a[href]",
    ".navigation a[href]",
    "a[href]",
)
COMMENT_PAGE_CURRENT = (
    ".wp-block-comments-pagination .page-numbers.current",
    ".comments-pagination .page-numbers.current",
    ".comment-navigation .page-numbers.current",
    "#comments .page-numbers.current",
)

# ---- post page ------------------------------------------------------------------------------

# body_class() of pages that list posts (the posts page, archives, search, 404): never one post,
# though the first article on them has a post id (the page sitemap lists the home URL first).
LISTING_BODY_CLASSES = frozenset({"blog", "archive", "search", "error404"})
# get_the_title()'s English protected_title_format; other languages keep their prefix.
PROTECTED_TITLE_PREFIX = "Protected: "
# get_the_password_form(): where a protected post's content would be.
PASSWORD_FORM = ("form.post-password-form", "form[action*='action=postpass']")
POST_ID_BODY_CLASS = re.compile(r"^(?:postid|page-id)-(\d+)$")
# body_class() on a single post of any type: `single-<type>` (not `single-format-<format>`).
BODY_SINGLE_TYPE = re.compile(r"^single-(?!format-)[a-z0-9_-]+$")
POST_ID_SHORTLINK = re.compile(r"[?&]p=(\d+)\b")
POST_ID_REST_LINK = re.compile(r"/wp/v2/(posts|pages)/(\d+)\b")
POST_ID_ARTICLE = re.compile(r"^post-(\d+)$")
POST_TITLE = (
    "h1.entry-title",
    "h1.wp-block-post-title",
    "h1.post-title",
    ".entry-title",
    ".wp-block-post-title",
    ".post-title",
)
POST_TITLE_META = ("meta[property='og:title']", "meta[name='twitter:title']")
# Ordered from the most specific content wrapper to the broadest.
POST_CONTENT = (
    ".entry-content",
    ".wp-block-post-content",
    ".post-content",
    ".post-entry",
    "[itemprop=articleBody]",
    "article .content",
    ".entry",
)
# Theme and plugin chrome that sits inside the content wrapper but is not the post.
POST_CONTENT_NOISE = (
    ".sharedaddy",
    ".sd-sharing-enabled",
    "#jp-post-flair",
    ".jp-relatedposts",
    ".wpcnt",
    ".addtoany_share_save_container",
    ".page-links",
    ".post-nav-links",
    ".postmetadata",
    ".wp-block-comments",
    "#comments",
    "script",
    "style",
    "noscript",
)
POST_AUTHOR = (
    ".byline .author a",
    ".author.vcard a",
    ".wp-block-post-author__name a",
    ".wp-block-post-author-name a",
    "a[rel~=author]",
    ".post-author .meta-text a",
    ".wp-block-post-author__name",
    ".wp-block-post-author-name",
    ".byline .author",
)
POST_AUTHOR_META = ("meta[name=author]",)
AUTHOR_SLUG_IN_PATH = re.compile(r"/author/([^/?#]+)")
AUTHOR_ID_PARAM = re.compile(r"[?&]author=(\d+)\b")
# Themes that print the date as text only (Twenty Twenty: "July 14, 2019", no <time datetime>).
POST_TEXT_DATE = (".post-date .meta-text", ".posted-on", ".entry-date", ".post-date")
POST_PUBLISHED_META = ("meta[property='article:published_time']",)
POST_PUBLISHED = (
    "time.entry-date.published[datetime]",
    "time.published[datetime]",
    ".wp-block-post-date time[datetime]",
    ".posted-on time[datetime]",
    "time.entry-date[datetime]",
)
POST_MODIFIED_META = ("meta[property='article:modified_time']",)
POST_MODIFIED = (
    "time.updated:not(.published)[datetime]",
    ".wp-block-post-date__modified-date time[datetime]",
)
# wp_link_pages(): links to a `<!--nextpage-->` post's other pages (classic themes wrap them in
# .page-links or .post-nav-links; core/post-content prints .post-nav-links).
POST_PAGE_LINKS = (".post-nav-links a[href]", ".page-links a[href]", "a.post-page-numbers[href]")
# Term links: where themes print the post's own categories and tags (not sidebar widgets).
POST_TERM_LINKS = (
    "a[rel~=tag]",
    "a[rel~=category]",
    ".wp-block-post-terms a[href]",
    ".cat-links a[href]",
    ".tags-links a[href]",
)
TERM_CATEGORY_PATH = re.compile(r"/category/(?:[^?#]+/)?([^/?#]+)/?(?:$|[?#])")
TERM_TAG_PATH = re.compile(r"/tag/([^/?#]+)/?(?:$|[?#])")
TERM_CATEGORY_ID = re.compile(r"[?&]cat=(\d+)\b")
TERM_TAG_PARAM = re.compile(r"[?&]tag=([^&#]+)")
TERM_CATEGORY_CONTEXT = (".cat-links", ".taxonomy-category", ".entry-categories")
TERM_TAG_CONTEXT = (".tags-links", ".taxonomy-post_tag", ".entry-tags")
# post_class() on the article names the post's terms: category-{slug}, tag-{slug}.
POST_CLASS_TERM = re.compile(r"^(category|tag)-(.+)$")
# Links with rel=tag inside these are prose or comments, not the post's terms.
POST_TERM_EXCLUDE = (
    ".entry-content",
    ".wp-block-post-content",
    "#comments",
    ".comments-area",
    ".wp-block-comments",
)
POST_SCOPE = ("article[id^=post-]", "main", "#main", "#content", "body")
COMMENTS_OPEN = ("#commentform", "#respond form", ".wp-block-post-comments-form form")
COMMENTS_CLOSED = (".no-comments", ".comments-closed", ".nocomments")
POST_CANONICAL = "link[rel~=canonical][href]"
POST_SHORTLINK = "link[rel~=shortlink][href]"
POST_REST_LINK = "link[rel~=alternate][type='application/json'][href]"
POST_COMMENT_FORM_ID = "input[name=comment_post_ID][value]"
RSS_ALTERNATE = "link[rel~=alternate][type='application/rss+xml'][href]"
ATOM_ALTERNATE = "link[rel~=alternate][type='application/atom+xml'][href]"
TITLE_SEPARATORS = (" – ", " — ", " | ", " - ", " · ", " « ", " » ")

# ---- listing pages (HTML discovery) -------------------------------------------------------------

LISTING_POST_LINKS = (
    "article .entry-title a[href]",
    ".wp-block-post-title a[href]",
    "h2.entry-title a[href]",
    "h2.post-title a[href]",
    "a[rel~=bookmark][href]",
)
LISTING_NEXT_LINKS = (
    "a.next.page-numbers[href]",
    ".nav-previous a[href]",
    ".wp-block-query-pagination-next[href]",
    ".wp-block-query-pagination a[href]",
    ".pagination a[href]",
    ".nav-links a[href]",
)
# Core's index under pretty and plain permalinks, then the common plugins' index.
SITEMAP_PATHS = ("wp-sitemap.xml", "?sitemap=index", "sitemap_index.xml", "sitemap.xml")
# Child sitemaps that list posts, pages and other public post types (core since 5.5 names each
# type: wp-sitemap-posts-<type>-N.xml; Yoast; Rank Math), not users or taxonomies.
# Of those, the ones that list anything but posts (feeds list posts, never pages or custom types).
SITEMAP_PAGE_CHILD = re.compile(
    r"(wp-sitemap-posts-(?!post-\d)[a-z0-9_-]+-\d+\.xml|(?:^|/)page-sitemap\d*\.xml"
    r"|[?&]sitemap=posts&sitemap-subtype=(?!post\b)[a-z0-9_-]+)"
)
SITEMAP_CONTENT_CHILD = re.compile(
    r"(wp-sitemap-posts-[a-z0-9_-]+-\d+\.xml|(?:^|/)(?:post|page)-sitemap\d*\.xml"
    r"|[?&]sitemap=posts&sitemap-subtype=[a-z0-9_-]+)"
)
