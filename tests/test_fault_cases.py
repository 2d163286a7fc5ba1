"""The fault cases, end to end: import, match, KPIs, against expected.md.

Each case reproduces a real bug report from this field (deleted records
counted as live, history versions read as current rows, free-mail domains
used for matching, per-value date guessing, …). Conventions shared by the
cases: business time zone Asia/Tokyo, fiscal years starting in April named
by start year, JPY, figures as of 2024-06-30 23:59 JST.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi import targets
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

MAPPINGS = Path(__file__).resolve().parent / "mappings"
AS_OF = datetime(2024, 6, 30, 14, 59)  # 2024-06-30 23:59 JST


def _import(
    workspace: Workspace, source: str, *paths: Path, mapping: Path | None = None
) -> ImportSummary:
    options = ImportOptions(mapping=mapping)
    batch = get_importer(source).read(list(paths), workspace.settings, options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, options)


def _targets(workspace: Workspace, path: Path) -> None:
    with workspace.open_store() as store:
        report = targets.set_list(
            store, workspace.settings, targets.read_target_file(path)
        )
    assert not report.unresolved


def _kpis(workspace: Workspace, period: str, now: datetime = AS_OF) -> KpiReport:
    with workspace.open_store() as store:
        return compute_kpis(
            store, workspace.settings, workspace.calendar.parse(period), None, now
        )


def _value(
    report: KpiReport, kpi: str, segment: str = "all", variant: str | None = None
) -> Any:
    return report.find(kpi, segment, variant).value


def _scalar(workspace: Workspace, sql: str, params: list[Any] | None = None) -> Any:
    with workspace.open_store() as store:
        return store.scalar(sql, params)


# 01: deleted (recycle-bin) opportunities -------------------------------------


@pytest.fixture
def case01(workspace: Workspace, cases: Path) -> tuple[Workspace, ImportSummary]:
    folder = cases / "01-sf-deleted-opportunities"
    summary = _import(
        workspace, "salesforce", folder / "Account.csv", folder / "Opportunity.csv"
    )
    return workspace, summary


def test_case01_deleted_rows_reported(case01: tuple[Workspace, ImportSummary]) -> None:
    _, summary = case01
    assert summary.total("deleted") == 2


def test_case01_win_rate_ignores_deleted(
    case01: tuple[Workspace, ImportSummary],
) -> None:
    report = _kpis(case01[0], "FY2024-Q1")
    win_rate = report.find("win_rate")
    assert (win_rate.numerator, win_rate.denominator) == (2, 3)
    assert win_rate.value == pytest.approx(2 / 3)


def test_case01_won_amount_and_deal_size(
    case01: tuple[Workspace, ImportSummary],
) -> None:
    report = _kpis(case01[0], "FY2024-Q1")
    deal_size = report.find("average_deal_size")
    assert deal_size.numerator == 5_500_000
    assert deal_size.value == 2_750_000


def test_case01_open_pipeline(case01: tuple[Workspace, ImportSummary]) -> None:
    report = _kpis(case01[0], "FY2024-Q1")
    pipeline = report.find("pipeline_open")
    assert pipeline.value == 2_000_000
    assert pipeline.details["count"] == 1


def test_case01_won_amount_per_account(case01: tuple[Workspace, ImportSummary]) -> None:
    workspace, _ = case01
    won = {}
    for account in ("001A1000000001AAA", "001A1000000002AAA", "001A1000000003AAA"):
        segment = f"account:salesforce:{account}"
        with workspace.open_store() as store:
            report = compute_kpis(
                store,
                workspace.settings,
                workspace.calendar.parse("FY2024-Q1"),
                [segment],
                AS_OF,
            )
        won[account] = report.find("average_deal_size", segment).numerator
    assert won == {
        "001A1000000001AAA": 3_000_000,
        "001A1000000002AAA": 0,
        "001A1000000003AAA": 2_500_000,
    }


# 02: history-mode versions ---------------------------------------------------


@pytest.fixture
def case02(workspace: Workspace, cases: Path) -> Workspace:
    _import(
        workspace,
        "salesforce",
        cases / "02-history-mode-versions" / "Opportunity_history_mode.csv",
    )
    return workspace


def test_case02_one_row_per_opportunity(case02: Workspace) -> None:
    assert _scalar(case02, "SELECT count(*) FROM opportunities") == 3


def test_case02_current_state(case02: Workspace) -> None:
    report = _kpis(case02, "FY2024-Q1")
    assert report.find("win_rate").value == 0.5
    assert report.find("average_deal_size").numerator == 1_200_000
    assert report.find("pipeline_open").value == 800_000


def test_case02_pipeline_point_in_time(case02: Workspace) -> None:
    # As of 2024-05-31 23:59:59 JST the valid versions are 01 v2, 02 v1, 03.
    report = _kpis(case02, "2024-05", now=datetime(2024, 7, 1))
    pipeline = report.find("pipeline_open")
    assert pipeline.value == 5_000_000
    assert pipeline.details["count"] == 3


# 05: e-mail events joined to duplicate contacts ------------------------------


@pytest.fixture
def case05(make_workspace: Any, cases: Path, tmp_path: Path) -> Workspace:
    # The case's own conventions: opens weigh 1 and clicks 3 with no decay or
    # multipliers, and both count as engagement.
    workspace = make_workspace(
        engagement={
            "weights": {
                "email_open": 1.0,
                "email_click": 3.0,
                "email_send": 0.0,
                "email_delivered": 0.0,
            },
            "half_life_days": 1e12,
            "daily_caps": {},
            "persona_multipliers": {
                "decision_maker": 1.0,
                "influencer": 1.0,
                "user": 1.0,
                "unknown": 1.0,
            },
            "tier_multipliers": {"1": 1.0},
            "qualifying_types": ["email_open", "email_click"],
        }
    )
    folder = cases / "05-email-join-duplicate-contacts"
    _import(
        workspace,
        "csv",
        folder / "company.csv",
        folder / "contact.csv",
        folder / "email_event.csv",
        mapping=MAPPINGS / "hubspot-email-events.toml",
    )
    target_file = tmp_path / "targets.csv"
    target_file.write_text("id\nhubspot:5201\nhubspot:5202\n")
    _targets(workspace, target_file)
    return workspace


def test_case05_events_counted_once(case05: Workspace) -> None:
    assert _scalar(case05, "SELECT count(*) FROM activities") == 7


def test_case05_scores_not_doubled(case05: Workspace) -> None:
    sakura = _kpis_for_account(case05, "hubspot:5201")
    tsubame = _kpis_for_account(case05, "hubspot:5202")
    assert sakura.find(
        "engagement_score", "account:hubspot:5201"
    ).value == pytest.approx(4)
    assert tsubame.find(
        "engagement_score", "account:hubspot:5202"
    ).value == pytest.approx(1)


def test_case05_engaged_people_deduplicated(case05: Workspace) -> None:
    sakura = _kpis_for_account(case05, "hubspot:5201")
    assert sakura.find("engaged_people", "account:hubspot:5201").value == 1


def test_case05_duplicate_reported(case05: Workspace) -> None:
    count = _scalar(
        case05, "SELECT count(*) FROM match_issues WHERE kind = 'duplicate_person'"
    )
    assert count == 1


def test_case05_campaign_unique_opens_and_clicks(case05: Workspace) -> None:
    sql = """
        SELECT count(DISTINCT identity_id) FROM activities
        WHERE campaign_id = 'hubspot:3101' AND type = ?
    """
    assert _scalar(case05, sql, ["email_open"]) == 2
    assert _scalar(case05, sql, ["email_click"]) == 1


def test_case05_contact_rate(case05: Workspace) -> None:
    assert _value(_kpis(case05, "FY2024-Q1"), "contact_rate", "target") == 1.0


# 07: free-mail domains -------------------------------------------------------


@pytest.fixture
def case07(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "07-free-email-domain"
    _import(workspace, "salesforce", folder / "Account.csv", folder / "Contact.csv")
    _import(
        workspace,
        "marketo",
        folder / "marketo_leads.csv",
        folder / "marketo_activities.csv",
        folder / "activity_types.csv",
    )
    _targets(workspace, folder / "target_accounts.csv")
    return workspace


def test_case07_activities_per_account(case07: Workspace) -> None:
    rows = dict(
        _rows(case07, "SELECT account_id, count(*) FROM activities GROUP BY ALL")
    )
    assert rows == {
        "salesforce:001C1000000001AAA": 2,
        "salesforce:001C1000000002AAA": 1,
        None: 3,
    }


def test_case07_no_free_mail_account_domain(case07: Workspace) -> None:
    domains = {row[0] for row in _rows(case07, "SELECT domain FROM account_domains")}
    assert "gmail.com" not in domains
    assert "yahoo.co.jp" not in domains


def test_case07_contact_rate(case07: Workspace) -> None:
    result = _kpis(case07, "FY2024-Q1").find("contact_rate", "target")
    assert (result.numerator, result.denominator) == (2, 3)


def _rows(workspace: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with workspace.open_store() as store:
        return store.fetch_all(sql)


# 09: e-mail case and whitespace ----------------------------------------------


@pytest.fixture
def case09(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "09-email-case-normalization"
    _import(workspace, "salesforce", folder / "Account.csv", folder / "Contact.csv")
    _import(
        workspace,
        "marketo",
        folder / "marketo_leads.csv",
        folder / "marketo_activities.csv",
        folder / "activity_types.csv",
    )
    return workspace


def test_case09_distinct_people(case09: Workspace) -> None:
    assert _scalar(case09, "SELECT count(DISTINCT identity_id) FROM people") == 2


def test_case09_all_activities_attributed(case09: Workspace) -> None:
    sql = "SELECT count(*) FROM activities WHERE account_id = ?"
    assert _scalar(case09, sql, ["salesforce:001E1000000001AAA"]) == 5


def test_case09_engaged_people(case09: Workspace) -> None:
    report = _kpis_for_account(case09, "salesforce:001E1000000001AAA")
    # Taro clicked and filled forms; Sachiko only opened, which is a touch.
    assert (
        report.find("engaged_people", "account:salesforce:001E1000000001AAA").value == 2
    )


def test_case09_activity_types(case09: Workspace) -> None:
    counts = dict(_rows(case09, "SELECT type, count(*) FROM activities GROUP BY ALL"))
    assert counts == {"email_open": 2, "email_click": 1, "form_fill": 2}


def _kpis_for_account(workspace: Workspace, account_id: str) -> KpiReport:
    with workspace.open_store() as store:
        return compute_kpis(
            store,
            workspace.settings,
            workspace.calendar.parse("FY2024-Q1"),
            [f"account:{account_id}"],
            AS_OF,
        )


# 10: Japanese company names --------------------------------------------------


@pytest.fixture
def case10(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "10-jp-company-name-normalization"
    _import(workspace, "salesforce", folder / "Account.csv")
    _import(
        workspace,
        "csv",
        folder / "event_attendees.csv",
        mapping=MAPPINGS / "event-attendees.toml",
    )
    _targets(workspace, folder / "target_accounts.csv")
    return workspace


def test_case10_attendance_per_account(case10: Workspace) -> None:
    counts = dict(_rows(case10, "SELECT source_id, 0 FROM accounts"))
    for account_id, count in _rows(
        case10,
        """
        SELECT a.source_id, count(*) FROM activities x
        JOIN accounts a ON a.id = x.account_id GROUP BY ALL
        """,
    ):
        counts[account_id] = count
    assert counts == {
        "001F1000000001AAA": 4,
        "001F1000000002AAA": 2,
        "001F1000000003AAA": 0,
        "001F1000000004AAA": 1,
        "001F1000000005AAA": 1,
    }


def test_case10_matched_and_ambiguous(case10: Workspace) -> None:
    assert (
        _scalar(case10, "SELECT count(*) FROM activities WHERE account_id IS NOT NULL")
        == 8
    )
    ambiguous = _scalar(
        case10,
        """
        SELECT count(DISTINCT record_id) FROM match_issues
        WHERE kind = 'ambiguous_name' AND entity = 'person'
        """,
    )
    assert ambiguous == 1


def test_case10_contact_rate(case10: Workspace) -> None:
    result = _kpis(case10, "FY2024-Q1").find("contact_rate", "target")
    assert (result.numerator, result.denominator) == (3, 4)


# 11: cp932 export ------------------------------------------------------------


def test_case11_names_and_keys(workspace: Workspace, cases: Path) -> None:
    summary = _import(
        workspace, "salesforce", cases / "11-cp932-export" / "Account_export_cp932.csv"
    )
    assert summary.total("loaded") == 5
    assert summary.total("rejected") == 0
    row = _rows(
        workspace,
        "SELECT name, name_key FROM accounts WHERE source_id = '001G1000000001AAA'",
    )[0]
    assert row == ("㈱髙橋製作所", "髙橋製作所")


# 12: UTF-8 byte-order mark ---------------------------------------------------


def test_case12_contact_rate_through_tasks(workspace: Workspace, cases: Path) -> None:
    folder = cases / "12-utf8-bom-header"
    _import(
        workspace,
        "salesforce",
        folder / "Account.csv",
        folder / "Contact.csv",
        folder / "Task.csv",
    )
    _targets(workspace, folder / "target_accounts.csv")
    linked = _scalar(
        workspace, "SELECT count(*) FROM people WHERE account_id IS NOT NULL"
    )
    result = _kpis(workspace, "FY2024-Q1").find("contact_rate", "target")
    assert linked == 3
    assert (result.numerator, result.denominator) == (2, 3)


# 14: April fiscal year -------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "won"),
    [
        ("FY2023-Q4", 1_000_000),
        ("FY2024-Q1", 3_500_000),
        ("FY2024-Q2", 3_000_000),
        ("FY2024-Q3", 500_000),
        ("FY2024-Q4", 1_500_000),
        ("FY2025-Q1", 900_000),
        ("FY2024", 8_500_000),
        ("2024-04", 2_000_000),
        ("2024-06", 1_500_000),
    ],
)
def test_case14_won_amount_by_period(
    workspace: Workspace, cases: Path, period: str, won: int
) -> None:
    _import(workspace, "salesforce", cases / "14-fiscal-year-april" / "Opportunity.csv")
    report = _kpis(workspace, period, now=datetime(2026, 1, 1))
    assert report.find("average_deal_size").numerator == won


# 16: several currencies with dated rates -------------------------------------


@pytest.fixture
def case16(workspace: Workspace, cases: Path, tmp_path: Path) -> Workspace:
    folder = cases / "16-multi-currency-dated-rates"
    # The case ships no Account file; the four accounts its deals name are
    # written here so target and non-target segments exist.
    accounts = tmp_path / "Account.csv"
    accounts.write_text(
        "Id,Name\n"
        + "".join(f"001H100000000{n}AAA,Company {n}\n" for n in range(1, 5)),
        encoding="utf-8",
    )
    _import(
        workspace,
        "salesforce",
        accounts,
        folder / "CurrencyType.csv",
        folder / "DatedConversionRate.csv",
        folder / "Opportunity.csv",
    )
    _targets(workspace, folder / "target_accounts.csv")
    return workspace


def test_case16_won_amount_and_average(case16: Workspace) -> None:
    deal_size = _kpis(case16, "FY2024-Q1").find("average_deal_size")
    assert deal_size.numerator == pytest.approx(9_100_000)
    assert deal_size.value == pytest.approx(2_275_000)


def test_case16_open_pipeline_converted(case16: Workspace) -> None:
    assert _value(_kpis(case16, "FY2024-Q1"), "pipeline_open") == pytest.approx(
        2_000_000
    )


def test_case16_uplift(case16: Workspace) -> None:
    report = _kpis(case16, "FY2024-Q1")
    assert _value(report, "average_deal_size", "target") == pytest.approx(2_750_000)
    assert _value(report, "average_deal_size", "non_target") == pytest.approx(1_800_000)
    assert _value(report, "deal_size_uplift") == pytest.approx(2_750_000 / 1_800_000)


# 18: win-rate denominator ----------------------------------------------------


@pytest.fixture
def case18(workspace: Workspace, cases: Path) -> KpiReport:
    folder = cases / "18-win-rate-denominator"
    _import(
        workspace,
        "salesforce",
        folder / "Opportunity.csv",
        folder / "OpportunityStage.csv",
    )
    return _kpis(workspace, "FY2024-Q1")


def test_case18_win_rate(case18: KpiReport) -> None:
    result = case18.find("win_rate")
    assert (result.numerator, result.denominator) == (2, 4)


def test_case18_win_rate_amount(case18: KpiReport) -> None:
    result = case18.find("win_rate_amount")
    assert (result.numerator, result.denominator) == (3_000_000, 5_300_000)
    assert result.value == pytest.approx(0.566, abs=0.001)


def test_case18_average_deal_size(case18: KpiReport) -> None:
    assert case18.find("average_deal_size").value == 1_500_000


def test_case18_open_pipeline_with_overdue(case18: KpiReport) -> None:
    pipeline = case18.find("pipeline_open")
    assert pipeline.value == 5_500_000
    assert pipeline.details["overdue_count"] == 1
    assert pipeline.details["overdue_amount"] == 3_000_000


def test_case18_overdue_flagged_not_lost(case18: KpiReport) -> None:
    details = case18.find("win_rate").details
    assert details["lost"] == 2
    assert details["overdue_open_count"] == 1


# 20: ambiguous slash dates ---------------------------------------------------


@pytest.mark.parametrize(
    ("period", "won", "amount"),
    [
        ("FY2024-Q1", 3, 4_500_000),
        ("FY2023-Q4", 1, 500_000),
        ("FY2024-Q3", 1, 3_000_000),
    ],
)
def test_case20_won_by_quarter(
    workspace: Workspace, cases: Path, period: str, won: int, amount: int
) -> None:
    path = cases / "20-ambiguous-slash-dates" / "hubspot_deals_export_us_locale.csv"
    _import(workspace, "csv", path, mapping=MAPPINGS / "us-locale-deals.toml")
    deal_size = _kpis(workspace, period, now=datetime(2026, 1, 1)).find(
        "average_deal_size"
    )
    assert deal_size.denominator == won
    assert deal_size.numerator == amount


def test_case20_win_rate(workspace: Workspace, cases: Path) -> None:
    path = cases / "20-ambiguous-slash-dates" / "hubspot_deals_export_us_locale.csv"
    _import(workspace, "csv", path, mapping=MAPPINGS / "us-locale-deals.toml")
    assert _value(_kpis(workspace, "FY2024-Q1"), "win_rate") == 0.75


# Engine rules found in review ------------------------------------------------


def test_account_segment_with_others(case01: tuple[Workspace, ImportSummary]) -> None:
    workspace, _ = case01
    with workspace.open_store() as store:
        report = compute_kpis(
            store,
            workspace.settings,
            workspace.calendar.parse("FY2024-Q1"),
            ["all", "account:001A1000000003AAA"],
            AS_OF,
        )
    single = report.find("average_deal_size", "account:salesforce:001A1000000003AAA")
    everyone = report.find("average_deal_size", "all")
    assert single.numerator == 2_500_000
    assert everyone.numerator == 5_500_000


def test_future_period_has_no_status(case01: tuple[Workspace, ImportSummary]) -> None:
    report = _kpis(case01[0], "FY2030-Q1")
    statuses = {result.status.value for result in report.results}
    assert statuses == {"no_data"}


def test_small_sample_not_judged(case16: Workspace) -> None:
    # Two target deals against two non-target deals: too few to call a status.
    uplift = _kpis(case16, "FY2024-Q1").find("deal_size_uplift")
    assert uplift.status.value == "insufficient_data"
    assert uplift.value == pytest.approx(2_750_000 / 1_800_000)


def test_currency_assumed_reported(workspace: Workspace, cases: Path) -> None:
    folder = cases / "18-win-rate-denominator"
    summary = _import(workspace, "salesforce", folder / "Opportunity.csv")
    # Case 18's deals name JPY, so nothing is assumed.
    assert summary.derived["fx"]["currency_assumed"] == {}
