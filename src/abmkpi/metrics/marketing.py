"""Marketing KPIs from account and opportunity facts, per segment."""

from __future__ import annotations

from typing import Any

from abmkpi.canonical import OpportunityType
from abmkpi.metrics.context import KpiContext, Segment
from abmkpi.metrics.registry import make_result
from abmkpi.metrics.results import (
    KpiResult,
    bootstrap_mean_interval,
    ratio,
    wilson_interval,
)

Row = dict[str, Any]
PERSONAS = ("decision_maker", "influencer", "user")


def marketing_results(
    ctx: KpiContext, members: list[Row], segment_deals: list[Row], segment: Segment
) -> list[KpiResult]:
    """Every marketing KPI for one segment, from the segment's account and
    deal facts."""
    results = [
        _engagement_score(ctx, members, segment),
        _contact_rate(ctx, members, segment),
        _engaged_people(ctx, members, segment),
        *_persona_coverage(ctx, members, segment),
        *_mqa(ctx, members, segment),
        *_pipeline(ctx, segment_deals, segment),
    ]
    return results


def _seed(ctx: KpiContext) -> tuple[int, int]:
    return ctx.settings.kpi.bootstrap_samples, ctx.settings.kpi.seed


def _engagement_score(
    ctx: KpiContext, members: list[Row], segment: Segment
) -> KpiResult:
    scores = [float(row["score"]) for row in members]
    total = sum(scores)
    interval = bootstrap_mean_interval(scores, *_seed(ctx))
    return make_result(
        ctx,
        "engagement_score",
        segment.id,
        ratio(total, len(scores)),
        total,
        len(scores),
        ci95=interval,
    )


def _contact_rate(ctx: KpiContext, members: list[Row], segment: Segment) -> KpiResult:
    engaged = sum(1 for row in members if row["engaged"])
    aware = sum(1 for row in members if row["aware"])
    return make_result(
        ctx,
        "contact_rate",
        segment.id,
        ratio(engaged, len(members)),
        engaged,
        len(members),
        ci95=wilson_interval(engaged, len(members)),
        details={"aware_accounts": aware},
    )


def _engaged_people(ctx: KpiContext, members: list[Row], segment: Segment) -> KpiResult:
    engaged = [row for row in members if row["engaged"]]
    people = [float(row["engaged_people"]) for row in engaged]
    return make_result(
        ctx,
        "engaged_people",
        segment.id,
        ratio(sum(people), len(people)),
        sum(people),
        len(people),
        ci95=bootstrap_mean_interval(people, *_seed(ctx)),
    )


def _persona_coverage(
    ctx: KpiContext, members: list[Row], segment: Segment
) -> list[KpiResult]:
    engaged = [row for row in members if row["engaged"]]
    coverage = [
        sum(1 for persona in PERSONAS if row[f"engaged_{persona}"]) / len(PERSONAS)
        for row in engaged
    ]
    results = [
        make_result(
            ctx,
            "persona_coverage",
            segment.id,
            ratio(sum(coverage), len(coverage)),
            sum(coverage),
            len(coverage),
            variant="buying_group",
            ci95=bootstrap_mean_interval(coverage, *_seed(ctx)),
        )
    ]
    for persona in PERSONAS:
        reached = sum(1 for row in engaged if row[f"engaged_{persona}"])
        results.append(
            make_result(
                ctx,
                "persona_coverage",
                segment.id,
                ratio(reached, len(engaged)),
                reached,
                len(engaged),
                variant=persona,
                ci95=wilson_interval(reached, len(engaged)),
            )
        )
    return results


def _mqa(ctx: KpiContext, members: list[Row], segment: Segment) -> list[KpiResult]:
    threshold = ctx.settings.engagement.mqa_threshold
    mqa = [row for row in members if row["peak_score"] >= threshold]
    new = [row for row in mqa if row["start_score"] < threshold]
    details = {"threshold": threshold, "new_in_period": len(new)}
    return [
        make_result(
            ctx,
            "mqa_count",
            segment.id,
            len(mqa),
            len(mqa),
            len(members),
            details=details,
        ),
        make_result(
            ctx,
            "mqa_rate",
            segment.id,
            ratio(len(mqa), len(members)),
            len(mqa),
            len(members),
            ci95=wilson_interval(len(mqa), len(members)),
            details=details,
        ),
    ]


def _pipeline(ctx: KpiContext, deals: list[Row], segment: Segment) -> list[KpiResult]:
    new_business = [d for d in deals if d["type"] == OpportunityType.NEW_BUSINESS.value]
    created = [d for d in new_business if d["created_in_period"]]
    created_amount = _sum(created, "amount")
    influenced = [d for d in created if d["influenced"]]
    influenced_amount = _sum(influenced, "amount")
    open_deals = [d for d in new_business if d["open_at_end"]]
    overdue = [d for d in open_deals if d["overdue_at_end"]]
    return [
        make_result(
            ctx,
            "pipeline_created",
            segment.id,
            created_amount,
            created_amount,
            None,
            details=_amount_details(created),
        ),
        make_result(
            ctx,
            "pipeline_open",
            segment.id,
            _sum(open_deals, "amount_at_end"),
            _sum(open_deals, "amount_at_end"),
            None,
            details={
                **_amount_details(open_deals),
                "overdue_count": len(overdue),
                "overdue_amount": _sum(overdue, "amount_at_end"),
                "without_created_date": sum(
                    1 for d in open_deals if d["created_unknown"]
                ),
            },
        ),
        make_result(
            ctx,
            "marketing_influenced_pipeline",
            segment.id,
            influenced_amount,
            influenced_amount,
            created_amount,
            details={
                "count": len(influenced),
                "share_of_created": ratio(influenced_amount, created_amount),
                "window_days": ctx.settings.engagement.influence_window_days,
            },
        ),
    ]


def _sum(rows: list[Row], column: str) -> float:
    return float(sum(row[column] for row in rows if row[column] is not None))


def _amount_details(rows: list[Row]) -> dict[str, Any]:
    details: dict[str, Any] = {"count": len(rows)}
    missing = sum(1 for row in rows if row["amount"] is None)
    if missing:
        details["without_amount"] = missing
    return details
