"""The generic CSV importer, through load_batch into a real workspace store."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import (
    DateFormatError,
    InputError,
    MappingError,
    NotFoundError,
    RejectLimitError,
)
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.generic import GenericCsvImporter
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

MAPPINGS = Path(__file__).parent / "mappings"
MAVEN_MAPPING = Path(__file__).parents[1] / "examples" / "mappings" / "maven-crm.toml"


def run_import(
    workspace: Workspace, paths: list[Path], mapping: Path, **options: Any
) -> ImportSummary:
    import_options = ImportOptions(mapping=mapping, **options)
    batch = get_importer("csv").read(paths, workspace.settings, import_options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, import_options)


def query(workspace: Workspace, sql: str) -> list[tuple]:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql)


def scalar(workspace: Workspace, sql: str) -> Any:
    return query(workspace, sql)[0][0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Maven CRM ----------------------------------------------------------------


@pytest.fixture
def maven_dir(shared_data: Path) -> Path:
    return shared_data / "maven-crm-sales-opportunities"


@pytest.fixture
def maven(make_workspace: Callable[..., Workspace], maven_dir: Path) -> Workspace:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    run_import(workspace, [maven_dir], MAVEN_MAPPING)
    return workspace


def pipeline_rows(maven_dir: Path) -> list[dict[str, str]]:
    with (maven_dir / "sales_pipeline.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def list_prices(maven_dir: Path) -> dict[str, float]:
    """Price per product name without spaces or case (GTX Pro → gtxpro)."""
    with (maven_dir / "products.csv").open(encoding="utf-8", newline="") as f:
        return {
            "".join(row["product"].split()).lower(): float(row["sales_price"])
            for row in csv.DictReader(f)
        }


def test_maven_accounts(maven: Workspace) -> None:
    assert scalar(maven, "SELECT count(*) FROM accounts") == 85
    assert scalar(maven, "SELECT count(source_parent_id) FROM accounts") == 15
    assert scalar(maven, "SELECT count(parent_id) FROM accounts") == 15


def test_maven_account_fields(maven: Workspace) -> None:
    row = query(
        maven,
        "SELECT industry, employees, annual_revenue, country, parent_id "
        "FROM accounts WHERE id = 'maven:Codehow'",
    )[0]
    assert row[0] == "software"
    assert row[1] == 2641
    assert row[2] == 2_714_900_000
    assert row[3] == "United States"
    assert row[4] == "maven:Acme Corporation"


def test_maven_opportunity_counts(maven: Workspace) -> None:
    counts = dict(
        query(
            maven,
            "SELECT CASE WHEN is_won THEN 'won' WHEN is_closed THEN 'lost' "
            "ELSE 'open' END, count(*) FROM opportunities GROUP BY 1",
        )
    )
    assert scalar(maven, "SELECT count(*) FROM opportunities") == 8800
    assert counts["won"] == 4238
    assert counts["lost"] == 2473
    assert counts["open"] == 2089


def test_maven_won_amount(maven: Workspace, maven_dir: Path) -> None:
    expected = sum(
        float(row["close_value"])
        for row in pipeline_rows(maven_dir)
        if row["deal_stage"] == "Won"
    )
    won = scalar(maven, "SELECT sum(amount_reporting) FROM opportunities WHERE is_won")
    assert expected == 10_005_534
    assert won == expected


def test_maven_without_account(maven: Workspace) -> None:
    missing = scalar(
        maven, "SELECT count(*) FROM opportunities WHERE source_account_id IS NULL"
    )
    assert missing == 1425


def test_maven_open_amounts_from_prices(maven: Workspace, maven_dir: Path) -> None:
    prices = list_prices(maven_dir)
    rows = query(
        maven,
        "SELECT product, amount FROM opportunities WHERE NOT is_closed",
    )
    assert len(rows) == 2089
    for product, amount in rows:
        assert amount == prices["".join(product.split()).lower()], product
    gtx_pro = scalar(
        maven,
        "SELECT any_value(amount) FROM opportunities "
        "WHERE product = 'GTXPro' AND NOT is_closed",
    )
    assert gtx_pro == 4821


def test_maven_lost_amounts_from_prices(maven: Workspace, maven_dir: Path) -> None:
    prices = list_prices(maven_dir)
    rows = query(
        maven,
        "SELECT product, amount FROM opportunities WHERE is_closed AND NOT is_won",
    )
    assert len(rows) == 2473
    for product, amount in rows:
        assert amount == prices["".join(product.split()).lower()], product


def test_maven_created_on_engage_date(maven: Workspace, maven_dir: Path) -> None:
    engaged = {
        f"maven:{row['opportunity_id']}": row["engage_date"] or None
        for row in pipeline_rows(maven_dir)
    }
    rows = query(maven, "SELECT id, created_on FROM opportunities")
    created = {id_: day.isoformat() if day else None for id_, day in rows}
    assert created == engaged
    assert sum(day is None for day in created.values()) == 500


def test_maven_stage_order(maven: Workspace) -> None:
    stages = query(
        maven,
        "SELECT stage, sort_order, is_closed, is_won FROM opportunity_stages "
        "WHERE source_system = 'maven' ORDER BY stage",
    )
    assert stages == [
        ("Engaging", 2, False, False),
        ("Lost", None, True, False),
        ("Prospecting", 1, False, False),
        ("Won", None, True, True),
    ]
    engaging = scalar(
        maven,
        "SELECT min(stage_sort_order) FROM opportunities WHERE stage = 'Engaging'",
    )
    assert engaging == 2


def test_maven_import_twice(maven: Workspace, maven_dir: Path) -> None:
    before = query(maven, "SELECT * FROM opportunities ORDER BY id")
    accounts_before = query(maven, "SELECT * FROM accounts ORDER BY id")
    summary = run_import(maven, [maven_dir], MAVEN_MAPPING)
    assert summary.total("loaded") == 0
    assert summary.total("updated") == 0
    assert summary.total("unchanged") == 8885
    assert query(maven, "SELECT * FROM opportunities ORDER BY id") == before
    assert query(maven, "SELECT * FROM accounts ORDER BY id") == accounts_before


def test_maven_summary_counts(
    make_workspace: Callable[..., Workspace], maven_dir: Path
) -> None:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    paths = [maven_dir / "accounts.csv", maven_dir / "sales_pipeline.csv"]
    summary = run_import(workspace, paths, MAVEN_MAPPING)
    assert summary.source_system == "maven"
    assert summary.total("rows_read") == 8885
    assert summary.total("loaded") == 8885
    assert summary.total("rejected") == 0


def test_maven_unmapped_file_rejected(
    make_workspace: Callable[..., Workspace], maven_dir: Path
) -> None:
    workspace = make_workspace()
    with pytest.raises(MappingError, match=r"sales_teams.csv: no \[\[tables\]\]"):
        run_import(workspace, [maven_dir / "sales_teams.csv"], MAVEN_MAPPING)


# Fault cases --------------------------------------------------------------


def test_event_attendees_people(workspace: Workspace, cases: Path) -> None:
    path = cases / "10-jp-company-name-normalization" / "event_attendees.csv"
    summary = run_import(workspace, [path], MAPPINGS / "event-attendees.toml")
    people = query(
        workspace,
        "SELECT id, kind, company_name, state, email FROM people ORDER BY id",
    )
    assert len(people) == 9
    assert people[0] == ("eventlist:5001", "lead", "(株)ミドリテック", "東京都", None)
    assert people[2] == ("eventlist:5003", "lead", "㈱ミドリテック", None, None)
    assert summary.files[0].object == "people, activities"
    assert summary.files[0].loaded == 9


def test_event_attendees_activities(workspace: Workspace, cases: Path) -> None:
    path = cases / "10-jp-company-name-normalization" / "event_attendees.csv"
    run_import(workspace, [path], MAPPINGS / "event-attendees.toml")
    activities = query(
        workspace,
        "SELECT id, type, person_id, company_name, state, occurred_at "
        "FROM activities ORDER BY id",
    )
    assert len(activities) == 9
    assert {row[1] for row in activities} == {"event_attended"}
    assert activities[6][:5] == (
        "eventlist:5007-2024-05-23",
        "event_attended",
        "eventlist:5007",
        "株式会社アシスト",
        "大阪府",
    )
    # A date-only value is midnight in the business time zone (Asia/Tokyo).
    assert activities[6][5] == datetime(2024, 5, 22, 15, 0)


def test_hubspot_accounts_and_people(workspace: Workspace, cases: Path) -> None:
    folder = cases / "05-email-join-duplicate-contacts"
    run_import(workspace, [folder], MAPPINGS / "hubspot-email-events.toml")
    accounts = query(workspace, "SELECT id, name, website FROM accounts ORDER BY id")
    assert accounts == [
        ("hubspot:5201", "Sakura Denki", "sakura-denki.example"),
        ("hubspot:5202", "Tsubame Foods", "tsubame-foods.example"),
    ]
    people = query(
        workspace,
        "SELECT id, email, source_account_id, created_at FROM people ORDER BY id",
    )
    assert len(people) == 3
    assert people[1] == (
        "hubspot:802",
        "hanako.sato@sakura-denki.example",
        "hubspot:5201",
        datetime(2024, 4, 3, 6, 20),
    )


def test_hubspot_email_activities(workspace: Workspace, cases: Path) -> None:
    folder = cases / "05-email-join-duplicate-contacts"
    run_import(workspace, [folder], MAPPINGS / "hubspot-email-events.toml")
    activities = query(
        workspace,
        "SELECT id, type, raw_type, email, person_id, campaign_id, occurred_at "
        "FROM activities ORDER BY id",
    )
    assert len(activities) == 7
    assert [row[1] for row in activities] == [
        "email_send",
        "email_delivered",
        "email_open",
        "email_click",
        "email_send",
        "email_delivered",
        "email_open",
    ]
    assert activities[2] == (
        "hubspot:e-0003",
        "email_open",
        "OPEN",
        "hanako.sato@sakura-denki.example",
        None,
        "hubspot:3101",
        datetime(2024, 4, 10, 2, 10),
    )


def test_us_locale_close_dates(workspace: Workspace, cases: Path) -> None:
    path = cases / "20-ambiguous-slash-dates" / "hubspot_deals_export_us_locale.csv"
    run_import(workspace, [path], MAPPINGS / "us-locale-deals.toml")
    rows = query(
        workspace, "SELECT source_id, close_date, is_closed, is_won FROM opportunities"
    )
    close_dates = {row[0]: row[1] for row in rows}
    assert close_dates == {
        "8001": date(2024, 4, 1),
        "8002": date(2024, 4, 15),
        "8003": date(2024, 5, 6),
        "8004": date(2024, 3, 31),
        "8005": date(2024, 12, 4),
        "8006": date(2024, 6, 30),
    }
    outcomes = {row[0]: (row[2], row[3]) for row in rows}
    assert outcomes["8001"] == (True, True)
    assert outcomes["8006"] == (True, False)


# Date formats -------------------------------------------------------------

AMBIGUOUS_DEALS = """\
Record ID,Deal Stage,Close Date
1,Closed Won,4/1/2024
2,Closed Won,5/6/2024
3,Closed Lost,12/4/2024
"""

DEALS_MAPPING = """\
source = "deals"
{date_formats}
[[tables]]
file = "deals.csv"
target = "opportunities"

[tables.columns]
id = "Record ID"
stage = "Deal Stage"
close_date = "Close Date"
"""


def test_ambiguous_dates_rejected(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "deals.csv", AMBIGUOUS_DEALS)
    mapping = write(tmp_path / "deals.toml", DEALS_MAPPING.format(date_formats=""))
    with pytest.raises(DateFormatError) as caught:
        run_import(workspace, [data], mapping)
    message = str(caught.value)
    assert "column 'Close Date'" in message
    assert "ambiguous" in message
    assert '"Close Date" = "MM/DD/YYYY"' in message
    assert scalar(workspace, "SELECT count(*) FROM opportunities") == 0


@pytest.mark.parametrize(
    ("declared", "third"),
    [("MM/DD/YYYY", date(2024, 12, 4)), ("DD/MM/YYYY", date(2024, 4, 12))],
)
def test_declared_date_format(
    workspace: Workspace, tmp_path: Path, declared: str, third: date
) -> None:
    data = write(tmp_path / "deals.csv", AMBIGUOUS_DEALS)
    formats = f'[date_formats]\n"Close Date" = "{declared}"\n'
    mapping = write(tmp_path / "deals.toml", DEALS_MAPPING.format(date_formats=formats))
    run_import(workspace, [data], mapping)
    close_date = scalar(
        workspace, "SELECT close_date FROM opportunities WHERE id = 'deals:3'"
    )
    assert close_date == third


# Rows and values ----------------------------------------------------------

ATTENDEES = """\
leadId,company,status,attendedDate
1,Aoi Kikai,Attended,2024-05-23
2,Kiri Denso,Registered,2024-05-23
3,Hinoki Foods,Attended,2024-05-24
"""

ATTENDEES_MAPPING = """\
source = "events"

[[tables]]
file = "attendees.csv"
target = "activities"
where = { status = ["Attended"] }

[tables.columns]
id = { template = "{leadId}-{attendedDate}" }
type = { value = "event_attended" }
occurred_at = "attendedDate"
company_name = "company"
"""


def test_where_skips_rows(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "attendees.csv", ATTENDEES)
    mapping = write(tmp_path / "events.toml", ATTENDEES_MAPPING)
    summary = run_import(workspace, [data], mapping)
    assert summary.files[0].skipped == {"status not in Attended": 1}
    assert summary.total("loaded") == 2
    assert scalar(workspace, "SELECT count(*) FROM activities") == 2


def test_missing_header_named(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "attendees.csv", ATTENDEES.replace("company", "firm"))
    mapping = write(tmp_path / "events.toml", ATTENDEES_MAPPING)
    with pytest.raises(InputError) as caught:
        run_import(workspace, [data], mapping)
    problem = caught.value.problems[0]
    assert problem.file == data
    assert problem.column == "company"
    assert "tables[0].columns.company_name in events.toml" in problem.reason


def test_bad_value_rejects_row(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "attendees.csv", ATTENDEES.replace("2024-05-24", "soon"))
    mapping = write(tmp_path / "events.toml", ATTENDEES_MAPPING)
    with pytest.raises(RejectLimitError) as caught:
        run_import(workspace, [data], mapping)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (data, 4)
    assert (problem.column, problem.value) == ("attendedDate", "soon")
    assert problem.reason == "not a date"


def test_bad_row_loses_all_records(workspace: Workspace, tmp_path: Path) -> None:
    data = write(
        tmp_path / "event_attendees.csv",
        "leadId,company,state,email,attendedDate,status\n"
        "5001,Aoi Kikai,,a@aoi.example,2024-05-23,Attended\n"
        "5002,Kiri Denso,,not-an-address,2024-05-23,Attended\n",
    )
    summary = run_import(
        workspace, [data], MAPPINGS / "event-attendees.toml", max_rejects=1
    )
    assert summary.total("rejected") == 1
    assert scalar(workspace, "SELECT count(*) FROM people") == 1
    assert scalar(workspace, "SELECT count(*) FROM activities") == 1


def test_unknown_activity_type(workspace: Workspace, tmp_path: Path) -> None:
    data = write(
        tmp_path / "touches.csv", "id,kind,at\n1,OPEN,2024-05-01\n2,BOUNCE,2024-05-02\n"
    )
    mapping = write(
        tmp_path / "touches.toml",
        'source = "ma"\n[[tables]]\nfile = "touches.csv"\ntarget = "activities"\n'
        '[tables.columns]\nid = "id"\noccurred_at = "at"\n'
        'type = { column = "kind", values = { OPEN = "email_open" } }\n',
    )
    with pytest.raises(RejectLimitError) as caught:
        run_import(workspace, [data], mapping)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "kind", "BOUNCE")
    assert "'BOUNCE' is not one of the allowed values" in problem.reason


def test_constant_date_and_reference_source(
    workspace: Workspace, tmp_path: Path
) -> None:
    data = write(tmp_path / "sheet.csv", "No,Contact\n1,0035g00000AbCdE\n")
    mapping = write(
        tmp_path / "sheet.toml",
        'source = "booth"\n[[tables]]\nfile = "sheet.csv"\ntarget = "activities"\n'
        "[tables.columns]\n"
        'id = "No"\n'
        'type = { value = "event_attended" }\n'
        'occurred_at = { value = "2024-06-12" }\n'
        'person_id = { column = "Contact", ref_source = "salesforce" }\n',
    )
    run_import(workspace, [data], mapping)
    row = query(workspace, "SELECT id, person_id, occurred_at FROM activities")[0]
    assert row[0] == "booth:1"
    assert row[1] == "salesforce:0035g00000AbCdE"
    assert row[2] == datetime(2024, 6, 11, 15, 0)


def test_lookup_file_missing(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    header = "opportunity_id,sales_agent,product,account,deal_stage,"
    header += "engage_date,close_date,close_value"
    data = write(tmp_path / "export" / "sales_pipeline.csv", header + "\n")
    with pytest.raises(InputError, match=r"lookup file 'products\.csv'"):
        run_import(workspace, [data], MAVEN_MAPPING)


# Registry -----------------------------------------------------------------


def test_registry_csv() -> None:
    assert isinstance(get_importer("csv"), GenericCsvImporter)


def test_registry_unknown_source() -> None:
    with pytest.raises(NotFoundError, match="unknown source 'excel'"):
        get_importer("excel")


# Lookups ------------------------------------------------------------------

DEALS = "id,plan\n1,Basic\n2,pro \n3,Enterprise\n"

PLANS_MAPPING = """\
source = "shop"

[[tables]]
file = "deals.csv"
target = "opportunities"

[tables.columns]
id = "id"
product = "plan"

[[tables.lookups]]
column = "amount"
file = "plans.csv"
key = "name"
match = "plan"
value = "price"
normalize = true
"""


def test_lookup_fills_unmapped_column(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "deals.csv", DEALS)
    write(tmp_path / "plans.csv", 'name,price\nBasic,100\nPro,"1,200"\n')
    mapping = write(tmp_path / "shop.toml", PLANS_MAPPING)
    summary = run_import(workspace, [data], mapping)
    amounts = dict(query(workspace, "SELECT source_id, amount FROM opportunities"))
    assert amounts == {"1": 100, "2": 1200, "3": None}
    assert summary.files[0].notes == [
        "amount: 2 values from plans.csv; 1 without a name match ('Enterprise')"
    ]


def test_lookup_key_conflict(workspace: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "deals.csv", DEALS)
    plans = write(tmp_path / "plans.csv", "name,price\nBasic,100\nbasic,90\n")
    mapping = write(tmp_path / "shop.toml", PLANS_MAPPING)
    with pytest.raises(InputError) as caught:
        run_import(workspace, [data], mapping)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.value) == (plans, 3, "basic")
    assert "first on line 2" in problem.reason


def test_file_and_folder_read_once(
    make_workspace: Callable[..., Workspace], maven_dir: Path
) -> None:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    paths = [maven_dir / "accounts.csv", maven_dir]
    summary = run_import(workspace, paths, MAVEN_MAPPING)
    assert [item.path.name for item in summary.files] == [
        "accounts.csv",
        "sales_pipeline.csv",
        "products.csv",
    ]
    assert summary.total("loaded") == 8885
