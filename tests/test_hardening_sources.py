"""Native exports and side files with hostile values: Salesforce amounts and
rates, conflicting exchange rates, decimal commas and target lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from abmkpi.currency import rate_conflicts
from abmkpi.errors import InputError, RejectLimitError
from abmkpi.targets import read_target_file
from abmkpi.workspace import Workspace
from tests.hardening_support import BASE, import_files, query
from tests.salesforce_support import csv_text, run_import, write

OPPORTUNITY_HEADER = "Id,AccountId,Name,StageName,Amount,CloseDate,IsClosed,IsWon"


@pytest.mark.parametrize("amount", ["1e999", "-5000"])
def test_salesforce_amount_rejected(
    workspace: Workspace, tmp_path: Path, amount: str
) -> None:
    path = write(
        tmp_path / "Opportunity.csv",
        csv_text(
            OPPORTUNITY_HEADER,
            f"006A,001A,Deal,Closed Won,{amount},2024-05-01,true,true",
        ),
    )
    with pytest.raises(RejectLimitError) as caught:
        run_import(workspace, path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (path, 2)
    assert problem.column in {"Amount", "amount"}
    assert problem.value in {amount, f"{float(amount)}"}
    assert problem.reason in {
        "number out of range (too large to store)",
        "-5000.0 is negative; amount must be 0 or more",
    }
    assert query(workspace, "SELECT count(*) FROM opportunities") == [(0,)]


def test_salesforce_zero_rate_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "CurrencyType.csv",
        csv_text(
            "Id,IsoCode,ConversionRate,IsCorporate",
            "01LA,USD,0,false",
            "01LB,JPY,1,true",
        ),
    )
    with pytest.raises(RejectLimitError) as caught:
        run_import(workspace, path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column) == (path, 2, "ConversionRate")
    assert problem.value == "0.0"
    assert problem.reason == "a conversion rate must be > 0"


def test_conflicting_rates_named(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    files = dict(BASE)
    files["fx.csv"] = (
        "id,currency,rate,from,to\nR1,USD,1,,\nR2,JPY,150,,\nR9,JPY,140,,\n"
    )
    summary = import_files(workspace, files)
    with workspace.open_store(read_only=True) as store:
        conflicts = rate_conflicts(store)
    converted = query(
        workspace, "SELECT amount_reporting FROM opportunities WHERE id = 't:O6'"
    )
    assert conflicts == ["JPY undated: 150.0 (t:R2) is used over 140.0 (t:R9)"]
    assert summary.derived["fx"]["rate_conflicts"] == conflicts
    assert converted == [(pytest.approx(100000 / 150),)]


def test_decimal_comma_rejected(workspace: Workspace) -> None:
    header = "id;account;stage;created;close;amount;currency;type"
    row = "S1;A1;Closed Won;2024-04-10;2024-05-01;1,500;USD;New Business"
    with pytest.raises(RejectLimitError) as caught:
        import_files(workspace, {"opps_semi.csv": f"{header}\n{row}\n"})
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "amount", "1,500")
    assert problem.reason.startswith("ambiguous number")


def test_target_listed_twice_with_tiers(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.csv", csv_text("id,tier", "A1,1", "A1,2"))
    with pytest.raises(InputError) as caught:
        read_target_file(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "id", "A1")
    assert problem.reason.startswith("listed again with tier 2; line 2 gives tier 1")


def test_target_tier_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.csv", csv_text("id,tier", "A1,99999999999999"))
    with pytest.raises(InputError) as caught:
        read_target_file(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (
        2,
        "tier",
        "99999999999999",
    )
    assert problem.reason == "tier must be a whole number from 1 to 99"


def test_target_repeated_same_tier_kept_once(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.csv", csv_text("id,tier", "A1,2", "A1,2"))
    entries = read_target_file(path)
    assert [(entry.entry, entry.tier) for entry in entries] == [("A1", 2)]
