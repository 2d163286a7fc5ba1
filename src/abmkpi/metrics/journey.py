"""Account journey stages as of any date, and how accounts moved between two.

An account's stage as of a business date D (at the end of that day, or now
for today) is the first that holds, from the top of the funnel down:

- customer: a deal won with a close date on or before D, or a contract
  running on D (start date on or before D, no end date or one on or after D);
- opportunity: a deal created by D and still open at the end of D (from its
  stage history when there is one);
- MQA: engagement score at the end of D at or above the MQA threshold;
- engaged: an activity of a qualifying type in the lookback window, the
  ``engagement.journey_lookback_days`` days up to and including D;
- aware: any touch (opens included) in that window;
- unengaged: none of these.

The stages reuse the account facts and deal totals of a period's view,
computed for the lookback window as the period, so they agree with
:func:`abmkpi.metrics.accounts.journey_stage`. Accounts and their target
tiers are today's: the list is not reconstructed for past dates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis.expr.types as ir

from abmkpi.config import Settings
from abmkpi.errors import AbmkpiError, UserMessage, message_of
from abmkpi.metrics.accounts import (
    JOURNEY_STAGES,
    account_names,
    deal_totals,
    journey_stage,
)
from abmkpi.metrics.context import BackendTables, KpiContext, Segment, parse_segment
from abmkpi.metrics.facts import account_facts_expr
from abmkpi.periods import Period, business_date
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

# Funnel order, from the bottom (unengaged) to the top (customer).
FUNNEL_ORDER = JOURNEY_STAGES[::-1]


def lookback_window(settings: Settings, on: date) -> Period:
    """Return the days whose activities count for the stage as of ``on``."""
    start = on - timedelta(days=settings.engagement.journey_lookback_days - 1)
    return Period(f"{start}..{on}", "range", start, on)


def active_contract_accounts_expr(ctx: KpiContext) -> ir.Table:
    """Accounts with a live contract running on the as-of date: account_id."""
    contracts = ctx.table("contracts")
    day = ctx.as_of_date
    running = contracts.filter(
        ~contracts.is_deleted,
        contracts.account_id.notnull(),
        contracts.start_date.isnull() | (contracts.start_date <= day),
        contracts.end_date.isnull() | (contracts.end_date >= day),
    )
    return running.select("account_id").distinct()


def stages_as_of(
    store: Store, settings: Settings, on: date, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Return every live account's journey stage as of business date ``on``.

    Rows: account_id, name, seg, tier, score, stage. ``now`` (naive UTC,
    default the clock) caps the instant for today's date.
    """
    tables = BackendTables(store.ibis())
    ctx = KpiContext.for_period(tables, settings, lookback_window(settings, on), now)
    facts = tables.backend.to_pyarrow(account_facts_expr(ctx)).to_pylist()
    totals = deal_totals(tables, ctx)
    contracts = tables.backend.to_pyarrow(active_contract_accounts_expr(ctx))
    customers = set(contracts.column("account_id").to_pylist())
    names = account_names(store)
    threshold = settings.engagement.mqa_threshold
    rows = []
    for fact in facts:
        account_id = fact["account_id"]
        account = {
            **fact,
            **totals.get(account_id, {}),
            # As of a date, only a deal open then makes an opportunity.
            "new_opportunity": False,
            "active_contract": account_id in customers,
        }
        rows.append(
            {
                "account_id": account_id,
                "name": names[account_id]["name"],
                "seg": fact["seg"],
                "tier": fact["tier"],
                "score": fact["score"],
                "stage": journey_stage(account, threshold),
            }
        )
    return rows


@dataclass
class JourneyMove:
    """One account's stage at the start and at the end of a comparison."""

    account_id: str
    name: str | None
    tier: int | None
    from_stage: str
    to_stage: str

    @property
    def direction(self) -> str:
        """'up' towards customer, 'down' towards unengaged, or 'stayed'."""
        before = JOURNEY_STAGES.index(self.from_stage)
        after = JOURNEY_STAGES.index(self.to_stage)
        if after < before:
            return "up"
        return "down" if after > before else "stayed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "tier": self.tier,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "direction": self.direction,
        }


@dataclass
class JourneyProgress:
    """The journey funnel of a segment on two dates, and who moved."""

    segment: str
    from_date: date
    to_date: date
    accounts: list[JourneyMove] = field(default_factory=list)

    def counts(self, side: str) -> dict[str, int]:
        """Return the accounts per stage on the 'from' or 'to' date, in funnel
        order."""
        counts = dict.fromkeys(FUNNEL_ORDER, 0)
        for move in self.accounts:
            counts[move.from_stage if side == "from" else move.to_stage] += 1
        return counts

    def moved(self, direction: str) -> list[JourneyMove]:
        return [move for move in self.accounts if move.direction == direction]

    @property
    def movers(self) -> list[JourneyMove]:
        """Accounts that changed stage: up first, then down, highest stage first."""
        changed = self.moved("up") + self.moved("down")
        return sorted(
            changed,
            key=lambda move: (
                move.direction != "up",
                JOURNEY_STAGES.index(move.to_stage),
                move.name or move.account_id,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            "stages": list(FUNNEL_ORDER),
            "counts_from": self.counts("from"),
            "counts_to": self.counts("to"),
            "accounts": len(self.accounts),
            "moved_up": len(self.moved("up")),
            "moved_down": len(self.moved("down")),
            "stayed": len(self.moved("stayed")),
            "movers": [move.to_dict() for move in self.movers],
        }


def journey_segment(text: str) -> Segment:
    """Parse 'target', 'all', 'non-target' or 'tier:N' for a journey."""
    try:
        segment = parse_segment(text)
    except ValueError as error:
        raise AbmkpiError(message_of(error)) from error
    if segment.account_id is not None:
        raise AbmkpiError(
            UserMessage(
                "invalid segment %(text)r: a journey compares a group of "
                "accounts; use target, all, non-target or tier:N",
                text=text,
            )
        )
    return segment


def journey_progress(
    store: Store,
    settings: Settings,
    from_date: date,
    to_date: date,
    segment: str = "target",
    now: datetime | None = None,
) -> JourneyProgress:
    """Compare the journey stages of a segment's accounts on two dates."""
    if to_date < from_date:
        raise AbmkpiError(
            UserMessage(
                "invalid dates: to (%(end)s) is before from (%(start)s); swap "
                "them or pick a later to date",
                end=to_date,
                start=from_date,
            )
        )
    chosen = journey_segment(segment)
    before = stages_as_of(store, settings, from_date, now)
    after = {
        row["account_id"]: row for row in stages_as_of(store, settings, to_date, now)
    }
    progress = JourneyProgress(chosen.id, from_date, to_date)
    for row in before:
        if not chosen.includes(row["seg"], row["tier"]):
            continue
        end = after[row["account_id"]]
        progress.accounts.append(
            JourneyMove(
                row["account_id"], row["name"], row["tier"], row["stage"], end["stage"]
            )
        )
    logger.info(
        "journey of %s from %s to %s: %d accounts, %d up, %d down",
        chosen.id,
        from_date,
        to_date,
        len(progress.accounts),
        len(progress.moved("up")),
        len(progress.moved("down")),
    )
    return progress


def today(settings: Settings, now: datetime | None = None) -> date:
    """Return today's business date (``now`` is naive UTC, default the clock)."""
    current = now or datetime.now(UTC).replace(tzinfo=None)
    return business_date(current, settings.workspace.time_zone)
