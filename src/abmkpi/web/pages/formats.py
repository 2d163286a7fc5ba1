"""Numbers, amounts, dates and labels as the dashboard shows them, per language.

Everything goes through Babel with the language's locale (``ja_JP`` or
``en_US``), so yen read ￥4,677万 on a Japanese card and ¥46.8M on an
English one, and instants are shown in the workspace's business time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)

from abmkpi.formatting import format_interval, format_value, locale_of
from abmkpi.i18n import translate
from abmkpi.metrics.results import KpiResult, Unit
from abmkpi.periods import Calendar, Period
from abmkpi.vocabulary import TIER_LABEL, term_label

MISSING = "–"

# One date and one date-time pattern per language: 2024/05/01 22:04 in
# Japanese and 1 May 2024 22:04 in English, never the en_US 5/1/24 style.
DATE_PATTERNS = {"ja": "yyyy/MM/dd", "en": "d MMM y"}
SHORT_DATE_PATTERNS = {"ja": "M月d日", "en": "d MMM"}

# Amounts at or above this are shown compactly (万/億, M/B) on cards.
COMPACT_FROM = 1_000_000


class Formatter:
    """Formats values for one language, reporting currency and time zone."""

    def __init__(self, language: str, currency: str, calendar: Calendar):
        self.language = language
        self.locale = locale_of(language)
        self.currency = currency
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.time_zone)

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return MISSING
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, pattern, locale=self.locale)

    def compact(self, value: float | None) -> str:
        if value is None:
            return MISSING
        if abs(value) < 10_000:
            return self.number(value)
        return format_compact_decimal(value, locale=self.locale, fraction_digits=1)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return MISSING
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(value, pattern, locale=self.locale)

    def money(self, value: float | None, currency: str | None = None) -> str:
        """Return an amount in full, in its own currency or the reporting one."""
        if value is None:
            return MISSING
        return format_currency(
            value,
            currency or self.currency,
            format="¤#,##0",
            locale=self.locale,
            currency_digits=False,
        )

    def money_compact(self, value: float | None, currency: str | None = None) -> str:
        """Return an amount for a card: ￥4677万 or ¥46.8M from a million up."""
        if value is None:
            return MISSING
        if abs(value) < COMPACT_FROM:
            return self.money(value, currency)
        return format_compact_currency(
            value, currency or self.currency, locale=self.locale, fraction_digits=1
        )

    def kpi(self, result: KpiResult) -> str:
        """Return a KPI value as a card shows it (amounts compact)."""
        if result.unit == Unit.CURRENCY:
            return self.money_compact(result.value)
        return self.kpi_full(result)

    def kpi_full(self, result: KpiResult) -> str:
        return self.unit_value(result.value, result.unit)

    def unit_value(self, value: float | None, unit: Unit | str) -> str:
        return format_value(value, Unit(unit), self.currency, self.language)

    def interval(self, result: KpiResult) -> str:
        return format_interval(result, self.currency, self.language)

    def date(self, value: dt.date | dt.datetime | None) -> str:
        """Return a date such as 2024/05/01 or 1 May 2024."""
        if value is None:
            return MISSING
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        return format_date(value, self._pattern(DATE_PATTERNS), locale=self.locale)

    def short_date(self, value: dt.date | dt.datetime | None) -> str:
        """Return a date without the year, such as 5月1日 or 1 May."""
        if value is None:
            return MISSING
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        pattern = self._pattern(SHORT_DATE_PATTERNS)
        return format_date(value, pattern, locale=self.locale)

    def datetime(self, instant: dt.datetime | None) -> str:
        """Return a stored instant (naive UTC) in the business time zone, such
        as 2024/05/01 22:04 or 1 May 2024 22:04."""
        if instant is None:
            return MISSING
        pattern = self._pattern(DATE_PATTERNS) + " HH:mm"
        return format_datetime(self.local(instant), pattern, locale=self.locale)

    def _pattern(self, patterns: dict[str, str]) -> str:
        return patterns.get(self.language, patterns["en"])

    def local(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        return instant.astimezone(self.zone)

    def period(self, period: Period) -> str:
        """Return a period label such as 2024年度 第1四半期 or FY2024 Q1."""
        label = self.calendar.label(period, self.language)
        if period.kind in ("week", "day"):
            return f"{label} ({self.date(period.start)} – {self.date(period.end)})"
        return label

    def span(self, period: Period) -> str:
        return f"{self.date(period.start)} – {self.date(period.end)}"

    def term(self, group: str, value: Any) -> str:
        """Return the label of a vocabulary value (a stage, persona, type…)."""
        if value is None or value == "":
            return MISSING
        text = str(value)
        if group == "segment" and text.startswith("tier:"):
            return translate(TIER_LABEL, self.language) % {"tier": text[5:]}
        return translate(term_label(group, text), self.language)

    def status(self, status: str) -> str:
        return self.term("status", status)
