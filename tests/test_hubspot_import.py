"""HubSpot imports into a real workspace: Fivetran tables and HubSpot UI exports."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from abmkpi.errors import InputError, RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.hubspot import HubSpotImporter
from abmkpi.sources.hubspot.deals import close_date_of
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

FIVETRAN = "fivetran-hubspot"


def run_import(workspace: Workspace, *paths: Path) -> ImportSummary:
    options = ImportOptions()
    batch = HubSpotImporter().read(list(paths), workspace.settings, options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, options)


def query(workspace: Workspace, sql: str, params: list[Any] | None = None) -> list:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql, params)


def snapshot(workspace: Workspace) -> dict[str, list[tuple]]:
    """Return every canonical table's rows, sorted, to compare stores."""
    with workspace.open_store(read_only=True) as store:
        return {
            table.name: sorted(store.fetch_all(f"SELECT * FROM {table.name}"), key=repr)
            for table in CANONICAL_TABLES
        }


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def file_summary(summary: ImportSummary, name: str):
    return next(item for item in summary.files if item.path.name == name)


def activity_types(workspace: Workspace) -> Counter[str]:
    return Counter(row[0] for row in query(workspace, "SELECT type FROM activities"))


# Fivetran tables ---------------------------------------------------------------

# File → (rows read, rows stored) for every file that stores records. Every
# other file of the folder is skipped whole. Counted by hand from the CSVs.
FIVETRAN_STORED = {
    "company_data.csv": (24, 24),
    "contact_data.csv": (22, 22),
    "contact_form_submission_data.csv": (5, 5),
    "contact_merge_audit_data.csv": (4, 4),
    "deal_company_data.csv": (2, 2),
    "deal_contact_data.csv": (11, 11),
    "deal_data.csv": (44, 44),
    "deal_pipeline_stage_data.csv": (71, 71),
    "deal_stage_data.csv": (14, 14),
    "email_campaign_data.csv": (100, 100),
    "email_event_data.csv": (100, 97),
    "engagement_call_data.csv": (1, 1),
    "engagement_email_data.csv": (1, 1),
    "engagement_meeting_data.csv": (100, 100),
    "merged_deal_data.csv": (14, 14),
}


@pytest.fixture(scope="module")
def fivetran_workspace(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> tuple[Workspace, ImportSummary]:
    workspace = Workspace.init(tmp_path_factory.mktemp("hubspot") / "workspace")
    return workspace, run_import(workspace, shared_data / FIVETRAN)


@pytest.fixture
def fivetran(fivetran_workspace: tuple[Workspace, ImportSummary]) -> ImportSummary:
    return fivetran_workspace[1]


@pytest.fixture
def store_of_fivetran(fivetran_workspace: tuple[Workspace, ImportSummary]) -> Workspace:
    return fivetran_workspace[0]


def test_fivetran_nothing_rejected(fivetran: ImportSummary) -> None:
    assert fivetran.total("rejected") == 0


def test_fivetran_rows_per_file(fivetran: ImportSummary) -> None:
    stored = {
        item.path.name: (item.rows_read, item.loaded + item.deleted)
        for item in fivetran.files
        if item.loaded + item.deleted
    }
    assert stored == FIVETRAN_STORED


def test_fivetran_other_files_skipped(fivetran: ImportSummary) -> None:
    others = [f for f in fivetran.files if f.path.name not in FIVETRAN_STORED]
    assert len(others) == 48
    for item in others:
        assert item.skipped_total == item.rows_read, item.path.name


def test_fivetran_skip_reasons(fivetran: ImportSummary) -> None:
    assert file_summary(fivetran, "company_data_snowflake.csv").skipped == {
        "warehouse variant of company_data.csv": 24
    }
    assert file_summary(fivetran, "email_event_sent_data_postgres.csv").skipped == {
        "warehouse variant of email_event_sent_data.csv": 100
    }
    assert file_summary(fivetran, "email_event_data.csv").skipped == {
        "filtered out of HubSpot's reports (filtered_event = true)": 3
    }
    assert file_summary(fivetran, "engagement_note_data.csv").skipped == {
        "note, not a touch": 1
    }
    assert file_summary(fivetran, "engagement_task_data.csv").skipped == {
        "task other than a completed call or e-mail": 2
    }
    assert file_summary(fivetran, "contact_list_data.csv").skipped == {
        "contact lists are not imported, so keep ABM lists as the target list": 60
    }
    assert file_summary(fivetran, "deal_property_history_data.csv").skipped == {
        "change of a deal property other than the stage": 100
    }


def test_fivetran_hashed_emails_noted(fivetran: ImportSummary) -> None:
    contacts = file_summary(fivetran, "contact_data.csv")
    assert contacts.notes == [
        "property_email: 22 values are not e-mail addresses, so those contacts are "
        "stored without one"
    ]


def test_fivetran_activity_types(store_of_fivetran: Workspace) -> None:
    assert activity_types(store_of_fivetran) == {
        "email_open": 90,
        "email_send": 4,
        "email_delivered": 3,
        "sales_meeting": 100,
        "sales_call": 1,
        "sales_email": 1,
        "form_fill": 5,
    }


def test_fivetran_stage_flags(store_of_fivetran: Workspace) -> None:
    flags = query(
        store_of_fivetran,
        "SELECT count(*) FILTER (is_closed), count(*) FILTER (is_won), "
        "count(*) FILTER (NOT is_active) FROM opportunity_stages",
    )
    # Two stages are deleted (_fivetran_deleted), none inactive.
    assert flags == [(5, 5, 2)]


def test_fivetran_stage_values(store_of_fivetran: Workspace) -> None:
    rows = dict(
        (row[0], row[1:])
        for row in query(
            store_of_fivetran,
            "SELECT stage, sort_order, is_closed, is_won, probability "
            "FROM opportunity_stages",
        )
    )
    assert rows["HloNyGJEOLMWtXLjmapLQw=="] == (6, True, True, 1.0)
    # Probability 0 with is_closed FALSE: the is_closed column decides.
    assert rows["pqNpReDOp9fpUPal7wWFXg=="] == (7, False, False, 0.0)


def test_fivetran_deal_values(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT name, created_at, stage, is_closed, close_date, amount, owner, "
        "is_deleted FROM opportunities WHERE id = 'hubspot:2392872971'",
    )
    assert row == [
        (
            "3299bfc43f7022de0c9b160b8514217a",
            datetime(2020, 7, 9, 20, 15, 11),
            None,
            None,
            None,
            None,
            "35252170",
            False,
        )
    ]


def test_fivetran_company_values(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT name, country, state, annual_revenue, created_at, is_deleted "
        "FROM accounts WHERE id = 'hubspot:2182162682'",
    )
    assert row == [
        (
            "4b2c13cca3eb58ee49bbddcf00417130",
            "United States",
            "XX",
            10_000_000.0,
            datetime(2019, 7, 5, 20, 35, 26),
            False,
        )
    ]


def test_fivetran_contact_values(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT kind, email, name, company_name, created_at, is_deleted "
        "FROM people WHERE id = 'hubspot:78971951'",
    )
    assert row == [
        (
            "contact",
            None,
            "db320f93ead463e1a2faee198cd9a122 22370ea245fce0b355938327d41bd1e4",
            "SampleCompany",
            datetime(2021, 4, 1, 17, 32, 47),
            False,
        )
    ]


def test_fivetran_person_merges(store_of_fivetran: Workspace) -> None:
    rows = query(
        store_of_fivetran,
        "SELECT loser_id, winner_id, merged_at FROM merges WHERE entity = 'person' "
        "ORDER BY loser_id",
    )
    assert rows == [
        ("hubspot:11111", "hubspot:5555", datetime(2019, 10, 8, 15, 50, 57)),
        ("hubspot:46897301", "hubspot:78971951", None),
        ("hubspot:76226001", "hubspot:78971951", None),
        ("hubspot:76340251", "hubspot:78971951", None),
        ("hubspot:7777", "hubspot:4444", datetime(2019, 9, 3, 15, 39, 29)),
        ("hubspot:8888", "hubspot:3333", datetime(2019, 11, 20, 20, 17, 59)),
        ("hubspot:9999", "hubspot:2222", datetime(2019, 12, 10, 18, 14, 34)),
    ]


def test_fivetran_merged_contact_resolved(store_of_fivetran: Workspace) -> None:
    rows = query(
        store_of_fivetran,
        "SELECT merged_into_id FROM people WHERE id = 'hubspot:76340251'",
    )
    assert rows == [("hubspot:78971951",)]


def test_fivetran_deal_merges(store_of_fivetran: Workspace) -> None:
    merges = query(
        store_of_fivetran,
        "SELECT winner_id, count(*) FROM merges WHERE entity = 'opportunity' "
        "GROUP BY winner_id ORDER BY winner_id",
    )
    assert merges == [
        ("hubspot:1006463008", 2),
        ("hubspot:1364146343", 2),
        ("hubspot:1368273549", 2),
        ("hubspot:1373595330", 2),
        ("hubspot:1389291069", 2),
        ("hubspot:9089908390", 4),
    ]


def test_fivetran_merged_deals_deleted(store_of_fivetran: Workspace) -> None:
    rows = query(
        store_of_fivetran,
        "SELECT is_deleted, count(*) FROM opportunities GROUP BY 1 ORDER BY 1",
    )
    assert rows == [(False, 44), (True, 14)]


def test_fivetran_deal_links(store_of_fivetran: Workspace) -> None:
    accounts = query(
        store_of_fivetran,
        "SELECT opportunity_id, source_account_id, role FROM opportunity_accounts "
        "ORDER BY 1",
    )
    contacts = query(
        store_of_fivetran,
        "SELECT person_id FROM opportunity_people "
        "WHERE opportunity_id = 'hubspot:86133127'",
    )
    assert accounts == [
        ("hubspot:1234", "hubspot:56789", "associated"),
        ("hubspot:6789", "hubspot:12345", "associated"),
    ]
    assert contacts == [("hubspot:1499466",)]


def test_fivetran_stage_history(store_of_fivetran: Workspace) -> None:
    count = query(store_of_fivetran, "SELECT count(*) FROM opportunity_stage_history")
    row = query(
        store_of_fivetran,
        "SELECT changed_at, stage, is_closed FROM opportunity_stage_history "
        "WHERE opportunity_id = 'hubspot:3954699413'",
    )
    assert count == [(14,)]
    # The stage id has no definition in the folder, so it stays the stage.
    assert row == [
        (datetime(2021, 1, 7, 6, 49, 18), "f66ca9bc5a02c2f1513ce83f0a0e117d", None)
    ]


def test_fivetran_engagement_call(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT type, channel, raw_type, occurred_at, person_id, source_account_id "
        "FROM activities WHERE id = 'hubspot:engagement:19732910159'",
    )
    assert row == [
        (
            "sales_call",
            "phone",
            "CALL",
            datetime(2014, 8, 27, 20, 50, 44, 778000),
            "hubspot:501",
            None,
        )
    ]


def test_fivetran_meeting_time(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT occurred_at FROM activities WHERE id = 'hubspot:engagement:3416212491'",
    )
    assert row == [(datetime(2019, 9, 26, 13, 0),)]


def test_fivetran_form_fills(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT person_id, occurred_at, asset FROM activities "
        "WHERE id = 'hubspot:form-submission:101'",
    )
    assert row == [("hubspot:001", datetime(2023, 11, 1, 10, 20), "Newsletter Signup")]


def test_fivetran_email_event_values(store_of_fivetran: Workspace) -> None:
    row = query(
        store_of_fivetran,
        "SELECT type, raw_type, occurred_at, email, campaign_id, person_id "
        "FROM activities "
        "WHERE id = 'hubspot:email-event:0e442bf1-26be-3f07-8b50-5c02724ad803'",
    )
    # The recipients are hashed in this sample, so no address is stored.
    assert row == [
        (
            "email_open",
            "OPEN",
            datetime(2020, 3, 16, 19, 3, 20, 357000),
            None,
            "hubspot:2",
            None,
        )
    ]


def test_fivetran_campaigns(store_of_fivetran: Workspace) -> None:
    rows = query(
        store_of_fivetran,
        "SELECT id, name, channel, type FROM campaigns "
        "WHERE id IN ('hubspot:75310262', 'hubspot:2') ORDER BY id",
    )
    assert rows == [
        ("hubspot:2", "JPR82+ndundKfMU+UdkDLg==", "email", None),
        ("hubspot:75310262", "xnAPme73HrsY/KHSwuemkQ==", "email", "feedback_nps_email"),
    ]


def test_fivetran_reimport_unchanged(workspace: Workspace, shared_data: Path) -> None:
    run_import(workspace, shared_data / FIVETRAN)
    before = snapshot(workspace)
    again = run_import(workspace, shared_data / FIVETRAN)
    assert snapshot(workspace) == before
    for item in again.files:
        name = item.path.name
        assert item.loaded == 0, name
        assert item.updated == 0, name
        assert item.deleted == 0, name
        assert item.unchanged == FIVETRAN_STORED.get(name, (0, 0))[1], name


def test_variant_read_without_plain_file(
    workspace: Workspace, shared_data: Path
) -> None:
    summary = run_import(
        workspace, shared_data / FIVETRAN / "company_data_snowflake.csv"
    )
    assert summary.total("loaded") == 24


# Case 04: one deal, several companies ---------------------------------------------


def test_case04_deals_and_links(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "04-deal-multi-company-fanout")
    deals = query(workspace, "SELECT count(*) FROM opportunities")
    links = query(workspace, "SELECT count(*) FROM opportunity_accounts")
    assert deals == [(4,)]
    assert links == [(6,)]


def test_case04_shared_deal(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "04-deal-multi-company-fanout")
    linked = query(
        workspace,
        "SELECT source_account_id FROM opportunity_accounts "
        "WHERE opportunity_id = 'hubspot:7101' ORDER BY 1",
    )
    primary = query(
        workspace,
        "SELECT source_account_id FROM opportunities WHERE id = 'hubspot:7101'",
    )
    assert linked == [("hubspot:5101",), ("hubspot:5102",)]
    assert primary == [("hubspot:5101",)]


def test_case04_status_from_stages(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "04-deal-multi-company-fanout")
    rows = query(
        workspace,
        "SELECT id, stage, CASE WHEN NOT is_closed THEN 'open' "
        "WHEN is_won THEN 'won' ELSE 'lost' END FROM opportunities ORDER BY id",
    )
    assert rows == [
        ("hubspot:7101", "Closed Won", "won"),
        ("hubspot:7102", "Closed Won", "won"),
        ("hubspot:7103", "Contract Sent", "open"),
        ("hubspot:7104", "Closed Lost", "lost"),
    ]


def test_case04_deal_values(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "04-deal-multi-company-fanout")
    row = query(
        workspace,
        "SELECT amount, close_date, created_at, probability, stage_sort_order, "
        "pipeline FROM opportunities WHERE id = 'hubspot:7103'",
    )
    assert row == [
        (3_000_000.0, date(2024, 8, 30), datetime(2024, 5, 10), 0.9, 4, "default")
    ]


def test_case04_target_list_skipped(workspace: Workspace, cases: Path) -> None:
    summary = run_import(workspace, cases / "04-deal-multi-company-fanout")
    targets = file_summary(summary, "target_accounts.csv")
    assert targets.skipped == {"not a HubSpot table or export": 2}


# Case 05: e-mail events are not joined to contacts --------------------------------


def test_case05_counts(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "05-email-join-duplicate-contacts")
    counts = query(
        workspace,
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM people), "
        "(SELECT count(*) FROM activities)",
    )
    assert counts == [(2, 3, 7)]


def test_case05_activity_types(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "05-email-join-duplicate-contacts")
    assert activity_types(workspace) == {
        "email_send": 2,
        "email_delivered": 2,
        "email_open": 2,
        "email_click": 1,
    }


def test_case05_email_hints(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "05-email-join-duplicate-contacts")
    rows = query(
        workspace,
        "SELECT email, count(*), count(person_id) FROM activities "
        "GROUP BY email ORDER BY email",
    )
    assert rows == [
        ("hanako.sato@sakura-denki.example", 4, 0),
        ("ken.ito@tsubame-foods.example", 3, 0),
    ]


def test_case05_event_values(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "05-email-join-duplicate-contacts")
    row = query(
        workspace,
        "SELECT occurred_at, campaign_id, channel, raw_type FROM activities "
        "WHERE id = 'hubspot:email-event:e-0004'",
    )
    assert row == [(datetime(2024, 4, 10, 2, 11), "hubspot:3101", "email", "CLICK")]


def test_case05_people_accounts(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / "05-email-join-duplicate-contacts")
    rows = query(
        workspace, "SELECT id, source_account_id, name FROM people ORDER BY id"
    )
    websites = query(workspace, "SELECT id, website FROM accounts ORDER BY id")
    assert rows == [
        ("hubspot:801", "hubspot:5201", "Hanako Sato"),
        ("hubspot:802", "hubspot:5201", "Hanako Sato"),
        ("hubspot:803", "hubspot:5202", "Ken Ito"),
    ]
    assert websites == [
        ("hubspot:5201", "sakura-denki.example"),
        ("hubspot:5202", "tsubame-foods.example"),
    ]


# Case 20 and other UI exports -------------------------------------------------------

CASE20 = "20-ambiguous-slash-dates/hubspot_deals_export_us_locale.csv"


def test_case20_close_dates_month_first(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / CASE20)
    rows = query(workspace, "SELECT id, close_date FROM opportunities ORDER BY id")
    assert rows == [
        ("hubspot:8001", date(2024, 4, 1)),
        ("hubspot:8002", date(2024, 4, 15)),
        ("hubspot:8003", date(2024, 5, 6)),
        ("hubspot:8004", date(2024, 3, 31)),
        ("hubspot:8005", date(2024, 12, 4)),
        ("hubspot:8006", date(2024, 6, 30)),
    ]


def test_case20_stage_flags_empty(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / CASE20)
    rows = query(
        workspace,
        "SELECT stage, count(*), count(is_closed), count(is_won) FROM opportunities "
        "GROUP BY stage ORDER BY stage",
    )
    stages = query(workspace, "SELECT count(*) FROM opportunity_stages")
    assert rows == [("Closed Lost", 1, 0, 0), ("Closed Won", 5, 0, 0)]
    assert stages == [(0,)]


def test_case20_other_columns(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, cases / CASE20)
    row = query(
        workspace,
        "SELECT name, amount, pipeline FROM opportunities WHERE id = 'hubspot:8005'",
    )
    assert row == [("Matsu Shoji - platform", 3_000_000.0, "Sales Pipeline")]


def test_export_stage_flags_from_definitions(
    workspace: Workspace, cases: Path, tmp_path: Path
) -> None:
    stages = write_csv(
        tmp_path / "deal_pipeline_stage.csv",
        "stage_id,pipeline_id,label,probability,closed_won,display_order\n"
        "closedwon,default,Closed Won,1.0,true,5\n"
        "closedlost,default,Closed Lost,0.0,false,6\n",
    )
    run_import(workspace, cases / CASE20, stages)
    rows = query(
        workspace,
        "SELECT id, is_closed, is_won FROM opportunities "
        "WHERE id IN ('hubspot:8001', 'hubspot:8006') ORDER BY id",
    )
    assert rows == [("hubspot:8001", True, True), ("hubspot:8006", True, False)]


EXPORT_COMPANIES = (
    "Record ID,Company name,Company Domain Name,Industry,Number of Employees,"
    "Annual Revenue,Country/Region,Create Date\n"
    '5101,Higashi Holdings,higashi-hd.example,COMPUTER_SOFTWARE,"1,200",'
    "5000000000,Japan,2024-04-01 09:30\n"
)
EXPORT_CONTACTS = (
    "Record ID,First Name,Last Name,Email,Job Title,Associated Company ID,"
    "Lifecycle Stage,Create Date\n"
    "901,太郎,山田, Taro.Yamada@Higashi-HD.example ,部長,5101,"
    "salesqualifiedlead,2024-04-02 10:00\n"
)
EXPORT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Pipeline,"
    "Deal Type,Associated Company IDs,Associated Contact IDs\n"
    '7201,Group rollout,Contract Sent,"¥3,000,000",2024/06/28,2024/04/03 10:15,'
    "Sales Pipeline,existingbusiness,5101;5102,901\n"
)


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    write_csv(folder / "hubspot-crm-exports-companies.csv", EXPORT_COMPANIES)
    write_csv(folder / "hubspot-crm-exports-contacts.csv", EXPORT_CONTACTS)
    write_csv(folder / "hubspot-crm-exports-deals.csv", EXPORT_DEALS)
    return folder


def test_export_company_values(workspace: Workspace, exports: Path) -> None:
    run_import(workspace, exports)
    row = query(
        workspace,
        "SELECT name, website, industry, employees, annual_revenue, country, "
        "created_at FROM accounts",
    )
    # Create Date is in the report time zone (Asia/Tokyo): 09:30 JST = 00:30 UTC.
    assert row == [
        (
            "Higashi Holdings",
            "higashi-hd.example",
            "COMPUTER_SOFTWARE",
            1200,
            5_000_000_000.0,
            "Japan",
            datetime(2024, 4, 1, 0, 30),
        )
    ]


def test_export_contact_values(workspace: Workspace, exports: Path) -> None:
    run_import(workspace, exports)
    row = query(
        workspace,
        "SELECT email, name, title, source_account_id, lead_status, created_at "
        "FROM people",
    )
    assert row == [
        (
            "taro.yamada@higashi-hd.example",
            "山田 太郎",
            "部長",
            "hubspot:5101",
            "salesqualifiedlead",
            datetime(2024, 4, 2, 1, 0),
        )
    ]


def test_export_deal_values(workspace: Workspace, exports: Path) -> None:
    run_import(workspace, exports)
    row = query(
        workspace,
        "SELECT amount, close_date, created_at, raw_type, type, source_account_id "
        "FROM opportunities",
    )
    assert row == [
        (
            3_000_000.0,
            date(2024, 6, 28),
            datetime(2024, 4, 3, 1, 15),
            "existingbusiness",
            "expansion",
            "hubspot:5101",
        )
    ]


def test_export_deal_links(workspace: Workspace, exports: Path) -> None:
    run_import(workspace, exports)
    accounts = query(
        workspace, "SELECT source_account_id FROM opportunity_accounts ORDER BY 1"
    )
    contacts = query(
        workspace, "SELECT opportunity_id, person_id FROM opportunity_people"
    )
    assert accounts == [("hubspot:5101",), ("hubspot:5102",)]
    assert contacts == [("hubspot:7201", "hubspot:901")]


def test_export_bad_company_ids(workspace: Workspace, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "deals.csv",
        "Record ID,Deal Name,Associated Company IDs\n7301,Pilot,Higashi Holdings\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 2, column 'Associated Company IDs'" in message
    assert "not a list of HubSpot record ids" in message


# Merges ----------------------------------------------------------------------------

CHAIN_CONTACTS = (
    "id,_fivetran_deleted,property_email,property_hs_merged_object_ids\n"
    "101,false,a@chain.example,\n"
    "102,false,b@chain.example,\n"
    "103,false,c@chain.example,101;102\n"
)
CHAIN_AUDIT = (
    "canonical_vid,contact_id,vid_to_merge,timestamp\n"
    "102,102,101,2024-04-01 00:00:00\n"
    "103,103,102,2024-05-01 00:00:00\n"
)


def test_merge_chain_edges(workspace: Workspace, tmp_path: Path) -> None:
    write_csv(tmp_path / "chain" / "contact.csv", CHAIN_CONTACTS)
    write_csv(tmp_path / "chain" / "contact_merge_audit.csv", CHAIN_AUDIT)
    run_import(workspace, tmp_path / "chain")
    rows = query(
        workspace, "SELECT loser_id, winner_id, merged_at FROM merges ORDER BY 1"
    )
    assert rows == [
        ("hubspot:101", "hubspot:102", datetime(2024, 4, 1)),
        ("hubspot:102", "hubspot:103", datetime(2024, 5, 1)),
    ]


def test_merge_chain_ends_on_last(workspace: Workspace, tmp_path: Path) -> None:
    write_csv(tmp_path / "chain" / "contact.csv", CHAIN_CONTACTS)
    write_csv(tmp_path / "chain" / "contact_merge_audit.csv", CHAIN_AUDIT)
    run_import(workspace, tmp_path / "chain")
    rows = query(workspace, "SELECT id, merged_into_id FROM people ORDER BY id")
    assert rows == [
        ("hubspot:101", "hubspot:103"),
        ("hubspot:102", "hubspot:103"),
        ("hubspot:103", None),
    ]


def test_merge_audit_alone(workspace: Workspace, tmp_path: Path) -> None:
    audit = write_csv(tmp_path / "contact_merge_audit_data.csv", CHAIN_AUDIT)
    summary = run_import(workspace, audit)
    assert summary.total("loaded") == 2


def test_company_parent_and_merges(workspace: Workspace, tmp_path: Path) -> None:
    companies = write_csv(
        tmp_path / "company.csv",
        "id,is_deleted,property_name,property_hs_parent_company_id,"
        "property_hs_merged_object_ids\n"
        "5101,false,Higashi Holdings,,5109\n"
        "5102,false,Higashi Systems,5101,\n"
        "5109,false,Higashi HD (old record),,\n",
    )
    run_import(workspace, companies)
    parents = query(
        workspace, "SELECT source_parent_id FROM accounts WHERE id = 'hubspot:5102'"
    )
    merges = query(workspace, "SELECT entity, loser_id, winner_id FROM merges")
    assert parents == [("hubspot:5101",)]
    assert merges == [("account", "hubspot:5109", "hubspot:5101")]


def test_deleted_contact_stored(workspace: Workspace, tmp_path: Path) -> None:
    contacts = write_csv(
        tmp_path / "contact.csv",
        "id,_fivetran_deleted,property_email\n"
        "801,true,hanako.sato@sakura-denki.example\n",
    )
    summary = run_import(workspace, contacts)
    rows = query(workspace, "SELECT id, is_deleted FROM people")
    assert rows == [("hubspot:801", True)]
    assert summary.total("deleted") == 1


def test_deal_merged_in_run_deleted(workspace: Workspace, tmp_path: Path) -> None:
    deals = write_csv(
        tmp_path / "deal.csv",
        "deal_id,is_deleted,property_dealname,property_dealtype,"
        "property_deal_currency_code,property_hs_merged_object_ids\n"
        "7101,false,Group platform,newbusiness,USD,7109\n"
        "7109,false,Group platform (duplicate),newbusiness,USD,\n",
    )
    summary = run_import(workspace, deals)
    rows = query(
        workspace,
        "SELECT id, is_deleted, raw_type, type, currency FROM opportunities "
        "ORDER BY id",
    )
    merges = query(workspace, "SELECT entity, loser_id, winner_id FROM merges")
    assert rows == [
        ("hubspot:7101", False, "newbusiness", "new_business", "USD"),
        ("hubspot:7109", True, "newbusiness", "new_business", "USD"),
    ]
    assert merges == [("opportunity", "hubspot:7109", "hubspot:7101")]
    assert summary.total("loaded") == 1
    assert summary.total("deleted") == 1


# Stage definitions, engagements and e-mail events written by the tests ----------


def test_stage_metadata_and_shared_label(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "stages"
    write_csv(
        folder / "deal_pipeline_stage.csv",
        "stage_id,label,pipeline_id,display_order,metadata\n"
        'won-a,Closed Won,a,5,"{""isClosed"": ""true"", ""probability"": ""1.0""}"\n'
        'lost-a,Closed Lost,a,6,"{""isClosed"": ""true"", ""probability"": ""0.0""}"\n'
        'won-b,Closed Won,b,3,"{""isClosed"": ""true"", ""probability"": ""1.0""}"\n'
        'demo-b,Demo,b,1,"{""isClosed"": ""false"", ""probability"": ""0.4""}"\n',
    )
    write_csv(
        folder / "deal.csv",
        "deal_id,deal_pipeline_id,deal_pipeline_stage_id,property_dealname\n"
        "1,b,won-b,One\n2,a,lost-a,Two\n3,b,demo-b,Three\n",
    )
    summary = run_import(workspace, folder)
    stages = query(
        workspace,
        "SELECT stage, sort_order, is_closed, is_won FROM opportunity_stages "
        "ORDER BY sort_order",
    )
    deals = query(
        workspace,
        "SELECT id, stage, is_closed, is_won, stage_sort_order FROM opportunities "
        "ORDER BY id",
    )
    assert stages == [
        ("Demo", 1, False, False),
        ("Closed Won", 3, True, True),
        ("Closed Lost", 6, True, False),
    ]
    assert file_summary(summary, "deal_pipeline_stage.csv").skipped == {
        "stage label also defined by another pipeline, stored once": 1
    }
    assert deals == [
        ("hubspot:1", "Closed Won", True, True, 3),
        ("hubspot:2", "Closed Lost", True, False, 6),
        ("hubspot:3", "Demo", False, False, 1),
    ]


@pytest.fixture
def engagements(tmp_path: Path) -> Path:
    folder = tmp_path / "engagements"
    write_csv(
        folder / "engagement_task.csv",
        "engagement_id,_fivetran_deleted,property_hs_timestamp,"
        "property_hs_task_type,property_hs_task_status,type\n"
        "11,false,2024-04-10 01:00:00,CALL,COMPLETED,TASK\n"
        "12,false,2024-04-11 01:00:00,CALL,NOT_STARTED,TASK\n",
    )
    write_csv(
        folder / "engagement_meeting.csv",
        "engagement_id,_fivetran_deleted,property_hs_timestamp,"
        "property_hs_meeting_start_time,property_hs_meeting_outcome,"
        "property_hs_meeting_title,type\n"
        "21,false,2024-04-01 00:00:00,2024-04-12 05:00:00,COMPLETED,Kickoff,MEETING\n"
        "22,false,2024-04-01 00:00:00,2024-04-13 05:00:00,CANCELED,Demo,MEETING\n"
        "23,true,2024-04-01 00:00:00,2024-04-14 05:00:00,COMPLETED,Review,MEETING\n",
    )
    write_csv(folder / "engagement_contact.csv", "contact_id,engagement_id\n901,21\n")
    write_csv(
        folder / "engagement_company.csv",
        "company_id,engagement_id\n5101,21\n5102,21\n",
    )
    return folder


def test_engagement_activities(workspace: Workspace, engagements: Path) -> None:
    run_import(workspace, engagements)
    rows = query(
        workspace,
        "SELECT id, type, occurred_at, person_id, source_account_id, asset, "
        "is_deleted FROM activities ORDER BY id",
    )

    # The completed call task, the held meeting (with its first company) and
    # the deleted meeting, stored as deleted.
    assert rows == [
        (
            "hubspot:engagement:11",
            "sales_call",
            datetime(2024, 4, 10, 1),
            None,
            None,
            None,
            False,
        ),
        (
            "hubspot:engagement:21",
            "sales_meeting",
            datetime(2024, 4, 12, 5),
            "hubspot:901",
            "hubspot:5101",
            "Kickoff",
            False,
        ),
        (
            "hubspot:engagement:23",
            "sales_meeting",
            datetime(2024, 4, 14, 5),
            None,
            None,
            "Review",
            True,
        ),
    ]


def test_engagement_skips_and_notes(workspace: Workspace, engagements: Path) -> None:
    summary = run_import(workspace, engagements)
    meetings = file_summary(summary, "engagement_meeting.csv")
    tasks = file_summary(summary, "engagement_task.csv")

    assert meetings.skipped == {"meeting canceled or not attended": 1}
    assert meetings.notes == [
        "1 engagements are associated with several companies, and each counts for "
        "its first company"
    ]
    assert tasks.skipped == {"task other than a completed call or e-mail": 1}


def test_email_event_rules(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "events"
    write_csv(
        folder / "email_event.csv",
        "id,type,recipient,created,email_campaign_id,filtered_event\n"
        "u1,STATUSCHANGE,a@x.example,2024-04-10 01:00:00,31,false\n"
        "u2,STATUSCHANGE,b@x.example,2024-04-10 01:00:00,31,false\n"
        "f1,FORWARD,a@x.example,2024-04-10 02:00:00,31,false\n"
        "s1,SPAMREPORT,b@x.example,2024-04-10 03:00:00,31,false\n"
        "c1,CLICK,A@X.example,2024-04-10 04:00:00,31,false\n"
        "d1,DROPPED,c@x.example,2024-04-10 05:00:00,31,false\n",
    )
    write_csv(
        folder / "email_event_status_change.csv",
        "id,portal_subscription_status,source,subscriptions\n"
        "u1,UNSUBSCRIBED,SOURCE_RECIPIENT,[]\n"
        "u2,UNSUBSCRIBED,SOURCE_BOUNCE,[]\n",
    )
    write_csv(
        folder / "email_event_click.csv", "id,url\nc1,https://x.example/pricing\n"
    )
    summary = run_import(workspace, folder)
    rows = query(workspace, "SELECT id, type, email, asset FROM activities ORDER BY id")
    assert rows == [
        (
            "hubspot:email-event:c1",
            "email_click",
            "a@x.example",
            "https://x.example/pricing",
        ),
        ("hubspot:email-event:f1", "other", "a@x.example", None),
        ("hubspot:email-event:u1", "email_unsubscribe", "a@x.example", None),
    ]
    assert file_summary(summary, "email_event.csv").skipped == {
        "subscription change other than an unsubscribe by the recipient": 1,
        "spam report, a negative signal and not engagement": 1,
        "message dropped before sending, not a touch": 1,
    }


# Close dates --------------------------------------------------------------------


def test_close_date_midnight_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert close_date_of(datetime(2024, 6, 30), tokyo) == date(2024, 6, 30)


def test_close_date_other_time() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert close_date_of(datetime(2024, 6, 30, 15), tokyo) == date(2024, 7, 1)


# Bad input ----------------------------------------------------------------------


def test_bad_close_date_fails(
    workspace: Workspace, cases: Path, tmp_path: Path
) -> None:
    run_import(workspace, cases / "04-deal-multi-company-fanout")
    before = snapshot(workspace)
    bad = write_csv(
        tmp_path / "deal.csv",
        "deal_id,is_deleted,property_dealname,property_closedate\n"
        "7201,false,Pilot,2024-06-30 00:00:00\n"
        "7202,false,Rollout,next week\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 3, column 'property_closedate', value 'next week'" in message
    assert "not a date" in message
    assert snapshot(workspace) == before


def test_engagement_without_time_fails(workspace: Workspace, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "engagement_call.csv",
        "engagement_id,property_hs_timestamp,type\n31,2024-04-10 01:00:00,CALL\n"
        "32,,CALL\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 3, column 'property_hs_timestamp'" in message
    assert "missing engagement time" in message


def test_salesforce_file_fails(workspace: Workspace, cases: Path) -> None:
    account = cases / "07-free-email-domain" / "Account.csv"
    with pytest.raises(InputError) as raised:
        HubSpotImporter().read([account], workspace.settings, ImportOptions())
    message = str(raised.value)
    assert f"{account}, line 1: looks like salesforce Account export" in message
    assert "not HubSpot data; columns found: Id, Name, Website" in message
    assert "'Record ID' column with 'Deal Name', 'Email' or 'Company name'" in message


def test_registry_hubspot() -> None:
    assert isinstance(get_importer("HubSpot"), HubSpotImporter)
