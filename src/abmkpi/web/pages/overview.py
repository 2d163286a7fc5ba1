"""The overview: the target-account funnel and the KPI cards of a period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from abmkpi.metrics.compute import KpiReport
from abmkpi.metrics.context import parse_segment
from abmkpi.metrics.journey import JourneyProgress
from abmkpi.periods import Period, business_date
from abmkpi.web.pages.cards import DEPARTMENTS, OVERVIEW_KEYS, cards_by_department
from abmkpi.web.pages.charts import funnel_figure
from abmkpi.web.pages.periods import PeriodChoice, choose_period
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.queries import account_rows, funnel, journey, kpi_report, trend

router = APIRouter(include_in_schema=False)

DEFAULT_SEGMENT = "target"
HOT_ACCOUNTS = 8
JOURNEY_MOVERS = 10
TREND_PERIODS = 4

PeriodText = Annotated[str | None, Query(max_length=100)]
KindText = Annotated[str | None, Query(max_length=30)]
SegmentText = Annotated[str | None, Query(max_length=100)]


def chosen_segment(text: str | None) -> str:
    """Return the segment id of ``?segment=``; an invalid one gives the default."""
    if not text:
        return DEFAULT_SEGMENT
    try:
        segment = parse_segment(text)
    except ValueError:
        return DEFAULT_SEGMENT
    return DEFAULT_SEGMENT if segment.account_id else segment.id


def segment_report(page: Page, period: Period, segment: str) -> KpiReport:
    """Return the KPIs of a period holding ``segment``.

    Pages share the report of every default segment (all, target,
    non-target, each tier), so switching segments costs nothing; other
    segments get a report of their own.
    """
    report = kpi_report(page.state, period)
    if segment in report.segments:
        return report
    return kpi_report(page.state, period, [segment])


def segment_options(page: Page, choice: PeriodChoice) -> list[str]:
    """Return the segments a picker offers: all, target, non-target, tiers."""
    rows = account_rows(page.state, choice.period)
    tiers = sorted({row["tier"] for row in rows if row.get("tier") is not None})
    return ["target", "all", "non_target", *(f"tier:{tier}" for tier in tiers)]


@router.get("/")
def overview(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    segment: SegmentText = None,
) -> Response:
    choice = choose_period(page.state, period, kind)
    segment_id = chosen_segment(segment)
    report = segment_report(page, choice.period, segment_id)
    counts = funnel(page.state, choice.period)
    return render(
        page,
        "overview.html",
        nav="overview",
        choice=choice,
        segment=segment_id,
        segments=segment_options(page, choice),
        report=report,
        departments=DEPARTMENTS,
        groups=cards_by_department(report, segment_id, page.fmt, OVERVIEW_KEYS),
        funnel=counts,
        funnel_total=sum(counts.targets.values()),
        funnel_figure=funnel_figure(counts, page.fmt),
        hot_accounts=_hot_accounts(page, choice),
        progress=_journey_progress(page, report, segment_id),
        movers_shown=JOURNEY_MOVERS,
        threshold=page.state.workspace.settings.engagement.mqa_threshold,
    )


def _journey_progress(
    page: Page, report: KpiReport, segment: str
) -> JourneyProgress | None:
    """Return the journey of the segment from the period start to its as-of
    date, or None before the period has started."""
    zone = page.state.workspace.settings.workspace.time_zone
    as_of = business_date(report.as_of, zone)
    start = report.period.start
    if as_of < start:
        return None
    return journey(page.state, start, as_of, segment)


def _hot_accounts(page: Page, choice: PeriodChoice) -> list[dict[str, Any]]:
    rows = account_rows(page.state, choice.period)
    targets = [row for row in rows if row["seg"] == "target"]
    targets.sort(key=lambda row: row["score"] or 0, reverse=True)
    return targets[:HOT_ACCOUNTS]


@router.get("/trend.json")
def trend_series(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    segment: SegmentText = None,
) -> Response:
    """Return each KPI's values over the period and the ones before it.

    Pages fetch this after they load, because it computes several periods.
    """
    choice = choose_period(page.state, period, kind)
    segment_id = chosen_segment(segment)
    reports = trend(page.state, choice.period, TREND_PERIODS)
    if segment_id not in reports[-1].segments:
        reports = trend(page.state, choice.period, TREND_PERIODS, [segment_id])
    series: dict[str, list[float | None]] = {}
    for index, report in enumerate(reports):
        for result in report.results:
            if result.segment != segment_id:
                continue
            values = series.setdefault(result.key, [None] * len(reports))
            values[index] = result.to_dict()["value"]
    labels = [page.fmt.period(report.period) for report in reports]
    return JSONResponse(
        {"periods": labels, "series": series},
        headers={"Cache-Control": "no-store"},
    )
