"""Pardot imports into a real workspace: Fivetran tables and API export shapes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.canonical import ActivityType
from abmkpi.derive import derive_opportunities
from abmkpi.errors import InputError, RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.pardot import PardotImporter
from abmkpi.sources.pardot.activity_types import raw_type_of, rule_for
from abmkpi.sources.pardot.ids import salesforce_id, salesforce_id_in_url
from abmkpi.sources.registry import get_importer
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

FIVETRAN = "fivetran-pardot"


def run_import(workspace: Workspace, *paths: Path) -> ImportSummary:
    options = ImportOptions()
    batch = PardotImporter().read(list(paths), workspace.settings, options)
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
    path.write_text(text, encoding="utf-8")
    return path


def file_summary(summary: ImportSummary, name: str):
    return next(item for item in summary.files if item.path.name == name)


# Fivetran tables ---------------------------------------------------------------

# Hand-counted from the CSVs: rows read, and rows stored in the file's table
# (live plus deleted).
FIVETRAN_FILES = {
    "pardot_campaign_data.csv": (100, 100),
    "pardot_list_data.csv": (100, 0),
    "pardot_list_membership_data.csv": (100, 0),
    "pardot_opportunity_data.csv": (100, 100),
    "pardot_opportunity_prospect_data.csv": (100, 100),
    "pardot_prospect_data.csv": (100, 100),
    "pardot_visitor_activity_data.csv": (100, 48),
    "pardot_visitor_data.csv": (100, 0),
}


@pytest.fixture
def fivetran(workspace: Workspace, shared_data: Path) -> ImportSummary:
    return run_import(workspace, shared_data / FIVETRAN)


def test_fivetran_rows_per_file(fivetran: ImportSummary) -> None:
    counts = {
        item.path.name: (item.rows_read, item.loaded + item.deleted)
        for item in fivetran.files
    }
    assert counts == FIVETRAN_FILES


def test_fivetran_nothing_rejected(fivetran: ImportSummary) -> None:
    assert fivetran.total("rejected") == 0


def test_fivetran_skip_reasons(fivetran: ImportSummary) -> None:
    activities = file_summary(fivetran, "pardot_visitor_activity_data.csv")
    visitors = file_summary(fivetran, "pardot_visitor_data.csv")
    lists = file_summary(fivetran, "pardot_list_data.csv")
    memberships = file_summary(fivetran, "pardot_list_membership_data.csv")
    assert activities.skipped == {
        "opportunity event; opportunities come from the opportunity table": 52
    }
    assert visitors.skipped == {
        "visitor of a prospect, used to link this run's activities": 22,
        "anonymous visitor, not linked to a prospect": 78,
    }
    assert lists.skipped == {"list definition, not imported": 100}
    assert memberships.skipped == {
        "list membership, neither a touch nor an account link": 100
    }


def test_fivetran_activity_types(workspace: Workspace, fivetran: ImportSummary) -> None:
    rows = query(
        workspace, "SELECT type, raw_type, count(*) FROM activities GROUP BY ALL"
    )
    counts = {(kind, raw): count for kind, raw, count in rows}
    # Type codes 12 (39 rows), 35 (3), 14 (1) and 36 (5), all of type_name Email.
    assert counts == {
        ("email_unsubscribe", "Unsubscribe Page (Email)"): 39,
        ("email_unsubscribe", "Indirect Unsubscribe Open (Email)"): 3,
        ("email_unsubscribe", "Spam Complaint (Email)"): 1,
        ("email_bounce", "Indirect Bounce (Email)"): 5,
    }


def test_fivetran_activity_values(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT occurred_at, type, channel, raw_type, person_id, campaign_id, asset "
        "FROM activities WHERE id = 'pardot:1520152562'",
    )
    assert row == [
        (
            datetime(2019, 3, 29, 7, 24, 17),
            "email_unsubscribe",
            "email",
            "Indirect Unsubscribe Open (Email)",
            "pardot:395861995",
            "pardot:77640",
            "0nwc3qvbgCqIKlpUj9D+EA==",
        )
    ]


def test_fivetran_people(workspace: Workspace, fivetran: ImportSummary) -> None:
    live = query(workspace, "SELECT count(*) FROM people WHERE NOT is_deleted")
    deleted = query(workspace, "SELECT count(*) FROM people WHERE is_deleted")
    linked = query(
        workspace, "SELECT count(*) FROM people WHERE converted_contact_id IS NOT NULL"
    )
    kinds = query(workspace, "SELECT DISTINCT kind FROM people")
    emails = query(workspace, "SELECT count(email) FROM people")
    assert live == [(22,)]
    assert deleted == [(78,)]
    assert linked == [(22,)]
    assert kinds == [("lead",)]
    assert emails == [(0,)]


def test_fivetran_prospect_values(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT name, title, company_name, website, state, lead_source, created_at, "
        "converted_contact_id, source_account_id, is_deleted "
        "FROM people WHERE id = 'pardot:402952943'",
    )
    assert row == [
        (
            "aho3bYFpz8GDX1msk07btw== 6hPQG9sXFMJVG4/SA5KUJg==",
            "P66/uVGJZUWskyUGOe+9wA==",
            "/kB7bkO+2iTf72ncCJFuOg==",
            "http://labcyte.com",
            "California",
            "+7igq+COaxeDmUWJwwgrWw==",
            datetime(2019, 7, 11, 19, 28, 54),
            "salesforce:0031G00000ts74TQAQ",
            None,
            False,
        )
    ]


def test_fivetran_deleted_prospect(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT is_deleted, state, converted_contact_id FROM people "
        "WHERE id = 'pardot:403097399'",
    )
    assert row == [(True, "Colorado", None)]


def test_fivetran_prospect_notes(fivetran: ImportSummary) -> None:
    notes = file_summary(fivetran, "pardot_prospect_data.csv").notes
    assert notes == [
        "email: none of the 100 values is an e-mail address (the export hashes "
        "or masks them), so prospects are stored without e-mail",
        "crm_contact_fid: 100 values are not Salesforce ids (hashed by the "
        "export?) and link no contact; 22 prospects are linked to their contact "
        "through crm_url instead",
    ]


def test_fivetran_opportunity_outcomes(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    rows = query(
        workspace,
        "SELECT is_closed, is_won, count(*) FROM opportunities GROUP BY ALL",
    )
    outcomes = {(closed, won): count for closed, won, count in rows}
    # 99 Won, 1 Lost and no Open opportunity in the status column.
    assert outcomes == {(True, True): 99, (True, False): 1}


def test_fivetran_opportunity_types(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    rows = query(workspace, "SELECT type, count(*) FROM opportunities GROUP BY 1")
    assert dict(rows) == {"new_business": 50, "renewal": 33, "expansion": 17}


def test_fivetran_opportunity_values(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT name, stage, amount, probability, raw_type, created_at, close_date, "
        "campaign_id, source_account_id, is_closed, is_won "
        "FROM opportunities WHERE id = 'pardot:3675227'",
    )
    # closed_at 2017-03-21 21:00 UTC is 2017-03-22 in Asia/Tokyo.
    assert row == [
        (
            "sE+C+vSh/nwWfonAQDJJFQ==",
            "Lost",
            14880.0,
            0.0,
            "New Business",
            datetime(2016, 10, 11, 7, 46, 43),
            date(2017, 3, 22),
            "pardot:64363",
            None,
            True,
            False,
        )
    ]


def test_fivetran_opportunity_prospects(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    count = query(workspace, "SELECT count(*) FROM opportunity_people")
    links = query(
        workspace,
        "SELECT person_id FROM opportunity_people "
        "WHERE opportunity_id = 'pardot:5567177' ORDER BY 1",
    )
    assert count == [(100,)]
    assert links == [("pardot:398740932",), ("pardot:407740393",)]


def test_fivetran_campaigns(workspace: Workspace, fivetran: ImportSummary) -> None:
    counts = query(
        workspace, "SELECT is_deleted, count(*) FROM campaigns GROUP BY 1 ORDER BY 1"
    )
    row = query(
        workspace,
        "SELECT name, cost, is_deleted FROM campaigns WHERE id = 'pardot:66341'",
    )
    assert counts == [(False, 98), (True, 2)]
    assert row == [("jE06lGofzeLe1+F2Uf0O1w==", None, False)]


def test_fivetran_reimport_unchanged(
    workspace: Workspace, shared_data: Path, fivetran: ImportSummary
) -> None:
    before = snapshot(workspace)
    again = run_import(workspace, shared_data / FIVETRAN)
    assert snapshot(workspace) == before
    for item in again.files:
        name = item.path.name
        assert item.loaded == 0, name
        assert item.updated == 0, name
        assert item.deleted == 0, name
        assert item.unchanged == FIVETRAN_FILES[name][1], name


# Bad input -------------------------------------------------------------------------

PROSPECT_HEADER = "id,email,first_name,last_name,company,job_title,created_at\n"


def test_bad_created_at_fails(
    workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    run_import(workspace, shared_data / FIVETRAN)
    before = snapshot(workspace)
    bad = write_csv(
        tmp_path / "prospects.csv",
        PROSPECT_HEADER + "1,a@example.com,Ann,Lee,Acme,CTO,2024-04-08 10:00:00\n"
        "2,b@example.com,Bo,Kim,Acme,CFO,last week\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 3, column 'created_at', value 'last week'" in message
    assert "not a date" in message
    assert snapshot(workspace) == before


def test_mautic_contacts_fail(workspace: Workspace, shared_data: Path) -> None:
    contacts = shared_data / "mautic-fixtures" / "fakeleaddata.csv"
    with pytest.raises(InputError) as raised:
        run_import(workspace, contacts)
    message = str(raised.value)
    assert "looks like mautic contacts, not Pardot data" in message
    assert "columns found: title, firstname, lastname, city" in message
    assert "prospects: id, email and one of crm_contact_fid" in message
    assert "opportunities: id, status, stage and value" in message


def test_invalid_email_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "prospects.csv",
        PROSPECT_HEADER + "1,a@example.com,Ann,Lee,Acme,CTO,\n"
        "2,bo at example.com,Bo,Kim,Acme,CFO,\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, path)
    assert "line 3, column 'email', value 'bo at example.com'" in str(raised.value)


def test_unknown_status_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "opportunities.csv",
        "id,name,value,stage,status\n1,Deal,100,Negotiation,Pending\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, path)
    message = str(raised.value)
    assert "line 2, column 'status', value 'Pending'" in message
    assert "expected Won, Lost or Open" in message


# Export shapes and rules --------------------------------------------------------


def test_prospect_crm_links(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "prospects.csv",
        "id,email,crm_contact_fid,crm_account_fid,crm_url\n"
        "1, Ann.Lee@Acme.example ,0031G00000ts74S,001C10000000001AAA,\n"
        "2,bo@acme.example,,,https://x.my.salesforce.com/00Q1G00000aaaaaUAA\n",
    )
    run_import(workspace, path)
    rows = query(
        workspace,
        "SELECT id, email, converted_contact_id, source_account_id FROM people "
        "ORDER BY id",
    )
    assert rows == [
        (
            "pardot:1",
            "ann.lee@acme.example",
            "salesforce:0031G00000ts74SQAQ",
            "salesforce:001C10000000001AAA",
        ),
        ("pardot:2", "bo@acme.example", None, None),
    ]


ACTIVITY_HEADER = (
    "id,created_at,type,type_name,prospect_id,visitor_id,details,file_id\n"
)


def test_visitor_links_prospect(workspace: Workspace, tmp_path: Path) -> None:
    visitors = write_csv(
        tmp_path / "pardot_visitor_data.csv",
        "id,prospect_id,page_view_count\n501,77,3\n502,,1\n",
    )
    activities = write_csv(
        tmp_path / "pardot_visitor_activity_data.csv",
        ACTIVITY_HEADER + "1,2024-04-08 10:00:00,20,Visit,,501,/pricing,\n"
        "2,2024-04-08 10:05:00,1,File,,502,,9001\n"
        "3,2024-04-08 10:06:00,4,Form,78,501,Contact us,\n",
    )
    summary = run_import(workspace, activities, visitors)
    rows = query(
        workspace, "SELECT id, type, person_id, asset FROM activities ORDER BY id"
    )
    assert rows == [
        ("pardot:1", "web_visit", "pardot:77", "/pricing"),
        ("pardot:2", "content_download", None, "file 9001"),
        ("pardot:3", "form_fill", "pardot:78", "Contact us"),
    ]
    notes = file_summary(summary, "pardot_visitor_activity_data.csv").notes
    assert notes[0].startswith("1 activities of anonymous visitors")


def test_unknown_type_kept(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "visitor_activities.csv",
        ACTIVITY_HEADER + "1,2024-04-08 10:00:00,99,Hologram,7,,,\n",
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT type, channel, raw_type FROM activities")
    assert rows == [("other", None, "visitor activity type 99 (Hologram)")]


def test_naive_dates_use_source_zone(make_workspace: Any, tmp_path: Path) -> None:
    workspace = make_workspace(sources={"pardot": {"time_zone": "America/New_York"}})
    path = write_csv(
        tmp_path / "visitor_activities.csv",
        ACTIVITY_HEADER + "1,2024-04-08 09:30:00,11,Email,7,,,\n",
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT occurred_at FROM activities")
    assert rows == [(datetime(2024, 4, 8, 13, 30),)]


@pytest.mark.parametrize(
    ("code", "type_name", "expected"),
    [
        (1, "Email", ActivityType.EMAIL_CLICK),
        (1, "File", ActivityType.CONTENT_DOWNLOAD),
        (1, "Landing Page", ActivityType.WEB_VISIT),
        (1, "Paid Search Ad", ActivityType.AD_CLICK),
        (2, "Landing Page", ActivityType.WEB_VISIT),
        (2, "File", ActivityType.CONTENT_DOWNLOAD),
        (4, "Form", ActivityType.FORM_FILL),
        (4, "Form Handler", ActivityType.FORM_FILL),
        (6, "Email", ActivityType.EMAIL_SEND),
        (11, "Email", ActivityType.EMAIL_OPEN),
        (12, "Email", ActivityType.EMAIL_UNSUBSCRIBE),
        (13, "Email", ActivityType.EMAIL_BOUNCE),
        (17, "Email", ActivityType.EMAIL_CLICK),
        (20, "Visit", ActivityType.WEB_VISIT),
        (21, "Custom Redirect", ActivityType.WEB_VISIT),
        (24, "Webinar", ActivityType.EVENT_ATTENDED),
        (25, "Webinar", ActivityType.FORM_FILL),
        (29, "Event", ActivityType.EVENT_ATTENDED),
        (34, "Video", ActivityType.CONTENT_DOWNLOAD),
        (99, "Hologram", ActivityType.OTHER),
    ],
)
def test_type_rule(code: int, type_name: str, expected: ActivityType) -> None:
    assert rule_for(code, type_name).activity_type is expected


@pytest.mark.parametrize("code", [8, 9, 10, 18, 19, 38])
def test_opportunity_events_skipped(code: int) -> None:
    assert rule_for(code, "Opportunity").skip_reason is not None


def test_raw_type_same_name() -> None:
    assert raw_type_of(8, "New Opportunity") == "New Opportunity"


def test_salesforce_id_15_to_18() -> None:
    assert salesforce_id("0031G00000ts74S") == "0031G00000ts74SQAQ"


def test_salesforce_id_hashed() -> None:
    assert salesforce_id("6Ddn2riWsrk2ZClx/WSuRw==") is None


def test_salesforce_id_in_url() -> None:
    url = "https://fivetran.my.salesforce.com/0031G00000ts74SQAQ"
    assert salesforce_id_in_url(url) == "0031G00000ts74SQAQ"


def test_registry_pardot() -> None:
    assert get_importer("pardot").source_system == "pardot"


# Opportunity accounts through prospects ----------------------------------------


def _import_deals(workspace: Workspace, tmp_path: Path) -> None:
    opportunities = write_csv(
        tmp_path / "pardot_opportunity_data.csv",
        "id,name,value,stage,status,created_at\n"
        "10,One account,100,Won,Won,2024-04-01 00:00:00\n"
        "11,Two accounts,200,Open,Open,2024-04-01 00:00:00\n",
    )
    links = write_csv(
        tmp_path / "pardot_opportunity_prospect_data.csv",
        "opportunity_id,prospect_id\n10,1\n10,2\n11,1\n11,3\n",
    )
    run_import(workspace, opportunities, links)


def _give_people_accounts(workspace: Workspace, accounts: dict[str, str]) -> None:
    """Store people with matched accounts, as account matching would, and derive."""
    with workspace.open_store() as store:
        for person_id, account_id in accounts.items():
            store.execute(
                "INSERT INTO people (id, source_system, source_id, kind, account_id) "
                "VALUES (?, 'pardot', ?, 'lead', ?)",
                [person_id, person_id.split(":")[1], account_id],
            )
        derive_opportunities(store, workspace.settings)


def test_opportunity_account_from_prospects(
    workspace: Workspace, tmp_path: Path
) -> None:
    _import_deals(workspace, tmp_path)
    _give_people_accounts(
        workspace,
        {"pardot:1": "salesforce:A", "pardot:2": "salesforce:A", "pardot:3": "sf:B"},
    )
    accounts = query(workspace, "SELECT id, account_id FROM opportunities ORDER BY 1")
    links = query(
        workspace,
        "SELECT opportunity_id, account_id, role, is_primary "
        "FROM opportunity_accounts ORDER BY 1, 2",
    )
    assert accounts == [("pardot:10", "salesforce:A"), ("pardot:11", None)]
    assert links == [
        ("pardot:10", "salesforce:A", "person", True),
        ("pardot:11", "salesforce:A", "person", False),
        ("pardot:11", "sf:B", "person", False),
    ]


def test_opportunity_links_recomputed(workspace: Workspace, tmp_path: Path) -> None:
    _import_deals(workspace, tmp_path)
    _give_people_accounts(workspace, {"pardot:1": "salesforce:A"})
    with workspace.open_store() as store:
        store.execute("UPDATE people SET is_deleted = true WHERE id = 'pardot:1'")
        derive_opportunities(store, workspace.settings)
    links = query(workspace, "SELECT count(*) FROM opportunity_accounts")
    accounts = query(workspace, "SELECT count(account_id) FROM opportunities")
    assert links == [(0,)]
    assert accounts == [(0,)]
