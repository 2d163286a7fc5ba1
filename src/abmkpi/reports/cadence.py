"""Monitoring cadences: which KPIs each pack shows and which period it covers.

The weekly pack follows engagement and contact progress, the monthly pack
opportunity rate and pipeline contribution, the quarterly pack win rate,
deal size, sales cycle and the customer-success KPIs. Each pack covers the
last complete week, month or fiscal quarter by default.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from abmkpi.i18n import N_
from abmkpi.periods import Calendar, Period, PeriodKind


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


PERIOD_KINDS: dict[Cadence, PeriodKind] = {
    Cadence.WEEKLY: "week",
    Cadence.MONTHLY: "month",
    Cadence.QUARTERLY: "fiscal_quarter",
}

TITLES = {
    Cadence.WEEKLY: N_("Weekly ABM report"),
    Cadence.MONTHLY: N_("Monthly ABM report"),
    Cadence.QUARTERLY: N_("Quarterly ABM report"),
}

FOCUS = {
    Cadence.WEEKLY: N_("Engagement score and contact progress of target accounts"),
    Cadence.MONTHLY: N_("Opportunity rate and pipeline contribution"),
    Cadence.QUARTERLY: N_(
        "Win rate, deal size, sales cycle and customer-success results"
    ),
}

# KPI keys per pack, in display order: an id takes every variant of that
# KPI, ``id:variant`` one of them. Keys without results (customer-success
# KPIs before their data is imported) are left out of the pack.
KPI_KEYS: dict[Cadence, list[str]] = {
    Cadence.WEEKLY: [
        "engagement_score",
        "contact_rate",
        "engaged_people",
        "persona_coverage:buying_group",
        "persona_coverage:decision_maker",
        "mqa_count",
        "mqa_rate",
    ],
    Cadence.MONTHLY: [
        "opportunity_rate:per_account",
        "opportunity_rate:per_engaged_account",
        "opportunity_rate:per_new_lead",
        "pipeline_created",
        "marketing_influenced_pipeline",
        "pipeline_open",
        "mqa_count",
    ],
    Cadence.QUARTERLY: [
        "win_rate",
        "win_rate_amount",
        "average_deal_size",
        "deal_size_uplift",
        "sales_cycle_days",
        "ltv",
        "renewal_rate",
        "upsell_rate",
        "nps",
    ],
}

# Periods shown in the trend charts: the pack's period and those before it.
TREND_PERIODS = {Cadence.WEEKLY: 4, Cadence.MONTHLY: 4, Cadence.QUARTERLY: 4}


def parse_cadence(text: str) -> Cadence:
    """Return the cadence named ``text``; raise ValueError for another name."""
    try:
        return Cadence(text.strip().lower())
    except ValueError:
        names = ", ".join(cadence.value for cadence in Cadence)
        raise ValueError(f"unknown report cadence {text!r}; use {names}") from None


def last_complete_period(calendar: Calendar, cadence: Cadence, today: date) -> Period:
    """Return the latest week, month or fiscal quarter that ended before today."""
    current = calendar.period_of(PERIOD_KINDS[cadence], today)
    return calendar.period_of(current.kind, current.start - timedelta(days=1))


def trend_periods(calendar: Calendar, cadence: Cadence, period: Period) -> list[Period]:
    """Return the trend's periods, oldest first, ending with ``period``."""
    return [*calendar.previous(period, TREND_PERIODS[cadence] - 1), period]
