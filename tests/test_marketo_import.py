"""Marketo imports into a real workspace: REST/bulk extract CSVs and Fivetran tables."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import AbmkpiError, InputError, RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.marketo import MarketoImporter
from abmkpi.sources.marketo.campaigns import channel_of
from abmkpi.sources.registry import get_importer
from abmkpi.sources.values import full_name
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

FIVETRAN = "fivetran-marketo"


def run_import(workspace: Workspace, *paths: Path) -> ImportSummary:
    options = ImportOptions()
    batch = MarketoImporter().read(list(paths), workspace.settings, options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, options)


def query(workspace: Workspace, sql: str, params: list[Any] | None = None) -> list:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql, params)


def activity_types(workspace: Workspace) -> Counter[str]:
    rows = query(workspace, "SELECT type FROM activities")
    return Counter(row[0] for row in rows)


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


def marketo_files(folder: Path) -> list[Path]:
    """Return a fault case's Marketo files; its Salesforce files stay out."""
    names = ("activity_types.csv", "marketo_activities.csv", "marketo_leads.csv")
    return [folder / name for name in names]


def file_summary(summary: ImportSummary, name: str):
    return next(item for item in summary.files if item.path.name == name)


# Case 07: REST exports with an activity type list ------------------------------


def test_case07_people(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "07-free-email-domain"))
    rows = query(workspace, "SELECT kind, count(*) FROM people GROUP BY kind")
    assert rows == [("lead", 6)]


def test_case07_activity_types(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "07-free-email-domain"))
    assert activity_types(workspace) == {
        "form_fill": 4,
        "web_visit": 1,
        "email_click": 1,
    }


def test_case07_activity_values(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "07-free-email-domain"))
    row = query(
        workspace,
        "SELECT occurred_at, type, channel, raw_type, person_id, asset "
        "FROM activities WHERE id = 'marketo:m-0005'",
    )[0]
    assert row[0] == datetime(2024, 5, 7, 1, 0)
    assert row[1] == "web_visit"
    assert row[2] == "web"
    assert row[3] == "Visit Webpage"
    assert row[4] == "marketo:1005"
    assert row[5] == "/pricing"


def test_case07_salesforce_files_fail(workspace: Workspace, cases: Path) -> None:
    folder = cases / "07-free-email-domain"
    with pytest.raises(InputError) as raised:
        run_import(workspace, folder)
    message = str(raised.value)
    assert f"{folder / 'Account.csv'}, line 1: looks like salesforce Account" in message
    assert f"{folder / 'Contact.csv'}, line 1: looks like salesforce Contact" in message
    assert "not Marketo data; columns found: Id, AccountId, Email" in message
    assert "activity exports leadId, activityDate and activityTypeId" in message
    assert query(workspace, "SELECT count(*) FROM people") == [(0,)]


# Case 09: e-mail addresses in mixed case and with spaces ------------------------


def test_case09_emails_normalized(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "09-email-case-normalization"))
    emails = dict(query(workspace, "SELECT id, email FROM people"))
    assert len(emails) == 3
    assert emails["marketo:3001"] == "taro.yamada@hinode-denki.example"
    assert emails["marketo:3002"] == "taro.yamada@hinode-denki.example"
    assert emails["marketo:3003"] == "sachiko.ono@hinode-denki.example"


def test_case09_activity_types(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "09-email-case-normalization"))
    assert activity_types(workspace) == {
        "email_open": 2,
        "email_click": 1,
        "form_fill": 2,
    }


def test_case09_names(workspace: Workspace, cases: Path) -> None:
    run_import(workspace, *marketo_files(cases / "09-email-case-normalization"))
    names = dict(query(workspace, "SELECT id, name FROM people"))
    assert names["marketo:3001"] == "Taro Yamada"
    assert names["marketo:3002"] == "TARO YAMADA"


# Fivetran tables -----------------------------------------------------------------

# Hand-counted from the CSVs: rows read, and rows stored in the file's table.
FIVETRAN_FILES = {
    "marketo_activity_change_data_value_data.csv": (100, 0),
    "marketo_activity_click_email_data.csv": (100, 100),
    "marketo_activity_delete_lead_data.csv": (31, 31),
    "marketo_activity_email_bounced_data.csv": (100, 100),
    "marketo_activity_email_delivered_data.csv": (100, 100),
    "marketo_activity_merge_leads_data.csv": (100, 99),
    "marketo_activity_open_email_data.csv": (100, 100),
    "marketo_activity_send_email_data.csv": (100, 100),
    "marketo_activity_unsubscribe_email_data.csv": (100, 100),
    "marketo_campaign_data.csv": (100, 100),
    "marketo_email_template_history_data.csv": (100, 0),
    "marketo_lead_data.csv": (100, 100),
    "marketo_lead_describe_data.csv": (100, 0),
    "marketo_program_data.csv": (100, 100),
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
    changes = file_summary(fivetran, "marketo_activity_change_data_value_data.csv")
    merges = file_summary(fivetran, "marketo_activity_merge_leads_data.csv")
    templates = file_summary(fivetran, "marketo_email_template_history_data.csv")
    assert changes.skipped == {"data-value change, not a touch": 100}
    assert merges.skipped == {"merge activity without merge ids": 1}
    assert templates.skipped == {"not lead, activity, campaign or program data": 100}


def test_fivetran_activity_types(workspace: Workspace, fivetran: ImportSummary) -> None:
    assert activity_types(workspace) == {
        "email_click": 100,
        "email_bounce": 100,
        "email_delivered": 100,
        "email_open": 100,
        "email_send": 100,
        "email_unsubscribe": 100,
    }


def test_fivetran_click_asset_is_link(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT asset, campaign_id, person_id, occurred_at FROM activities "
        "WHERE id = 'marketo:58851192'",
    )[0]
    assert row[0].startswith("https://get.fivetran.com/fivetran-databytes-elt.html?")
    assert row[1] == "marketo:2522"
    assert row[2] == "marketo:1124755"
    assert row[3] == datetime(2020, 4, 30, 8, 5, 11)


def test_fivetran_merges(workspace: Workspace, fivetran: ImportSummary) -> None:
    assert query(workspace, "SELECT count(*) FROM merges") == [(99,)]
    row = query(
        workspace,
        "SELECT entity, winner_id, merged_at FROM merges "
        "WHERE loser_id = 'marketo:1286861'",
    )
    assert row == [("person", "marketo:1345540", datetime(2020, 5, 7, 22, 45, 8))]


def test_fivetran_deleted_leads(workspace: Workspace, fivetran: ImportSummary) -> None:
    deleted = query(workspace, "SELECT count(*) FROM people WHERE is_deleted")
    live = query(workspace, "SELECT count(*) FROM people WHERE NOT is_deleted")
    one = query(workspace, "SELECT is_deleted FROM people WHERE id = 'marketo:63584'")
    assert deleted == [(31,)]
    assert live == [(100,)]
    assert one == [(True,)]


def test_fivetran_lead_values(workspace: Workspace, fivetran: ImportSummary) -> None:
    row = query(
        workspace,
        "SELECT email, name, created_at FROM people WHERE id = 'marketo:1031229'",
    )[0]
    assert row[0] == "first_last_001@email.com"
    assert row[1] == "first_001 last_001"
    assert row[2] == datetime(2019, 12, 29, 8, 15, 15)


def test_fivetran_campaigns(workspace: Workspace, fivetran: ImportSummary) -> None:
    counts = dict(
        query(
            workspace,
            "SELECT coalesce(channel, '-'), count(*) FROM campaigns GROUP BY 1",
        )
    )
    assert counts == {
        "-": 100,
        "webinar": 47,
        "content": 23,
        "email": 16,
        "operational": 13,
        "web": 1,
    }


def test_fivetran_smart_campaign_parent(
    workspace: Workspace, fivetran: ImportSummary
) -> None:
    row = query(
        workspace,
        "SELECT type, status, source_parent_id FROM campaigns "
        "WHERE id = 'marketo:1176'",
    )
    assert row == [("smart_campaign", "Inactive", "marketo:program:1024")]


def test_fivetran_program_values(workspace: Workspace, fivetran: ImportSummary) -> None:
    row = query(
        workspace,
        "SELECT source_id, type, channel, is_deleted FROM campaigns "
        "WHERE id = 'marketo:program:1001'",
    )
    assert row == [("program:1001", "content", "content", False)]


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


def test_bad_activity_date_fails(
    workspace: Workspace, cases: Path, tmp_path: Path
) -> None:
    run_import(workspace, *marketo_files(cases / "07-free-email-domain"))
    before = snapshot(workspace)
    bad = write_csv(
        tmp_path / "marketo_activities.csv",
        "marketoGUID,leadId,activityDate,activityTypeId,primaryAttributeValue\n"
        "x-1,1001,2024-04-08T02:00:00Z,2,Webform 101\n"
        "x-2,1001,yesterday,2,Webform 101\n",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    message = str(raised.value)
    assert f"{bad}, line 3, column 'activityDate', value 'yesterday'" in message
    assert "not a date" in message
    assert snapshot(workspace) == before


def test_bad_attributes_json_rejected(workspace: Workspace, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "activities.csv",
        "marketoGUID,leadId,activityDate,activityTypeId,attributes\n"
        '1,7,2024-04-08T02:00:00Z,11,"{""Link"": "\n',
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(workspace, bad)
    assert "line 2, column 'attributes'" in str(raised.value)


def test_unrecognized_files_fail(workspace: Workspace, tmp_path: Path) -> None:
    other = write_csv(tmp_path / "orders.csv", "order,amount\n1,100\n")
    with pytest.raises(InputError) as raised:
        run_import(workspace, other)
    assert "not a Marketo lead, activity, program or smart campaign file" in str(
        raised.value
    )


def test_missing_path_fails(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        run_import(workspace, tmp_path / "absent.csv")
    assert "file not found" in str(raised.value)


# REST activity rules ----------------------------------------------------------------

REST_HEADER = (
    "marketoGUID,leadId,activityDate,activityTypeId,campaignId,"
    "primaryAttributeValueId,primaryAttributeValue,attributes\n"
)


def test_rest_click_email_link(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "activities.csv",
        REST_HEADER + '1,7,2024-04-08T02:00:00Z,11,55,900,Newsletter,"{""Link"": '
        '""https://example.com/a""}"\n',
    )
    run_import(workspace, path)
    row = query(workspace, "SELECT type, asset, campaign_id FROM activities")
    assert row == [("email_click", "https://example.com/a", "marketo:55")]


def test_rest_attended_program_status(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "activities.csv",
        REST_HEADER + "1,7,2024-04-08T02:00:00Z,104,55,1203,Webinar 2024-04,"
        '"{""New Status"": ""Attended"", ""Old Status"": ""Registered""}"\n'
        "2,8,2024-04-08T02:00:00Z,104,55,1203,Webinar 2024-04,"
        '"{""New Status"": ""Registered""}"\n',
    )
    summary = run_import(workspace, path)
    rows = query(
        workspace, "SELECT id, type, channel, campaign_id, asset FROM activities"
    )
    assert rows == [
        (
            "marketo:1",
            "event_attended",
            "event",
            "marketo:program:1203",
            "Webinar 2024-04",
        )
    ]
    skipped = summary.files[0].skipped
    assert skipped == {"program status change other than attendance": 1}


def test_rest_merge_and_delete(workspace: Workspace, tmp_path: Path) -> None:
    leads = write_csv(
        tmp_path / "leads.csv",
        "id,email,sfdcAccountId\n7,a@example.com,001C1000000001AAA\n8,b@example.com,\n",
    )
    activities = write_csv(
        tmp_path / "activities.csv",
        REST_HEADER + '1,7,2024-04-08T02:00:00Z,32,,7,x,"{""Merge IDs"": [11, 12]}"\n'
        "2,8,2024-04-09T02:00:00Z,37,,8,b@example.com,\n",
    )
    summary = run_import(workspace, leads, activities)
    merges = query(workspace, "SELECT loser_id, winner_id FROM merges ORDER BY 1")
    people = query(
        workspace, "SELECT id, is_deleted, source_account_id FROM people ORDER BY 1"
    )
    assert merges == [("marketo:11", "marketo:7"), ("marketo:12", "marketo:7")]
    assert people == [
        ("marketo:7", False, "salesforce:001C1000000001AAA"),
        ("marketo:8", True, None),
    ]
    assert file_summary(summary, "leads.csv").deleted == 1
    assert file_summary(summary, "activities.csv").loaded == 2


def test_rest_unknown_type_kept(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "activities.csv", REST_HEADER + "1,7,2024-04-08T02:00:00Z,999,,,x,\n"
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT type, raw_type FROM activities")
    assert rows == [("other", "activity type 999")]


def test_rest_custom_type_download(workspace: Workspace, tmp_path: Path) -> None:
    types = write_csv(
        tmp_path / "activity_types.csv", "id,name\n100001,Downloaded Whitepaper\n"
    )
    path = write_csv(
        tmp_path / "activities.csv",
        REST_HEADER + "1,7,2024-04-08T02:00:00Z,100001,,,ABM guide,\n",
    )
    run_import(workspace, path, types)
    rows = query(workspace, "SELECT type, raw_type, asset FROM activities")
    assert rows == [("content_download", "Downloaded Whitepaper", "ABM guide")]


def test_rest_data_changes_skipped(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "activities.csv",
        REST_HEADER + "1,7,2024-04-08T02:00:00Z,12,,,x,\n"
        "2,7,2024-04-08T02:00:00Z,22,,,x,\n"
        "3,7,2024-04-08T02:00:00Z,42,,,x,\n",
    )
    summary = run_import(workspace, path)
    assert summary.files[0].skipped == {
        "lead creation, not a touch": 1,
        "score change, not a touch": 1,
        "CRM campaign membership change, not a touch": 1,
    }
    assert query(workspace, "SELECT count(*) FROM activities") == [(0,)]


def test_fivetran_custom_table_named(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "marketo_activity_webinar_attended_data.csv",
        "id,activity_date,activity_type_id,lead_id,primary_attribute_value\n"
        "9,2024-04-08 02:00:00.000,100005,7,Webinar 2024-04\n",
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT type, raw_type, asset FROM activities")
    assert rows == [("event_attended", "Webinar Attended", "Webinar 2024-04")]


def test_naive_dates_use_source_zone(make_workspace: Any, tmp_path: Path) -> None:
    workspace = make_workspace(sources={"marketo": {"time_zone": "Asia/Tokyo"}})
    path = write_csv(
        tmp_path / "activities.csv", REST_HEADER + "1,7,2024-04-08 09:30:00,1,,,/,\n"
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT occurred_at FROM activities")
    assert rows == [(datetime(2024, 4, 8, 0, 30),)]


def test_fivetran_deleted_flag(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "marketo_campaign_data.csv",
        "id,name,program_id,status,_fivetran_deleted\n5,Invite,,Active,TRUE\n",
    )
    run_import(workspace, path)
    rows = query(workspace, "SELECT id, is_deleted, source_parent_id FROM campaigns")
    assert rows == [("marketo:5", True, None)]


# Helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "program_type", "expected"),
    [
        ("Webinar", None, "webinar"),
        ("Email Nurture", None, "email"),
        ("Tradeshow", None, "event"),
        ("Paid Social", None, "advertising"),
        ("Web Request", None, "web"),
        ("Operational", None, "operational"),
        ("", "EventWithWebinar", "webinar"),
        (None, None, None),
    ],
)
def test_channel_of(
    channel: str | None, program_type: str | None, expected: str
) -> None:
    assert channel_of(channel, program_type) == expected


def test_full_name_japanese_order() -> None:
    assert full_name("太郎", "山田") == "山田 太郎"


def test_full_name_one_part() -> None:
    assert full_name(None, "Yamada") == "Yamada"


def test_registry_marketo() -> None:
    assert get_importer("marketo").source_system == "marketo"


def test_registry_unknown_source() -> None:
    with pytest.raises(AbmkpiError) as raised:
        get_importer("eloqua")
    assert "unknown source 'eloqua'" in str(raised.value)
