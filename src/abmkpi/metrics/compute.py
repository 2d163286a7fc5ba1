"""Computing every KPI of a period for a set of segments.

The facts expressions run on the workspace store through Ibis; results per
segment are then assembled from the fetched facts, so one pass over the data
serves all segments.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis.expr.types as ir

from abmkpi.config import Settings
from abmkpi.errors import MessageText, NotFoundError, UserMessage
from abmkpi.kpi_targets import period_targets
from abmkpi.metrics import customer_facts, facts, stages
from abmkpi.metrics.context import BackendTables, KpiContext, Segment, TableSource
from abmkpi.metrics.customer_success import customer_success_results
from abmkpi.metrics.marketing import marketing_results
from abmkpi.metrics.results import KpiResult
from abmkpi.metrics.sales import sales_results, stage_results
from abmkpi.periods import Period
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

DEFAULT_SEGMENTS = ("all", "target", "non_target")


@dataclass
class KpiReport:
    """All KPI results of one period, ready to print or serialise."""

    period: Period
    period_label: dict[str, str]
    as_of: datetime
    currency: str
    results: list[KpiResult] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    notes: list[MessageText] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "id": self.period.id,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": self.period_label,
            },
            "as_of": self.as_of.isoformat(timespec="seconds") + "Z",
            "currency": self.currency,
            "segments": self.segments,
            "notes": [str(note) for note in self.notes],
            "results": [result.to_dict() for result in self.results],
        }

    def find(
        self, kpi_id: str, segment: str = "all", variant: str | None = None
    ) -> KpiResult:
        for result in self.results:
            if (
                result.id == kpi_id
                and result.segment == segment
                and result.variant == variant
            ):
                return result
        raise KeyError(f"no result {kpi_id} {variant or ''} for segment {segment}")


def fact_expressions(ctx: KpiContext, open_stages: list[str]) -> dict[str, ir.Table]:
    """Every expression the KPIs are computed from, by name."""
    return {
        "accounts": facts.account_facts_expr(ctx),
        "deals": facts.opportunity_facts_expr(ctx),
        "leads": facts.new_leads_expr(ctx),
        "stays": stages.stays_expr(ctx),
        "reached": stages.reached_expr(ctx, open_stages),
        "contracts": customer_facts.contract_facts_expr(ctx),
        "customers": customer_facts.customer_facts_expr(ctx),
        "responses": customer_facts.nps_facts_expr(ctx),
    }


# The columns that order each kind of fact row. Bootstrap intervals resample
# rows by position, so a fixed order makes them repeatable.
FACT_ORDER = {
    "accounts": ("account_id",),
    "deals": ("opportunity_id",),
    "leads": ("person_id",),
    "stays": ("opportunity_id", "started", "stage"),
    "reached": ("opportunity_id",),
    "contracts": ("contract_id",),
    "customers": ("account_id",),
    "responses": ("respondent",),
}

Row = dict[str, Any]


@dataclass
class FactRows:
    """The fetched facts of one period, each list in its ``FACT_ORDER``."""

    accounts: list[Row]
    deals: list[Row]
    leads: list[Row]
    stays: list[Row]
    reached: list[Row]
    open_stages: list[str]
    # Customer-success facts: contracts, revenue per account, NPS responses.
    contracts: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    responses: list[Row] = field(default_factory=list)


def compute_kpis(
    store: Store,
    settings: Settings,
    period: Period,
    segments: list[str] | None = None,
    now: datetime | None = None,
) -> KpiReport:
    """Compute every KPI of ``period`` for the segments.

    Segments ``account:ID`` accept a canonical id, a source id or an exact
    account name; each is computed over that account's facts alone and
    reported under its canonical id.
    """
    from abmkpi.metrics.accounts import find_account, live_account_of

    wanted = list(dict.fromkeys(segments or []))
    accounts = [s for s in wanted if s.startswith("account:")]
    others = [s for s in wanted if not s.startswith("account:")]
    _check_tiers(store, others)
    resolved = [
        live_account_of(store, find_account(store, segment.split(":", 1)[1]))
        for segment in accounts
    ]
    tables = BackendTables(store.ibis())
    stored = period_targets(store, period.id)
    ctx = KpiContext.for_period(tables, settings, period, now, stored_targets=stored)
    if others or not accounts:
        report = compute_with_context(ctx, tables, others or None)
    else:
        report = empty_report(ctx, [])
    for account_id, note in resolved:
        if note:
            report.notes.append(note)
        one = KpiContext.for_period(
            tables, settings, period, now, account_id, stored_targets=stored
        )
        part = compute_with_context(one, tables, [f"account:{account_id}"])
        report.results += part.results
        report.segments += part.segments
    return report


def _check_tiers(store: Store, segments: list[str]) -> None:
    """Raise NotFoundError for a tier segment that no target account has."""
    tiers = [Segment(segment).tier for segment in segments]
    wanted = [tier for tier in tiers if tier is not None]
    if not wanted:
        return
    rows = store.fetch_all(
        "SELECT DISTINCT tier FROM accounts WHERE is_target AND NOT is_deleted "
        "AND merged_into_id IS NULL ORDER BY tier"
    )
    known = [int(row[0]) for row in rows if row[0] is not None]
    for tier in wanted:
        if tier not in known:
            in_use = ", ".join(f"tier:{number}" for number in known) or UserMessage(
                "none"
            )
            raise NotFoundError(
                UserMessage(
                    "no target account has tier %(tier)s (segment tier:%(tier)s); "
                    "tiers in use: %(in_use)s. Set tiers with 'abmkpi targets set'.",
                    tier=tier,
                    in_use=in_use,
                )
            )


def compute_with_context(
    ctx: KpiContext, tables: TableSource, segments: list[str] | None
) -> KpiReport:
    started = time.perf_counter()
    report = assemble_report(ctx, fetch_fact_rows(ctx, tables), segments)
    logger.info(
        "computed %d KPI results for %s in %.2fs",
        len(report.results),
        ctx.period.id,
        time.perf_counter() - started,
    )
    return report


def fetch_fact_rows(ctx: KpiContext, tables: TableSource) -> FactRows:
    """Run every facts expression of the context and fetch the rows in order."""
    open_stages = open_stage_order(ctx)
    rows = {
        name: _fetch(tables, expression.order_by(list(FACT_ORDER[name])))
        for name, expression in fact_expressions(ctx, open_stages).items()
    }
    return FactRows(**rows, open_stages=open_stages)


def assemble_report(
    ctx: KpiContext, rows: FactRows, segments: list[str] | None
) -> KpiReport:
    """Turn fetched facts into the report of the segments (default: all of
    them, target, non-target and each tier)."""
    report = empty_report(ctx, segments or default_segments(rows.accounts))
    for segment_id in report.segments:
        report.results += segment_results(ctx, rows, segment_id)
    return report


def empty_report(ctx: KpiContext, segments: list[str]) -> KpiReport:
    """Return the report of the context's period without results."""
    return KpiReport(
        period=ctx.period,
        period_label={
            "en": ctx.calendar.label(ctx.period, "en"),
            "ja": ctx.calendar.label(ctx.period, "ja"),
        },
        as_of=ctx.as_of,
        currency=ctx.settings.workspace.reporting_currency,
        segments=list(segments),
    )


def segment_results(
    ctx: KpiContext, rows: FactRows, segment_id: str
) -> list[KpiResult]:
    """Return every KPI result of one segment, in report order."""
    segment = Segment(segment_id)
    members = segment.select(rows.accounts)
    deals = segment.select(rows.deals)
    return [
        *marketing_results(ctx, members, deals, segment),
        *sales_results(
            ctx, members, deals, segment.select(rows.leads), rows.deals, segment
        ),
        *stage_results(
            ctx,
            segment.select(rows.stays),
            segment.select(rows.reached),
            rows.open_stages,
            segment,
        ),
        *customer_success_results(
            ctx, rows.contracts, rows.customers, rows.responses, segment
        ),
    ]


def default_segments(accounts: list[dict[str, Any]]) -> list[str]:
    tiers = sorted({row["tier"] for row in accounts if row["tier"] is not None})
    return [*DEFAULT_SEGMENTS, *(f"tier:{tier}" for tier in tiers)]


def _fetch(tables: TableSource, expression: ir.Table) -> list[dict[str, Any]]:
    backend = getattr(tables, "backend", None)
    if backend is None:
        raise TypeError("KPIs can only be computed on a live backend")
    return backend.to_pyarrow(expression).to_pylist()


def open_stage_order(ctx: KpiContext) -> list[str]:
    """Open (not closing) stages in sales order.

    The order comes from the config when set, else from the sources' stage
    definitions (sort order), else from the median position at which each
    stage appears in the stage history.
    """
    configured = ctx.settings.opportunities.stage_order
    if configured:
        return list(configured)
    backend = getattr(ctx.tables, "backend", None)
    if backend is None:
        return []
    defined = backend.to_pyarrow(stages.stage_definitions_expr(ctx)).to_pylist()
    seen = backend.to_pyarrow(stages.history_stages_expr(ctx)).to_pylist()
    positions = {row["stage"]: row["position"] for row in seen}
    closing = {row["stage"] for row in seen if row["is_closed"]}
    closing |= {row["stage"] for row in defined if row["is_closed"]}
    ordered: dict[str, tuple[float, float]] = {}
    for row in defined:
        if row["stage"] not in closing and row["sort_order"] is not None:
            ordered[row["stage"]] = (
                float(row["sort_order"]),
                positions.get(row["stage"], 0.0),
            )
    if ordered:
        return sorted(ordered, key=lambda stage: ordered[stage])
    candidates = {
        stage: position for stage, position in positions.items() if stage not in closing
    }
    return sorted(candidates, key=lambda stage: (candidates[stage], stage))
