"""Patterns to reuse: the statistics by hand, a tiny workspace, and the demo."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime

import pytest

from abmkpi.demo.catalog import PRICING_ASSETS, SALES_SUBJECTS
from abmkpi.demo.generator import DemoSize, generate
from abmkpi.i18n import translate
from abmkpi.pdca.patterns import Pattern, PatternReport, PatternScope, pattern_report
from abmkpi.pdca.statistics import (
    Table2x2,
    fisher_p_value,
    holm_adjusted,
    lift,
    lift_interval,
)
from abmkpi.reports.cadence import Cadence
from abmkpi.reports.pdca_sections import pattern_section
from abmkpi.reports.sections import SectionContext
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.pdca_support import Rows, build, key

PERIOD = "FY2024-Q4"
NOW = datetime(2025, 3, 20, 3, 0)

# Statistics ------------------------------------------------------------------


def test_lift_of_table() -> None:
    # (3/4) ÷ (1/6)
    assert lift(Table2x2(3, 1, 1, 5)) == pytest.approx(4.5)


def test_lift_undefined_without_reached() -> None:
    assert lift(Table2x2(2, 1, 0, 3)) is None


def test_fisher_p_by_hand() -> None:
    # Hypergeometric over a = 0..4 with margins 4/6 and 4/6: 15, 80, 90, 24
    # and 1 of 210; the tables as likely as a = 3 or less: 15 + 24 + 1.
    assert fisher_p_value(Table2x2(3, 1, 1, 5)) == pytest.approx(40 / 210)


def test_lift_interval_katz() -> None:
    spread = 1.959963984540054 * math.sqrt(1 / 3 - 1 / 4 + 1 / 1 - 1 / 6)
    low, high = lift_interval(Table2x2(3, 1, 1, 5)) or (0.0, 0.0)
    assert low == pytest.approx(4.5 * math.exp(-spread))
    assert high == pytest.approx(4.5 * math.exp(spread))
    assert low == pytest.approx(0.6891, abs=1e-4)


def test_lift_interval_zero_cell() -> None:
    # 0.5 added to every cell: (2.5/4) ÷ (0.5/4) = 5.
    low, high = lift_interval(Table2x2(2, 1, 0, 3)) or (0.0, 0.0)
    assert math.sqrt(low * high) == pytest.approx(5.0)


def test_holm_adjusts_in_order() -> None:
    assert holm_adjusted([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


# A tiny workspace ----------------------------------------------------------------

IN_WINDOW = datetime(2025, 1, 15, 3, 0)  # within 90 days before both openings


def _tiny_rows() -> Rows:
    rows = Rows()
    for name in ("p1", "p2", "n1", "n2", "n3", "n4"):
        rows.account(name)
    rows.account("z", tier=None)
    rows.deal("p1-deal", "p1", datetime(2025, 2, 10, 3, 0))
    rows.deal("p2-deal", "p2", datetime(2025, 3, 1, 3, 0))
    rows.deal("z-deal", "z", datetime(2025, 2, 20, 3, 0))
    for account in ("p1", "p2", "n1", "z"):
        rows.activity(account, "event_attended", IN_WINDOW, key("webinar"), "Webinar A")
    for account in ("p1", "n1", "n2", "n3"):
        rows.activity(account, "email_open", IN_WINDOW)
    # Outside every window, and after p1's opportunity: neither counts.
    rows.activity("n4", "web_visit", datetime(2024, 6, 1, 3, 0))
    rows.activity("p1", "content_download", datetime(2025, 2, 20, 3, 0))
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("tiny") / "ws")
    build(workspace, _tiny_rows())
    with workspace.open_store() as store:
        store.execute(
            "INSERT INTO campaigns (id, source_system, source_id, name) "
            "VALUES (?, 'csv', 'webinar', 'ABM Webinar')",
            [key("webinar")],
        )
    return workspace


def _report(workspace: Workspace, scope: PatternScope) -> PatternReport:
    period = workspace.calendar.parse(PERIOD)
    with workspace.open_store(read_only=True) as store:
        return pattern_report(store, workspace.settings, period, NOW, scope)


def _find(report: PatternReport, kind: str, key_: str) -> Pattern:
    for pattern in report.patterns:
        if str(pattern.kind) == kind and pattern.key == key_:
            return pattern
    raise AssertionError(f"no pattern {kind} {key_}")


def test_tiny_groups(tiny: Workspace) -> None:
    report = _report(tiny, PatternScope.TARGET)
    assert (report.accounts, report.reached) == (6, 2)


def test_tiny_pattern_keys(tiny: Workspace) -> None:
    report = _report(tiny, PatternScope.TARGET)
    found = sorted((str(p.kind), p.key) for p in report.patterns)
    assert found == [
        ("activity_type", "email_open"),
        ("activity_type", "event_attended"),
        ("asset", "Webinar A"),
        ("campaign", key("webinar")),
    ]


def test_tiny_event_counts(tiny: Workspace) -> None:
    event = _find(_report(tiny, PatternScope.TARGET), "activity_type", "event_attended")
    assert (event.reached_with, event.accounts_with) == (2, 3)
    assert (event.reached_without, event.accounts_without) == (0, 3)
    assert event.lift is None
    # [[2, 1], [0, 3]]: a = 0, 1, 2 have 4, 12 and 4 of 20 tables.
    assert event.p_value == pytest.approx(8 / 20)
    # Holm over the two types: 0.4 × 2.
    assert event.p_adjusted == pytest.approx(0.8)
    assert event.weak is True


def test_tiny_email_open_lift(tiny: Workspace) -> None:
    opens = _find(_report(tiny, PatternScope.TARGET), "activity_type", "email_open")
    assert (opens.reached_with, opens.accounts_with) == (1, 4)
    assert opens.lift == pytest.approx(0.5)
    assert opens.p_value == pytest.approx(1.0)


def test_tiny_campaign_label(tiny: Workspace) -> None:
    campaign = _find(_report(tiny, PatternScope.TARGET), "campaign", key("webinar"))
    assert campaign.label == "ABM Webinar"


def test_tiny_scope_all(tiny: Workspace) -> None:
    report = _report(tiny, PatternScope.ALL)
    assert (report.accounts, report.reached) == (7, 3)
    event = _find(report, "activity_type", "event_attended")
    assert (event.reached_with, event.accounts_with) == (3, 4)


def test_no_reached_no_patterns(make_workspace: Callable[..., Workspace]) -> None:
    rows = Rows()
    rows.account("solo")
    rows.activity("solo", "web_visit", IN_WINDOW)
    workspace = build(make_workspace(), rows)
    report = _report(workspace, PatternScope.TARGET)
    assert (report.accounts, report.reached, report.patterns) == (1, 0, [])


# The demo: predictive types are found, noise types are not ---------------------
#
# The demo's 15 target accounts are too few for any test to have power (7 of
# 15 reached an opportunity in FY2024-Q4), so the acceptance runs over all
# 2,000 accounts, where the generator's effects are large.

DEMO_PERIODS = ("FY2024-Q3", "FY2024-Q4")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    generate(workspace, DemoSize(), seed=7, end_date=date(2025, 3, 31))
    return workspace


@pytest.fixture(scope="module", params=DEMO_PERIODS)
def demo_report(demo: Workspace, request: pytest.FixtureRequest) -> PatternReport:
    period = demo.calendar.parse(request.param)
    with demo.open_store(read_only=True) as store:
        return pattern_report(store, demo.settings, period, None, PatternScope.ALL)


@pytest.mark.parametrize(
    "activity_type", ["event_attended", "content_download", "sales_meeting"]
)
def test_demo_predictive_types(demo_report: PatternReport, activity_type: str) -> None:
    pattern = _find(demo_report, "activity_type", activity_type)
    assert pattern.significant is True
    assert pattern.lift is not None and pattern.lift > 1
    assert pattern.is_candidate is True


@pytest.mark.parametrize("activity_type", ["email_open", "ad_click"])
def test_demo_noise_types(demo_report: PatternReport, activity_type: str) -> None:
    pattern = _find(demo_report, "activity_type", activity_type)
    assert pattern.significant is False
    assert pattern.weak is True


@pytest.mark.parametrize(
    "asset", [*PRICING_ASSETS, *SALES_SUBJECTS["discovery"]], ids=str
)
def test_demo_predictive_assets(demo_report: PatternReport, asset: str) -> None:
    pattern = _find(demo_report, "asset", asset)
    assert pattern.significant is True
    assert pattern.lift is not None and pattern.lift > 1


def test_demo_case_studies(demo_report: PatternReport) -> None:
    studies = [
        pattern
        for pattern in demo_report.patterns
        if pattern.key.startswith(("導入事例:", "Case Study:"))
    ]
    assert len(studies) == 6
    assert all(pattern.is_candidate for pattern in studies)


def test_demo_target_list_is_small(demo: Workspace) -> None:
    period = demo.calendar.parse("FY2024-Q4")
    with demo.open_store(read_only=True) as store:
        report = pattern_report(store, demo.settings, period, None)
    assert (report.accounts, report.reached) == (15, 7)


# The p-value shown: Holm-adjusted everywhere, the raw one labelled -----------------


def _cli_row(output: str, first_cell: str) -> list[str]:
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[1:2] == [first_cell]:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


@pytest.mark.parametrize(
    ("language", "header", "event"),
    [("en", "p (Holm)", "Event attended"), ("ja", "p値（Holm 補正）", "イベント参加")],
)
def test_cli_shows_holm_p(
    tiny: Workspace, language: str, header: str, event: str
) -> None:
    output = run_cli(
        "-w", tiny.root, "--lang", language, "pdca", "patterns",
        "--period", PERIOD, "--as-of", NOW.isoformat(),
    ).stdout  # fmt: skip
    assert header in output
    # Holm: the raw 8/20 = 0.4 times the two activity types tested.
    assert _cli_row(output, event)[-1].startswith("0.8")
    # The --rule value that reuses each pattern: the campaign by its id.
    assert _cli_row(output, "ABM Webinar")[2] == "pattern:campaign:csv:webinar"
    assert _cli_row(output, event)[2] == "pattern:activity_type:event_attended"


def test_pack_shows_holm_and_raw_p(tiny: Workspace) -> None:
    period = tiny.calendar.parse(PERIOD)
    with tiny.open_store(read_only=True) as store:
        context = SectionContext(
            store=store,
            settings=tiny.settings,
            calendar=tiny.calendar,
            cadence=Cadence.QUARTERLY,
            period=period,
            as_of=NOW,
        )
        section = pattern_section(context)
    labels = {column.key: column.label for column in section.columns}
    assert labels["p_adjusted"] == "p (Holm)"
    assert labels["p_value"] == "p (raw)"
    assert translate("p (Holm)", "ja") == "p値（Holm 補正）"
    assert translate("p (raw)", "ja") == "p値（補正前）"
    # Six target accounts are too few, so the pack compares all 7 accounts:
    # [[3, 1], [0, 3]] has probabilities 1, 12, 18 and 4 of 35 for a = 0..3,
    # and a = 0 and a = 3 are as unlikely as the observed table.
    row = next(row for row in section.rows if row["key"] == "event_attended")
    assert row["p_value"] == pytest.approx(5 / 35)
    # Holm over the two activity types doubles it.
    assert row["p_adjusted"] == pytest.approx(10 / 35)
