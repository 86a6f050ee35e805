"""Date parsing, including the correction for WordPress's DST bug in REST `*_gmt` fields."""

from __future__ import annotations

from datetime import UTC, datetime

from scraper.parse.dates import parse_iso_utc, parse_rest_utc


def test_naive_gmt_values_are_utc_and_offsets_are_converted() -> None:
    assert parse_iso_utc("2014-01-20T10:00:00") == datetime(2014, 1, 20, 10, tzinfo=UTC)
    assert parse_iso_utc("2014-01-20T12:00:00+02:00") == datetime(2014, 1, 20, 10, tzinfo=UTC)
    assert parse_iso_utc("2014-01-20T10:00:00Z") == datetime(2014, 1, 20, 10, tzinfo=UTC)
    assert parse_iso_utc("yesterday") is None
    assert parse_iso_utc(None) is None


def test_gmt_in_the_spring_forward_gap_is_corrected_from_local_time() -> None:
    # Recorded from the test WordPress (Europe/Rome): the database holds comment_date_gmt
    # 2020-03-29 02:05:46 and comment_date 04:05:46; the REST API answers date_gmt 03:05:46.
    got = parse_rest_utc("2020-03-29T03:05:46", "2020-03-29T04:05:46", "Europe/Rome")
    assert got == datetime(2020, 3, 29, 2, 5, 46, tzinfo=UTC)


def test_gmt_is_kept_where_local_time_is_ambiguous_or_zone_unknown() -> None:
    # 02:30 local happens twice on 2020-10-25 in Rome: only the gmt field knows which.
    assert parse_rest_utc("2020-10-25T01:30:00", "2020-10-25T02:30:00", "Europe/Rome") == datetime(
        2020, 10, 25, 1, 30, tzinfo=UTC
    )
    assert parse_rest_utc("2020-03-29T03:05:46", "2020-03-29T04:05:46", None) == datetime(
        2020, 3, 29, 3, 5, 46, tzinfo=UTC
    )
    assert parse_rest_utc("2020-03-29T03:05:46", "2020-03-29T04:05:46", "Not/AZone") == datetime(
        2020, 3, 29, 3, 5, 46, tzinfo=UTC
    )
    # An ordinary summer date: both fields agree.
    assert parse_rest_utc("2020-07-01T10:00:00", "2020-07-01T12:00:00", "Europe/Rome") == datetime(
        2020, 7, 1, 10, tzinfo=UTC
    )
