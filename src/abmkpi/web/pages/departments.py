"""Department pages: marketing, sales and customer success."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from abmkpi.metrics.compute import KpiReport
from abmkpi.vocabulary import N_
from abmkpi.web.pages import records
from abmkpi.web.pages.cards import cards_by_department, make_card, segment_table
from abmkpi.web.pages.charts import pipeline_figure, share_bars_figure
from abmkpi.web.pages.overview import (
    KindText,
    PeriodText,
    SegmentText,
    chosen_segment,
    segment_options,
    segment_report,
)
from abmkpi.web.pages.periods import choose_period
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.queries import kpi_report, now_minute

router = APIRouter(include_in_schema=False)

MARKETING_KEYS = [
    "contact_rate",
    "engagement_score",
    "mqa_count",
    "mqa_rate",
    "engaged_people",
    "persona_coverage:buying_group",
    "pipeline_created",
    "marketing_influenced_pipeline",
]
PERSONA_KEYS = [
    "persona_coverage:decision_maker",
    "persona_coverage:influencer",
    "persona_coverage:user",
]
SALES_KEYS = [
    "opportunity_rate:per_account",
    "opportunity_rate:per_engaged_account",
    "opportunity_rate:per_new_lead",
    "pipeline_open",
    "win_rate",
    "win_rate_amount",
    "average_deal_size",
    "deal_size_uplift",
    "sales_cycle_days",
]
CUSTOMER_SUCCESS_KEYS = [
    "renewal_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "upsell_rate",
    "nps",
    "ltv",
]
# Renewal outcomes and NPS groups as the breakdown tables list them.
RENEWAL_OUTCOMES = [
    ("renewed", N_("Renewed")),
    ("renewed_early", N_("of which signed before the end date")),
    ("churned", N_("Churned")),
    ("lapsed", N_("Lapsed")),
    ("pending", N_("Renewal pending")),
]
NPS_GROUPS = [
    ("promoters", N_("Promoters (9–10)")),
    ("passives", N_("Passives (7–8)")),
    ("detractors", N_("Detractors (0–6)")),
]


@router.get("/marketing")
def marketing(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    segment: SegmentText = None,
) -> Response:
    choice = choose_period(page.state, period, kind)
    segment_id = chosen_segment(segment)
    report = segment_report(page, choice.period, segment_id)
    everyone = kpi_report(page.state, choice.period)
    personas = [
        (page.fmt.term("persona", key.split(":")[1]), _value(report, key, segment_id))
        for key in PERSONA_KEYS
    ]
    return render(
        page,
        "marketing.html",
        nav="marketing",
        choice=choice,
        segment=segment_id,
        segments=segment_options(page, choice),
        cards=cards_by_department(report, segment_id, page.fmt, MARKETING_KEYS)[
            "marketing"
        ],
        persona_cards=_cards(report, segment_id, PERSONA_KEYS, page),
        persona_figure=share_bars_figure(personas),
        comparison=segment_table(everyone, MARKETING_KEYS, page.fmt),
        comparison_segments=everyone.segments,
    )


@router.get("/sales")
def sales(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    segment: SegmentText = None,
) -> Response:
    choice = choose_period(page.state, period, kind)
    segment_id = chosen_segment(segment)
    report = segment_report(page, choice.period, segment_id)
    everyone = kpi_report(page.state, choice.period)
    pipeline = records.pipeline_by_stage(
        page.state, choice.period, segment_id, now_minute()
    )
    return render(
        page,
        "sales.html",
        nav="sales",
        choice=choice,
        segment=segment_id,
        segments=segment_options(page, choice),
        cards=cards_by_department(report, segment_id, page.fmt, SALES_KEYS)["sales"],
        pipeline=pipeline,
        pipeline_total=sum(row["amount"] for row in pipeline),
        pipeline_figure=pipeline_figure(pipeline, page.fmt),
        dwell=_stage_rows(report, segment_id, "stage_dwell_days", page),
        conversion=_stage_rows(report, segment_id, "stage_conversion", page),
        comparison=segment_table(everyone, SALES_KEYS, page.fmt),
        comparison_segments=everyone.segments,
    )


@router.get("/customer-success")
def customer_success(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    segment: SegmentText = None,
) -> Response:
    choice = choose_period(page.state, period, kind)
    segment_id = chosen_segment(segment)
    report = segment_report(page, choice.period, segment_id)
    everyone = kpi_report(page.state, choice.period)
    contracts, contract_total = records.contracts(page.state)
    responses, response_total = records.nps_responses(page.state)
    keys = CUSTOMER_SUCCESS_KEYS
    return render(
        page,
        "customer_success.html",
        nav="customer_success",
        choice=choice,
        segment=segment_id,
        segments=segment_options(page, choice),
        cards=cards_by_department(report, segment_id, page.fmt, keys)[
            "customer_success"
        ],
        renewals=_breakdown(report, segment_id, "renewal_rate", RENEWAL_OUTCOMES),
        nps_groups=_breakdown(report, segment_id, "nps", NPS_GROUPS),
        comparison=segment_table(everyone, keys, page.fmt),
        comparison_segments=everyone.segments,
        contracts=contracts,
        contract_total=contract_total,
        responses=responses,
        response_total=response_total,
    )


def _breakdown(
    report: KpiReport, segment: str, kpi_id: str, rows: list[tuple[str, str]]
) -> dict[str, Any]:
    """Return the counts in a result's details, with their share of its
    denominator (due contracts, or respondents)."""
    details: dict[str, Any] = {}
    total = 0
    for result in report.results:
        if result.id == kpi_id and result.segment == segment:
            details = result.details
            total = int(result.denominator or 0)
    return {
        "total": total,
        "rows": [
            {
                "key": key,
                "label": label,
                "count": details.get(key, 0),
                "share": details.get(key, 0) / total if total else None,
            }
            for key, label in rows
        ],
    }


def _value(report: KpiReport, key: str, segment: str) -> float | None:
    for result in report.results:
        if result.key == key and result.segment == segment:
            return result.value
    return None


def _cards(report: KpiReport, segment: str, keys: list[str], page: Page) -> list[Any]:
    results = {r.key: r for r in report.results if r.segment == segment}
    return [make_card(results[key], page.fmt) for key in keys if key in results]


def _stage_rows(
    report: KpiReport, segment: str, kpi_id: str, page: Page
) -> list[dict[str, Any]]:
    """Return the per-stage results of a stage KPI with their details."""
    rows = []
    for result in report.results:
        if result.id == kpi_id and result.segment == segment:
            rows.append(
                {
                    "stage": result.variant,
                    "card": make_card(result, page.fmt),
                    "details": result.to_dict().get("details", {}),
                }
            )
    return rows
