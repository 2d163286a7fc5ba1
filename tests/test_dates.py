"""Date columns: one format per column, decided from every value."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from abmkpi.errors import DateFormatError
from abmkpi.sources.csvfile import read_csv
from abmkpi.sources.dates import decide_order, parse_value
from abmkpi.sources.fields import Field, ParseContext, parse_table

US_DATES = ["4/1/2024", "4/15/2024", "5/6/2024", "3/31/2024", "12/4/2024", "6/30/2024"]


def _lines(values: list[str]) -> list[tuple[int, str]]:
    return [(line, value) for line, value in enumerate(values, start=2)]


def test_one_value_settles_month_first() -> None:
    assert decide_order(Path("f.csv"), "Close Date", _lines(US_DATES)).order == "mdy"


def test_day_first_column() -> None:
    values = ["1/4/2024", "15/4/2024"]
    assert decide_order(Path("f.csv"), "d", _lines(values)).order == "dmy"


def test_ambiguous_column_asks_for_format() -> None:
    with pytest.raises(DateFormatError) as caught:
        decide_order(Path("f.csv"), "Close Date", _lines(["4/1/2024", "5/6/2024"]))
    assert caught.value.problems[0].column == "Close Date"
    assert "--date-format" in str(caught.value)


def test_declared_format_wins() -> None:
    result = decide_order(Path("f.csv"), "d", _lines(["4/1/2024"]), "DD/MM/YYYY")
    assert result.order == "dmy"


def test_parse_us_dates_of_whole_column() -> None:
    days = [parse_value(value, "mdy").day for value in US_DATES]
    assert days == [
        date(2024, 4, 1),
        date(2024, 4, 15),
        date(2024, 5, 6),
        date(2024, 3, 31),
        date(2024, 12, 4),
        date(2024, 6, 30),
    ]


def test_two_digit_year_and_pm() -> None:
    value = parse_value("02/23/26 08:55 PM", "mdy")
    assert value.day == date(2026, 2, 23)
    assert value.clock == (20, 55, 0, 0)


def test_iso_offset_to_utc() -> None:
    value = parse_value("2024-04-05T10:00:00.000+0900", "ymd")
    assert value.to_utc("UTC", "Asia/Tokyo") == datetime(2024, 4, 5, 1, 0)


def test_naive_time_in_source_zone() -> None:
    value = parse_value("2024/4/1 9:00", "ymd")
    assert value.to_utc("Asia/Tokyo", "Asia/Tokyo") == datetime(2024, 4, 1, 0, 0)


def test_date_only_is_business_midnight() -> None:
    value = parse_value("2024-04-01", "ymd")
    assert value.to_utc("UTC", "Asia/Tokyo") == datetime(2024, 3, 31, 15, 0)


def test_japanese_date() -> None:
    assert parse_value("2024年4月1日", "ymd").day == date(2024, 4, 1)


def test_value_against_column_format_rejected() -> None:
    with pytest.raises(ValueError):
        parse_value("2024-04-01", "mdy")


def test_sibling_column_decides(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Id,Created,Closed\n1,4/20/2024,5/6/2024\n2,4/1/2024,6/1/2024\n")
    fields = [
        Field.of("id", "Id"),
        Field.of("created", "Created", kind="date"),
        Field.of("closed", "Closed", kind="date"),
    ]
    table = parse_table(read_csv(path), fields, ParseContext())
    assert [row.values["closed"] for row in table.rows] == [
        date(2024, 5, 6),
        date(2024, 6, 1),
    ]
    assert "Closed" in table.notes[0]


def test_non_date_becomes_problem(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Id,CloseDate\n1,2024-05-01\n2,next week\n")
    fields = [Field.of("id", "Id"), Field.of("close", "CloseDate", kind="date")]
    table = parse_table(read_csv(path), fields, ParseContext())
    problem = table.problems[0]
    assert (problem.line, problem.column, problem.value) == (
        3,
        "CloseDate",
        "next week",
    )
    assert len(table.rows) == 1


def test_comma_before_time() -> None:
    value = parse_value("5/31/2024, 10:05 PM", "mdy")
    assert value.day == date(2024, 5, 31)
    assert value.clock == (22, 5, 0, 0)
