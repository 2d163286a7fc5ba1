"""Periods: fiscal years and quarters, weeks, ranges and time-zone bucketing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from abmkpi.config import FiscalSettings
from abmkpi.errors import PeriodError
from abmkpi.periods import Calendar, business_date

APRIL = Calendar(FiscalSettings(start_month=4, naming="start_year"), "Asia/Tokyo")
APRIL_END_YEAR = Calendar(
    FiscalSettings(start_month=4, naming="end_year"), "Asia/Tokyo"
)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        # Salesforce's own FiscalYear / FiscalQuarter for an April start.
        (date(2024, 3, 31), "FY2023-Q4"),
        (date(2024, 4, 1), "FY2024-Q1"),
        (date(2024, 6, 30), "FY2024-Q1"),
        (date(2024, 7, 1), "FY2024-Q2"),
        (date(2024, 12, 31), "FY2024-Q3"),
        (date(2025, 1, 1), "FY2024-Q4"),
        (date(2025, 3, 31), "FY2024-Q4"),
        (date(2025, 4, 1), "FY2025-Q1"),
    ],
)
def test_fiscal_quarter_april_start(day: date, quarter: str) -> None:
    assert APRIL.fiscal_quarter_of(day).id == quarter


def test_fiscal_year_bounds() -> None:
    year = APRIL.parse("FY2024")
    assert year.start == date(2024, 4, 1)
    assert year.end == date(2025, 3, 31)


def test_fiscal_year_named_by_end_year() -> None:
    quarter = APRIL_END_YEAR.fiscal_quarter_of(date(2024, 5, 1))
    assert quarter.id == "FY2025-Q1"
    assert quarter.start == date(2024, 4, 1)


def test_fiscal_quarter_bounds() -> None:
    quarter = APRIL.parse("FY2024-Q4")
    assert quarter.start == date(2025, 1, 1)
    assert quarter.end == date(2025, 3, 31)


def test_calendar_start_month_one() -> None:
    calendar = Calendar(FiscalSettings(start_month=1), "UTC")
    assert calendar.parse("FY2024-Q2").start == date(2024, 4, 1)


def test_month_stays_calendar_month() -> None:
    month = APRIL.parse("2024-04")
    assert (month.start, month.end) == (date(2024, 4, 1), date(2024, 4, 30))


def test_iso_week() -> None:
    week = APRIL.parse("2024-W18")
    assert (week.start, week.end) == (date(2024, 4, 29), date(2024, 5, 5))


def test_week_of_year_boundary() -> None:
    # 2024-12-30 is a Monday whose week holds 4 days of 2025: ISO week 2025-W01.
    assert APRIL.week_of(date(2024, 12, 30)).id == "2025-W01"


def test_sunday_week_start() -> None:
    calendar = Calendar(FiscalSettings(week_start="sunday"), "Asia/Tokyo")
    week = calendar.week_of(date(2024, 5, 1))
    assert week.start == date(2024, 4, 28)


def test_range_of_dates() -> None:
    period = APRIL.parse("2024-05-01..2024-06-30")
    assert (period.start, period.end, period.days) == (
        date(2024, 5, 1),
        date(2024, 6, 30),
        61,
    )


def test_range_of_periods() -> None:
    period = APRIL.parse("FY2024-Q1..FY2024-Q2")
    assert (period.start, period.end) == (date(2024, 4, 1), date(2024, 9, 30))


def test_relative_quarter() -> None:
    assert APRIL.parse("last-quarter", today=date(2024, 5, 10)).id == "FY2023-Q4"


@pytest.mark.parametrize(
    "text",
    ["FY24", "2024-13", "FY2024-Q5", "2024-W54", "soon", "2024-06-30..2024-05-01"],
)
def test_invalid_period(text: str) -> None:
    with pytest.raises(PeriodError):
        APRIL.parse(text)


def test_instant_bucketed_in_business_zone() -> None:
    # 2024-03-31T16:00Z is 2024-04-01 01:00 in Tokyo: FY2024, not FY2023.
    day = business_date(datetime(2024, 3, 31, 16, 0), "Asia/Tokyo")
    assert APRIL.fiscal_quarter_of(day).id == "FY2024-Q1"


def test_period_utc_bounds() -> None:
    start, end = APRIL.parse("FY2024-Q1").utc_bounds("Asia/Tokyo")
    assert start == datetime(2024, 3, 31, 15, 0)
    assert end == datetime(2024, 6, 30, 15, 0)


def test_previous_quarters() -> None:
    previous = APRIL.previous(APRIL.parse("FY2024-Q1"), 2)
    assert [p.id for p in previous] == ["FY2023-Q3", "FY2023-Q4"]


def test_japanese_label() -> None:
    assert APRIL.label(APRIL.parse("FY2024-Q1"), "ja") == "2024年度 第1四半期"
    assert APRIL.label(APRIL.parse("FY2024-Q1"), "en") == "FY2024 Q1"


def test_elapsed_fraction() -> None:
    month = APRIL.parse("2024-04")
    assert month.elapsed_fraction(date(2024, 4, 15)) == 0.5
