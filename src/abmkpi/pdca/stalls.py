"""Deals of target accounts stalled in a stage, from the engine's stage stays.

A deal is stalled when its open stay in an open stage has lasted more than
``pdca.stall_factor`` times the median stay of that stage. The median is
taken over the dwell times of :func:`abmkpi.metrics.stages.stays_expr`. A
deal's dwell time in a stage is the sum of its completed stays there, and
every live deal of the same type counts (all accounts, not only targets)
with a stay completed up to the as-of instant. A stage without a completed
stay has no median, so no deal in it counts as stalled.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from abmkpi.config import Settings
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.stages import stays_expr
from abmkpi.periods import Period
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400


@dataclass
class StalledDeal:
    """An open deal whose current stay in a stage is past the stall limit."""

    opportunity_id: str
    opportunity_name: str | None
    account_ids: list[str]
    type: str
    stage: str
    days_in_stage: float
    median_days: float
    stage_since: datetime


def stalled_deals(
    store: Store, settings: Settings, period: Period, as_of: datetime
) -> list[StalledDeal]:
    """Return the open deals of target accounts stalled as of ``as_of``."""
    tables = BackendTables(store.ibis())
    ctx = KpiContext.for_period(tables, settings, period, as_of)
    stays = tables.backend.to_pyarrow(stays_expr(ctx)).to_pylist()
    medians = median_stays(stays)
    targets = _target_links(store, ctx.as_of_date)
    names = _deal_names(store, list(targets))
    factor = settings.pdca.stall_factor
    stalled = []
    for stay in stays:
        if stay["ended"] is not None or stay["closing"]:
            continue
        if stay["opportunity_id"] not in targets:
            continue
        median = medians.get((stay["type"], stay["stage"]))
        days = (ctx.as_of - stay["started"]).total_seconds() / SECONDS_PER_DAY
        if median is None or median <= 0 or days <= factor * median:
            continue
        stalled.append(
            StalledDeal(
                opportunity_id=stay["opportunity_id"],
                opportunity_name=names.get(stay["opportunity_id"]),
                account_ids=targets[stay["opportunity_id"]],
                type=stay["type"],
                stage=stay["stage"],
                days_in_stage=days,
                median_days=median,
                stage_since=stay["started"],
            )
        )
    logger.info("found %d stalled target deals as of %s", len(stalled), as_of)
    return stalled


def median_stays(stays: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Return the median per-deal dwell days of completed stays, by (type, stage)."""
    per_deal: dict[tuple[str, str], dict[str, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for stay in stays:
        if stay["ended"] is None or stay["closing"]:
            continue
        key = (stay["type"], stay["stage"])
        per_deal[key][stay["opportunity_id"]] += float(stay["days"])
    return {key: statistics.median(deals.values()) for key, deals in per_deal.items()}


def _target_links(store: Store, as_of_date: date) -> dict[str, list[str]]:
    """Return the live target accounts of every deal linked to one, leaving
    out deals the source marks closed by the as-of date even without a
    closing stage-history row."""
    rows = store.fetch_all(
        """
        SELECT l.opportunity_id, list(DISTINCT l.account_id ORDER BY l.account_id)
        FROM opportunity_accounts l
        JOIN accounts a ON a.id = l.account_id
        JOIN opportunities o ON o.id = l.opportunity_id
        WHERE a.is_target AND NOT a.is_deleted AND a.merged_into_id IS NULL
          AND NOT (coalesce(o.is_closed, false) AND o.close_date <= ?::DATE)
        GROUP BY l.opportunity_id
        """,
        [as_of_date],
    )
    return {deal: list(accounts) for deal, accounts in rows}


def _deal_names(store: Store, ids: list[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    rows = store.fetch_all(
        "SELECT id, name FROM opportunities WHERE list_contains(?, id)", [ids]
    )
    return dict(rows)
