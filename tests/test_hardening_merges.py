"""Merges: cycles of any length, long chains, missing or deleted winners, and
opportunity merges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from abmkpi.matching.report import build_match_report
from abmkpi.merges import resolve_chains
from abmkpi.metrics.compute import compute_kpis
from abmkpi.workspace import Workspace
from tests.hardening_support import (
    ACCOUNTS_HEADER,
    BASE,
    OPPS_HEADER,
    import_files,
    query,
)

CYCLE_ACCOUNTS = f"""{ACCOUNTS_HEADER}
C1,Cyc One,c1.example.com,10,1,0,C2
C2,Cyc Two,c2.example.com,10,1,0,C3
C3,Cyc Three,c3.example.com,10,1,0,C1
E1,To Nowhere,e1.example.com,10,1,0,NOPE
F1,To Deleted,f1.example.com,10,1,0,F2
F2,Deleted Winner,f2.example.com,10,1,1,
"""
CYCLE_OPPS = f"""{OPPS_HEADER}
OC1,C1,Closed Won,2024-04-10,2024-05-10,100,USD,New Business
OE1,E1,Closed Won,2024-04-10,2024-05-10,100,USD,New Business
OF1,F1,Closed Won,2024-04-10,2024-05-10,100,USD,New Business
"""


@pytest.fixture
def usd(make_workspace: Callable[..., Workspace]) -> Workspace:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    import_files(workspace, BASE, "base")
    return workspace


@pytest.fixture
def cycles(usd: Workspace) -> Workspace:
    import_files(
        usd, {"accounts_cyc.csv": CYCLE_ACCOUNTS, "opps_cyc.csv": CYCLE_OPPS}, "cyc"
    )
    return usd


def _kpi(workspace: Workspace, kpi_id: str) -> tuple:
    period = workspace.calendar.parse("FY2024-Q1")
    with workspace.open_store(read_only=True) as store:
        report = compute_kpis(store, workspace.settings, period, ["all"])
    result = report.find(kpi_id)
    return result.numerator, result.denominator


def test_account_cycle_left_unmerged(cycles: Workspace) -> None:
    rows = query(
        cycles,
        "SELECT id, merged_into_id FROM accounts WHERE id LIKE 't:C%' ORDER BY id",
    )
    assert rows == [("t:C1", None), ("t:C2", None), ("t:C3", None)]


def test_account_cycle_recorded_as_issue(cycles: Workspace) -> None:
    rows = query(
        cycles,
        "SELECT record_id, detail FROM match_issues WHERE kind = 'merge_cycle' "
        "ORDER BY record_id",
    )
    assert [row[0] for row in rows] == ["t:C1", "t:C2", "t:C3"]
    assert (
        rows[0][1] == "merges form a cycle (t:C1 → t:C2 → t:C3 → t:C1); left unmerged"
    )


def test_deal_on_cycle_member_stays_attached(cycles: Workspace) -> None:
    rows = query(cycles, "SELECT account_id FROM opportunities WHERE id = 't:OC1'")
    assert rows == [("t:C1",)]


def test_missing_winner_left_unmerged(cycles: Workspace) -> None:
    account = query(cycles, "SELECT merged_into_id FROM accounts WHERE id = 't:E1'")
    deal = query(cycles, "SELECT account_id FROM opportunities WHERE id = 't:OE1'")
    issue = query(
        cycles,
        "SELECT kind, detail FROM match_issues WHERE record_id = 't:E1'",
    )
    assert account == [(None,)]
    assert deal == [("t:E1",)]
    assert issue == [
        (
            "merge_winner_missing",
            "merged into t:NOPE, which is not in the store; left unmerged",
        )
    ]


def test_deleted_winner_gets_no_deals(cycles: Workspace) -> None:
    account = query(cycles, "SELECT merged_into_id FROM accounts WHERE id = 't:F1'")
    deal = query(cycles, "SELECT account_id FROM opportunities WHERE id = 't:OF1'")
    issue = query(cycles, "SELECT kind FROM match_issues WHERE record_id = 't:F1'")
    assert account == [("t:F2",)]
    assert deal == [(None,)]
    assert issue == [("merge_winner_deleted",)]


def test_match_report_lists_merge_problems(cycles: Workspace) -> None:
    with cycles.open_store(read_only=True) as store:
        report = build_match_report(store).source("t")
    assert report.merge_problems_total == 5
    assert [p.record_id for p in report.merge_problems] == [
        "t:C1",
        "t:C2",
        "t:C3",
        "t:E1",
        "t:F1",
    ]
    assert report.merge_problems[3].chain == ["t:E1", "t:NOPE"]


def test_person_cycle_keeps_contact_rate(usd: Workspace) -> None:
    before = _kpi(usd, "contact_rate")
    merges = "entity,loser,winner\nperson,P1,P2\nperson,P2,P3\nperson,P3,P1\n"
    import_files(usd, {"merges_cyc.csv": merges}, "people")
    people = query(usd, "SELECT id, merged_into_id FROM people ORDER BY id")
    assert before == (3, 3)
    assert _kpi(usd, "contact_rate") == (3, 3)
    assert people == [("t:P1", None), ("t:P2", None), ("t:P3", None)]


def test_long_chain_reaches_its_end(usd: Workspace) -> None:
    rows = [f"M{i},Chain {i},m{i}.example.com,1,1,0,M{i + 1}" for i in range(60)]
    rows.append("M60,Chain 60,m60.example.com,1,1,0,")
    import_files(usd, {"accounts_chain.csv": "\n".join([ACCOUNTS_HEADER, *rows])})
    merged = query(
        usd,
        "SELECT id, merged_into_id FROM accounts WHERE id IN ('t:M0', 't:M50') "
        "ORDER BY id",
    )
    assert merged == [("t:M0", "t:M60"), ("t:M50", "t:M60")]


def test_opportunity_merge_applied(usd: Workspace) -> None:
    duplicate = "O7,A1,Closed Won,2024-04-10,2024-05-10,1000,USD,New Business"
    files = {
        "opps_dup.csv": f"{OPPS_HEADER}\n{duplicate}\n",
        "merges_opp.csv": "entity,loser,winner\nopportunity,O7,O1\n",
    }
    import_files(usd, files, "dup")
    merged = query(usd, "SELECT merged_into_id FROM opportunities WHERE id = 't:O7'")
    assert merged == [("t:O1",)]
    assert _kpi(usd, "win_rate") == (5, 6)


def test_chain_leading_into_cycle_unmerged() -> None:
    edges = {"X": "C1", "C1": "C2", "C2": "C1", "A": "B"}
    resolution = resolve_chains("person", edges, {"B": False, "C1": False})
    details = {issue.record_id: issue.detail for issue in resolution.issues}
    assert resolution.targets == {"A": "B"}
    assert details["X"] == (
        "merged into C1, whose merges lead into a cycle (C1 → C2 → C1); left unmerged"
    )
    assert details["C2"] == "merges form a cycle (C2 → C1 → C2); left unmerged"


def test_hubspot_merged_deal_applied(workspace: Workspace, tmp_path: Path) -> None:
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.loader import load_batch
    from abmkpi.sources.registry import get_importer

    deals = tmp_path / "deal.csv"
    deals.write_text(
        "deal_id,is_deleted,property_dealname,property_dealtype,"
        "property_deal_currency_code,property_hs_merged_object_ids\n"
        "7101,false,Group platform,newbusiness,USD,7109\n"
        "7109,false,Group platform (duplicate),newbusiness,USD,\n",
        encoding="utf-8",
    )
    batch = get_importer("hubspot").read([deals], workspace.settings, ImportOptions())
    with workspace.open_store() as store:
        load_batch(workspace, store, batch, ImportOptions())
    rows = query(workspace, "SELECT id, merged_into_id FROM opportunities ORDER BY id")
    assert rows == [("hubspot:7101", None), ("hubspot:7109", "hubspot:7101")]
