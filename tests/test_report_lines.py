"""Which KPI results a pack shows: keys, variants, segments and the trend."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from abmkpi.metrics.compute import KpiReport
from abmkpi.metrics.results import KpiResult, Status, Unit
from abmkpi.periods import Period
from abmkpi.reports.pack import kpi_lines, target_funnel


def result(
    kpi_id: str,
    segment: str,
    value: float | None,
    variant: str | None = None,
    unit: Unit = Unit.RATIO,
) -> KpiResult:
    return KpiResult(
        id=kpi_id,
        segment=segment,
        value=value,
        numerator=None,
        denominator=None,
        unit=unit,
        variant=variant,
        status=Status.NO_TARGET,
        label={"en": kpi_id, "ja": kpi_id},
    )


def report(month: int, results: list[KpiResult]) -> KpiReport:
    period = Period(
        f"2025-{month:02d}", "month", date(2025, month, 1), date(2025, month, 28)
    )
    return KpiReport(
        period=period,
        period_label={"en": period.id, "ja": period.id},
        as_of=datetime(2025, month, 28),
        currency="JPY",
        results=results,
        segments=["all", "target"],
    )


@pytest.fixture
def reports() -> list[KpiReport]:
    earlier = report(
        2,
        [
            result("contact_rate", "target", 0.5),
            result("contact_rate", "all", 0.25),
        ],
    )
    current = report(
        3,
        [
            result("contact_rate", "target", 0.75),
            result("contact_rate", "all", 0.3),
            result("deal_size_uplift", "all", 1.8, unit=Unit.MULTIPLE),
            result("renewal_rate", "target", 0.9, variant="count"),
            result("renewal_rate", "target", 0.95, variant="amount"),
            result("opportunity_rate", "target", 0.2, variant="per_account"),
            result("opportunity_rate", "target", 0.4, variant="per_engaged_account"),
        ],
    )
    return [earlier, current]


def test_lines_in_key_order(reports: list[KpiReport]) -> None:
    keys = ["deal_size_uplift", "contact_rate", "nps", "renewal_rate"]
    lines = kpi_lines(keys, reports)
    assert [line.key for line in lines] == [
        "deal_size_uplift",
        "contact_rate",
        "renewal_rate:count",
        "renewal_rate:amount",
    ]


def test_line_prefers_target_segment(reports: list[KpiReport]) -> None:
    line = kpi_lines(["contact_rate"], reports)[0]
    assert line.result.segment == "target"
    assert line.comparison is not None
    assert line.comparison.value == 0.3


def test_line_falls_back_to_all(reports: list[KpiReport]) -> None:
    line = kpi_lines(["deal_size_uplift"], reports)[0]
    assert line.result.segment == "all"
    assert line.comparison is None


def test_line_history_and_change(reports: list[KpiReport]) -> None:
    line = kpi_lines(["contact_rate"], reports)[0]
    assert line.history == [0.5, 0.75]
    assert line.prior == 0.5
    assert line.change == pytest.approx(0.25)


def test_line_without_prior_value(reports: list[KpiReport]) -> None:
    line = kpi_lines(["deal_size_uplift"], reports)[0]
    assert line.history == [None, 1.8]
    assert line.change is None


def test_variant_key_selects_one(reports: list[KpiReport]) -> None:
    lines = kpi_lines(["opportunity_rate:per_engaged_account"], reports)
    assert [(line.key, line.result.value) for line in lines] == [
        ("opportunity_rate:per_engaged_account", 0.4)
    ]


def test_unknown_kpi_is_customer_success(reports: list[KpiReport]) -> None:
    line = kpi_lines(["renewal_rate"], reports)[0]
    assert line.department == "customer_success"


def test_funnel_counts_targets_only() -> None:
    accounts = [
        {"seg": "target", "journey_stage": "mqa"},
        {"seg": "target", "journey_stage": "mqa"},
        {"seg": "target", "journey_stage": "customer"},
        {"seg": "non_target", "journey_stage": "mqa"},
    ]
    assert target_funnel(accounts) == {
        "unengaged": 0,
        "aware": 0,
        "engaged": 0,
        "mqa": 2,
        "opportunity": 0,
        "customer": 1,
    }
