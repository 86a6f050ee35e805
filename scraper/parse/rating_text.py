"""Ratings written as text in a review's body: "10/10", "Rating: 4/5", "★★★★☆", "Score: 85%".

Every text score has worst 0 (fractions, "N out of M", stars, labelled percentages). A numerator
above its denominator ("Rating: 11/10") is rejected, never clamped. Evidence order: a labelled
value ("Rating:", "Score", "Verdict:", "Overall", "My rating", "Final score", "Grade:", "Rated")
beats a line holding only a rating ("10/10", "4.5 out of 5", "3/5 stars", "★★★★☆"), which beats a
fraction in prose. Labelled fractions take any denominator from 2 to 100; unlabelled ones only 5,
10 or 100, and prose ones are skipped when they count something ("won 3/5 matches", "1/10 of",
"page 2/5") or sit in dates and URLs ("10/12/2019", "/2019/05/"). Percentages count only when
labelled. Letter grades ("Grade: B+") and bare numbers without a scale ("Score: 8") are not read.
Stars: ★/⭐ filled, ☆/✩ empty, ½ a half; the scale is the number of star slots, 5 when no empty
star is shown ("★★★½" is 3.5 of 5).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Score:
    """A rating before normalization: value on worst..scale, where it was found, and the snippet."""

    value: float
    scale: float
    worst: float
    found_in: str
    text: str


def checked(score: Score) -> Score | None:
    """The score when its numbers are finite and value lies within worst..scale, else None."""
    finite = all(math.isfinite(n) for n in (score.value, score.scale, score.worst))
    if not finite or score.scale <= score.worst or not score.worst <= score.value <= score.scale:
        LOGGER.debug("rating out of range, ignored: %s", score)
        return None
    return score


_NUM = r"\d{1,3}(?:[.,]\d{1,2})?"
_FILLED, _EMPTY, _HALF = "★⭐", "☆✩", "½⯨⯪"
_STAR_CHARS = _FILLED + _EMPTY + _HALF
# A score starts where no word, number, date or URL part runs into it and ends the same way.
_FRACTION_RE = re.compile(
    rf"(?<![\w.,/#])(?P<num>{_NUM})(?:\s*/\s*|\s+out\s+of\s+)(?P<den>\d{{1,3}})(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)
_PERCENT_RE = re.compile(rf"(?<![\w.,/#])(?P<num>{_NUM})\s*%")
_STARS_RE = re.compile(rf"[{_STAR_CHARS}](?:\s?[{_STAR_CHARS}])*")
_LABEL_WORDS = ("rating", "rated", "score", "verdict", "grade", "overall")
# The lookahead lets the regex engine skip most positions fast; a prefix ("My", "Final") is
# looked for behind the label only for the snippet.
_LABEL_RE = re.compile(
    r"(?=[rsvgo])\b(?:rat(?:ing|ed(?:\s+it)?)|score|verdict|grade|overall)\b", re.IGNORECASE
)
_LABEL_PREFIX_RE = re.compile(r"\b(?:my|our|final|overall|total)\s+$", re.IGNORECASE)
_LABEL_GLUE_RE = re.compile(r"\s*(?:[:=\-–—]|\bis\b|\bof\b)?\s*", re.IGNORECASE)
_LINE_REST_RE = re.compile(r"\s*(?:stars?)?\s*[.!]?\s*", re.IGNORECASE)
_UNLABELLED_SCALES = frozenset({5, 10, 100})
# Prose: a fraction right after one of these counts pages, rounds, wins..., not a verdict.
_COUNTING_WORDS_BEFORE = frozenset(
    {
        "page", "pages", "part", "chapter", "episode", "ep", "step", "season", "round", "question",
        "day", "week", "issue", "vol", "volume", "book", "disc", "track", "game", "match", "level",
        "stage", "slide", "photo", "image", "item", "no", "number", "won", "lost", "passed",
        "failed", "completed", "answered", "hit", "missed", "went",
    }
)  # fmt: skip
# Prose: the words that may follow a verdict ("10/10 and", "4/5 for the acting", "3/5 stars");
# any other word means the fraction counts something ("won 3/5 matches", "4 out of 5 dentists").
_VERDICT_WORDS_AFTER = frozenset(
    {
        "stars", "star", "and", "but", "or", "for", "from", "overall", "rating", "score", "is",
        "was", "it", "if", "with", "because", "though", "although", "so", "as", "at", "by", "then",
        "again", "here", "there", "would", "will", "i", "which", "that", "this", "in", "on", "to",
        "me", "easily", "definitely", "too", "also", "without", "not", "imo", "imho", "recommended",
    }
)  # fmt: skip
_WORD_BEFORE_RE = re.compile(r"([A-Za-z]+)\W*$")
_WORD_AFTER_RE = re.compile(r"[^\S\n]*([A-Za-z]+)")


def find_text_rating(text: str) -> Score | None:
    """A rating written in the body's clean text (see the module docstring for the rules)."""
    if not text:
        return None
    return _find_labelled(text) or _find_standalone(text) or _find_in_prose(text)


def _score_at(text: str, pos: int, labelled: bool) -> tuple[Score, int] | None:
    """The score starting exactly at `pos` (a fraction, "N out of M", stars, a percentage)."""
    fraction = _FRACTION_RE.match(text, pos)
    if fraction:
        num, den = float(fraction["num"].replace(",", ".")), int(fraction["den"])
        if den < 2 or (not labelled and den not in _UNLABELLED_SCALES):
            return None
        score = checked(Score(num, float(den), 0.0, "text", fraction.group(0)))
        return (score, fraction.end()) if score else None
    stars = _STARS_RE.match(text, pos)
    if stars:
        score = _stars_score(stars.group(0))
        return (score, stars.end()) if score else None
    percent = _PERCENT_RE.match(text, pos) if labelled else None
    if percent:
        value = float(percent["num"].replace(",", "."))
        score = checked(Score(value, 100.0, 0.0, "percent", percent.group(0)))
        return (score, percent.end()) if score else None
    return None


def _stars_score(symbols: str) -> Score | None:
    filled = sum(symbols.count(c) for c in _FILLED)
    empty = sum(symbols.count(c) for c in _EMPTY)
    half = sum(symbols.count(c) for c in _HALF)
    slots = filled + empty + half
    if not filled + empty or slots > 10:  # a lone ½ is a fraction, not a star rating
        return None
    scale = float(slots) if empty or slots > 5 else 5.0
    return checked(Score(filled + half / 2, scale, 0.0, "stars", symbols.strip()))


def _find_labelled(text: str) -> Score | None:
    lowered = text.lower()
    if not any(word in lowered for word in _LABEL_WORDS):
        return None
    for label in _LABEL_RE.finditer(text):
        glue = _LABEL_GLUE_RE.match(text, label.end())
        found = _score_at(text, glue.end() if glue else label.end(), labelled=True)
        if found:
            score, end = found
            prefix = _LABEL_PREFIX_RE.search(text, max(0, label.start() - 10), label.start())
            start = prefix.start() if prefix else label.start()
            snippet = " ".join(text[start:end].split())
            return Score(score.value, score.scale, score.worst, score.found_in, snippet)
    return None


def _find_standalone(text: str) -> Score | None:
    for line in text.splitlines():
        start = len(line) - len(line.lstrip())
        found = _score_at(line, start, labelled=False)
        if found and _LINE_REST_RE.fullmatch(line, found[1]):
            score = found[0]
            return Score(score.value, score.scale, score.worst, score.found_in, line.strip())
    return None


def _find_in_prose(text: str) -> Score | None:
    candidates = [m.start() for m in _FRACTION_RE.finditer(text) if _is_verdict(text, m)]
    candidates += [m.start() for m in _STARS_RE.finditer(text)]
    for pos in sorted(candidates):
        found = _score_at(text, pos, labelled=False)
        if found:
            return found[0]
    return None


def _is_verdict(text: str, match: re.Match[str]) -> bool:
    """False when the words around a prose fraction show it counts something."""
    before = _WORD_BEFORE_RE.search(text, max(0, match.start() - 20), match.start())
    if before and before.group(1).lower() in _COUNTING_WORDS_BEFORE:
        return False
    after = _WORD_AFTER_RE.match(text, match.end())
    return not after or after.group(1).lower() in _VERDICT_WORDS_AFTER
