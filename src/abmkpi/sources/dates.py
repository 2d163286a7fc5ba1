"""Date and timestamp columns: one format per column, never guessed per value.

A column's format is declared by the caller or detected from all of its
values together. Slash dates with the year last are month-first or day-first
for the whole column: one value such as 4/15/2024 settles every row. A slash
date with two-digit parts only (24/04/15) may also have its year first, as
Japanese exports write it, so such a column is settled only by a value that
rules the other readings out. When no value settles it, another date column
of the same file may (the same person exported both); otherwise the import
stops and requests the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from abmkpi.errors import DateFormatError, InputProblem

# ymd has a four-digit year first; short_ymd a two-digit one (24/04/15).
Order = Literal["ymd", "mdy", "dmy", "short_ymd"]
ORDERS: tuple[Order, ...] = ("ymd", "mdy", "dmy", "short_ymd")

# A time follows the date after "T", spaces, or a comma: Salesforce's ICU
# locale formats (the default since Spring '24, CLDR 41) write en_US date-times
# as "5/31/2024, 10:00 AM".
_TIME = (
    r"(?:(?:[T ]+|,\s*)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?|午前|午後)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
)
_YMD = re.compile(r"^(?P<a>\d{4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,2})" + _TIME + r"$")
_YMD_JA = re.compile(
    r"^(?P<a>\d{4})年\s*(?P<b>\d{1,2})月\s*(?P<c>\d{1,2})日" + _TIME + r"$"
)
_XXY = re.compile(
    r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{4}|\d{2})" + _TIME + r"$"
)

# Declared formats, by name: the order of day and month and the year width.
NAMED_FORMATS: dict[str, Order] = {
    "YYYY-MM-DD": "ymd",
    "YYYY/MM/DD": "ymd",
    "YYYY.MM.DD": "ymd",
    "YY/MM/DD": "short_ymd",
    "YY-MM-DD": "short_ymd",
    "YY.MM.DD": "short_ymd",
    "MM/DD/YYYY": "mdy",
    "MM/DD/YY": "mdy",
    "DD/MM/YYYY": "dmy",
    "DD/MM/YY": "dmy",
    "DD.MM.YYYY": "dmy",
}


@dataclass(frozen=True)
class ParsedValue:
    """A date with an optional time of day and an optional UTC offset."""

    day: date
    clock: tuple[int, int, int, int] | None = None  # hour, minute, second, µs
    offset: timedelta | None = None

    def to_utc(self, naive_zone: str, date_only_zone: str) -> datetime:
        """Return a naive UTC instant.

        Values with an offset use it; values with a time but no offset are in
        ``naive_zone``; date-only values are midnight in ``date_only_zone`` so
        that their business date stays the date that was written.
        """
        if self.clock is None:
            aware = datetime.combine(
                self.day, datetime.min.time(), ZoneInfo(date_only_zone)
            )
        else:
            hour, minute, second, micro = self.clock
            naive = datetime(
                self.day.year, self.day.month, self.day.day, hour, minute, second, micro
            )
            zone = ZoneInfo(naive_zone) if self.offset is None else None
            aware = naive.replace(tzinfo=zone or timezone(self.offset or timedelta()))
        try:
            return aware.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as error:
            # 0001-01-01 in a zone east of UTC is a day before year 1.
            raise ValueError(
                "instant out of range: in UTC it falls outside the years 1 to 9999"
            ) from error


@dataclass(frozen=True)
class ColumnFormat:
    """The decided format of one column."""

    order: Order
    source: str  # "declared", "detected", or the name of the deciding column


def _match(text: str) -> tuple[re.Match[str], bool] | None:
    """Match a value; the flag tells whether the year comes first."""
    for pattern in (_YMD, _YMD_JA):
        match = pattern.match(text)
        if match:
            return match, True
    match = _XXY.match(text)
    return (match, False) if match else None


def column_evidence(values: list[str]) -> tuple[set[Order], int]:
    """Return the orders every value allows, and how many values were dates.

    An empty result set with a nonzero count means the values contradict one
    another (or some are not dates at all).
    """
    allowed: set[Order] = set(ORDERS)
    count = 0
    for text in values:
        found = _match(text.strip())
        if found is None:
            continue
        count += 1
        match, year_first = found
        if year_first:
            allowed &= {"ymd"}
            continue
        allowed -= {"ymd"}
        first, second, third = int(match["a"]), int(match["b"]), int(match["c"])
        if first > 12:
            allowed -= {"mdy"}
        if second > 12:
            allowed -= {"dmy", "short_ymd"}
        if len(match["a"]) != 2 or len(match["c"]) != 2 or third > 31:
            allowed -= {"short_ymd"}
    return allowed, count


def decide_order(
    path: Path,
    column: str,
    values: list[tuple[int, str]],
    declared: str | None = None,
    sibling_orders: Mapping[str, Order] | None = None,
) -> ColumnFormat:
    """Decide the day/month order of a column from all of its values."""
    if declared:
        order = NAMED_FORMATS.get(declared.upper())
        if order is None:
            raise DateFormatError(
                InputProblem(path, None, column, declared, "unknown date format"),
                hint="use one of " + ", ".join(NAMED_FORMATS),
            )
        return ColumnFormat(order, "declared")
    allowed, count = column_evidence([text for _, text in values])
    if count == 0 or len(allowed) == 1:
        return ColumnFormat(next(iter(allowed)) if allowed else "ymd", "detected")
    if not allowed:
        return ColumnFormat(_majority_order(values), "detected")
    for sibling, order in (sibling_orders or {}).items():
        if order in allowed:
            return ColumnFormat(order, sibling)
    example = next(text for _, text in values if _match(text.strip()))
    raise DateFormatError(
        InputProblem(path, None, column, example, _ambiguity(allowed)),
        hint="declare the format, for example "
        + " or ".join(
            f"--date-format '{column}={_describe(order, example)}'"
            for order in ORDERS
            if order in allowed
        ),
    )


def _ambiguity(allowed: set[Order]) -> str:
    if "short_ymd" in allowed:
        return (
            "date format is ambiguous: the first part of every value could be a "
            "two-digit year (YY/MM/DD) or a "
            + ("month or a day" if "mdy" in allowed else "day")
        )
    return "day/month order is ambiguous: every value has both parts 12 or less"


def _majority_order(values: list[tuple[int, str]]) -> Order:
    votes: dict[Order, int] = {order: 0 for order in ORDERS}
    for _, text in values:
        allowed, count = column_evidence([text])
        if count and len(allowed) == 1:
            votes[next(iter(allowed))] += 1
    return max(votes, key=lambda order: votes[order])


def parse_value(text: str, order: Order) -> ParsedValue:
    """Parse one value in the column's order; raise ValueError with the reason."""
    found = _match(text.strip())
    if found is None:
        raise ValueError("not a date")
    match, year_first = found
    if year_first != (order == "ymd"):
        raise ValueError(f"does not follow the column's format ({_describe(order)})")
    a, b, c = match["a"], match["b"], match["c"]
    if order == "ymd":
        year, month, day = int(a), int(b), int(c)
    elif order == "short_ymd":
        if len(a) != 2 or len(c) > 2:
            raise ValueError(
                f"does not follow the column's format ({_describe(order)})"
            )
        year, month, day = _year(a), int(b), int(c)
    elif order == "mdy":
        month, day, year = int(a), int(b), _year(c)
    else:
        day, month, year = int(a), int(b), _year(c)
    try:
        parsed_day = date(year, month, day)
    except ValueError as error:
        raise ValueError(
            f"invalid date in format {_describe(order)}: {error}"
        ) from error
    return ParsedValue(parsed_day, _clock(match), _offset(match["zone"]))


def _describe(order: Order, example: str = "") -> str:
    """Return the format's name, with a two-digit year when the example has one."""
    found = _match(example.strip())
    short = found is not None and not found[1] and len(found[0]["c"]) == 2
    return {
        "ymd": "YYYY-MM-DD",
        "short_ymd": "YY/MM/DD",
        "mdy": "MM/DD/YY" if short else "MM/DD/YYYY",
        "dmy": "DD/MM/YY" if short else "DD/MM/YYYY",
    }[order]


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years as POSIX strptime reads them: 69-99 → 1900s.
        year += 1900 if year >= 69 else 2000
    return year


def _clock(match: re.Match[str]) -> tuple[int, int, int, int] | None:
    if match["hour"] is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "0").ljust(6, "0")[:6])
    marker = (match["ampm"] or "").replace(".", "").lower()
    if marker in {"pm", "午後"} and hour < 12:
        hour += 12
    elif marker in {"am", "午前"} and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError("invalid time of day")
    return hour, minute, min(second, 59), micro


def _offset(zone: str | None) -> timedelta | None:
    if zone is None:
        return None
    if zone in {"Z", "UTC", "GMT"}:
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
