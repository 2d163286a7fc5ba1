"""A report pack: the KPIs of one cadence and period with their trend and sections.

The pack contains raw values only. The HTML, XLSX and PDF writers format them
in the reader's language, so one pack renders in Japanese and in English.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from abmkpi.config import Settings
from abmkpi.metrics.accounts import JOURNEY_STAGES, list_accounts
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import KpiResult
from abmkpi.periods import Calendar, Period, business_date
from abmkpi.reports.cadence import KPI_KEYS, Cadence, trend_periods
from abmkpi.reports.sections import (
    ReportSection,
    SectionContext,
    SectionProvider,
    collect_sections,
)
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)

# Segments a pack reports: the target accounts first, all accounts beside
# them. A KPI without a target-account result (deal-size uplift compares
# the two groups) is reported for all accounts.
MAIN_SEGMENT = "target"
COMPARISON_SEGMENT = "all"


@dataclass
class KpiLine:
    """One KPI of a pack: its main result, the all-accounts result and trend."""

    key: str
    department: str
    result: KpiResult
    comparison: KpiResult | None
    history: list[float | None]  # values of the trend periods, oldest first

    @property
    def prior(self) -> float | None:
        return self.history[-2] if len(self.history) > 1 else None

    @property
    def change(self) -> float | None:
        if self.result.value is None or self.prior is None:
            return None
        return self.result.value - self.prior


class PeriodTiming(StrEnum):
    """The state of a pack's period on the day it is built (or its as-of day)."""

    FUTURE = "future"  # not started, so the pack has no data for it yet
    RUNNING = "running"  # started and not ended: the pack covers it to date
    ENDED = "ended"


def period_timing(period: Period, as_of_date: date) -> PeriodTiming:
    """Return whether ``period`` has not started, is running or has ended on
    ``as_of_date`` (a business date)."""
    if as_of_date < period.start:
        return PeriodTiming.FUTURE
    if as_of_date <= period.end:
        return PeriodTiming.RUNNING
    return PeriodTiming.ENDED


@dataclass
class ReportPack:
    """Everything one report shows, before it is formatted."""

    cadence: Cadence
    period: Period
    periods: list[Period]
    workspace_name: str
    report: KpiReport
    lines: list[KpiLine]
    funnel: dict[str, int]
    sections: list[ReportSection]
    mqa_threshold: float
    generated_at: datetime
    timing: PeriodTiming = PeriodTiming.ENDED

    @property
    def currency(self) -> str:
        return self.report.currency

    @property
    def as_of(self) -> datetime:
        return self.report.as_of

    def section(self, section_id: str) -> ReportSection | None:
        return next((s for s in self.sections if s.id == section_id), None)


def build_pack(
    store: Store,
    settings: Settings,
    calendar: Calendar,
    cadence: Cadence,
    period: Period,
    now: datetime | None = None,
    providers: list[SectionProvider] | None = None,
) -> ReportPack:
    """Compute the pack of ``cadence`` for ``period`` as of ``now`` (naive UTC)."""
    started = time.perf_counter()
    periods = trend_periods(calendar, cadence, period)
    reports = [compute_kpis(store, settings, item, None, now) for item in periods]
    report = reports[-1]
    accounts = list_accounts(store, settings, period, now=now)
    context = SectionContext(
        store, settings, calendar, cadence, period, report.as_of, accounts
    )
    pack = ReportPack(
        cadence=cadence,
        period=period,
        periods=periods,
        workspace_name=settings.workspace.name,
        report=report,
        lines=kpi_lines(KPI_KEYS[cadence], reports),
        funnel=target_funnel(accounts),
        sections=collect_sections(context, providers),
        mqa_threshold=settings.engagement.mqa_threshold,
        generated_at=utc_now(),
        timing=period_timing(
            period, business_date(now or utc_now(), calendar.time_zone)
        ),
    )
    logger.info(
        "built the %s pack of %s: %d KPIs, %d sections in %.1fs",
        cadence,
        period.id,
        len(pack.lines),
        len(pack.sections),
        time.perf_counter() - started,
    )
    return pack


def kpi_lines(keys: list[str], reports: list[KpiReport]) -> list[KpiLine]:
    """Return the lines of ``keys`` from the last report, with every report's
    value as their trend."""
    current = reports[-1]
    lines = []
    for key in keys:
        for result in _main_results(current, key):
            lines.append(
                KpiLine(
                    key=result.key,
                    department=department_of(result.id),
                    result=result,
                    comparison=_find(current, result.key, COMPARISON_SEGMENT)
                    if result.segment != COMPARISON_SEGMENT
                    else None,
                    history=[_value(r, result.key, result.segment) for r in reports],
                )
            )
    return lines


def _main_results(report: KpiReport, key: str) -> list[KpiResult]:
    """Return the results a key selects, in the target segment when it has one.

    A plain id selects its result without a variant, or every variant when
    the KPI only comes in variants.
    """
    kpi_id, _, variant = key.partition(":")
    matching = [r for r in report.results if r.id == kpi_id]
    if variant:
        matching = [r for r in matching if r.variant == variant]
    elif any(r.variant is None for r in matching):
        matching = [r for r in matching if r.variant is None]
    keys = list(dict.fromkeys(r.key for r in matching))
    chosen = []
    for result_key in keys:
        main = _find(report, result_key, MAIN_SEGMENT) or _find(
            report, result_key, COMPARISON_SEGMENT
        )
        if main is not None:
            chosen.append(main)
    return chosen


def _find(report: KpiReport, key: str, segment: str) -> KpiResult | None:
    for result in report.results:
        if result.key == key and result.segment == segment:
            return result
    return None


def _value(report: KpiReport, key: str, segment: str) -> float | None:
    result = _find(report, key, segment)
    return None if result is None else result.value


def department_of(kpi_id: str) -> str:
    """Return the department that owns a KPI; unknown ids are customer success."""
    definition = DEFINITIONS.get(kpi_id)
    return definition.department if definition else "customer_success"


def target_funnel(accounts: list[dict[str, object]]) -> dict[str, int]:
    """Count target accounts per journey stage, unengaged first."""
    counts = {stage: 0 for stage in JOURNEY_STAGES[::-1]}
    for row in accounts:
        stage = row.get("journey_stage")
        if row.get("seg") == "target" and isinstance(stage, str):
            counts[stage] += 1
    return counts
