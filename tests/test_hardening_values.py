"""Hostile values in imports: non-finite and huge numbers, signs, invisible
characters, formulas, e-mails, duplicates and currency codes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from abmkpi.errors import InputError, MappingError, RejectLimitError, StoreError
from abmkpi.sources.loader import IDENTICAL_DUPLICATE
from abmkpi.store.schema import TABLES_BY_NAME
from abmkpi.workspace import Workspace
from tests.hardening_support import (
    ACCOUNTS_HEADER,
    BASE,
    MAPPING,
    OPPS_HEADER,
    import_files,
    query,
    scalar,
)


@pytest.fixture
def usd(make_workspace: Callable[..., Workspace]) -> Workspace:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    import_files(workspace, BASE, "base")
    return workspace


def _rejected(workspace: Workspace, files: dict[str, str], **options: object):
    with pytest.raises(RejectLimitError) as caught:
        import_files(workspace, files, "bad", **options)
    return caught.value.problems


def _snapshot(workspace: Workspace) -> list:
    return query(
        workspace,
        "SELECT id, amount, amount_reporting FROM opportunities ORDER BY id",
    )


def _opp(amount: str, currency: str = "USD") -> dict[str, str]:
    row = f"Q1,A1,Closed Won,2024-04-10,2024-05-01,{amount},{currency},New Business"
    return {"opps_new.csv": f"{OPPS_HEADER}\n{row}\n"}


@pytest.mark.parametrize("amount", ["1e999", "-1e999"])
def test_infinite_amount_rejected(usd: Workspace, amount: str) -> None:
    before = _snapshot(usd)
    problem = _rejected(usd, _opp(amount))[0]
    assert problem.file.name == "opps_new.csv"
    assert problem.line == 2
    assert problem.column == "amount"
    assert problem.value == amount
    assert problem.reason == "number out of range (too large to store)"
    assert _snapshot(usd) == before


@pytest.mark.parametrize("rate", ["0", "-150"])
def test_rate_not_above_zero_rejected(usd: Workspace, rate: str) -> None:
    problem = _rejected(
        usd, {"fx_new.csv": f"id,currency,rate,from,to\nR2,JPY,{rate},,\n"}
    )[0]
    assert (problem.file.name, problem.line, problem.column) == (
        "fx_new.csv",
        2,
        "rate",
    )
    assert problem.value == rate
    assert "rate must be above 0" in problem.reason
    assert scalar(
        usd, "SELECT amount_reporting FROM opportunities WHERE id = 't:O6'"
    ) == pytest.approx(100000 / 150)


def test_negative_amount_rejected(usd: Workspace) -> None:
    problem = _rejected(usd, _opp("-5000"))[0]
    assert (problem.line, problem.column, problem.value) == (2, "amount", "-5000")
    assert "negative; amount must be 0 or more" in problem.reason


def test_negative_employees_rejected(usd: Workspace) -> None:
    files = {"accounts_new.csv": f"{ACCOUNTS_HEADER}\nV1,Neg,neg.example.com,-3,1,0,\n"}
    problem = _rejected(usd, files)[0]
    assert (problem.line, problem.column, problem.value) == (2, "employees", "-3")
    assert "employees must be 0 or more" in problem.reason


@pytest.mark.parametrize(
    ("employees", "reason"),
    [
        ("1e20", "whole number out of range"),
        ("99999999999999999999", "whole number out of range"),
        ("1e999", "number out of range"),
    ],
)
def test_huge_employee_count_rejected(
    usd: Workspace, employees: str, reason: str
) -> None:
    row = f"V1,Big,big.example.com,{employees},1,0,"
    files = {"accounts_new.csv": f"{ACCOUNTS_HEADER}\n{row}\n"}
    problem = _rejected(usd, files)[0]
    assert (problem.line, problem.column, problem.value) == (2, "employees", employees)
    assert problem.reason.startswith(reason)


def test_integer_column_range_named(usd: Workspace) -> None:
    mapping = (
        'source = "t"\n[[tables]]\nfile = "opps*.csv"\ntarget = "opportunities"\n'
        '[tables.columns]\nid = "id"\nstage_sort_order = "ord"\n'
    )
    problems = _rejected(
        usd, {"opps_int.csv": "id,ord\nI1,3000000000\n"}, mapping=mapping
    )
    assert (problems[0].line, problems[0].column, problems[0].value) == (
        2,
        "ord",
        "3000000000",
    )
    assert "out of range for a whole-number column" in problems[0].reason


def test_store_error_not_hidden_by_stage(workspace: Workspace) -> None:
    table = TABLES_BY_NAME["opportunities"]
    rows = pa.table(
        {
            "id": ["t:I1"],
            "source_system": ["t"],
            "source_id": ["I1"],
            "stage_sort_order": [3_000_000_000],
        }
    )
    with (
        workspace.open_store() as store,
        pytest.raises(StoreError) as caught,
        store.transaction(),
    ):
        store.upsert(table, rows)
    assert "table opportunities" in str(caught.value)
    assert "INT32" in str(caught.value)


def test_infinite_multiply_rejected_in_mapping(usd: Workspace) -> None:
    mapping = MAPPING.replace(
        'amount = "amount"', 'amount = { column = "amount", multiply = inf }'
    )
    with pytest.raises(MappingError) as caught:
        import_files(usd, _opp("10"), "bad", mapping=mapping)
    assert "tables[1].columns.amount.multiply: Input should be a finite number" in str(
        caught.value
    )


def test_multiply_overflow_rejected(usd: Workspace) -> None:
    mapping = MAPPING.replace(
        'amount = "amount"', 'amount = { column = "amount", multiply = 1e300 }'
    )
    problem = _rejected(usd, _opp("1e10"), mapping=mapping)[0]
    assert (problem.line, problem.column, problem.value) == (2, "amount", "1e10")
    assert problem.reason == "out of range after multiplying by 1e+300"


def test_bom_inside_row_stripped_from_id(usd: Workspace) -> None:
    rows = "\ufeffB1,BomMid,b.com,1,1,0,\nB2,Zero\u200bWidth,z.com,1,1,0,\n"
    files = {"accounts_new.csv": f"{ACCOUNTS_HEADER}\n{rows}"}
    import_files(usd, files, "bom")
    rows = query(
        usd, "SELECT id, name FROM accounts WHERE id IN ('t:B1', 't:B2') ORDER BY id"
    )
    assert rows == [("t:B1", "BomMid"), ("t:B2", "ZeroWidth")]


def test_nul_character_rejected(usd: Workspace) -> None:
    files = {"accounts_new.csv": f"{ACCOUNTS_HEADER}\nB2,Nul\x00Co,n.com,1,1,0,\n"}
    with pytest.raises(InputError) as caught:
        import_files(usd, files, "nul")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "name", "Nul\x00Co")
    assert "NUL character" in problem.reason


@pytest.mark.parametrize("email", ["a@b.", ".@.", "a b@c d.com", "a@.b"])
def test_malformed_email_rejected(usd: Workspace, email: str) -> None:
    header = "id,kind,account,email,title,created"
    files = {"people_new.csv": f"{header}\nE2,lead,,{email},CEO,2024-04-01\n"}
    with pytest.raises(InputError) as caught:
        import_files(usd, files, "mail")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "email", email)
    assert problem.reason == "not an e-mail address"


def test_formula_quoted_in_reject_file(usd: Workspace) -> None:
    formula = '=HYPERLINK("http://127.0.0.1/?"&A1,"x")'
    quoted = formula.replace('"', '""')
    row = f'Q1,A1,Closed Won,2024-04-10,2024-05-01,"{quoted}",USD,New Business'
    files = {"opps_formula.csv": f"{OPPS_HEADER}\n{row}\n"}
    with pytest.raises(RejectLimitError):
        import_files(usd, files, "formula")
    reject_file = next(usd.rejects_dir.glob("failed-*.csv"))
    with reject_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["value"] == "'" + formula
    assert rows[0]["line"] == "2"
    assert rows[0]["column"] == "amount"


def test_identical_duplicate_row_counted(workspace: Workspace) -> None:
    row = "K3,Kay Three,k3.example.com,10,1,0,"
    summary = import_files(
        workspace, {"accounts.csv": f"{ACCOUNTS_HEADER}\n{row}\n{row}\n"}
    )
    report = summary.files[0]
    assert report.rows_read == 2
    assert report.loaded == 1
    assert report.skipped == {IDENTICAL_DUPLICATE: 1}
    assert "line 3 repeats line 2" in report.notes


def test_duplicate_id_cites_value_in_file(workspace: Workspace) -> None:
    rows = "K1,One,a.com,1,1,0,\nK1,Other,b.com,1,1,0,\n"
    files = {"accounts.csv": f"{ACCOUNTS_HEADER}\n{rows}"}
    problem = _rejected(workspace, files)[0]
    assert (problem.line, problem.column, problem.value) == (3, "id", "K1")
    assert "first seen on line 2" in problem.reason


def test_lower_case_currency_normalised(usd: Workspace) -> None:
    import_files(usd, _opp("300", "jpy"), "lower")
    row = query(
        usd,
        "SELECT currency, amount_reporting, fx_rate_missing FROM opportunities "
        "WHERE id = 't:Q1'",
    )
    assert row == [("JPY", pytest.approx(2.0), False)]


def test_currency_code_must_be_three_letters(usd: Workspace) -> None:
    problem = _rejected(usd, _opp("300", "US Dollar"))[0]
    assert (problem.line, problem.column, problem.value) == (2, "currency", "US DOLLAR")
    assert "three letters" in problem.reason


def test_unrecognised_files_fail_import(workspace: Workspace, tmp_path: Path) -> None:
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.loader import load_batch
    from abmkpi.sources.registry import get_importer

    path = tmp_path / "opps.csv"
    path.write_text(BASE["opps.csv"], encoding="utf-8")
    batch = get_importer("salesforce").read([path], workspace.settings, ImportOptions())
    with workspace.open_store() as store, pytest.raises(InputError) as caught:
        load_batch(workspace, store, batch, ImportOptions())
    problem = caught.value.problems[0]
    assert problem.file == path
    assert "6 rows skipped (not an object abmkpi imports)" in problem.reason
    assert "nothing was imported" in caught.value.hint
    assert query(workspace, "SELECT count(*) FROM imports") == [(0,)]
