"""The progress line: shown from the first record, counts per kind, requests and rate."""

from __future__ import annotations

from archive.records import CommentRecord, PostRecord, ProblemRecord
from scraper.console import ProgressLine, SitesLine


def test_progress_is_drawn_from_the_first_record_with_counts_requests_and_rate() -> None:
    drawn: list[str] = []
    requests = iter(range(3, 100))
    line = ProgressLine("http://blog.test", lambda: next(requests), drawn.append)
    line(PostRecord(wp_id=1, type="post", url="u", title="t"))
    assert len(drawn) == 1 and drawn[0].startswith("http://blog.test: 1 post | 3 requests | ")
    line.drawn -= ProgressLine.REDRAW_SECONDS  # as if time had passed
    line(CommentRecord(wp_id=2, post_wp_id=1, parent_wp_id=None, author_name="a"))
    line(ProblemRecord("http", "x"))  # within the redraw interval: counted, not drawn
    assert len(drawn) == 2 and "1 post, 1 comment | 4 requests" in drawn[1]
    assert line.describe(line.started + 2).endswith("| 5 requests | 2 records/s")


def test_the_sites_line_counts_sites_done_requests_and_rate() -> None:
    made = iter([40, 90])
    line = SitesLine(24, lambda: next(made))
    line.site_done()
    line.site_done()
    assert line.describe(line.started + 2) == "sites 2/24 | 40 requests | 20 requests/s"
    assert line.describe(line.started + 3).startswith("sites 2/24 | 90 requests | 30 ")
