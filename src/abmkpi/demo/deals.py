"""One demo opportunity: its name, amount, stage history and close dates.

Stage changes happen on weekdays in office hours of the business time zone.
The amount is re-quoted when a deal reaches Proposal. Reps move the close
date out when a deal nears it, but only when they touch the deal, so deals
that stall go overdue while still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from abmkpi.canonical import OpportunityType
from abmkpi.demo.catalog import PRODUCTS
from abmkpi.demo.clock import local_to_utc
from abmkpi.demo.money import round_amount
from abmkpi.demo.stages import (
    OPEN_STAGES,
    PROPOSAL,
    StageStep,
    is_closed,
    typical_cycle_days,
)
from abmkpi.periods import business_date

RAW_TYPES = {
    OpportunityType.NEW_BUSINESS: "New Business",
    OpportunityType.EXPANSION: "Existing Customer - Upgrade",
    OpportunityType.RENEWAL: "Renewal",
}
_NAME_SUFFIXES = {
    OpportunityType.NEW_BUSINESS: ("新規導入", "New Business"),
    OpportunityType.EXPANSION: ("追加導入", "Upsell"),
    OpportunityType.RENEWAL: ("契約更新", "Renewal"),
}
_LEAD_SOURCES = {
    "webinar": "Webinar",
    "event": "Event",
    "content": "Web",
    "email": "Email",
    "ads": "Advertisement",
}


@dataclass
class StageChange:
    stage: str
    amount: float
    close_date: date
    changed_at: datetime


@dataclass
class Opportunity:
    company: int
    kind: OpportunityType
    name: str
    product: str
    currency: str
    lead_source: str
    campaign: int
    created_at: datetime
    renews: int | None = None  # index of the contract a renewal renews
    expands: int | None = None  # index of the contract an expansion adds to
    history: list[StageChange] = field(default_factory=list)

    @property
    def last(self) -> StageChange:
        return self.history[-1]

    @property
    def is_won(self) -> bool:
        return self.last.stage == "Closed Won"

    @property
    def is_closed(self) -> bool:
        return is_closed(self.last.stage)


def business_instant(rng: np.random.Generator, day: date, zone: str) -> datetime:
    """Return an office-hours instant on ``day``, moved back to Friday from weekends.

    Moving back keeps an instant picked inside the window inside it.
    """
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return local_to_utc(day, int(rng.integers(9 * 3600, 19 * 3600)), zone)


def deal_name(
    company_name: str, japanese: bool, kind: OpportunityType, year: int
) -> str:
    ja, en = _NAME_SUFFIXES[kind]
    suffix = ja if japanese else en
    if kind == OpportunityType.RENEWAL:
        suffix += f" {year}年" if japanese else f" {year}"
    return f"{company_name} - {suffix}"


def choose_product(rng: np.random.Generator, kind: OpportunityType) -> str:
    if kind == OpportunityType.RENEWAL:
        return PRODUCTS[0][0]
    weights = np.array([weight for _, weight in PRODUCTS])
    if kind == OpportunityType.EXPANSION:
        weights = weights[::-1]
    return PRODUCTS[int(rng.choice(len(PRODUCTS), p=weights / weights.sum()))][0]


def lead_source(kind: OpportunityType, campaign_channel: str | None) -> str:
    if kind != OpportunityType.NEW_BUSINESS:
        return "Existing Customer"
    if campaign_channel is None:
        return "Outbound"
    return _LEAD_SOURCES.get(campaign_channel, "Other")


def stage_history(
    rng: np.random.Generator,
    steps: list[StageStep],
    created: datetime,
    amount: float,
    currency: str,
    speed: float,
    zone: str,
    end: datetime,
) -> list[StageChange]:
    """Turn a simulated path into dated history rows, cut at ``end``."""
    created_day = business_date(created, zone)
    cycle = typical_cycle_days(OPEN_STAGES.index(steps[0].stage), speed)
    # Reps plan optimistically: most planned close dates come before the median.
    optimism = np.exp(rng.normal(-0.25, 0.3))
    planned = created_day + timedelta(days=round(cycle * optimism))
    amount = round_amount(amount, currency)

    changes: list[StageChange] = []
    previous = created
    requoted = False
    for step in steps:
        instant = created
        if step.days > 0:
            day = created_day + timedelta(days=round(step.days))
            instant = business_instant(rng, day, zone)
            if instant <= previous:
                instant = previous + timedelta(minutes=int(rng.integers(30, 90)))
        if instant >= end:
            break

        quoted = step.stage in (*OPEN_STAGES[PROPOSAL:], "Closed Won")
        if quoted and not requoted:
            amount = round_amount(amount * rng.uniform(0.85, 1.2), currency)
            requoted = True
        stage_day = business_date(instant, zone)
        planned = _updated_close(rng, step.stage, stage_day, planned)
        changes.append(StageChange(step.stage, amount, planned, instant))
        previous = instant
    return changes


def _updated_close(
    rng: np.random.Generator, stage: str, stage_day: date, planned: date
) -> date:
    """Return the close date after a stage change on ``stage_day``.

    A closed deal closes that day. Half the time a rep touching a deal within
    a week of its planned close moves the date three to six weeks out.
    """
    if is_closed(stage):
        return stage_day
    if stage_day > planned - timedelta(days=7) and rng.random() < 0.5:
        return stage_day + timedelta(days=int(rng.integers(21, 46)))
    return planned
