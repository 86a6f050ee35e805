"""Normal forms of identities: the slug WordPress gives a name, and the URL that names a site."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# remove_accents() (wp-includes/formatting.php, default locale): these letters lose their marks
# exactly as a canonical decomposition would ...
_MARKED = frozenset(
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆ"
    "ćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐő"
    "ŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛ"
    "ǜȘșȚțẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖ"
    "ỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
)
# ... and these are spelled out by its table (other letters, such as ǻ or ḁ, stay as they are).
_SPELLED = str.maketrans(
    {
        "£": "", "ª": "a", "º": "o", "Æ": "AE", "Ð": "D", "Ø": "O", "Þ": "TH", "ß": "s",
        "æ": "ae", "ð": "d", "ø": "o", "þ": "th", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
        "ı": "i", "Ĳ": "IJ", "ĳ": "ij", "ĸ": "k", "Ŀ": "L", "ŀ": "l", "Ł": "L", "ł": "l",
        "ŉ": "n", "Ŋ": "N", "ŋ": "n", "Œ": "OE", "œ": "oe", "Ŧ": "T", "ŧ": "t", "ſ": "s",
        "ɑ": "a", "€": "E",
    }
)  # fmt: skip
# sanitize_title_with_dashes(..., 'save') on the percent-encoded, lower-cased title.
_TO_HYPHEN = [
    "%c2%a0",
    "%e2%80%93",
    "%e2%80%94",
    "&nbsp;",
    "&#160;",
    "&ndash;",
    "&#8211;",
    "&mdash;",
    "&#8212;",
    "/",
    "%e2%80%80",
    "%e2%80%81",
    "%e2%80%82",
    "%e2%80%83",
    "%e2%80%84",
    "%e2%80%85",
    "%e2%80%86",
    "%e2%80%87",
    "%e2%80%88",
    "%e2%80%89",
    "%e2%80%8a",
    "%e2%80%a8",
    "%e2%80%a9",
    "%e2%80%af",
]
_DROPPED = [
    "%c2%ad",
    "%c2%a1",
    "%c2%bf",
    "%c2%ab",
    "%c2%bb",
    "%e2%80%b9",
    "%e2%80%ba",
    "%e2%80%98",
    "%e2%80%99",
    "%e2%80%9c",
    "%e2%80%9d",
    "%e2%80%9a",
    "%e2%80%9b",
    "%e2%80%9e",
    "%e2%80%9f",
    "%e2%80%a2",
    "%c2%a9",
    "%c2%ae",
    "%c2%b0",
    "%e2%80%a6",
    "%e2%84%a2",
    "%c2%b4",
    "%cb%8a",
    "%cc%81",
    "%cd%81",
    "%cc%80",
    "%cc%84",
    "%cc%8c",
    "%e2%80%8b",
    "%e2%80%8c",
    "%e2%80%8d",
    "%e2%80%8e",
    "%e2%80%8f",
    "%e2%80%aa",
    "%e2%80%ab",
    "%e2%80%ac",
    "%e2%80%ad",
    "%e2%80%ae",
    "%ef%bb%bf",
    "%ef%bf%bc",
]
_SLUG_BYTES = 200  # utf8_uri_encode()'s cap on the encoded title
_TAG = re.compile(r"<[^>]*>?")
_OCTET = re.compile(r"%([a-fA-F0-9]{2})")
_ENTITY = re.compile(r"&.+?;")
_NOT_SLUG = re.compile(r"[^%a-z0-9 _-]")


def remove_accents(text: str) -> str:
    """WordPress's remove_accents() for the default locale: `Café Ærø` -> `Cafe AEro`."""
    text = unicodedata.normalize("NFC", text)
    plain = (_strip_marks(ch) if ch in _MARKED else ch for ch in text)
    return "".join(plain).translate(_SPELLED)


def _strip_marks(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


def slugify(name: str) -> str:
    """The slug WordPress's sanitize_title() saves for a name: `Café Reviews` -> `cafe-reviews`,
    `東京` -> `%e6%9d%b1%e4%ba%ac`; punctuation dropped, spaces, dots and slashes made dashes."""
    title = _TAG.sub("", remove_accents(name))
    # Octets already escaped survive; a lone percent sign does not.
    title = _OCTET.sub(r"---\1---", title).replace("%", "")
    title = re.sub(r"---([a-fA-F0-9]{2})---", r"%\1", title)
    title = _uri_encode(title.lower()).lower()
    for entity in _TO_HYPHEN:
        title = title.replace(entity, "-")
    for entity in _DROPPED:
        title = title.replace(entity, "")
    title = _ENTITY.sub("", title.replace("%c3%97", "x")).replace(".", "-")
    title = _NOT_SLUG.sub("", title)
    return re.sub(r"-+", "-", re.sub(r"\s+", "-", title)).strip("-")


def _uri_encode(text: str) -> str:
    """utf8_uri_encode(): non-ASCII characters as %xx octets, cut at a whole character."""
    out: list[str] = []
    size = 0
    for ch in text:
        encoded = ch if ch.isascii() else quote(ch, safe="")
        if size + len(encoded) > _SLUG_BYTES:
            break
        out.append(encoded)
        size += len(encoded)
    return "".join(out)


def normalize_site_url(url: str) -> str:
    """The identity of a site: scheme kept, host lower-cased, default port, credentials, query and
    fragment dropped, no trailing slash (like WordPress's `home` option):
    `HTTPS://user:pw@Example.com:443/blog/` -> `https://example.com/blog`; a bare host gets https."""
    url = url.strip()
    parts = urlsplit(url if "://" in url else f"https://{url}")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, parts.path.rstrip("/"), "", ""))
