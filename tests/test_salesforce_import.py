"""Salesforce importer: shared exports and fault cases loaded into a real store."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from abmkpi.errors import CsvFormatError, InputError
from abmkpi.workspace import Workspace
from tests.salesforce_support import (
    NOT_IMPORTED,
    by_file,
    query,
    run_import,
    scalar,
    snapshot,
    write,
)

# Data Export (devorg) ------------------------------------------------------


@pytest.fixture
def devorg(shared_data: Path) -> Path:
    return shared_data / "salesforce-devorg-data-export"


def test_devorg_file_counts(workspace: Workspace, devorg: Path) -> None:
    files = by_file(run_import(workspace, devorg))
    expected = {
        "campaign.csv": ("Campaign", 4),
        "account.csv": ("Account", 13),
        "contact.csv": ("Contact", 20),
        "lead.csv": ("Lead", 22),
        "opportunity.csv": ("Opportunity", 31),
        "OpportunityHistory.csv": ("OpportunityHistory", 62),
    }
    for name, (object_name, rows) in expected.items():
        assert files[name].object == object_name, name
        assert files[name].rows_read == rows, name
        assert files[name].loaded == rows, name
        assert files[name].updated == 0, name
        assert files[name].deleted == 0, name
        assert files[name].rejected == 0, name
        assert files[name].skipped_total == 0, name


def test_devorg_other_objects_skipped(workspace: Workspace, devorg: Path) -> None:
    files = by_file(run_import(workspace, devorg))
    expected = {"PricebookEntry.csv": 34, "Product2.csv": 17, "UserRole.csv": 18}
    for name, rows in expected.items():
        assert files[name].rows_read == rows, name
        assert files[name].skipped == {NOT_IMPORTED: rows}, name
        assert files[name].loaded == 0, name
    assert files["Product2.csv"].object == "Product2"


def test_devorg_summary_totals(workspace: Workspace, devorg: Path) -> None:
    summary = run_import(workspace, devorg)
    assert summary.total("rows_read") == 221
    assert summary.total("loaded") == 152
    assert summary.total("skipped") == 69
    assert summary.total("rejected") == 0


def test_devorg_opportunities(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    count, won, won_amount, amount = query(
        workspace,
        "SELECT count(*), count(*) FILTER (WHERE is_won), "
        "sum(amount) FILTER (WHERE is_won), sum(amount) FROM opportunities",
    )[0]
    assert count == 31
    assert won == 18
    assert won_amount == 3_645_000
    assert amount == 5_760_000
    lost = "SELECT count(*) FROM opportunities WHERE is_closed AND NOT is_won"
    assert scalar(workspace, lost) == 0
    assert scalar(workspace, "SELECT count(currency) FROM opportunities") == 0


def test_devorg_opportunity_values(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    row = query(
        workspace,
        "SELECT name, close_date, created_at, stage, stage_sort_order, raw_type, "
        "probability, lead_source, campaign_id, source_account_id, owner "
        "FROM opportunities WHERE id = 'salesforce:006Hp000015Yh7kIAC'",
    )[0]
    assert row[0] == "Dickenson Mobile Generators"
    assert row[1] == date(2023, 9, 6)
    # Data Export times are UTC.
    assert row[2] == datetime(2023, 10, 28, 20, 45, 25)
    assert row[3] == "Qualification"
    assert row[4] == 2
    assert row[5] == "New Customer"
    assert row[6] == 10
    assert row[7] == "Purchased List"
    # "000000000000000AAA" is Salesforce's empty lookup.
    assert row[8] is None
    assert row[9] == "salesforce:001Hp00002g1VGeIAM"
    assert row[10] == "005Hp00000hnUYPIA2"


def test_devorg_history(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    assert scalar(workspace, "SELECT count(*) FROM opportunity_stage_history") == 62
    # OpportunityHistory has no flags; they come from the opportunities' stages.
    flagged = "SELECT count(*) FROM opportunity_stage_history WHERE is_won"
    assert scalar(workspace, flagged) == 36
    unflagged = "SELECT count(*) FROM opportunity_stage_history WHERE is_closed IS NULL"
    assert scalar(workspace, unflagged) == 0
    first = query(
        workspace,
        "SELECT opportunity_id, changed_at, stage, amount, close_date "
        "FROM opportunity_stage_history WHERE id = 'salesforce:008Hp00002evx1TIAQ'",
    )[0]
    assert first == (
        "salesforce:006Hp000015Yh7kIAC",
        datetime(2023, 10, 28, 20, 45, 25),
        "Qualification",
        15000.0,
        date(2018, 10, 1),
    )


def test_devorg_stages_recorded(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    stages = query(
        workspace,
        "SELECT stage, sort_order, is_closed, is_won FROM opportunity_stages "
        "ORDER BY sort_order",
    )
    assert len(stages) == 9
    assert stages[0] == ("Prospecting", 1, False, False)
    assert stages[-1] == ("Closed Won", 9, True, True)


def test_devorg_accounts(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    rows = {
        row[0]: row[1:]
        for row in query(
            workspace,
            "SELECT name, country, state, employees, annual_revenue, website, "
            "account_type FROM accounts",
        )
    }
    assert rows["Dickenson plc"] == (
        "USA",
        "KS",
        120,
        50_000_000.0,
        "dickenson-consulting.com",
        "Customer - Channel",
    )
    assert rows["Pyramid Construction Inc."][:2] == ("France", None)
    parents = "SELECT count(source_parent_id) FROM accounts"
    assert scalar(workspace, parents) == 0


def test_devorg_people(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    contact = query(
        workspace,
        "SELECT kind, name, email, title, department, lead_source, "
        "source_account_id FROM people WHERE id = 'salesforce:003Hp00002pTA6fIAG'",
    )[0]
    assert contact == (
        "contact",
        "Rose Gonzalez",
        "rose@edge.com",
        "SVP, Procurement",
        "Procurement",
        "Trade Show",
        "salesforce:001Hp00002g1VGbIAM",
    )
    lead = query(
        workspace,
        "SELECT kind, name, company_name, state, country, lead_status, "
        "is_converted, source_account_id FROM people "
        "WHERE id = 'salesforce:00QHp00001TVByLMAX'",
    )[0]
    assert lead == (
        "lead",
        "Bertha Boxer",
        "Farmers Coop. of Florida",
        "FL",
        "USA",
        "Working - Contacted",
        False,
        None,
    )


def test_devorg_campaigns(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg)
    row = query(
        workspace,
        "SELECT name, type, channel, status, start_date, end_date, cost "
        "FROM campaigns WHERE id = 'salesforce:701Hp0000018sDmIAI'",
    )[0]
    assert row == (
        "GC Product Webinar - Jan 7, 2002",
        "Webinar",
        "Webinar",
        "Completed",
        date(2023, 4, 10),
        date(2023, 4, 10),
        11400.0,
    )
    # Without ActualCost, the cost is BudgetedCost.
    budgeted = "SELECT cost FROM campaigns WHERE id = 'salesforce:701Hp0000018sDnIAI'"
    assert scalar(workspace, budgeted) == 100_000


# Report export (mmddyy) ----------------------------------------------------


@pytest.fixture
def mmddyy(shared_data: Path) -> Path:
    return shared_data / "salesforce-sample-mmddyy"


def test_mmddyy_file_counts(workspace: Workspace, mmddyy: Path) -> None:
    files = by_file(run_import(workspace, mmddyy))
    expected = {
        "Account.csv": 18,
        "Contact.csv": 25,
        "Lead.csv": 22,
        "Opportunity.csv": 36,
        "OpportunityHistory.csv": 48,
    }
    for name, rows in expected.items():
        assert files[name].rows_read == rows, name
        assert files[name].loaded == rows, name
        assert files[name].rejected == 0, name
    group = files["OpportunityHistoryGroup.csv"]
    assert group.skipped == {NOT_IMPORTED: 10}


def test_mmddyy_summary_totals(workspace: Workspace, mmddyy: Path) -> None:
    summary = run_import(workspace, mmddyy)
    assert summary.total("rows_read") == 159
    assert summary.total("loaded") == 149
    assert summary.total("skipped") == 10


def test_mmddyy_won_and_lost(workspace: Workspace, mmddyy: Path) -> None:
    run_import(workspace, mmddyy)
    won, won_amount, lost, lost_amount, open_count = query(
        workspace,
        "SELECT count(*) FILTER (WHERE is_won), sum(amount) FILTER (WHERE is_won), "
        "count(*) FILTER (WHERE is_closed AND NOT is_won), "
        "sum(amount) FILTER (WHERE is_closed AND NOT is_won), "
        "count(*) FILTER (WHERE NOT is_closed) FROM opportunities",
    )[0]
    assert won == 12
    assert won_amount == 2_815_000
    assert lost == 8
    assert lost_amount == 830_000
    assert open_count == 16


def test_mmddyy_dates_month_first(workspace: Workspace, mmddyy: Path) -> None:
    run_import(workspace, mmddyy)
    sql = "SELECT close_date, created_at FROM opportunities WHERE id = ?"
    close_date, created_at = query(workspace, sql, ["salesforce:006bm00000LKJNNAA5"])[0]
    # 02/03/24 is February 3 (month first), not March 2.
    assert close_date == date(2024, 2, 3)
    # 02/23/26 without a time: midnight in Tokyo, the report's zone.
    assert created_at == datetime(2026, 2, 22, 15, 0)
    later = query(workspace, sql, ["salesforce:006bm00000LKdM8AAL"])[0][0]
    assert later == date(2026, 3, 31)


def test_mmddyy_report_times_in_zone(workspace: Workspace, mmddyy: Path) -> None:
    run_import(workspace, mmddyy)
    changed_at = scalar(
        workspace,
        "SELECT changed_at FROM opportunity_stage_history "
        "WHERE id = 'salesforce:008bm00000UoqOjAAJ'",
    )
    # 02/23/26 08:55 PM in Asia/Tokyo.
    assert changed_at == datetime(2026, 2, 23, 11, 55)


def test_mmddyy_converted_leads(workspace: Workspace, mmddyy: Path) -> None:
    run_import(workspace, mmddyy)
    converted = query(
        workspace,
        "SELECT id, source_account_id, converted_contact_id FROM people "
        "WHERE kind = 'lead' AND is_converted ORDER BY id",
    )
    assert len(converted) == 5
    assert converted[0] == (
        "salesforce:00Qbm00000Orxk5EAB",
        "salesforce:001bm00001ZM1LyAAL",
        "salesforce:003bm00000zbyRuAAI",
    )
    # Status is Closed - Converted but IsConverted is FALSE, so no account link.
    status_only = query(
        workspace,
        "SELECT count(*), count(source_account_id) FROM people "
        "WHERE lead_status = 'Closed - Converted' AND NOT is_converted",
    )[0]
    assert status_only == (3, 0)


# Fault cases ---------------------------------------------------------------


def test_case01_deleted_rows(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "01-sf-deleted-opportunities")
    opportunities = by_file(summary)["Opportunity.csv"]
    assert opportunities.rows_read == 6
    assert opportunities.loaded == 4
    assert opportunities.deleted == 2
    deleted = "SELECT id FROM opportunities WHERE is_deleted ORDER BY id"
    assert [row[0] for row in query(workspace, deleted)] == [
        "salesforce:006A1000000003AAA",
        "salesforce:006A1000000005AAA",
    ]
    won_live = "SELECT sum(amount) FROM opportunities WHERE is_won AND NOT is_deleted"
    assert scalar(workspace, won_live) == 5_500_000


def test_case01_iso_created_dates(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "01-sf-deleted-opportunities")
    created_at = scalar(
        workspace,
        "SELECT created_at FROM opportunities "
        "WHERE id = 'salesforce:006A1000000001AAA'",
    )
    assert created_at == datetime(2024, 4, 5, 1, 0)


def test_case02_history_mode(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "02-history-mode-versions")
    report = by_file(summary)["Opportunity_history_mode.csv"]
    assert report.object == "Opportunity"
    assert report.rows_read == 6
    assert report.loaded == 3
    assert report.skipped == {"inactive history version": 3}
    assert report.rejected == 0
    stages = dict(query(workspace, "SELECT source_id, stage FROM opportunities"))
    assert stages == {
        "006B1000000001AAA": "Closed Won",
        "006B1000000002AAA": "Closed Lost",
        "006B1000000003AAA": "Proposal/Price Quote",
    }
    open_amount = "SELECT sum(amount) FROM opportunities WHERE NOT is_closed"
    assert scalar(workspace, open_amount) == 800_000


def test_case02_versions_become_history(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "02-history-mode-versions")
    history = query(
        workspace,
        "SELECT changed_at, stage, amount, close_date, is_closed, is_won "
        "FROM opportunity_stage_history "
        "WHERE opportunity_id = 'salesforce:006B1000000001AAA' ORDER BY changed_at",
    )
    assert scalar(workspace, "SELECT count(*) FROM opportunity_stage_history") == 6
    assert history == [
        (datetime(2024, 4, 2, 1), "Prospecting", 1e6, date(2024, 6, 30), False, False),
        (
            datetime(2024, 5, 10, 3),
            "Proposal/Price Quote",
            1.2e6,
            date(2024, 6, 30),
            False,
            False,
        ),
        (datetime(2024, 6, 20, 5), "Closed Won", 1.2e6, date(2024, 6, 20), True, True),
    ]


def test_case11_cp932_names(workspace: Workspace, cases: Path) -> None:
    path = cases / "11-cp932-export" / "Account_export_cp932.csv"
    summary = run_import(workspace, path)
    report = summary.files[0]
    assert report.encoding == "cp932"
    assert report.loaded == 5
    assert report.rejected == 0
    names = dict(query(workspace, "SELECT source_id, name FROM accounts"))
    assert names == {
        "001G1000000001AAA": "㈱髙橋製作所",
        "001G1000000002AAA": "株式会社ニュー山﨑",
        "001G1000000003AAA": "①番館商事株式会社",
        "001G1000000004AAA": "サンプル物産株式会社",
        "001G1000000005AAA": "株式会社ミライ",
    }
    states = [
        row[0] for row in query(workspace, "SELECT state FROM accounts ORDER BY id")
    ]
    assert states == ["東京都", "大阪府", "福岡県", "北海道", "京都府"]
    stored = "".join(name for name in names.values())
    assert "\ufffd" not in stored
    assert "?" not in stored


def test_cp932_fullwidth_tilde(workspace: Workspace, tmp_path: Path) -> None:
    text = "Id,Name\r\n001X00000000001AAA,受付～窓口商事\r\n"
    path = write(tmp_path / "Account.csv", text, encoding="cp932")
    assert b"\x81\x60" in path.read_bytes()
    run_import(workspace, path)
    name = scalar(workspace, "SELECT name FROM accounts")
    assert name == "受付\uff5e窓口商事"
    assert "\u301c" not in name


def test_case12_bom_header(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "12-utf8-bom-header")
    files = by_file(summary)
    assert files["Account.csv"].encoding == "utf-8-sig"
    ids = [row[0] for row in query(workspace, "SELECT id FROM accounts ORDER BY id")]
    assert ids == [
        "salesforce:001P1000000001AAA",
        "salesforce:001P1000000002AAA",
        "salesforce:001P1000000003AAA",
    ]
    linked = "SELECT count(*) FROM people WHERE source_account_id IS NOT NULL"
    assert scalar(workspace, linked) == 3
    assert files["target_accounts.csv"].skipped == {NOT_IMPORTED: 3}


def test_case12_completed_tasks(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "12-utf8-bom-header")
    activities = query(
        workspace,
        "SELECT a.id, a.type, a.occurred_at, p.id, p.source_account_id "
        "FROM activities a JOIN people p ON p.id = a.person_id ORDER BY a.id",
    )
    assert activities == [
        (
            "salesforce:00TP1000000001AAA",
            "sales_meeting",
            # ActivityDate 2024-04-24: midnight in Tokyo.
            datetime(2024, 4, 23, 15),
            "salesforce:003P1000000001AAA",
            "salesforce:001P1000000001AAA",
        ),
        (
            "salesforce:00TP1000000002AAA",
            "sales_call",
            datetime(2024, 6, 11, 15),
            "salesforce:003P1000000002AAA",
            "salesforce:001P1000000002AAA",
        ),
    ]


def test_case14_close_dates(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "14-fiscal-year-april")
    rows = query(
        workspace, "SELECT source_id, close_date, amount FROM opportunities ORDER BY 1"
    )
    assert rows == [
        ("006Q1000000001AAA", date(2024, 3, 31), 1_000_000),
        ("006Q1000000002AAA", date(2024, 4, 1), 2_000_000),
        ("006Q1000000003AAA", date(2024, 6, 30), 1_500_000),
        ("006Q1000000004AAA", date(2024, 7, 1), 3_000_000),
        ("006Q1000000005AAA", date(2024, 12, 31), 500_000),
        ("006Q1000000006AAA", date(2025, 1, 1), 700_000),
        ("006Q1000000007AAA", date(2025, 3, 31), 800_000),
        ("006Q1000000008AAA", date(2025, 4, 1), 900_000),
    ]


def test_case16_reporting_amounts(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "16-multi-currency-dated-rates")
    files = by_file(summary)
    assert files["CurrencyType.csv"].loaded == 3
    assert files["DatedConversionRate.csv"].loaded == 5
    amounts = dict(
        query(workspace, "SELECT source_id, amount_reporting FROM opportunities")
    )
    assert amounts == {
        "006H1000000001AAA": 3_000_000,
        "006H1000000002AAA": 2_500_000,
        "006H1000000003AAA": 1_600_000,
        "006H1000000004AAA": 2_000_000,
        "006H1000000005AAA": 2_000_000,
    }


def test_case16_rate_rows(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "16-multi-currency-dated-rates")
    undated = query(
        workspace,
        "SELECT id, rate, is_corporate FROM fx_rates WHERE valid_from IS NULL "
        "ORDER BY id",
    )
    assert undated == [
        ("salesforce:CurrencyType:EUR", 0.004, False),
        ("salesforce:CurrencyType:JPY", 1.0, True),
        ("salesforce:CurrencyType:USD", 0.00625, False),
    ]
    dated = query(
        workspace,
        "SELECT valid_from, valid_to, rate FROM fx_rates "
        "WHERE id = 'salesforce:DatedConversionRate:USD:2024-01-01'",
    )
    assert dated == [(date(2024, 1, 1), date(2024, 6, 1), 0.008)]


def test_case18_status_from_flags(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "18-win-rate-denominator")
    statuses = query(
        workspace,
        "SELECT stage, is_closed, is_won, count(*) FROM opportunities "
        "GROUP BY ALL ORDER BY 2, 3, 1",
    )
    assert statuses == [
        ("交渉", False, False, 1),
        ("提案", False, False, 1),
        ("失注", True, False, 2),
        ("受注", True, True, 2),
    ]


def test_case18_stage_definitions(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "18-win-rate-denominator")
    assert by_file(summary)["OpportunityStage.csv"].loaded == 5
    stages = query(
        workspace,
        "SELECT stage, sort_order, is_closed, is_won, probability, is_active "
        "FROM opportunity_stages ORDER BY sort_order",
    )
    assert stages == [
        ("見込み", 1, False, False, 10.0, True),
        ("提案", 2, False, False, 50.0, True),
        ("交渉", 3, False, False, 75.0, True),
        ("受注", 4, True, True, 100.0, True),
        ("失注", 5, True, False, 0.0, True),
    ]


# Idempotency and failures -----------------------------------------------------


def test_reimport_changes_nothing(
    workspace: Workspace, devorg: Path, mmddyy: Path, cases: Path
) -> None:
    paths = [
        devorg,
        cases / "01-sf-deleted-opportunities",
        cases / "02-history-mode-versions",
        cases / "12-utf8-bom-header",
        cases / "16-multi-currency-dated-rates",
        cases / "18-win-rate-denominator",
    ]
    first = run_import(workspace, *paths)
    before = snapshot(workspace)
    second = run_import(workspace, *paths)
    after = snapshot(workspace)
    for name in before:
        if name != "imports":
            assert after[name] == before[name], name
    assert second.total("loaded") == 0
    assert second.total("updated") == 0
    # Records already stored as deleted count as unchanged on the re-import.
    assert second.total("unchanged") == first.total("loaded") + first.total("deleted")
    assert second.total("deleted") == 0


def test_reimport_mmddyy_unchanged(workspace: Workspace, mmddyy: Path) -> None:
    first = run_import(workspace, mmddyy)
    second = run_import(workspace, mmddyy)
    assert second.total("loaded") == 0
    assert second.total("updated") == 0
    assert second.total("unchanged") == first.total("loaded")


_EXPORT_COLUMNS = [
    "Id",
    "IsDeleted",
    "AccountId",
    "Name",
    "StageName",
    "Amount",
    "CloseDate",
    "IsClosed",
    "IsWon",
    "CreatedDate",
]
_EXPORT_HEADER = ",".join(f'"{name}"' for name in _EXPORT_COLUMNS) + "\n"


def _export_row(source_id: str, name: str, close_date: str) -> str:
    values = [
        source_id,
        "0",
        "001X00000000001AAA",
        name,
        "Prospecting",
        "1000",
        close_date,
        "0",
        "0",
        "2024-04-01 00:00:00",
    ]
    return ",".join(f'"{value}"' for value in values) + "\n"


def test_bad_close_date_fails(
    workspace: Workspace, devorg: Path, tmp_path: Path
) -> None:
    run_import(workspace, devorg)
    before = snapshot(workspace)
    path = write(
        tmp_path / "Opportunity.csv",
        _EXPORT_HEADER
        + _export_row("006X00000000001AAA", "A", "2024-05-01 00:00:00")
        + _export_row("006X00000000002AAA", "B", "next week"),
    )
    with pytest.raises(InputError) as raised:
        run_import(workspace, path)
    problem = raised.value.problems[0]
    assert problem.file == path
    assert problem.line == 3
    assert problem.column == "CloseDate"
    assert problem.value == "next week"
    message = str(raised.value)
    assert "Opportunity.csv, line 3, column 'CloseDate', value 'next week'" in message
    assert snapshot(workspace) == before


def test_bad_row_rejected_when_allowed(workspace: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "Opportunity.csv",
        _EXPORT_HEADER
        + _export_row("006X00000000001AAA", "A", "2024-05-01 00:00:00")
        + _export_row("006X00000000002AAA", "B", "next week"),
    )
    summary = run_import(workspace, path, max_rejects=1)
    report = summary.files[0]
    assert report.rows_read == 2
    assert report.loaded == 1
    assert report.rejected == 1
    assert summary.reject_file is not None
    rejects = summary.reject_file.read_text(encoding="utf-8-sig")
    assert "CloseDate,next week" in rejects
    names = "SELECT name FROM opportunities"
    assert [row[0] for row in query(workspace, names)] == ["A"]


def test_duplicate_id_fails(workspace: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "Opportunity.csv",
        _EXPORT_HEADER
        + _export_row("006X00000000001AAA", "A", "2024-05-01 00:00:00")
        + _export_row("006X00000000001AAA", "A (copy)", "2024-05-01 00:00:00"),
    )
    before = snapshot(workspace)
    with pytest.raises(InputError) as raised:
        run_import(workspace, path)
    problem = raised.value.problems[0]
    assert problem.line == 3
    assert problem.column == "Id"
    assert problem.value == "006X00000000001AAA"
    assert "duplicate id" in problem.reason
    assert "line 2" in problem.reason
    assert snapshot(workspace) == before


def test_truncated_file_fails(
    workspace: Workspace, devorg: Path, tmp_path: Path
) -> None:
    data = (devorg / "opportunity.csv").read_bytes()
    lines = data.split(b"\n")
    # Cut row 10 (file line 11) in the middle of its Name value.
    kept = b"\n".join(lines[:10]) + b"\n" + lines[10][:60]
    path = tmp_path / "Opportunity.csv"
    path.write_bytes(kept)
    with pytest.raises(CsvFormatError) as raised:
        run_import(workspace, path)
    assert raised.value.problems[0].line == 11
    assert "line 11" in str(raised.value)
    assert scalar(workspace, "SELECT count(*) FROM opportunities") == 0
