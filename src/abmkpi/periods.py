"""Reporting periods: fiscal years and quarters, months, weeks and date ranges.

A period is a closed range of business dates. Instants are bucketed by their
date in the business time zone, so an opportunity created at 2024-03-31T16:00Z
falls on 2024-04-01 in Asia/Tokyo and into FY2024 when fiscal years start in
April. Date-only fields (close dates) are bucketed as they are.

Period syntax::

    FY2024            fiscal year
    FY2024-Q1         fiscal quarter
    FY2024-H2         fiscal half
    2024              calendar year
    2024-05           calendar month
    2024-W18          week (week 1 is the first week with 4 or more days in
                      the year, as in ISO 8601, for any configured start day)
    2024-05-20        one day
    A..B              from the start of period A to the end of period B
    this-quarter, last-quarter, this-month, last-month, this-week,
    last-week, this-year, last-year   relative to today (fiscal year/quarter)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from abmkpi.config import FiscalSettings
from abmkpi.errors import PeriodError, UserMessage

PeriodKind = Literal[
    "fiscal_year",
    "fiscal_half",
    "fiscal_quarter",
    "year",
    "month",
    "week",
    "day",
    "range",
]

# Years a period may fall in. KPIs look back from a period (engagement decay,
# prior periods for trends) and forward to the day after it, so periods near
# Python's date limits (years 1 and 9999) would overflow.
MIN_YEAR = 1900
MAX_YEAR = 2999

_WEEKDAYS = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]


@dataclass(frozen=True)
class Period:
    """A closed range of business dates with an id such as ``FY2024-Q1``."""

    id: str
    kind: PeriodKind
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                UserMessage(
                    "period %(period)s ends (%(end)s) before it starts",
                    period=self.id,
                    end=self.end,
                )
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def utc_bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """Return the period as naive UTC instants ``[start, end)``."""
        return (
            business_midnight_utc(self.start, time_zone),
            business_midnight_utc(self.end + timedelta(days=1), time_zone),
        )

    def elapsed_fraction(self, today: date) -> float:
        """Return the share of the period's days that have passed by ``today``."""
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return ((today - self.start).days + 1) / self.days


def business_midnight_utc(day: date, time_zone: str) -> datetime:
    """Return midnight of ``day`` in the business zone as a naive UTC instant."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def iso_instant(value: datetime) -> str:
    """Return an instant as ISO 8601 to the second with its offset.

    Stored instants are naive UTC, so they get a ``Z``, as the API and the
    CLI's JSON and CSV write them.
    """
    text = value.isoformat(timespec="seconds")
    return text + "Z" if value.tzinfo is None else text


def business_date(instant: datetime, time_zone: str) -> date:
    """Return the business date of an instant (naive instants are UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(ZoneInfo(time_zone)).date()


def today_in(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


class Calendar:
    """Fiscal and weekly calendar of one workspace."""

    def __init__(self, fiscal: FiscalSettings, time_zone: str = "Asia/Tokyo"):
        self.start_month = fiscal.start_month
        self.naming = fiscal.naming
        self.week_start = _WEEKDAYS.index(fiscal.week_start)
        self.time_zone = time_zone

    # Fiscal years -----------------------------------------------------------

    def fiscal_year_of(self, day: date) -> int:
        """Return the fiscal year name (FY number) of a date."""
        start_year = day.year if day.month >= self.start_month else day.year - 1
        return self._name_of_start_year(start_year)

    def _name_of_start_year(self, start_year: int) -> int:
        if self.naming == "end_year" and self.start_month != 1:
            return start_year + 1
        return start_year

    def _start_year_of_name(self, name: int) -> int:
        if self.naming == "end_year" and self.start_month != 1:
            return name - 1
        return name

    def fiscal_year(self, name: int) -> Period:
        start = date(self._start_year_of_name(name), self.start_month, 1)
        end = _add_months(start, 12) - timedelta(days=1)
        return Period(f"FY{name}", "fiscal_year", start, end)

    def fiscal_quarter(self, name: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise PeriodError(
                UserMessage("quarter must be 1-4, got Q%(quarter)s", quarter=quarter)
            )
        year = self.fiscal_year(name)
        start = _add_months(year.start, 3 * (quarter - 1))
        end = _add_months(start, 3) - timedelta(days=1)
        return Period(f"FY{name}-Q{quarter}", "fiscal_quarter", start, end)

    def fiscal_half(self, name: int, half: int) -> Period:
        if half not in (1, 2):
            raise PeriodError(
                UserMessage("half must be H1 or H2, got H%(half)s", half=half)
            )
        year = self.fiscal_year(name)
        start = _add_months(year.start, 6 * (half - 1))
        end = _add_months(start, 6) - timedelta(days=1)
        return Period(f"FY{name}-H{half}", "fiscal_half", start, end)

    def fiscal_quarter_of(self, day: date) -> Period:
        name = self.fiscal_year_of(day)
        year = self.fiscal_year(name)
        months = (day.year - year.start.year) * 12 + day.month - year.start.month
        return self.fiscal_quarter(name, months // 3 + 1)

    # Weeks ------------------------------------------------------------------

    def week_start_of(self, day: date) -> date:
        return day - timedelta(days=(day.weekday() - self.week_start) % 7)

    def _first_week_start(self, year: int) -> date:
        # Week 1 holds 4 or more days of the year, as in ISO 8601.
        return self.week_start_of(date(year, 1, 4))

    def week(self, year: int, number: int) -> Period:
        start = self._first_week_start(year) + timedelta(weeks=number - 1)
        last = self.week_of(self._first_week_start(year + 1) - timedelta(days=1))
        if number < 1 or (last.id.startswith(f"{year}-") and number > _week_no(last)):
            raise PeriodError(
                UserMessage("%(year)s has no week %(week)s", year=year, week=number)
            )
        return Period(f"{year}-W{number:02d}", "week", start, start + timedelta(days=6))

    def week_of(self, day: date) -> Period:
        start = self.week_start_of(day)
        # The week belongs to the year that holds its 4th day.
        year = (start + timedelta(days=3)).year
        number = (start - self._first_week_start(year)).days // 7 + 1
        return Period(f"{year}-W{number:02d}", "week", start, start + timedelta(days=6))

    # Other periods ----------------------------------------------------------

    def month_of(self, day: date) -> Period:
        start = day.replace(day=1)
        end = _add_months(start, 1) - timedelta(days=1)
        return Period(f"{start:%Y-%m}", "month", start, end)

    def period_of(self, kind: PeriodKind, day: date) -> Period:
        """Return the period of the given kind that contains ``day``."""
        if kind == "fiscal_quarter":
            return self.fiscal_quarter_of(day)
        if kind == "fiscal_year":
            return self.fiscal_year(self.fiscal_year_of(day))
        if kind == "fiscal_half":
            quarter = self.fiscal_quarter_of(day)
            half = 1 if quarter.id.endswith(("Q1", "Q2")) else 2
            return self.fiscal_half(self.fiscal_year_of(day), half)
        if kind == "month":
            return self.month_of(day)
        if kind == "week":
            return self.week_of(day)
        if kind == "year":
            return Period(
                str(day.year), "year", date(day.year, 1, 1), date(day.year, 12, 31)
            )
        if kind == "day":
            return Period(day.isoformat(), "day", day, day)
        raise PeriodError(
            UserMessage("no period of kind %(kind)r contains a single date", kind=kind)
        )

    def previous(self, period: Period, count: int = 1) -> list[Period]:
        """Return the ``count`` periods before ``period``, oldest first."""
        result: list[Period] = []
        current = period
        for _ in range(count):
            if current.kind == "range":
                length = current.days
                end = current.start - timedelta(days=1)
                start = end - timedelta(days=length - 1)
                current = Period(f"{start}..{end}", "range", start, end)
            else:
                current = self.period_of(
                    current.kind, current.start - timedelta(days=1)
                )
            result.append(current)
        return list(reversed(result))

    def parse(self, text: str, today: date | None = None) -> Period:
        """Parse period syntax (see the module docstring) into a Period."""
        text = text.strip()
        if ".." in text:
            return self._parse_range(text, today)
        single = self._parse_single(text, today)
        if single is None:
            raise PeriodError(
                UserMessage(
                    "invalid period %(text)r; use FY2024, FY2024-Q1, FY2024-H1, "
                    "2024, 2024-05, 2024-W18, 2024-05-20, A..B or this-quarter",
                    text=text,
                )
            )
        return single

    def _check_year(self, text: str, year: int) -> int:
        """Return the year of a period, or raise PeriodError if out of range."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(
                UserMessage(
                    "invalid period %(text)r: year %(year)s is outside the "
                    "supported years %(min)s to %(max)s",
                    text=text,
                    year=year,
                    min=MIN_YEAR,
                    max=MAX_YEAR,
                )
            )
        return year

    def _parse_range(self, text: str, today: date | None) -> Period:
        left, _, right = text.partition("..")
        first = self._parse_single(left.strip(), today)
        last = self._parse_single(right.strip(), today)
        if first is None or last is None:
            raise PeriodError(
                UserMessage(
                    "invalid period range %(text)r; write START..END, for example "
                    "2024-05-01..2024-06-30 or FY2024-Q1..FY2024-Q2",
                    text=text,
                )
            )
        if last.end < first.start:
            raise PeriodError(
                UserMessage("period range %(text)r ends before it starts", text=text)
            )
        return Period(
            f"{left.strip()}..{right.strip()}", "range", first.start, last.end
        )

    def _parse_single(self, text: str, today: date | None) -> Period | None:
        upper = text.upper()
        year = self._check_year
        if match := re.fullmatch(r"FY(\d{4})", upper):
            return self.fiscal_year(year(text, int(match[1])))
        if match := re.fullmatch(r"FY(\d{4})-?Q(\d)", upper):
            return self.fiscal_quarter(year(text, int(match[1])), int(match[2]))
        if match := re.fullmatch(r"FY(\d{4})-?H(\d)", upper):
            return self.fiscal_half(year(text, int(match[1])), int(match[2]))
        if match := re.fullmatch(r"(\d{4})-W(\d{1,2})", upper):
            return self.week(year(text, int(match[1])), int(match[2]))
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", upper):
            month = int(match[2])
            if not 1 <= month <= 12:
                raise PeriodError(
                    UserMessage("invalid month in period %(text)r", text=text)
                )
            return self.month_of(date(year(text, int(match[1])), month, 1))
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", upper):
            try:
                day = date(year(text, int(match[1])), int(match[2]), int(match[3]))
            except ValueError as error:
                raise PeriodError(
                    UserMessage(
                        "invalid date in period %(text)r: %(reason)s",
                        text=text,
                        reason=error,
                    )
                ) from error
            return self.period_of("day", day)
        if re.fullmatch(r"\d{4}", upper):
            return self.period_of("year", date(year(text, int(upper)), 1, 1))
        return self._parse_relative(text.lower(), today)

    def _parse_relative(self, text: str, today: date | None) -> Period | None:
        match = re.fullmatch(r"(this|last)-(year|half|quarter|month|week)", text)
        if match is None:
            return None
        kinds: dict[str, PeriodKind] = {
            "year": "fiscal_year",
            "half": "fiscal_half",
            "quarter": "fiscal_quarter",
            "month": "month",
            "week": "week",
        }
        current = self.period_of(kinds[match[2]], today or today_in(self.time_zone))
        return current if match[1] == "this" else self.previous(current)[0]

    def label(self, period: Period, language: str = "en") -> str:
        """Return a display label such as 'FY2024 Q1' or '2024年度 第1四半期'."""
        if period.kind in ("fiscal_year", "fiscal_quarter", "fiscal_half"):
            name = int(period.id[2:6])
            part = period.id[7:] if len(period.id) > 6 else ""
            if language == "ja":
                suffix = {
                    "Q": f" 第{part[1:]}四半期",
                    "H": f" {'上' if part == 'H1' else '下'}期",
                }
                return f"{name}年度" + (suffix[part[0]] if part else "")
            return f"FY{name}" + (f" {part}" if part else "")
        if period.kind == "month" and language == "ja":
            return f"{period.start.year}年{period.start.month}月"
        if period.kind == "range":
            return f"{period.start.isoformat()} – {period.end.isoformat()}"
        return period.id


def _week_no(period: Period) -> int:
    return int(period.id.split("-W")[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
