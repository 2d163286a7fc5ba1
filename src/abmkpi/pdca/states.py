"""Engagement score and journey stage of some accounts, as the account list
computes them, without computing the facts of every other account."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from abmkpi.config import Settings
from abmkpi.metrics.accounts import account_names, account_rows, deal_totals
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.facts import account_facts_expr
from abmkpi.periods import Period
from abmkpi.store.database import Store


def account_states(
    store: Store,
    settings: Settings,
    period: Period,
    account_ids: Collection[str],
    now: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """Return the account-list row (score, journey_stage, engaged personas,
    mqa_at, …) of each live account among ``account_ids``, by id."""
    if not account_ids:
        return {}
    tables = BackendTables(store.ibis())
    ctx = KpiContext.for_period(tables, settings, period, now, account_ids=account_ids)
    facts = tables.backend.to_pyarrow(account_facts_expr(ctx)).to_pylist()
    rows = account_rows(
        facts,
        deal_totals(tables, ctx),
        account_names(store),
        settings.engagement.mqa_threshold,
    )
    return {row["account_id"]: row for row in rows}
