"""Currencies, exchange rates and deal amounts of the demo.

The corporate currency is JPY. Rates follow Salesforce's convention: units of
the currency per one JPY. Each currency gets a dated rate per month, like
DatedConversionRate records, and one undated rate, like CurrencyType.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

CORPORATE_CURRENCY = "JPY"

# Units per JPY at the first month; monthly moves are a random walk.
_FIRST_RATES = {"USD": 1 / 140.0, "EUR": 1 / 152.0}
_MONTHLY_VOLATILITY = 0.02

# Median first-year amount of a new-business deal in JPY. Target accounts'
# deals have 1.8 times the median and less spread, so their average is about
# 1.7 times the others' (the deal-size uplift ABM aims at).
NEW_BUSINESS_MEDIAN_JPY = 3_600_000.0
TARGET_DEAL_FACTOR = 1.8
_AMOUNT_SIGMA = 0.35
_TARGET_AMOUNT_SIGMA = 0.15


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class FxRates:
    """Monthly dated rates per currency from ``first_month`` to ``last_month``."""

    first_month: int
    last_month: int
    monthly: dict[str, np.ndarray]

    def rate(self, currency: str, day: date) -> float:
        if currency == CORPORATE_CURRENCY:
            return 1.0
        month = min(max(month_index(day), self.first_month), self.last_month)
        return float(self.monthly[currency][month - self.first_month])

    def table(self) -> pa.Table:
        """Return fx_rates rows: dated monthly rates, then one undated per currency."""
        rows: dict[str, list] = {
            "n": [],
            "currency": [],
            "rate": [],
            "valid_from": [],
            "valid_to": [],
            "is_corporate": [],
        }

        def add(currency: str, rate: float, start: date | None, end: date | None):
            rows["n"].append(len(rows["n"]) + 1)
            rows["currency"].append(currency)
            rows["rate"].append(rate)
            rows["valid_from"].append(start)
            rows["valid_to"].append(end)
            rows["is_corporate"].append(currency == CORPORATE_CURRENCY)

        for currency, rates in self.monthly.items():
            for offset, rate in enumerate(rates):
                month = self.first_month + offset
                last = month == self.last_month
                add(
                    currency,
                    float(rate),
                    month_start(month),
                    None if last else month_start(month + 1),
                )
        add(CORPORATE_CURRENCY, 1.0, None, None)
        for currency, rates in self.monthly.items():
            add(currency, float(rates[-1]), None, None)
        return pa.table(rows)


def build_fx(rng: np.random.Generator, first: date, last: date) -> FxRates:
    first_month, last_month = month_index(first), month_index(last)
    months = last_month - first_month + 1
    monthly = {}
    for currency, start in _FIRST_RATES.items():
        steps = rng.normal(0.0, _MONTHLY_VOLATILITY, months)
        steps[0] = 0.0
        monthly[currency] = np.round(start * np.exp(np.cumsum(steps)), 8)
    return FxRates(first_month, last_month, monthly)


def round_amount(amount: float, currency: str) -> float:
    """Round as deals are quoted: JPY to 10,000 yen, others to 100 units."""
    step = 10_000 if currency == CORPORATE_CURRENCY else 100
    return float(max(step, round(amount / step) * step))


def new_business_amount_jpy(rng: np.random.Generator, target: bool) -> float:
    if target:
        spread = np.exp(rng.normal(0, _TARGET_AMOUNT_SIGMA))
        return NEW_BUSINESS_MEDIAN_JPY * TARGET_DEAL_FACTOR * float(spread)
    return NEW_BUSINESS_MEDIAN_JPY * float(np.exp(rng.normal(0, _AMOUNT_SIGMA)))
