"""Sales KPIs from account, opportunity, lead and stage facts, per segment.

Win rate, deal size, uplift and cycle read new-business deals only; a
renewal or expansion never enters them.
"""

from __future__ import annotations

import statistics
from typing import Any

from abmkpi.canonical import OpportunityType
from abmkpi.metrics.context import KpiContext, Segment
from abmkpi.metrics.marketing import Row
from abmkpi.metrics.registry import make_result
from abmkpi.metrics.results import (
    KpiResult,
    bootstrap_mean_interval,
    bootstrap_mean_ratio_interval,
    bootstrap_ratio_interval,
    ratio,
    wilson_interval,
)

NEW = OpportunityType.NEW_BUSINESS.value


def _seed(ctx: KpiContext) -> tuple[int, int]:
    return ctx.settings.kpi.bootstrap_samples, ctx.settings.kpi.seed


def sales_results(
    ctx: KpiContext,
    members: list[Row],
    segment_deals: list[Row],
    leads: list[Row],
    deals: list[Row],
    segment: Segment,
) -> list[KpiResult]:
    """Every sales KPI except stage dwell and conversion, for one segment.

    ``members``, ``segment_deals`` and ``leads`` are the segment's facts;
    ``deals`` are all deals, which the uplift compares.
    """
    segment_deals = [d for d in segment_deals if d["type"] == NEW]
    closed = [d for d in segment_deals if d["closed_in_period"]]
    won = [d for d in closed if d["won"]]
    results = _opportunity_rates(ctx, members, segment_deals, leads, segment)
    results += [
        _win_rate(ctx, closed, segment_deals, segment),
        _win_rate_amount(ctx, closed, segment),
        _average_deal_size(ctx, won, segment),
        _sales_cycle(ctx, won, segment),
    ]
    uplift = _uplift(ctx, deals, segment)
    if uplift is not None:
        results.append(uplift)
    return results


def _opportunity_rates(
    ctx: KpiContext,
    members: list[Row],
    deals: list[Row],
    leads: list[Row],
    segment: Segment,
) -> list[KpiResult]:
    with_deal = sum(1 for row in members if row["new_opportunity"])
    engaged = [row for row in members if row["engaged"]]
    engaged_with_deal = sum(1 for row in engaged if row["new_opportunity"])
    created = sum(1 for d in deals if d["created_in_period"])
    lead_ratio = ratio(created, len(leads))
    return [
        make_result(
            ctx,
            "opportunity_rate",
            segment.id,
            ratio(with_deal, len(members)),
            with_deal,
            len(members),
            variant="per_account",
            ci95=wilson_interval(with_deal, len(members)),
        ),
        make_result(
            ctx,
            "opportunity_rate",
            segment.id,
            ratio(engaged_with_deal, len(engaged)),
            engaged_with_deal,
            len(engaged),
            variant="per_engaged_account",
            ci95=wilson_interval(engaged_with_deal, len(engaged)),
        ),
        make_result(
            ctx,
            "opportunity_rate",
            segment.id,
            lead_ratio,
            created,
            len(leads),
            variant="per_new_lead",
            ci95=wilson_interval(created, len(leads)),
        ),
    ]


def _win_rate(
    ctx: KpiContext, closed: list[Row], deals: list[Row], segment: Segment
) -> KpiResult:
    won = sum(1 for d in closed if d["won"])
    lost = sum(1 for d in closed if d["lost"])
    overdue = [d for d in deals if d["overdue_at_end"]]
    return make_result(
        ctx,
        "win_rate",
        segment.id,
        ratio(won, won + lost),
        won,
        won + lost,
        ci95=wilson_interval(won, won + lost),
        details={
            "won": won,
            "lost": lost,
            "overdue_open_count": len(overdue),
            "overdue_open_amount": _total(overdue, "amount_at_end"),
        },
    )


def _win_rate_amount(ctx: KpiContext, closed: list[Row], segment: Segment) -> KpiResult:
    priced = [d for d in closed if d["amount"] is not None]
    won_amounts = [d["amount"] if d["won"] else 0.0 for d in priced]
    closed_amounts = [d["amount"] for d in priced]
    won_total, closed_total = sum(won_amounts), sum(closed_amounts)
    return make_result(
        ctx,
        "win_rate_amount",
        segment.id,
        ratio(won_total, closed_total),
        won_total,
        closed_total,
        ci95=bootstrap_ratio_interval(won_amounts, closed_amounts, *_seed(ctx)),
        details={"deals": len(priced), "without_amount": len(closed) - len(priced)},
    )


def _average_deal_size(ctx: KpiContext, won: list[Row], segment: Segment) -> KpiResult:
    amounts = [d["amount"] for d in won if d["amount"] is not None]
    total = sum(amounts)
    details: dict[str, Any] = {"won": len(won)}
    if len(amounts) < len(won):
        details["without_amount"] = len(won) - len(amounts)
    if amounts:
        details["median"] = statistics.median(amounts)
    return make_result(
        ctx,
        "average_deal_size",
        segment.id,
        ratio(total, len(amounts)),
        total,
        len(amounts),
        ci95=bootstrap_mean_interval(amounts, *_seed(ctx)),
        details=details,
    )


def _sales_cycle(ctx: KpiContext, won: list[Row], segment: Segment) -> KpiResult:
    known = [d["cycle_days"] for d in won if d["cycle_days"] is not None]
    # A close date before the creation date (common when records were
    # created after the deal, as in migrated or sample data) says nothing
    # about the cycle, so it is left out and counted.
    cycles = [float(days) for days in known if days >= 0]
    details: dict[str, Any] = {
        "won": len(won),
        "excluded_negative": len(known) - len(cycles),
        "without_dates": len(won) - len(known),
    }
    if cycles:
        details["median"] = statistics.median(cycles)
    return make_result(
        ctx,
        "sales_cycle_days",
        segment.id,
        ratio(sum(cycles), len(cycles)),
        sum(cycles),
        len(cycles),
        ci95=bootstrap_mean_interval(cycles, *_seed(ctx)),
        details=details,
    )


def _uplift(ctx: KpiContext, deals: list[Row], segment: Segment) -> KpiResult | None:
    """Average won target deal ÷ average won non-target deal.

    Reported for segment 'all' (every target tier) and per tier; other
    segments have no comparison group.
    """
    if segment.id != "all" and segment.tier is None:
        return None
    won = [
        d
        for d in deals
        if d["type"] == NEW
        and d["closed_in_period"]
        and d["won"]
        and d["amount"] is not None
    ]
    target = [
        d["amount"]
        for d in won
        if segment.includes(d["seg"], d["tier"]) and d["seg"] == "target"
    ]
    other = [d["amount"] for d in won if d["seg"] == "non_target"]
    target_mean = ratio(sum(target), len(target))
    other_mean = ratio(sum(other), len(other))
    value = None
    if target_mean is not None and other_mean:
        value = target_mean / other_mean
    return make_result(
        ctx,
        "deal_size_uplift",
        segment.id,
        value,
        target_mean,
        other_mean,
        ci95=bootstrap_mean_ratio_interval(target, other, *_seed(ctx)),
        details={"target_won": len(target), "non_target_won": len(other)},
        sample=min(len(target), len(other)),
    )


def stage_results(
    ctx: KpiContext,
    stays: list[Row],
    reached: list[Row],
    open_stages: list[str],
    segment: Segment,
) -> list[KpiResult]:
    """Stage dwell days and stage conversion for one segment, from its
    stays and reached rows."""
    segment_stays = [s for s in stays if s["type"] == NEW]
    segment_reached = [r for r in reached if r["type"] == NEW]
    results = _dwell(ctx, segment_stays, open_stages, segment)
    results += _conversion(ctx, segment_reached, open_stages, segment)
    return results


def _dwell(
    ctx: KpiContext, stays: list[Row], open_stages: list[str], segment: Segment
) -> list[KpiResult]:
    start, _ = ctx.bounds
    results = []
    stages = open_stages or sorted({s["stage"] for s in stays if not s["closing"]})
    for stage in stages:
        completed: dict[str, float] = {}
        aging: list[float] = []
        for stay in stays:
            if stay["stage"] != stage or stay["closing"]:
                continue
            if stay["ended"] is None:
                aging.append((ctx.as_of - stay["started"]).total_seconds() / 86_400)
            elif stay["ended"] >= start:
                key = stay["opportunity_id"]
                completed[key] = completed.get(key, 0.0) + float(stay["days"])
        per_deal = list(completed.values())
        details: dict[str, Any] = {
            "opportunities": len(per_deal),
            "open_stays": len(aging),
            "open_average_age_days": ratio(sum(aging), len(aging)),
        }
        if per_deal:
            details["median"] = statistics.median(per_deal)
        results.append(
            make_result(
                ctx,
                "stage_dwell_days",
                segment.id,
                ratio(sum(per_deal), len(per_deal)),
                sum(per_deal),
                len(per_deal),
                variant=stage,
                ci95=bootstrap_mean_interval(per_deal, *_seed(ctx)),
                details=details,
            )
        )
    return results


def _conversion(
    ctx: KpiContext, reached: list[Row], open_stages: list[str], segment: Segment
) -> list[KpiResult]:
    results = []
    steps = [*open_stages, "won"]
    for index in range(len(steps) - 1):
        if index + 1 < len(open_stages):
            passed = sum(1 for r in reached if _furthest(r) >= index + 1)
        else:
            passed = sum(1 for r in reached if r["won"])
        at_stage = sum(1 for r in reached if _furthest(r) >= index)
        unknown = sum(1 for r in reached if r["loss_stage_unknown"])
        results.append(
            make_result(
                ctx,
                "stage_conversion",
                segment.id,
                ratio(passed, at_stage),
                passed,
                at_stage,
                variant=f"{steps[index]} → {steps[index + 1]}",
                ci95=wilson_interval(passed, at_stage),
                details={"lost_at_unknown_stage": unknown} if unknown else None,
            )
        )
    return results


def _furthest(row: Row) -> int:
    return -1 if row["reached"] is None else int(row["reached"])


def _total(rows: list[Row], column: str) -> float:
    return float(sum(row[column] for row in rows if row[column] is not None))
