"""Formatting KPI values for people: percentages, currencies, days, multiples.

Numbers and currencies follow the language's locale through Babel, so yen
amounts read ￥5,500,000 in Japanese and ¥5,500,000 in English.
"""

from __future__ import annotations

from babel.numbers import format_currency, format_decimal, format_percent

from abmkpi.i18n import translate
from abmkpi.metrics.results import KpiResult, Unit

_LOCALES = {"ja": "ja_JP", "en": "en_US"}


def locale_of(language: str) -> str:
    return _LOCALES.get(language, "en_US")


def format_value(
    value: float | None, unit: Unit, currency: str, language: str = "en"
) -> str:
    """Return ``value`` as text in the given unit and language; '–' when missing."""
    if value is None:
        return "–"
    locale = locale_of(language)
    if unit == Unit.RATIO:
        return format_percent(value, "#,##0.0%", locale=locale)
    if unit == Unit.CURRENCY:
        return format_currency(
            value, currency, format="¤#,##0", locale=locale, currency_digits=False
        )
    if unit == Unit.DAYS:
        days = format_decimal(value, "#,##0.0", locale=locale)
        return f"{days}日" if language == "ja" else f"{days} days"
    if unit == Unit.MULTIPLE:
        return format_decimal(value, "#,##0.00", locale=locale) + "×"
    if unit in (Unit.COUNT,):
        return format_decimal(value, "#,##0", locale=locale)
    return format_decimal(value, "#,##0.0", locale=locale)


def format_interval(result: KpiResult, currency: str, language: str = "en") -> str:
    if result.ci95 is None:
        return ""
    low, high = result.ci95
    return (
        f"{format_value(low, result.unit, currency, language)} – "
        f"{format_value(high, result.unit, currency, language)}"
    )


def format_status(status: str, language: str) -> str:
    return translate(status, language)
