"""When an account's engagement score crossed the MQA threshold.

The score is Σ points × 0.5^(age / half-life) (see
:mod:`abmkpi.metrics.engagement`). Between activities it only decays, so it
can rise past the threshold only at an activity. With every age measured
from the instant ``T`` the detection runs at,

    score right after activity i = 0.5^((t_i - T)/h) × Σ_{j ≤ i} p_j 2^((t_j - T)/h)

and a running sum in time order gives the score right before and right
after every activity in one window query. An activity *crosses* when the
score before it is below the threshold and the score after it is at or
above it. For an account at or above the threshold at ``T``, the latest
crossing is the start of its current run above the threshold: that
activity's instant identifies the handoff.

Every activity of the account counts here, while the score of
:func:`abmkpi.metrics.engagement.scores_expr` leaves out activities older
than 16 half-lives; they weigh less than 2^-16 of their points.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from abmkpi.config import Settings
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.engagement import (
    SECONDS_PER_DAY,
    epoch_seconds,
    weighted_activities_expr,
)
from abmkpi.periods import Calendar, business_date
from abmkpi.store.database import Store

# Earlier than any stored activity: the lower bound of the running sum.
HISTORY_START = datetime(1900, 1, 1)
# The temporary table the compiled query reads the changed account ids from.
CHANGED_ACCOUNTS_TABLE = "handoff_changed_accounts"
MAX_COMPILED = 8
_COMPILED: dict[tuple[str, int, datetime], tuple[Settings, str]] = {}


@dataclass(frozen=True)
class Crossing:
    """An account at or above the threshold, and the activity that put it there."""

    account_id: str
    crossed_at: datetime
    activity_id: str
    score_at_crossing: float
    score: float  # at the detection instant


def detection_context(
    store: Store,
    settings: Settings,
    as_of: datetime,
    account_ids: Collection[str] | None = None,
) -> KpiContext:
    """Return a KPI context at ``as_of`` over all accounts or some of them."""
    tables = BackendTables(store.ibis())
    zone = settings.workspace.time_zone
    day = business_date(as_of, zone)
    period = Calendar(settings.fiscal, zone).parse(day.isoformat())
    listed = None if account_ids is None else frozenset(account_ids)
    return KpiContext(tables, settings, period, as_of, account_ids=listed)


def current_crossings_expr(ctx: KpiContext, targets_only: bool) -> ir.Table:
    """Accounts at or above the threshold at ``ctx.as_of``, with their latest
    crossing: account_id, score, crossed_at, activity_id, score_at_crossing."""
    threshold = ctx.settings.engagement.mqa_threshold
    half_life = ctx.settings.engagement.half_life_days * SECONDS_PER_DAY
    weighted = weighted_activities_expr(ctx, HISTORY_START, ctx.as_of)
    if targets_only:
        weighted = weighted.filter(weighted.seg == "target")

    offset = (
        weighted.occurred_at.epoch_seconds() - epoch_seconds(ctx.as_of)
    ) / half_life
    grown = weighted.mutate(
        grown=weighted.points * ibis.literal(2.0) ** offset, offset=offset
    )
    window = ibis.window(
        group_by=grown.account_id,
        order_by=[grown.occurred_at, grown.id],
        rows=(None, 0),
    )
    running = grown.mutate(total=grown.grown.sum().over(window))

    decay = ibis.literal(0.5) ** running.offset
    steps = running.mutate(
        score_before=(running.total - running.grown) * decay,
        score_after=running.total * decay,
    )
    crossing = (steps.score_before < threshold) & (steps.score_after >= threshold)
    marked = steps.mutate(
        crossing_key=ibis.ifelse(
            crossing, steps.occurred_at.epoch_seconds(), ibis.null("float64")
        )
    )

    per_account = marked.group_by("account_id").aggregate(
        score=marked.grown.sum(),
        crossed_at=marked.occurred_at.max(where=crossing),
        activity_id=marked.id.argmax(marked.crossing_key, where=crossing),
        score_at_crossing=marked.score_after.argmax(
            marked.crossing_key, where=crossing
        ),
    )
    return per_account.filter(
        per_account.score >= threshold, per_account.crossed_at.notnull()
    )


def current_crossings(
    store: Store,
    settings: Settings,
    as_of: datetime,
    account_ids: Collection[str] | None = None,
) -> list[Crossing]:
    """Return the accounts at or above the MQA threshold at ``as_of``.

    ``account_ids`` limits the scan to some accounts (those an ingest
    changed) and moves ``as_of`` to the end of its minute; None scans every
    account.
    """
    if account_ids is None:
        ctx = detection_context(store, settings, as_of)
        expr = current_crossings_expr(ctx, settings.handoff.targets_only)
        backend = ctx.tables.backend  # type: ignore[attr-defined]
        return _crossings(backend.to_pyarrow(expr).to_pylist())
    if not account_ids:
        return []
    # Instants within one minute share one compiled query; the score decays
    # by a factor of at most 2^(-60 s / half-life) in between.
    as_of = as_of.replace(second=59, microsecond=999_999)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED_ACCOUNTS_TABLE} AS "
        "SELECT unnest(?::VARCHAR[]) AS account_id",
        [sorted(account_ids)],
    )
    try:
        sql = _compiled_sql(store, settings, as_of)
        return _crossings(store.fetch_arrow(sql).to_pylist())
    finally:
        store.execute(f"DROP TABLE IF EXISTS {CHANGED_ACCOUNTS_TABLE}")


def _compiled_sql(store: Store, settings: Settings, as_of: datetime) -> str:
    """Return the crossings query of the accounts in the changed-accounts
    table, compiled once per store, settings object and instant."""
    key = (str(store.path), id(settings), as_of)
    cached = _COMPILED.get(key)
    if cached is not None:
        return cached[1]
    ctx = detection_context(store, settings, as_of)
    ctx.account_ids_table = CHANGED_ACCOUNTS_TABLE
    expr = current_crossings_expr(ctx, settings.handoff.targets_only)
    sql = str(ctx.tables.backend.compile(expr))  # type: ignore[attr-defined]
    if len(_COMPILED) >= MAX_COMPILED:
        _COMPILED.pop(next(iter(_COMPILED)))
    # The settings object is kept with the query so that its id is not reused.
    _COMPILED[key] = (settings, sql)
    return sql


def _crossings(rows: list[dict[str, Any]]) -> list[Crossing]:
    return [
        Crossing(
            account_id=row["account_id"],
            crossed_at=row["crossed_at"],
            activity_id=row["activity_id"],
            score_at_crossing=float(row["score_at_crossing"]),
            score=float(row["score"]),
        )
        for row in sorted(rows, key=lambda row: (row["crossed_at"], row["account_id"]))
    ]
