"""The one date formatter: 和暦 with weekday in Japanese, Gregorian in English."""

from datetime import UTC, date, datetime

import pytest

from dxtraining.i18n.dates import (
    era_year,
    format_date,
    format_datetime,
    format_fiscal_year,
    format_time_range,
    iso,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 2, 1), "令和5年2月1日（水）"),
        (date(2019, 5, 1), "令和元年5月1日（水）"),
        (date(2019, 4, 30), "平成31年4月30日（火）"),
        (date(1989, 1, 8), "平成元年1月8日（日）"),
        (date(1989, 1, 7), "昭和64年1月7日（土）"),
        (date(1926, 12, 25), "昭和元年12月25日（土）"),
        (date(1926, 12, 24), "大正15年12月24日（金）"),
        (date(2026, 11, 26), "令和8年11月26日（木）"),
    ],
)
def test_japanese_dates_use_the_era_calendar_with_weekday(day, expected):
    assert format_date(day, "ja") == expected


def test_english_dates_are_gregorian():
    assert format_date(date(2023, 2, 1), "en") == "Wed, 1 Feb 2023"
    assert format_date(date(2023, 2, 1), "en", weekday=False) == "1 Feb 2023"


def test_datetimes_are_shown_in_japan_time_even_when_stored_in_utc():
    # 2023-01-31 20:30 UTC is already 1 February 05:30 in Tokyo.
    moment = datetime(2023, 1, 31, 20, 30, tzinfo=UTC)
    assert format_datetime(moment, "ja") == "令和5年2月1日（水）5:30"
    assert iso(moment) == "2023-02-01T05:30+09:00"


def test_a_day_with_start_and_end():
    start = datetime(2023, 2, 1, 4, 30, tzinfo=UTC)
    end = datetime(2023, 2, 1, 7, 30, tzinfo=UTC)
    assert format_time_range(start, end, "ja") == "令和5年2月1日（水）13:30～16:30"
    assert format_time_range(start, end, "en") == "Wed, 1 Feb 2023 13:30–16:30"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        format_datetime(datetime(2023, 2, 1, 13, 30))


def test_fiscal_year_runs_april_to_march():
    assert format_fiscal_year(date(2023, 4, 1)) == "令和5年度"
    assert format_fiscal_year(date(2024, 3, 31)) == "令和5年度"
    assert format_fiscal_year(date(2019, 4, 1)) == "令和元年度"  # as the government names it
    assert format_fiscal_year(date(2020, 3, 31)) == "令和元年度"
    assert format_fiscal_year(date(1988, 12, 1)) == "昭和63年度"
    assert format_fiscal_year(date(2020, 4, 1)) == "令和2年度"
    assert format_fiscal_year(date(2023, 4, 1), "en") == "FY2023"


def test_era_year_boundaries():
    assert era_year(date(2019, 5, 1)) == ("令和", 1)
    assert era_year(date(2019, 4, 30)) == ("平成", 31)
