"""Salesforce importer: objects without shared samples, on inline exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from abmkpi.errors import InputError, NotFoundError
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace
from tests.salesforce_support import (
    NOT_IMPORTED,
    by_file,
    csv_text,
    query,
    run_import,
    scalar,
    write,
)


@pytest.fixture
def devorg(shared_data: Path) -> Path:
    return shared_data / "salesforce-devorg-data-export"


@pytest.fixture
def mmddyy(shared_data: Path) -> Path:
    return shared_data / "salesforce-sample-mmddyy"


_CAMPAIGNS = csv_text(
    "Id,Name,Type,Status,StartDate,IsDeleted",
    "701X00000000001AAA,Spring Webinar,Webinar,Completed,2024-04-10,false",
    "701X00000000002AAA,導入事例の資料ダウンロード,資料DL,Completed,2024-04-01,false",
    "701X00000000003AAA,Partner referral,Partners,Completed,2024-04-01,false",
)

_MEMBERS = csv_text(
    "Id,CampaignId,LeadId,ContactId,HasResponded,FirstRespondedDate,CreatedDate,Status",
    "00vX00000000001AAA,701X00000000001AAA,00QX00000000001AAA,"
    "000000000000000AAA,true,2024-04-10,2024-04-01T00:00:00.000+0000,"
    "Attended",
    "00vX00000000002AAA,701X00000000001AAA,00QX00000000002AAA,,false,,"
    "2024-04-01T00:00:00.000+0000,Sent",
    "00vX00000000003AAA,701X00000000002AAA,00QX00000000003AAA,"
    "003X00000000001AAA,true,,2024-05-01T09:30:00.000+0000,Responded",
    "00vX00000000004AAA,701X00000000003AAA,,003X00000000002AAA,true,"
    "2024-05-02,2024-05-01T00:00:00.000+0000,Responded",
    "00vX00000000005AAA,701X00000000009AAA,00QX00000000004AAA,,true,"
    "2024-05-03,2024-05-01T00:00:00.000+0000,Responded",
)


def _member_activities(workspace: Workspace) -> list:
    return query(
        workspace,
        "SELECT source_id, type, channel, raw_type, occurred_at, person_id, "
        "campaign_id FROM activities ORDER BY source_id",
    )


_EXPECTED_MEMBERS = [
    (
        "00vX00000000001AAA",
        "event_attended",
        "Webinar",
        "Attended",
        # FirstRespondedDate 2024-04-10: midnight in Tokyo.
        datetime(2024, 4, 9, 15),
        "salesforce:00QX00000000001AAA",
        "salesforce:701X00000000001AAA",
    ),
    (
        "00vX00000000003AAA",
        "content_download",
        "資料DL",
        "Responded",
        datetime(2024, 5, 1, 9, 30),
        "salesforce:003X00000000001AAA",
        "salesforce:701X00000000002AAA",
    ),
    (
        "00vX00000000004AAA",
        "form_fill",
        "Partners",
        "Responded",
        datetime(2024, 5, 1, 15),
        "salesforce:003X00000000002AAA",
        "salesforce:701X00000000003AAA",
    ),
    (
        "00vX00000000005AAA",
        "form_fill",
        None,
        "Responded",
        datetime(2024, 5, 2, 15),
        "salesforce:00QX00000000004AAA",
        "salesforce:701X00000000009AAA",
    ),
]


def test_members_same_run(workspace: Workspace, tmp_path: Path) -> None:
    campaigns = write(tmp_path / "Campaign.csv", _CAMPAIGNS)
    members = write(tmp_path / "CampaignMember.csv", _MEMBERS)
    summary = run_import(workspace, members, campaigns)
    report = by_file(summary)["CampaignMember.csv"]
    assert report.rows_read == 5
    assert report.loaded == 4
    assert report.skipped == {"not responded": 1}
    assert _member_activities(workspace) == _EXPECTED_MEMBERS


def test_members_campaign_from_store(workspace: Workspace, tmp_path: Path) -> None:
    run_import(workspace, write(tmp_path / "Campaign.csv", _CAMPAIGNS))
    members = write(tmp_path / "CampaignMember.csv", _MEMBERS)
    run_import(workspace, members)
    assert _member_activities(workspace) == _EXPECTED_MEMBERS
    again = run_import(workspace, members)
    assert again.total("unchanged") == 4
    assert again.total("updated") == 0


def test_campaign_type_mapping() -> None:
    from abmkpi.sources.salesforce.campaigns import activity_type_of

    cases = {
        "Webinar": "event_attended",
        "Trade Show": "event_attended",
        "Webセミナー": "event_attended",
        "展示会出展": "event_attended",
        "Email": "email_click",
        "eBook": "content_download",
        "Banner Ads": "ad_click",
        "リスティング広告": "ad_click",
        "Website": "web_visit",
        "Direct Mail": "form_fill",
        None: "form_fill",
    }
    for campaign_type, expected in cases.items():
        assert activity_type_of(campaign_type).value == expected, campaign_type


_TASKS = csv_text(
    "Id,WhoId,WhatId,Subject,Type,TaskSubtype,Status,IsClosed,ActivityDate,"
    "CompletedDateTime,CreatedDate,IsDeleted",
    "00TX00000000001AAA,00QX00000000001AAA,001X00000000001AAA,Call,,Call,"
    "Completed,true,2024-05-01,2024-05-01T02:30:00.000+0000,"
    "2024-04-30T00:00:00.000+0000,false",
    "00TX00000000002AAA,003X00000000001AAA,006X00000000001AAA,"
    "Email: pricing,,Email,Completed,true,2024-05-02,,"
    "2024-05-02T01:00:00.000+0000,false",
    "00TX00000000003AAA,003X00000000001AAA,,Send quote,Other,Task,"
    "Completed,true,2024-05-03,,2024-05-02T01:00:00.000+0000,false",
    "00TX00000000004AAA,003X00000000001AAA,,Call back,Call,Task,"
    "Not Started,false,2024-06-01,,2024-05-02T01:00:00.000+0000,false",
    "00TX00000000005AAA,003X00000000002AAA,,訪問 (定例),,Task,Completed,true,,,"
    "2024-05-04T01:00:00.000+0000,true",
)


def test_tasks_completed_only(workspace: Workspace, tmp_path: Path) -> None:
    summary = run_import(workspace, write(tmp_path / "Task.csv", _TASKS))
    report = summary.files[0]
    assert report.rows_read == 5
    assert report.loaded == 3
    assert report.deleted == 1
    assert report.skipped == {"open task": 1}
    activities = query(
        workspace,
        "SELECT source_id, type, raw_type, occurred_at, person_id, "
        "source_account_id, is_deleted FROM activities ORDER BY source_id",
    )
    assert activities == [
        (
            "00TX00000000001AAA",
            "sales_call",
            "Call",
            datetime(2024, 5, 1, 2, 30),
            "salesforce:00QX00000000001AAA",
            "salesforce:001X00000000001AAA",
            False,
        ),
        (
            "00TX00000000002AAA",
            "sales_email",
            "Email",
            datetime(2024, 5, 1, 15),
            "salesforce:003X00000000001AAA",
            None,
            False,
        ),
        (
            "00TX00000000003AAA",
            "other",
            "Task",
            datetime(2024, 5, 2, 15),
            "salesforce:003X00000000001AAA",
            None,
            False,
        ),
        (
            "00TX00000000005AAA",
            "sales_meeting",
            "Task",
            datetime(2024, 5, 4, 1),
            "salesforce:003X00000000002AAA",
            None,
            True,
        ),
    ]


def test_tasks_japanese_status(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        "Id,WhoId,Type,Status,ActivityDate\n"
        "00TX00000000001AAA,003X00000000001AAA,電話,完了,2024-05-01\n"
        "00TX00000000002AAA,003X00000000001AAA,電話,未着手,2024-05-02\n"
    )
    summary = run_import(workspace, write(tmp_path / "Task.csv", text))
    assert summary.files[0].skipped == {"open task": 1}
    assert query(workspace, "SELECT source_id, type FROM activities") == [
        ("00TX00000000001AAA", "sales_call")
    ]


def test_tasks_need_status(workspace: Workspace, tmp_path: Path) -> None:
    text = csv_text(
        "Id,WhoId,Type,ActivityDate",
        "00TX00000000001AAA,003X00000000001AAA,Call,2024-05-01",
    )
    path = write(tmp_path / "Task.csv", text)
    with pytest.raises(InputError) as raised:
        run_import(workspace, path)
    problem = raised.value.problems[0]
    assert problem.column == "IsClosed"
    assert "Status" in problem.reason


_EVENTS = csv_text(
    "Id,WhoId,AccountId,Subject,Type,StartDateTime,ActivityDate,IsAllDayEvent,IsChild",
    "00UX00000000001AAA,003X00000000001AAA,001X00000000001AAA,Demo,Meeting,"
    "2024-05-10T05:00:00.000+0000,2024-05-10,false,false",
    "00UX00000000002AAA,003X00000000001AAA,001X00000000001AAA,Workshop,,,"
    "2024-05-11,true,false",
    "00UX00000000003AAA,003X00000000002AAA,001X00000000001AAA,Demo,Meeting,"
    "2024-05-10T05:00:00.000+0000,2024-05-10,false,true",
)


def test_events_are_meetings(workspace: Workspace, tmp_path: Path) -> None:
    summary = run_import(workspace, write(tmp_path / "Event.csv", _EVENTS))
    assert summary.files[0].skipped == {"invitee copy of an event": 1}
    events = query(
        workspace,
        "SELECT source_id, type, raw_type, occurred_at, source_account_id "
        "FROM activities ORDER BY source_id",
    )
    assert events == [
        (
            "00UX00000000001AAA",
            "sales_meeting",
            "Meeting",
            datetime(2024, 5, 10, 5),
            "salesforce:001X00000000001AAA",
        ),
        (
            "00UX00000000002AAA",
            "sales_meeting",
            "Event",
            # An all-day event on 2024-05-11 starts at midnight in Tokyo.
            datetime(2024, 5, 10, 15),
            "salesforce:001X00000000001AAA",
        ),
    ]


def test_contract_end_dates(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        "Id,AccountId,StartDate,EndDate,ContractTerm,Status,CurrencyIsoCode,ARR__c\n"
        "800X00000000001AAA,001X00000000001AAA,2024-04-01,,12,Activated,JPY,1200000\n"
        "800X00000000002AAA,001X00000000002AAA,2024-01-31,,1,Draft,USD,\n"
        "800X00000000003AAA,001X00000000003AAA,2024-04-01,2024-09-30,12,Activated,JPY,\n"
    )
    run_import(workspace, write(tmp_path / "Contract.csv", text))
    contracts = query(
        workspace,
        "SELECT source_id, source_account_id, start_date, end_date, status, "
        "currency, arr FROM contracts ORDER BY source_id",
    )
    assert contracts == [
        (
            "800X00000000001AAA",
            "salesforce:001X00000000001AAA",
            date(2024, 4, 1),
            date(2025, 3, 31),
            "Activated",
            "JPY",
            1_200_000.0,
        ),
        (
            "800X00000000002AAA",
            "salesforce:001X00000000002AAA",
            date(2024, 1, 31),
            # January 31 + 1 month is February 29; the term ends the day before.
            date(2024, 2, 28),
            "Draft",
            "USD",
            None,
        ),
        (
            "800X00000000003AAA",
            "salesforce:001X00000000003AAA",
            date(2024, 4, 1),
            date(2024, 9, 30),
            "Activated",
            "JPY",
            None,
        ),
    ]


def test_history_mode_accounts(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        "Id,Name,Website,IsDeleted,_fivetran_active,_fivetran_start,_fivetran_end\n"
        "001X00000000001AAA,Old Name,a.example,false,false,"
        "2024-01-01T00:00:00Z,2024-03-01T00:00:00Z\n"
        "001X00000000001AAA,New Name,a.example,false,true,"
        "2024-03-01T00:00:00Z,9999-12-31T23:59:59Z\n"
        "001X00000000002AAA,Gone v1,b.example,false,false,"
        "2024-01-01T00:00:00Z,2024-02-01T00:00:00Z\n"
        "001X00000000002AAA,Gone v2,b.example,false,false,"
        "2024-02-01T00:00:00Z,2024-04-01T00:00:00Z\n"
    )
    summary = run_import(workspace, write(tmp_path / "sf_accounts.csv", text))
    report = summary.files[0]
    assert report.object == "Account"
    assert report.loaded == 1
    assert report.deleted == 1
    assert report.skipped == {"inactive history version": 2}
    accounts = query(
        workspace, "SELECT source_id, name, is_deleted FROM accounts ORDER BY 1"
    )
    # A record without an active version was deleted; its last version stays.
    assert accounts == [
        ("001X00000000001AAA", "New Name", False),
        ("001X00000000002AAA", "Gone v2", True),
    ]


_FLAGLESS = csv_text(
    "Id,StageName,Amount,CloseDate",
    "006X00000000001AAA,受注,1000000,2024-05-01",
    "006X00000000002AAA,提案,2000000,2024-06-01",
    "006X00000000003AAA,保留,3000000,2024-07-01",
)


def _statuses(workspace: Workspace) -> list:
    return query(
        workspace,
        "SELECT source_id, is_closed, is_won FROM opportunities ORDER BY source_id",
    )


_FLAGLESS_STATUSES = [
    ("006X00000000001AAA", True, True),
    ("006X00000000002AAA", False, False),
    ("006X00000000003AAA", None, None),
]


def test_flags_from_same_run_stages(
    workspace: Workspace, cases: Path, tmp_path: Path
) -> None:
    stages = cases / "18-win-rate-denominator" / "OpportunityStage.csv"
    run_import(workspace, write(tmp_path / "Opportunity.csv", _FLAGLESS), stages)
    assert _statuses(workspace) == _FLAGLESS_STATUSES


def test_flags_from_stored_stages(
    workspace: Workspace, cases: Path, tmp_path: Path
) -> None:
    run_import(workspace, cases / "18-win-rate-denominator" / "OpportunityStage.csv")
    opportunities = write(tmp_path / "Opportunity.csv", _FLAGLESS)
    run_import(workspace, opportunities)
    assert _statuses(workspace) == _FLAGLESS_STATUSES
    again = run_import(workspace, opportunities)
    assert again.total("unchanged") == 3


def test_history_flags_from_store(workspace: Workspace, devorg: Path) -> None:
    run_import(workspace, devorg / "opportunity.csv")
    run_import(workspace, devorg / "OpportunityHistory.csv")
    won = "SELECT count(*) FROM opportunity_stage_history WHERE is_won"
    assert scalar(workspace, won) == 36


def test_report_zone_setting(
    make_workspace: Callable[..., Workspace], mmddyy: Path
) -> None:
    workspace = make_workspace(
        sources={"salesforce": {"report_time_zone": "America/New_York"}}
    )
    run_import(workspace, mmddyy / "OpportunityHistory.csv")
    changed_at = scalar(
        workspace,
        "SELECT changed_at FROM opportunity_stage_history "
        "WHERE id = 'salesforce:008bm00000UoqOjAAJ'",
    )
    # 02/23/26 08:55 PM in New York (EST, UTC-5).
    assert changed_at == datetime(2026, 2, 24, 1, 55)


def test_unknown_file_skipped(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "notes.csv", "Topic,Owner\nKickoff,Sales\n")
    with pytest.raises(InputError) as caught:
        run_import(workspace, path)
    reason = caught.value.problems[0].reason
    assert reason.startswith(f"read as notes: 1 row skipped ({NOT_IMPORTED})")
    assert "name the file after its object" in reason
    assert "nothing was imported" in caught.value.hint


def test_missing_path_fails(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        run_import(workspace, tmp_path / "absent.csv")
    assert "not found" in str(raised.value)


def test_registry_names() -> None:
    assert get_importer("Salesforce").source_system == "salesforce"
    with pytest.raises(NotFoundError) as raised:
        get_importer("salesforse")
    assert "salesforce" in str(raised.value).split("choose one of")[1]
