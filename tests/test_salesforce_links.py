"""Salesforce deals linked to several accounts and people.

The fan-out tests write the deals of a group deal and a resale in Salesforce
shape: deals 7101-7104 as Opportunity rows with their own account, and the
further accounts as OpportunityPartner rows or as rows of a custom junction
object. Higashi Holdings (5101) and Higashi Systems (5102) are targets,
Nishi Trading (5103) is not. Every total counts a deal once; a deal is a
target deal when any linked account is a target.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi import targets
from abmkpi.errors import InputError
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.workspace import Workspace
from tests.salesforce_support import by_file, csv_text, query, run_import, write

AS_OF = datetime(2024, 6, 30, 14, 59)  # 2024-06-30 23:59 JST


def account(number: int) -> str:
    return f"001K0000000{number}AAA"


def deal(number: int) -> str:
    return f"006K0000000{number}AAA"


def stored(source_id: str) -> str:
    return f"salesforce:{source_id}"


ACCOUNTS = csv_text(
    "Id,Name,Website",
    f"{account(5101)},Higashi Holdings,higashi-hd.example",
    f"{account(5102)},Higashi Systems,higashi-sys.example",
    f"{account(5103)},Nishi Trading,nishi-trading.example",
)

OPPORTUNITIES = csv_text(
    "Id,AccountId,Name,StageName,IsClosed,IsWon,Amount,CloseDate,CreatedDate",
    f"{deal(7101)},{account(5101)},Higashi group - core platform,Closed Won,"
    "true,true,6000000,2024-05-31,2024-04-02T15:00:00.000Z",
    f"{deal(7102)},{account(5103)},Nishi Trading - own use,Closed Won,"
    "true,true,2000000,2024-06-15,2024-04-07T15:00:00.000Z",
    f"{deal(7103)},{account(5102)},Higashi Systems via Nishi Trading (resale),"
    "Contract Sent,false,false,3000000,2024-08-30,2024-05-09T15:00:00.000Z",
    f"{deal(7104)},{account(5101)},Higashi Holdings - pilot,Closed Lost,"
    "true,false,1000000,2024-04-30,2024-04-01T15:00:00.000Z",
)

PARTNERS = csv_text(
    "Id,OpportunityId,AccountToId,Role,IsPrimary,IsDeleted",
    f"00IK00000000001AAA,{deal(7101)},{account(5102)},Group company,false,false",
    f"00IK00000000002AAA,{deal(7103)},{account(5103)},VAR/Reseller,true,false",
    # Removed in Salesforce: must not make 7102 a target deal.
    f"00IK00000000003AAA,{deal(7102)},{account(5101)},Consultant,false,true",
)

JUNCTION = csv_text(
    "Id,Opportunity__c,Account__c,Role__c",
    f"a0XK00000000001AAA,{deal(7101)},{account(5101)},Parent",
    f"a0XK00000000002AAA,{deal(7101)},{account(5102)},Subsidiary",
    f"a0XK00000000003AAA,{deal(7102)},{account(5103)},",
    f"a0XK00000000004AAA,{deal(7103)},{account(5102)},End customer",
    f"a0XK00000000005AAA,{deal(7103)},{account(5103)},Reseller",
    f"a0XK00000000006AAA,{deal(7104)},{account(5101)},Parent",
)

JUNCTION_CONFIG = {
    "object_name": "OpportunityAccount__c",
    "opportunity_column": "Opportunity__c",
    "account_column": "Account__c",
    "role_column": "Role__c",
    "role": "group member",
}


def _targets(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "targets.csv", f"id\n{account(5101)}\n{account(5102)}\n")
    with workspace.open_store() as store:
        report = targets.set_list(
            store, workspace.settings, targets.read_target_file(path)
        )
    assert not report.unresolved


def _kpis(workspace: Workspace) -> KpiReport:
    with workspace.open_store() as store:
        return compute_kpis(
            store,
            workspace.settings,
            workspace.calendar.parse("FY2024-Q1"),
            ["all", "target", "non_target"],
            AS_OF,
        )


@pytest.fixture
def partner_workspace(workspace: Workspace, tmp_path: Path) -> Workspace:
    run_import(
        workspace,
        write(tmp_path / "Account.csv", ACCOUNTS),
        write(tmp_path / "Opportunity.csv", OPPORTUNITIES),
        write(tmp_path / "OpportunityPartner.csv", PARTNERS),
    )
    _targets(workspace, tmp_path)
    return workspace


@pytest.fixture
def junction_workspace(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> Workspace:
    workspace = make_workspace(salesforce={"account_links": [JUNCTION_CONFIG]})
    run_import(
        workspace,
        write(tmp_path / "Account.csv", ACCOUNTS),
        write(tmp_path / "Opportunity.csv", OPPORTUNITIES),
        # A file named after the object, as a Data Export writes it.
        write(tmp_path / "OpportunityAccount__c.csv", JUNCTION),
    )
    _targets(workspace, tmp_path)
    return workspace


def _value(report: KpiReport, kpi: str, segment: str = "all") -> Any:
    return report.find(kpi, segment).value


def _assert_fanout_kpis(report: KpiReport) -> None:
    won = report.find("average_deal_size")
    assert won.denominator == 2
    assert won.numerator == 8_000_000
    assert won.value == 4_000_000
    assert _value(report, "win_rate") == pytest.approx(2 / 3)
    assert _value(report, "pipeline_open") == 3_000_000
    assert report.find("average_deal_size", "target").numerator == 6_000_000
    assert _value(report, "win_rate", "target") == pytest.approx(0.5)
    assert report.find("average_deal_size", "non_target").numerator == 2_000_000
    assert _value(report, "win_rate", "non_target") == 1.0
    assert _value(report, "deal_size_uplift") == pytest.approx(3.0)
    assert _value(report, "pipeline_open", "target") == 3_000_000
    assert _value(report, "pipeline_open", "non_target") == 0


# OpportunityPartner -------------------------------------------------------------


def test_partner_fanout_kpis(partner_workspace: Workspace) -> None:
    _assert_fanout_kpis(_kpis(partner_workspace))


def test_partner_links_stored(partner_workspace: Workspace) -> None:
    links = query(
        partner_workspace,
        "SELECT opportunity_id, source_account_id, role, is_primary "
        "FROM opportunity_accounts ORDER BY 1, 2",
    )
    assert links == [
        (stored(deal(7101)), stored(account(5101)), "primary", True),
        (stored(deal(7101)), stored(account(5102)), "Group company", False),
        (stored(deal(7102)), stored(account(5103)), "primary", True),
        (stored(deal(7103)), stored(account(5102)), "primary", True),
        (stored(deal(7103)), stored(account(5103)), "VAR/Reseller (primary)", False),
        (stored(deal(7104)), stored(account(5101)), "primary", True),
    ]


def test_partner_file_counts(workspace: Workspace, tmp_path: Path) -> None:
    summary = run_import(
        workspace,
        write(tmp_path / "Opportunity.csv", OPPORTUNITIES),
        write(tmp_path / "OpportunityPartner.csv", PARTNERS),
    )
    report = by_file(summary)["OpportunityPartner.csv"]
    assert report.object == "OpportunityPartner"
    assert report.rows_read == 3
    assert report.loaded == 2
    assert report.skipped == {"deleted link": 1}


def test_partner_reimport_unchanged(workspace: Workspace, tmp_path: Path) -> None:
    paths = [
        write(tmp_path / "Opportunity.csv", OPPORTUNITIES),
        write(tmp_path / "OpportunityPartner.csv", PARTNERS),
    ]
    run_import(workspace, *paths)
    again = by_file(run_import(workspace, *paths))["OpportunityPartner.csv"]
    assert again.loaded == 0
    assert again.updated == 0
    assert again.unchanged == 2


def test_partner_object_rows(workspace: Workspace, tmp_path: Path) -> None:
    # The Partner object also links accounts to accounts; those rows are skipped.
    partners = csv_text(
        "Id,OpportunityId,AccountFromId,AccountToId,Role,IsPrimary",
        f"00IK00000000011AAA,{deal(7103)},,{account(5103)},Distributor,false",
        f"00IK00000000012AAA,,{account(5101)},{account(5103)},Supplier,false",
    )
    summary = run_import(workspace, write(tmp_path / "Partner.csv", partners))
    report = summary.files[0]
    assert report.object == "Partner"
    assert report.loaded == 1
    assert report.skipped == {"partner of an account, not of an opportunity": 1}
    roles = query(workspace, "SELECT source_account_id, role FROM opportunity_accounts")
    assert roles == [(stored(account(5103)), "Distributor")]


def test_repeated_link_combines_roles(workspace: Workspace, tmp_path: Path) -> None:
    partners = csv_text(
        "Id,OpportunityId,AccountToId,Role,IsPrimary",
        f"00IK00000000021AAA,{deal(7103)},{account(5103)},VAR/Reseller,false",
        f"00IK00000000022AAA,{deal(7103)},{account(5103)},Distributor,false",
    )
    summary = run_import(
        workspace, write(tmp_path / "OpportunityPartner.csv", partners)
    )
    assert summary.files[0].skipped == {"link already read; roles combined": 1}
    role = query(workspace, "SELECT role FROM opportunity_accounts")[0][0]
    assert role == "VAR/Reseller; Distributor"


def test_partner_without_account_fails(workspace: Workspace, tmp_path: Path) -> None:
    partners = csv_text(
        "Id,OpportunityId,AccountToId,Role",
        f"00IK00000000031AAA,{deal(7103)},,Distributor",
    )
    path = write(tmp_path / "OpportunityPartner.csv", partners)
    with pytest.raises(InputError) as raised:
        run_import(workspace, path)
    problem = raised.value.problems[0]
    assert problem.line == 2
    assert problem.column == "AccountToId"
    assert problem.reason == "required value is empty"


# Custom junction object ----------------------------------------------------------


def test_junction_fanout_kpis(junction_workspace: Workspace) -> None:
    _assert_fanout_kpis(_kpis(junction_workspace))


def test_junction_roles_stored(junction_workspace: Workspace) -> None:
    links = query(
        junction_workspace,
        "SELECT opportunity_id, source_account_id, role FROM opportunity_accounts "
        "ORDER BY 1, 2",
    )
    assert links == [
        (stored(deal(7101)), stored(account(5101)), "Parent"),
        (stored(deal(7101)), stored(account(5102)), "Subsidiary"),
        (stored(deal(7102)), stored(account(5103)), "group member"),
        (stored(deal(7103)), stored(account(5102)), "End customer"),
        (stored(deal(7103)), stored(account(5103)), "Reseller"),
        (stored(deal(7104)), stored(account(5101)), "Parent"),
    ]


def test_junction_found_by_columns(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    workspace = make_workspace(salesforce={"account_links": [JUNCTION_CONFIG]})
    summary = run_import(workspace, write(tmp_path / "links.csv", JUNCTION))
    report = summary.files[0]
    assert report.object == "OpportunityAccount__c"
    assert report.loaded == 6


def test_junction_unconfigured_skipped(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        run_import(workspace, write(tmp_path / "OpportunityAccount__c.csv", JUNCTION))
    reason = caught.value.problems[0].reason
    assert reason.startswith(
        "read as OpportunityAccount__c: 6 rows skipped (not an object abmkpi imports)"
    )


# OpportunityContactRole ----------------------------------------------------------

CONTACTS = csv_text(
    "Id,AccountId,LastName,Email",
    f"003K00000000001AAA,{account(5101)},Sato,sato@higashi-hd.example",
    f"003K00000000002AAA,{account(5103)},Kato,kato@nishi-trading.example",
)

CONTACT_ROLES = csv_text(
    "Id,OpportunityId,ContactId,Role,IsPrimary,IsDeleted",
    f"00KK00000000001AAA,{deal(7105)},003K00000000001AAA,Decision Maker,true,false",
    f"00KK00000000002AAA,{deal(7105)},003K00000000002AAA,Evaluator,false,true",
    f"00KK00000000003AAA,{deal(7105)},003K00000000001AAA,Economic Buyer,false,false",
)

# A deal without an account of its own: it takes its contacts' accounts.
UNLINKED_DEAL = csv_text(
    "Id,AccountId,Name,StageName,IsClosed,IsWon,Amount,CloseDate",
    f"{deal(7105)},,Higashi pilot extension,Closed Won,true,true,500000,2024-05-20",
)


def test_contact_roles_stored(workspace: Workspace, tmp_path: Path) -> None:
    summary = run_import(
        workspace,
        write(tmp_path / "Contact.csv", CONTACTS),
        write(tmp_path / "Opportunity.csv", UNLINKED_DEAL),
        write(tmp_path / "OpportunityContactRole.csv", CONTACT_ROLES),
    )
    report = by_file(summary)["OpportunityContactRole.csv"]
    assert report.object == "OpportunityContactRole"
    assert report.rows_read == 3
    assert report.loaded == 1
    assert report.deleted == 1
    assert report.skipped == {"link already read; roles combined": 1}
    people = query(
        workspace,
        "SELECT person_id, role, is_deleted FROM opportunity_people ORDER BY 1",
    )
    assert people == [
        (
            "salesforce:003K00000000001AAA",
            "Decision Maker (primary); Economic Buyer",
            False,
        ),
        ("salesforce:003K00000000002AAA", "Evaluator", True),
    ]


def test_contact_role_links_account(workspace: Workspace, tmp_path: Path) -> None:
    run_import(
        workspace,
        write(tmp_path / "Account.csv", ACCOUNTS),
        write(tmp_path / "Contact.csv", CONTACTS),
        write(tmp_path / "Opportunity.csv", UNLINKED_DEAL),
        write(tmp_path / "OpportunityContactRole.csv", CONTACT_ROLES),
    )
    _targets(workspace, tmp_path)
    # The deleted role of the Nishi Trading contact does not link 5103.
    account_id = query(workspace, "SELECT account_id FROM opportunities")[0][0]
    assert account_id == stored(account(5101))
    report = _kpis(workspace)
    assert report.find("average_deal_size", "target").numerator == 500_000
    assert report.find("average_deal_size", "non_target").numerator == 0


def test_account_contact_role_skipped(workspace: Workspace, tmp_path: Path) -> None:
    roles = csv_text(
        "Id,AccountId,ContactId,Role,IsPrimary",
        f"02ZK00000000001AAA,{account(5102)},003K00000000001AAA,Influencer,false",
    )
    with pytest.raises(InputError) as caught:
        run_import(workspace, write(tmp_path / "roles.csv", roles))
    assert caught.value.problems[0].reason == (
        "read as AccountContactRole: 1 row skipped (not an object abmkpi imports)"
    )
