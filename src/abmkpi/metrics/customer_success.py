"""Customer-success KPIs from contract, customer and NPS facts, per segment.

Renewal rate, gross and net revenue retention read the renewal cohort: the
contracts that end in the period. Upsell rate and LTV read the per-account
revenue facts, and NPS the latest response of each respondent. Per-account
values come from the segment ``account:ID``.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from abmkpi.metrics.context import KpiContext, Segment
from abmkpi.metrics.marketing import Row
from abmkpi.metrics.registry import make_result
from abmkpi.metrics.results import (
    Z_95,
    KpiResult,
    bootstrap_mean_interval,
    bootstrap_ratio_interval,
    ratio,
    wilson_interval,
)

PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6


def _seed(ctx: KpiContext) -> tuple[int, int]:
    return ctx.settings.kpi.bootstrap_samples, ctx.settings.kpi.seed


def customer_success_results(
    ctx: KpiContext,
    contracts: list[Row],
    customers: list[Row],
    responses: list[Row],
    segment: Segment,
) -> list[KpiResult]:
    """Return every customer-success KPI for one segment."""
    due = [row for row in segment.select(contracts) if row["due"]]
    members = segment.select(customers)
    return [
        _renewal_rate(ctx, due, segment),
        _gross_retention(ctx, due, segment),
        _net_retention(ctx, due, segment),
        _upsell_rate(ctx, members, segment),
        _nps(segment.select(responses), ctx, segment),
        _ltv(ctx, members, segment),
    ]


def _renewal_rate(ctx: KpiContext, due: list[Row], segment: Segment) -> KpiResult:
    outcomes = {name: 0 for name in ("renewed", "churned", "lapsed", "pending")}
    for row in due:
        outcomes[row["outcome"]] += 1
    renewed = [row for row in due if row["outcome"] == "renewed"]
    early = [r for r in renewed if _signed_before(r, r["end_date"])]
    before_period = [r for r in renewed if _signed_before(r, ctx.period.start)]
    decided = len(due) - outcomes["pending"]
    return make_result(
        ctx,
        "renewal_rate",
        segment.id,
        ratio(outcomes["renewed"], len(due)),
        outcomes["renewed"],
        len(due),
        ci95=wilson_interval(outcomes["renewed"], len(due)),
        details={
            "due": len(due),
            **outcomes,
            "renewed_early": len(early),
            "signed_before_period": len(before_period),
            "rate_excluding_pending": ratio(outcomes["renewed"], decided),
            "grace_days": ctx.settings.kpi.renewal_grace_days,
            "observed_on": ctx.observed_date.isoformat(),
        },
    )


def _signed_before(row: Row, day: Any) -> bool:
    return row["renewed_on"] is not None and day is not None and row["renewed_on"] < day


def _priced(due: list[Row]) -> list[Row]:
    return [row for row in due if row["arr"] is not None]


def _retention_details(due: list[Row], priced: list[Row]) -> dict[str, Any]:
    lost = [row for row in priced if row["outcome"] in ("churned", "lapsed")]
    pending = [row for row in priced if row["outcome"] == "pending"]
    return {
        "contracts": len(priced),
        "without_arr": len(due) - len(priced),
        "pending_arr": _total(pending, "arr"),
        "lost_arr": _total(lost, "arr"),
        "renewed_arr_assumed": sum(1 for row in priced if row["renewed_arr_assumed"]),
    }


def _gross_retention(ctx: KpiContext, due: list[Row], segment: Segment) -> KpiResult:
    priced = _priced(due)
    retained = [
        min(float(row["renewed_arr"] or 0.0), float(row["arr"])) for row in priced
    ]
    base = [float(row["arr"]) for row in priced]
    return make_result(
        ctx,
        "gross_revenue_retention",
        segment.id,
        ratio(sum(retained), sum(base)),
        sum(retained),
        sum(base),
        ci95=bootstrap_ratio_interval(retained, base, *_seed(ctx)),
        details=_retention_details(due, priced),
        sample=len(priced),
    )


def _net_retention(ctx: KpiContext, due: list[Row], segment: Segment) -> KpiResult:
    priced = _priced(due)
    renewed = [float(row["renewed_arr"] or 0.0) for row in priced]
    base = [float(row["arr"]) for row in priced]
    changes = [
        new - old
        for new, old, row in zip(renewed, base, priced, strict=True)
        if row["outcome"] == "renewed"
    ]
    details = _retention_details(due, priced)
    details["expansion_arr"] = sum(change for change in changes if change > 0)
    details["contraction_arr"] = -sum(change for change in changes if change < 0)
    return make_result(
        ctx,
        "net_revenue_retention",
        segment.id,
        ratio(sum(renewed), sum(base)),
        sum(renewed),
        sum(base),
        ci95=bootstrap_ratio_interval(renewed, base, *_seed(ctx)),
        details=details,
        sample=len(priced),
    )


def _upsell_rate(ctx: KpiContext, members: list[Row], segment: Segment) -> KpiResult:
    expansion = [float(row["expansion_won"]) for row in members]
    recurring = [float(row["arr_at_start"]) for row in members]
    with_arr = sum(1 for value in recurring if value > 0)
    without_contract = [
        row for row in members if row["arr_at_start"] <= 0 and row["expansion_won"] > 0
    ]
    return make_result(
        ctx,
        "upsell_rate",
        segment.id,
        ratio(sum(expansion), sum(recurring)),
        sum(expansion),
        sum(recurring),
        ci95=bootstrap_ratio_interval(expansion, recurring, *_seed(ctx)),
        details={
            "expansion_deals": sum(int(row["expansion_deals"]) for row in members),
            "accounts_with_arr": with_arr,
            "expansion_without_contract": _total(without_contract, "expansion_won"),
        },
        sample=with_arr,
    )


def nps_interval(
    promoters: int, detractors: int, respondents: int
) -> tuple[float, float] | None:
    """Return the 95% interval of an NPS (on the −100..100 scale).

    NPS is a difference of two shares of one multinomial sample, with
    variance (p + d − (p − d)²) / n. The interval is the normal approximation
    around it, clipped to the scale.
    NOTE: with every answer in one group the variance is 0 and the interval
    collapses to the value, however few the respondents.
    """
    if respondents < 2:
        return None
    p = promoters / respondents
    d = detractors / respondents
    margin = Z_95 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / respondents)
    return max(-100.0, 100 * (p - d - margin)), min(100.0, 100 * (p - d + margin))


def _nps(responses: list[Row], ctx: KpiContext, segment: Segment) -> KpiResult:
    promoters = sum(1 for row in responses if row["score"] >= PROMOTER_FROM)
    detractors = sum(1 for row in responses if row["score"] <= DETRACTOR_UP_TO)
    count = len(responses)
    share = ratio(promoters - detractors, count)
    accounts = {row["account_id"] for row in responses if row["account_id"]}
    return make_result(
        ctx,
        "nps",
        segment.id,
        None if share is None else 100 * share,
        promoters - detractors,
        count,
        ci95=nps_interval(promoters, detractors, count),
        details={
            "respondents": count,
            "promoters": promoters,
            "passives": count - promoters - detractors,
            "detractors": detractors,
            "accounts": len(accounts),
        },
    )


def _ltv(ctx: KpiContext, members: list[Row], segment: Segment) -> KpiResult:
    customers = [row for row in members if row["lifetime_won"] > 0]
    values = [float(row["lifetime_won"]) for row in customers]
    details: dict[str, Any] = {
        "accounts": len(customers),
        "won_deals": sum(int(row["won_deals"]) for row in customers),
    }
    missing = sum(int(row["won_without_amount"]) for row in members)
    if missing:
        details["won_without_amount"] = missing
    if values:
        details["median"] = statistics.median(values)
    return make_result(
        ctx,
        "ltv",
        segment.id,
        ratio(sum(values), len(values)),
        sum(values),
        len(values),
        ci95=bootstrap_mean_interval(values, *_seed(ctx)),
        details=details,
    )


def _total(rows: list[Row], column: str) -> float:
    return float(sum(row[column] for row in rows if row[column] is not None))
