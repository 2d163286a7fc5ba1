"""The quarter `abmkpi demo` prints: KPIs a real ABM program would show.

Each case generates the default demo (2,000 accounts, 15 targets, 150,000
activities, seed 7) ending on one date and computes the KPIs of the latest
complete fiscal quarter, as the demo command does.
"""

from __future__ import annotations

from datetime import date

import pytest

from abmkpi.demo import DemoSize, DemoSummary, generate
from abmkpi.demo.stages import OPEN_STAGES
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.metrics.results import KpiResult
from abmkpi.workspace import Workspace

pytestmark = pytest.mark.slow

END_DATES = [
    date(2026, 12, 4),
    date(2026, 6, 15),
    date(2025, 11, 20),
    date(2025, 3, 31),
    date(2024, 9, 10),
]
SIZE = DemoSize()


@pytest.fixture(scope="module", params=END_DATES, ids=str)
def quarter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[KpiReport, DemoSummary]:
    end: date = request.param
    workspace = Workspace.init(tmp_path_factory.mktemp("quarter") / "ws")
    summary = generate(workspace, SIZE, seed=7, end_date=end)
    calendar = workspace.calendar
    latest = calendar.previous(calendar.fiscal_quarter_of(end))[0]
    with workspace.open_store(read_only=True) as store:
        report = compute_kpis(store, workspace.settings, latest)
    return report, summary


def _value(result: KpiResult) -> float:
    assert result.value is not None, f"{result.key} {result.segment} has no value"
    return result.value


def test_quarter_is_latest_complete(quarter: tuple[KpiReport, DemoSummary]):
    report, summary = quarter
    assert report.period.end < summary.end_date
    assert (summary.end_date - report.period.end).days <= 92


def test_contact_rate_non_target(quarter: tuple[KpiReport, DemoSummary]):
    rate = _value(quarter[0].find("contact_rate", "non_target"))
    assert rate >= 0.25
    assert rate <= 0.60


def test_contact_rate_target(quarter: tuple[KpiReport, DemoSummary]):
    rate = _value(quarter[0].find("contact_rate", "target"))
    assert rate >= 0.70
    assert rate <= 1.0


def test_target_deals_won_and_lost(quarter: tuple[KpiReport, DemoSummary]):
    win_rate = quarter[0].find("win_rate", "target")
    assert win_rate.details["won"] >= 3
    assert win_rate.details["lost"] >= 1


def test_non_target_deals_won(quarter: tuple[KpiReport, DemoSummary]):
    win_rate = quarter[0].find("win_rate", "non_target")
    assert win_rate.details["won"] >= 15


@pytest.mark.parametrize("kpi", ["win_rate", "average_deal_size"])
def test_target_sales_kpi_has_interval(
    quarter: tuple[KpiReport, DemoSummary], kpi: str
):
    result = quarter[0].find(kpi, "target")
    assert result.value is not None
    assert result.ci95 is not None


def test_deal_size_uplift(quarter: tuple[KpiReport, DemoSummary]):
    uplift = quarter[0].find("deal_size_uplift", "all")
    assert _value(uplift) >= 1.4
    assert _value(uplift) <= 2.2
    assert uplift.ci95 is not None


def test_mqa_rate_targets_higher(quarter: tuple[KpiReport, DemoSummary]):
    report = quarter[0]
    target = _value(report.find("mqa_rate", "target"))
    other = _value(report.find("mqa_rate", "non_target"))
    assert target > 2 * other


def test_opportunity_rate_engaged_targets(quarter: tuple[KpiReport, DemoSummary]):
    rate = _value(quarter[0].find("opportunity_rate", "target", "per_engaged_account"))
    assert rate >= 0.15
    assert rate <= 0.60


@pytest.mark.parametrize("stage", OPEN_STAGES)
def test_stage_dwell_has_value(quarter: tuple[KpiReport, DemoSummary], stage: str):
    dwell = quarter[0].find("stage_dwell_days", "all", stage)
    assert dwell.value is not None


@pytest.mark.parametrize(
    "step",
    [
        f"{stage} → {after}"
        for stage, after in zip(OPEN_STAGES, [*OPEN_STAGES[1:], "won"], strict=True)
    ],
)
def test_stage_conversion_has_value(quarter: tuple[KpiReport, DemoSummary], step: str):
    conversion = quarter[0].find("stage_conversion", "all", step)
    assert conversion.value is not None


def test_activity_total_near_requested(quarter: tuple[KpiReport, DemoSummary]):
    activities = quarter[1].rows["activities"]
    assert activities >= 0.9 * SIZE.activities
    assert activities <= 1.1 * SIZE.activities


@pytest.mark.parametrize(
    "kpi_id",
    [
        "renewal_rate",
        "gross_revenue_retention",
        "net_revenue_retention",
        "upsell_rate",
        "nps",
        "ltv",
    ],
)
def test_customer_success_has_value(
    quarter: tuple[KpiReport, DemoSummary], kpi_id: str
):
    assert quarter[0].find(kpi_id, "all").value is not None


def test_renewal_rate_plausible(quarter: tuple[KpiReport, DemoSummary]):
    # Customers renew with a chance of 65% plus up to 30% for healthy ones.
    rate = _value(quarter[0].find("renewal_rate", "all"))
    assert rate >= 0.6
    assert rate <= 0.98


def test_retention_gross_below_net(quarter: tuple[KpiReport, DemoSummary]):
    gross = _value(quarter[0].find("gross_revenue_retention", "all"))
    net = _value(quarter[0].find("net_revenue_retention", "all"))
    assert gross <= net


def test_nps_plausible(quarter: tuple[KpiReport, DemoSummary]):
    # Healthy customers (most of them) answer 9-10 more often than 0-6.
    nps = _value(quarter[0].find("nps", "all"))
    assert nps >= 0
    assert nps <= 60
