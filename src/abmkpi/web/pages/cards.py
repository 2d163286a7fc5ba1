"""KPI cards: what a card shows for one KPI result, grouped by department.

Cards carry the result's key (``id`` or ``id:variant``) and raw value as
data attributes, so the live-update script can find a card and tests can
compare it with ``abmkpi kpi --format json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from abmkpi.i18n import translate
from abmkpi.metrics.compute import KpiReport
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import KpiResult, Unit
from abmkpi.vocabulary import N_
from abmkpi.web.pages.formats import Formatter

DEPARTMENTS = {
    "marketing": N_("Marketing"),
    "sales": N_("Sales"),
    "customer_success": N_("Customer success"),
}

# Rates whose numerator and denominator are amounts rather than counts.
AMOUNT_RATIOS = {
    "win_rate_amount",
    "gross_revenue_retention",
    "net_revenue_retention",
    "upsell_rate",
}

VARIANT_LABELS = {
    "per_account": N_("per account"),
    "per_engaged_account": N_("per engaged account"),
    "per_new_lead": N_("per new lead"),
    "buying_group": N_("Buying group"),
    "decision_maker": N_("Decision maker"),
    "influencer": N_("Influencer"),
    "user": N_("User"),
}

PACED_TARGET = N_("%(target)s (to date: %(paced)s)")

# The cards of the overview, in order; stage dwell and conversion have one
# result per stage and live on the sales page.
OVERVIEW_KEYS = [
    "contact_rate",
    "engagement_score",
    "mqa_count",
    "mqa_rate",
    "engaged_people",
    "persona_coverage:buying_group",
    "pipeline_created",
    "marketing_influenced_pipeline",
    "opportunity_rate:per_engaged_account",
    "opportunity_rate:per_account",
    "pipeline_open",
    "win_rate",
    "win_rate_amount",
    "average_deal_size",
    "deal_size_uplift",
    "sales_cycle_days",
    "renewal_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "upsell_rate",
    "nps",
    "ltv",
]


@dataclass(frozen=True)
class Card:
    """One KPI result as a card shows it."""

    key: str
    department: str
    label: str
    unit: str
    status: str
    status_text: str
    value: float | int | None
    value_text: str
    full_text: str
    target_text: str
    interval_text: str
    counts_text: str
    description: str


def make_card(result: KpiResult, fmt: Formatter) -> Card:
    definition = DEFINITIONS[result.id]
    document = result.to_dict()
    return Card(
        key=result.key,
        department=definition.department,
        label=kpi_label(result, fmt.language),
        unit=result.unit.value,
        status=result.status.value,
        status_text=fmt.status(result.status.value),
        value=document["value"],
        value_text=fmt.kpi(result),
        full_text=fmt.kpi_full(result),
        target_text=_target_text(result, fmt),
        interval_text=fmt.interval(result),
        counts_text=counts_text(result, fmt),
        description=definition.description,
    )


def _target_text(result: KpiResult, fmt: Formatter) -> str:
    if result.target is None:
        return ""
    target = fmt.unit_value(result.target, result.unit)
    if result.paced_target is None:
        return target
    paced = fmt.unit_value(result.paced_target, result.unit)
    return translate(PACED_TARGET, fmt.language) % {"target": target, "paced": paced}


def counts_text(result: KpiResult, fmt: Formatter) -> str:
    """Return 'numerator / denominator' of a rate, as counts or amounts."""
    if result.unit != Unit.RATIO or result.denominator is None:
        return ""
    numerator = result.numerator or 0
    denominator = result.denominator
    if result.id in AMOUNT_RATIOS:
        return f"{fmt.money_compact(numerator)} / {fmt.money_compact(denominator)}"
    whole = float(numerator).is_integer() and float(denominator).is_integer()
    digits = 0 if whole else 1
    return f"{fmt.number(numerator, digits)} / {fmt.number(denominator, digits)}"


def kpi_label(result: KpiResult, language: str) -> str:
    """Return a KPI's label with its variant, such as 'Opportunity rate: per lead'."""
    label = translate(DEFINITIONS[result.id].label, language)
    if result.variant is None:
        return label
    variant = VARIANT_LABELS.get(result.variant, result.variant)
    return f"{label}: {translate(variant, language)}"


def cards_by_department(
    report: KpiReport, segment: str, fmt: Formatter, keys: list[str] | None = None
) -> dict[str, list[Card]]:
    """Return the cards of one segment per department, in ``keys`` order."""
    results = {r.key: r for r in report.results if r.segment == segment}
    chosen = keys if keys is not None else list(results)
    groups: dict[str, list[Card]] = {department: [] for department in DEPARTMENTS}
    for key in chosen:
        if key in results:
            card = make_card(results[key], fmt)
            groups[card.department].append(card)
    return groups


def segment_table(
    report: KpiReport, keys: list[str], fmt: Formatter
) -> list[dict[str, Any]]:
    """Return one row per KPI key with its card per segment, for comparisons."""
    by_key: dict[str, dict[str, Card]] = {}
    for result in report.results:
        if result.key in keys:
            by_key.setdefault(result.key, {})[result.segment] = make_card(result, fmt)
    rows = []
    for key in keys:
        if key in by_key:
            cells = by_key[key]
            label = next(iter(cells.values())).label
            rows.append({"key": key, "label": label, "cells": cells})
    return rows
