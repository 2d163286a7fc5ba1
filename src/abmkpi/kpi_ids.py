"""KPI ids and variants, for checking the config's target keys.

The KPI catalogue itself (:mod:`abmkpi.metrics.registry`) imports the query
engine; the config is validated by every command, so it checks target keys
against these plain lists instead. A test keeps both in step.
"""

from __future__ import annotations

from abmkpi.errors import UserMessage

KPI_IDS = (
    "engagement_score",
    "contact_rate",
    "engaged_people",
    "persona_coverage",
    "mqa_count",
    "mqa_rate",
    "pipeline_created",
    "pipeline_open",
    "marketing_influenced_pipeline",
    "opportunity_rate",
    "win_rate",
    "win_rate_amount",
    "average_deal_size",
    "deal_size_uplift",
    "sales_cycle_days",
    "stage_dwell_days",
    "stage_conversion",
    "renewal_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "upsell_rate",
    "nps",
    "ltv",
)

# Variants each KPI reports under a fixed name.
FIXED_VARIANTS: dict[str, tuple[str, ...]] = {
    "opportunity_rate": ("per_account", "per_engaged_account", "per_new_lead"),
    "persona_coverage": ("buying_group", "decision_maker", "influencer", "user"),
}

# KPIs with one variant per stage, named after the workspace's stages.
STAGE_VARIANT_KPIS = frozenset({"stage_dwell_days", "stage_conversion"})


def target_key_problem(key: str) -> UserMessage | None:
    """Return why ``key`` is not a KPI id or ``id:variant``, or None if it is."""
    kpi_id, separator, variant = key.partition(":")
    if kpi_id not in KPI_IDS:
        return UserMessage(
            "unknown KPI %(kpi)r; known: %(known)s",
            kpi=kpi_id,
            known=", ".join(KPI_IDS),
        )
    if not separator or (kpi_id in STAGE_VARIANT_KPIS and variant.strip()):
        return None
    fixed = FIXED_VARIANTS.get(kpi_id)
    if fixed is None:
        return UserMessage("KPI %(kpi)r has no variants; write %(kpi)r", kpi=kpi_id)
    if variant not in fixed:
        known = ", ".join(f"{kpi_id}:{name}" for name in fixed)
        return UserMessage(
            "unknown variant %(variant)r of %(kpi)s; known: %(known)s",
            variant=variant,
            kpi=kpi_id,
            known=known,
        )
    return None
