"""The KPI catalogue: id, department, unit, direction, pacing and labels.

Labels are written in English here and translated through the message
catalog (:mod:`abmkpi.i18n`); identifiers never carry Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from abmkpi.i18n import translate
from abmkpi.kpi_targets import stored_target
from abmkpi.metrics.context import KpiContext
from abmkpi.metrics.results import KpiResult, Status, Unit, judge


@dataclass(frozen=True)
class KpiDefinition:
    id: str
    department: str  # marketing | sales | customer_success
    label: str
    unit: Unit
    higher_is_better: bool = True
    # Accumulates over the period, so a partial period is judged against the
    # elapsed share of its target.
    paced: bool = False
    description: str = ""
    # Which segments a target applies to: the target accounts ("targets":
    # segment target and each tier) or the target-versus-non-target
    # comparison itself ("comparison": segment all and each tier).
    target_scope: str = "targets"
    # Whether the value rests on a sample (its denominator by default) that
    # can be too small to judge; sums and counts do not.
    sampled: bool = True
    # Whether a ratio lies in [0, 1], so its interval is clipped to that
    # range; net revenue retention and upsell rate can exceed 1.
    bounded: bool = True


DEFINITIONS = {
    definition.id: definition
    for definition in [
        KpiDefinition(
            "engagement_score",
            "marketing",
            "Engagement score",
            Unit.SCORE,
            description="Mean engagement score of the accounts at the period end.",
        ),
        KpiDefinition(
            "contact_rate",
            "marketing",
            "Contact rate",
            Unit.RATIO,
            paced=True,
            description="Engaged accounts ÷ accounts.",
        ),
        KpiDefinition(
            "engaged_people",
            "marketing",
            "Engaged people per engaged account",
            Unit.PEOPLE,
            description="Distinct people with a touch (anything they did, opens "
            "included) at engaged accounts ÷ engaged accounts.",
        ),
        KpiDefinition(
            "persona_coverage",
            "marketing",
            "Persona coverage",
            Unit.RATIO,
            description="Share of the buying group (or of engaged accounts with a "
            "persona) reached among engaged accounts.",
        ),
        KpiDefinition(
            "mqa_count",
            "marketing",
            "MQA accounts",
            Unit.COUNT,
            paced=True,
            sampled=False,
            description="Accounts whose engagement score reached the MQA threshold "
            "in the period.",
        ),
        KpiDefinition(
            "mqa_rate",
            "marketing",
            "MQA rate",
            Unit.RATIO,
            paced=True,
            description="MQA accounts ÷ accounts.",
        ),
        KpiDefinition(
            "pipeline_created",
            "marketing",
            "Pipeline created (new business)",
            Unit.CURRENCY,
            paced=True,
            sampled=False,
            description="Amount of new-business opportunities created in the period.",
        ),
        KpiDefinition(
            "pipeline_open",
            "sales",
            "Open pipeline (new business)",
            Unit.CURRENCY,
            sampled=False,
            description="Amount of new-business opportunities open at the period end.",
        ),
        KpiDefinition(
            "marketing_influenced_pipeline",
            "marketing",
            "Marketing-influenced pipeline",
            Unit.CURRENCY,
            paced=True,
            sampled=False,
            description="Pipeline created on accounts with marketing engagement in "
            "the days before each opportunity was created.",
        ),
        KpiDefinition(
            "opportunity_rate",
            "sales",
            "Opportunity rate",
            Unit.RATIO,
            paced=True,
            description="Accounts with a new-business opportunity created in the "
            "period ÷ accounts (or ÷ engaged accounts); or opportunities ÷ new leads.",
        ),
        KpiDefinition(
            "win_rate",
            "sales",
            "Win rate (count)",
            Unit.RATIO,
            description="Won ÷ (won + lost) new-business deals closed in the period.",
        ),
        KpiDefinition(
            "win_rate_amount",
            "sales",
            "Win rate (amount)",
            Unit.RATIO,
            description="Won amount ÷ closed amount of new-business deals closed in "
            "the period.",
        ),
        KpiDefinition(
            "average_deal_size",
            "sales",
            "Average deal size",
            Unit.CURRENCY,
            description="Won amount ÷ won new-business deals closed in the period.",
        ),
        KpiDefinition(
            "deal_size_uplift",
            "sales",
            "Deal-size uplift (target ÷ non-target)",
            Unit.MULTIPLE,
            target_scope="comparison",
            description="Average target deal size ÷ average non-target deal size.",
        ),
        KpiDefinition(
            "sales_cycle_days",
            "sales",
            "Sales cycle",
            Unit.DAYS,
            higher_is_better=False,
            description="Close date − creation date of won new-business deals.",
        ),
        KpiDefinition(
            "stage_dwell_days",
            "sales",
            "Stage dwell time",
            Unit.DAYS,
            higher_is_better=False,
            description="Days per opportunity in a stage, over stays that ended in "
            "the period.",
        ),
        KpiDefinition(
            "stage_conversion",
            "sales",
            "Stage conversion",
            Unit.RATIO,
            description="Deals created in the period that reached the next stage ÷ "
            "those that reached the stage.",
        ),
        KpiDefinition(
            "renewal_rate",
            "customer_success",
            "Renewal rate",
            Unit.RATIO,
            description="Renewed ÷ due contracts, where due contracts end in the "
            "period; a renewal signed early counts in its contract's period. "
            "Pending contracts (neither renewed nor churned, within the grace "
            "days after their end) count as due and not renewed.",
        ),
        KpiDefinition(
            "gross_revenue_retention",
            "customer_success",
            "Gross revenue retention",
            Unit.RATIO,
            description="Σ min(renewed ARR, ARR) ÷ Σ ARR of the contracts due in "
            "the period: what was kept, without increases.",
        ),
        KpiDefinition(
            "net_revenue_retention",
            "customer_success",
            "Net revenue retention",
            Unit.RATIO,
            bounded=False,
            description="Σ renewed ARR ÷ Σ ARR of the contracts due in the period; "
            "renewed ARR is that of the renewal contracts, so expansion and price "
            "increases carried into the renewal count.",
        ),
        KpiDefinition(
            "upsell_rate",
            "customer_success",
            "Upsell rate",
            Unit.RATIO,
            paced=True,
            bounded=False,
            description="Expansion deals won in the period (amount) ÷ ARR of the "
            "contracts in force at the period start.",
        ),
        KpiDefinition(
            "nps",
            "customer_success",
            "NPS",
            Unit.SCORE,
            description="% promoters (9–10) − % detractors (0–6) over the latest "
            "response of each respondent in the period.",
        ),
        KpiDefinition(
            "ltv",
            "customer_success",
            "LTV contribution",
            Unit.CURRENCY,
            description="Won revenue (deals of every type, won up to the period "
            "end) ÷ accounts with won revenue.",
        ),
    ]
}


# Display names of variants whose id is not already a readable label.
VARIANT_LABELS = {
    "per_account": "÷ accounts",
    "per_engaged_account": "÷ engaged accounts",
    "per_new_lead": "opportunities ÷ new leads",
    "buying_group": "buying group",
    "decision_maker": "decision maker",
}


def variant_label(variant: str, language: str) -> str:
    return translate(VARIANT_LABELS.get(variant, variant), language)


def _applies(definition: KpiDefinition, segment: str) -> bool:
    if segment.startswith("tier:"):
        return True
    if definition.target_scope == "comparison":
        return segment == "all"
    return segment == "target"


def target_for(
    ctx: KpiContext, kpi_id: str, variant: str | None, segment: str
) -> float | None:
    """Return the target of a result: the period's stored target for the
    segment when there is one, else the config's where it applies."""
    definition = DEFINITIONS[kpi_id]
    scope_segment = "all" if definition.target_scope == "comparison" else "target"
    stored = stored_target(ctx.stored_targets, kpi_id, variant, segment, scope_segment)
    if stored is not None:
        return stored
    if not _applies(definition, segment):
        return None
    targets = ctx.settings.kpi.targets
    if variant is not None and f"{kpi_id}:{variant}" in targets:
        return targets[f"{kpi_id}:{variant}"]
    return targets.get(kpi_id)


def make_result(
    ctx: KpiContext,
    kpi_id: str,
    segment: str,
    value: float | None,
    numerator: float | None = None,
    denominator: float | None = None,
    *,
    variant: str | None = None,
    ci95: tuple[float, float] | None = None,
    details: dict[str, Any] | None = None,
    sample: float | None = None,
) -> KpiResult:
    """Build a result with its label, target, pacing and status.

    ``sample`` is the number of accounts or deals behind the value; below
    ``kpi.min_sample`` the status is insufficient_data, not a verdict on noise.
    """
    definition = DEFINITIONS[kpi_id]
    if sample is None and definition.sampled:
        sample = denominator
    target = target_for(ctx, kpi_id, variant, segment)
    paced = target
    if target is not None and definition.paced and ctx.is_partial:
        paced = target * ctx.period.elapsed_fraction(ctx.as_of_date)
    status = judge(
        value, paced, ctx.settings.kpi.at_risk_ratio, definition.higher_is_better
    )
    if ctx.as_of < ctx.bounds[0]:
        status = Status.NO_DATA  # the period has not started yet
    elif (
        value is not None
        and sample is not None
        and sample < ctx.settings.kpi.min_sample
        and not segment.startswith("account:")
    ):
        # One account's value is that account's own figure, not an estimate
        # from a sample, so its plan target judges it however few rows it has.
        status = Status.INSUFFICIENT_DATA
    elif value is None and target is None:
        status = Status.NO_DATA
    if ci95 is not None and definition.unit == Unit.RATIO and definition.bounded:
        # A share lies in [0, 1]; resampled sums can stray past it.
        ci95 = (max(0.0, ci95[0]), min(1.0, ci95[1]))
    label = definition.label
    if variant is not None:
        label = f"{label}: {variant_label(variant, 'en')}"
    return KpiResult(
        id=kpi_id,
        segment=segment,
        value=value,
        numerator=numerator,
        denominator=denominator,
        unit=definition.unit,
        variant=variant,
        ci95=ci95,
        target=target,
        paced_target=paced if paced != target else None,
        status=status,
        label={"en": label, "ja": _label_ja(definition.label, variant)},
        details=details or {},
    )


def _label_ja(label: str, variant: str | None) -> str:
    text = translate(label, "ja")
    if variant is None:
        return text
    return f"{text}: {variant_label(variant, 'ja')}"
