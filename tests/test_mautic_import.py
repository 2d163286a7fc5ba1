"""Mautic imports into a real workspace: contacts, companies and the points log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import InputError, RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.mautic import MauticImporter
from abmkpi.sources.mautic.points import action_key
from abmkpi.sources.registry import get_importer
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

FIXTURES = "mautic-fixtures"


def run_import(workspace: Workspace, *paths: Path) -> ImportSummary:
    options = ImportOptions()
    batch = MauticImporter().read(list(paths), workspace.settings, options)
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


# Mautic's fixture contacts and companies -----------------------------------------

# Hand-counted from the CSVs: rows read, rows stored, rows skipped. The last
# four contacts are anonymous visitors with neither e-mail nor id.
FIXTURE_FILES = {
    "fakecompanydata.csv": (4, 4, 0),
    "fakeleaddata.csv": (54, 50, 4),
}


@pytest.fixture
def fixtures(workspace: Workspace, shared_data: Path) -> ImportSummary:
    return run_import(workspace, shared_data / FIXTURES)


def test_fixtures_rows_per_file(fixtures: ImportSummary) -> None:
    counts = {
        item.path.name: (item.rows_read, item.loaded, item.skipped_total)
        for item in fixtures.files
    }
    assert counts == FIXTURE_FILES


def test_fixtures_nothing_rejected(fixtures: ImportSummary) -> None:
    assert fixtures.total("rejected") == 0


def test_fixtures_anonymous_skipped(fixtures: ImportSummary) -> None:
    contacts = file_summary(fixtures, "fakeleaddata.csv")
    assert contacts.skipped == {
        "anonymous contact: no id or e-mail address identifies it across imports": 4
    }


def test_fixtures_people_for_matching(
    workspace: Workspace, fixtures: ImportSummary
) -> None:
    people = query(workspace, "SELECT count(*) FROM people")
    companies = query(workspace, "SELECT count(company_name) FROM people")
    states = query(workspace, "SELECT count(state) FROM people")
    # 43 rows have a state; four of them are the anonymous visitors.
    assert people == [(50,)]
    assert companies == [(50,)]
    assert states == [(39,)]


def test_fixtures_contact_values(workspace: Workspace, fixtures: ImportSummary) -> None:
    row = query(
        workspace,
        "SELECT source_id, kind, email, name, title, company_name, website, state, "
        "country FROM people WHERE id = 'mautic:email:henrylcatalano@einrot.com'",
    )
    # "Mr." is the salutation (Mautic's title field), not a job title.
    assert row == [
        (
            "email:henrylcatalano@einrot.com",
            "lead",
            "henrylcatalano@einrot.com",
            "Henry Catalano",
            None,
            "Pro Garden Management",
            "MultiFlavors.co.za",
            "North West",
            "South Africa",
        )
    ]


def test_fixtures_shared_company(workspace: Workspace, fixtures: ImportSummary) -> None:
    rows = query(
        workspace,
        "SELECT count(*) FROM people WHERE company_name = 'Pro Garden Management'",
    )
    assert rows == [(2,)]


def test_fixtures_accounts(workspace: Workspace, fixtures: ImportSummary) -> None:
    rows = query(workspace, "SELECT id, name FROM accounts ORDER BY id")
    assert rows == [
        ("mautic:name:amazon", "Amazon"),
        ("mautic:name:apple", "Apple"),
        ("mautic:name:hostgator", "HostGator"),
        ("mautic:name:mautic", "Mautic"),
    ]


def test_fixtures_account_values(workspace: Workspace, fixtures: ImportSummary) -> None:
    row = query(
        workspace,
        "SELECT source_system, source_id, state, country, industry FROM accounts "
        "WHERE id = 'mautic:name:apple'",
    )
    assert row == [("mautic", "name:apple", "California", "United states", "Hardware")]


def test_fixtures_reimport_unchanged(
    workspace: Workspace, shared_data: Path, fixtures: ImportSummary
) -> None:
    before = snapshot(workspace)
    again = run_import(workspace, shared_data / FIXTURES)
    assert snapshot(workspace) == before
    for item in again.files:
        name = item.path.name
        assert item.loaded == 0, name
        assert item.updated == 0, name
        assert item.unchanged == FIXTURE_FILES[name][1], name


# Points log ------------------------------------------------------------------------

POINTS_LOG = (
    "id,lead_id,ip_id,type,event_name,action_name,delta,date_added\n"
    "1,7,3,form,12: Contact us,submit,10,2024-04-08 10:00:00\n"
    "2,7,3,page,4: Pricing page,hit,2,2024-04-08 10:01:00\n"
    "3,7,3,url,5: Docs visit,hit,1,2024-04-08 10:02:00\n"
    "4,8,4,email,6: Newsletter open,open,1,2024-04-09 09:00:00\n"
    "5,8,4,asset,7: Whitepaper,download,5,2024-04-09 09:05:00\n"
    "6,8,4,email,8: Newsletter sent,send,0,2024-04-09 08:00:00\n"
    "7,8,4,campaign,9: Nurture,adjust,3,2024-04-09 09:10:00\n"
    "8,8,4,API,Added,API,5,2024-04-09 09:20:00\n"
)


@pytest.fixture
def points(workspace: Workspace, tmp_path: Path) -> ImportSummary:
    path = write_csv(tmp_path / "lead_points_change_log.csv", POINTS_LOG)
    return run_import(workspace, path)


def test_points_canonical_types(workspace: Workspace, points: ImportSummary) -> None:
    rows = query(workspace, "SELECT source_id, type FROM activities ORDER BY 1")
    assert rows == [
        ("points:1", "form_fill"),
        ("points:2", "web_visit"),
        ("points:3", "web_visit"),
        ("points:4", "email_open"),
        ("points:5", "content_download"),
        ("points:6", "email_send"),
        ("points:7", "other"),
    ]


def test_points_api_skipped(points: ImportSummary) -> None:
    assert points.files[0].skipped == {
        "points adjusted through the API, not a touch": 1
    }


def test_points_row_values(workspace: Workspace, points: ImportSummary) -> None:
    row = query(
        workspace,
        "SELECT occurred_at, channel, raw_type, person_id, asset FROM activities "
        "WHERE id = 'mautic:points:5'",
    )
    assert row == [
        (
            datetime(2024, 4, 9, 9, 5),
            "web",
            "asset.download",
            "mautic:8",
            "7: Whitepaper",
        )
    ]


def test_points_other_keeps_raw_type(
    workspace: Workspace, points: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT channel, raw_type FROM activities WHERE id = 'mautic:points:7'",
    )
    assert row == [(None, "campaign.adjust")]


def test_points_reimport_unchanged(
    workspace: Workspace, tmp_path: Path, points: ImportSummary
) -> None:
    before = snapshot(workspace)
    again = run_import(workspace, tmp_path / "lead_points_change_log.csv")
    assert snapshot(workspace) == before
    assert again.files[0].unchanged == 7


@pytest.mark.parametrize(
    ("point_type", "action", "expected"),
    [
        ("form", "submit", "form.submit"),
        ("Email", "Open", "email.open"),
        (None, "page.hit", "page.hit"),
        ("API", None, "api"),
    ],
)
def test_action_key(point_type: str | None, action: str | None, expected: str) -> None:
    assert action_key(point_type, action) == expected


# Export shapes ---------------------------------------------------------------------


def test_contact_export_with_ids(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        "id,title,firstname,lastname,email,company,position,state,points,date_added\n"
        "41,Ms.,Aiko,Sato,Aiko.Sato@Example.co.jp,Hinode Denki,CTO,Tokyo,15,"
        "2024-04-01 09:00:00\n"
        "42,,,,,,,,0,2024-04-02 09:00:00\n",
    )
    run_import(workspace, path)
    rows = query(
        workspace,
        "SELECT id, email, title, company_name, state, created_at FROM people "
        "ORDER BY id",
    )
    assert rows == [
        (
            "mautic:41",
            "aiko.sato@example.co.jp",
            "CTO",
            "Hinode Denki",
            "Tokyo",
            datetime(2024, 4, 1, 9, 0),
        ),
        ("mautic:42", None, None, None, None, datetime(2024, 4, 2, 9, 0)),
    ]


def test_company_export_values(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "companies.csv",
        "id,companyname,companywebsite,companynumber_of_employees,"
        "companyannual_revenue,companyindustry\n"
        "5,Hinode Denki,https://hinode-denki.example,1200,45000000,Manufacturing\n",
    )
    run_import(workspace, path)
    rows = query(
        workspace,
        "SELECT id, name, website, employees, annual_revenue, industry FROM accounts",
    )
    assert rows == [
        (
            "mautic:5",
            "Hinode Denki",
            "https://hinode-denki.example",
            1200,
            45000000.0,
            "Manufacturing",
        )
    ]


def test_event_log_skipped(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lead_event_log.csv",
        "id,lead_id,bundle,object,action,object_id,date_added\n"
        "1,7,lead,segment,added,3,2024-04-08 10:00:00\n",
    )
    with pytest.raises(InputError) as caught:
        run_import(workspace, path)
    problem = caught.value.problems[0]
    assert problem.file == path
    assert problem.reason == (
        "read as mautic event log: 1 row skipped "
        "(contact event log: imports and segment changes, not touches)"
    )


# Bad input -------------------------------------------------------------------------


def test_bad_date_added_fails(
    workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    run_import(workspace, shared_data / FIXTURES)
    before = snapshot(workspace)
    bad = write_csv(
        tmp_path / "contacts.csv",
        "id,firstname,lastname,email,date_added\n"
        "1,Aiko,Sato,aiko@example.co.jp,2024-04-01 09:00:00\n"
        "2,Ken,Ito,ken@example.co.jp,soon\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 3, column 'date_added', value 'soon'" in message
    assert "not a date" in message
    assert snapshot(workspace) == before


def test_pardot_prospects_fail(workspace: Workspace, shared_data: Path) -> None:
    prospects = shared_data / "fivetran-pardot" / "pardot_prospect_data.csv"
    with pytest.raises(InputError) as raised:
        run_import(workspace, prospects)
    message = str(raised.value)
    assert "looks like pardot prospects, not Mautic data" in message
    assert "columns found: _fivetran_deleted, _fivetran_synced" in message
    assert "companies: companyname" in message


def test_registry_mautic() -> None:
    assert get_importer("mautic").source_system == "mautic"
