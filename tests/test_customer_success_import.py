"""Contracts and NPS responses through the example mappings and Salesforce."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

MAPPINGS = Path(__file__).resolve().parents[1] / "examples" / "mappings"
ACME = "001C100000000001AA"
GLOBEX = "001C100000000002AA"
RENEWAL_DEAL = "006C100000000001AA"


def run_import(
    workspace: Workspace, source: str, *paths: Path, **options: Any
) -> ImportSummary:
    import_options = ImportOptions(**options)
    batch = get_importer(source).read(list(paths), workspace.settings, import_options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, import_options)


def query(workspace: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql)


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def crm(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with two Salesforce accounts, a contact and a renewal deal."""
    folder = tmp_path / "salesforce"
    folder.mkdir()
    write(
        folder / "Account.csv",
        "Id,Name,Website",
        f"{ACME},Acme,https://acme.example",
        f"{GLOBEX},Globex,https://globex.example",
    )
    write(
        folder / "Contact.csv",
        "Id,AccountId,LastName,Email",
        f"003C100000000001AA,{GLOBEX},Sato,hanako.sato@globex.example",
    )
    write(
        folder / "Opportunity.csv",
        "Id,AccountId,Name,Type,StageName,Amount,CloseDate,IsClosed,IsWon",
        f"{RENEWAL_DEAL},{ACME},Acme renewal,Renewal,Closed Won,1300000,2024-03-15,1,1",
    )
    run_import(workspace, "salesforce", folder)
    return workspace


# Contracts -----------------------------------------------------------------------


@pytest.fixture
def contracts(crm: Workspace, tmp_path: Path) -> ImportSummary:
    path = write(
        tmp_path / "contracts.csv",
        "contract_id,account_id,start_date,end_date,arr,mrr,currency,status,"
        "previous_contract_id,renewal_opportunity_id",
        f"C-1,{ACME},2023-04-01,2024-03-31,1200000,,JPY,Expired,,{RENEWAL_DEAL}",
        f"C-2,{ACME},2024-04-01,2025-03-31,,110000,JPY,Activated,C-1,",
        "C-3,001C100000000009AA,2024-04-01,2025-03-31,600000,,JPY,Activated,,",
    )
    return run_import(
        crm, "csv", path, mapping=MAPPINGS / "contracts.toml", max_rejects=0
    )


def test_contracts_rows_stored(contracts: ImportSummary) -> None:
    assert contracts.files[0].rows_read == 3
    assert contracts.files[0].loaded == 3
    assert contracts.total("rejected") == 0


def test_contracts_accounts_resolved(crm: Workspace, contracts: ImportSummary) -> None:
    rows = query(crm, "SELECT id, account_id FROM contracts ORDER BY id")
    assert rows == [
        ("billing:C-1", f"salesforce:{ACME}"),
        ("billing:C-2", f"salesforce:{ACME}"),
        ("billing:C-3", None),
    ]


def test_contracts_renewal_links(crm: Workspace, contracts: ImportSummary) -> None:
    rows = query(
        crm,
        "SELECT id, renewed_contract_id, renewal_opportunity_id FROM contracts "
        "ORDER BY id",
    )
    assert rows[0] == ("billing:C-1", None, f"salesforce:{RENEWAL_DEAL}")
    assert rows[1] == ("billing:C-2", "billing:C-1", None)


def test_contracts_values(crm: Workspace, contracts: ImportSummary) -> None:
    rows = query(
        crm,
        "SELECT start_date, end_date, arr, mrr, currency, status, arr_reporting "
        "FROM contracts WHERE id = 'billing:C-2'",
    )
    assert rows == [
        (
            date(2024, 4, 1),
            date(2025, 3, 31),
            None,
            110000.0,
            "JPY",
            "Activated",
            1320000.0,
        )
    ]


def test_contracts_bad_date_rejected(crm: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "contracts.csv",
        "contract_id,account_id,start_date,end_date,arr,mrr,currency,status,"
        "previous_contract_id,renewal_opportunity_id",
        f"C-9,{ACME},2024-04-01,next year,100,,JPY,Activated,,",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(crm, "csv", path, mapping=MAPPINGS / "contracts.toml")
    assert f"{path}, line 2, column 'end_date', value 'next year'" in str(raised.value)


# NPS responses -------------------------------------------------------------------


NPS_HEADER = "response_id,account_id,email,score,responded_at,comment"


def test_nps_accounts_resolved(crm: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "nps.csv",
        NPS_HEADER,
        f"R-1,{ACME},,10,2024-05-01,Great support",
        "R-2,,Hanako.Sato@Globex.example ,6,2024-05-02 10:30,",
        "R-3,,someone@unknown.example,9,2024-05-03,",
    )
    summary = run_import(crm, "csv", path, mapping=MAPPINGS / "nps-survey.toml")
    rows = query(
        crm, "SELECT id, account_id, score, comment FROM nps_responses ORDER BY id"
    )
    assert summary.files[0].loaded == 3
    assert rows == [
        ("survey:R-1", f"salesforce:{ACME}", 10, "Great support"),
        ("survey:R-2", f"salesforce:{GLOBEX}", 6, None),
        ("survey:R-3", None, 9, None),
    ]


def test_nps_times_in_business_zone(crm: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "nps.csv",
        NPS_HEADER,
        f"R-1,{ACME},,10,2024-05-01,",
        f"R-2,{ACME},,8,2024-05-02 10:30,",
    )
    run_import(crm, "csv", path, mapping=MAPPINGS / "nps-survey.toml")
    rows = query(crm, "SELECT responded_at FROM nps_responses ORDER BY id")
    # Midnight and 10:30 in Asia/Tokyo, stored as UTC.
    assert rows == [(datetime(2024, 4, 30, 15, 0),), (datetime(2024, 5, 2, 1, 30),)]


@pytest.mark.parametrize(
    ("score", "reason"),
    [("11", "0 to 10"), ("-1", "0 to 10"), ("N/A", "not a number")],
)
def test_nps_bad_score_fails(
    crm: Workspace, tmp_path: Path, score: str, reason: str
) -> None:
    path = write(
        tmp_path / "nps.csv",
        NPS_HEADER,
        f"R-1,{ACME},,7,2024-05-01,",
        f"R-2,{ACME},,{score},2024-05-01,",
    )
    with pytest.raises(RejectLimitError) as raised:
        run_import(crm, "csv", path, mapping=MAPPINGS / "nps-survey.toml")
    message = str(raised.value)
    assert f"{path}, line 3, column 'score', value '{score}'" in message
    assert reason in message
    assert query(crm, "SELECT count(*) FROM nps_responses") == [(0,)]


def test_nps_bad_scores_set_aside(crm: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "nps.csv",
        NPS_HEADER,
        f"R-1,{ACME},,11,2024-05-01,",
        f"R-2,{ACME},,-1,2024-05-01,",
        f"R-3,{ACME},,N/A,2024-05-01,",
        f"R-4,{ACME},,0,2024-05-01,",
    )
    summary = run_import(
        crm, "csv", path, mapping=MAPPINGS / "nps-survey.toml", max_rejects=3
    )
    assert summary.files[0].rejected == 3
    assert summary.files[0].loaded == 1
    assert summary.reject_file is not None
    rejects = summary.reject_file.read_text(encoding="utf-8-sig")
    assert "11" in rejects
    assert "N/A" in rejects
    assert query(crm, "SELECT id, score FROM nps_responses") == [("survey:R-4", 0)]


# Salesforce Contract export --------------------------------------------------------


def test_salesforce_contract_export(crm: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "Contract.csv",
        "Id,AccountId,StartDate,ContractTerm,Status,CurrencyIsoCode,ARR__c",
        f"800C100000000001AA,{GLOBEX},2024-04-01,12,Activated,JPY,2400000",
    )
    summary = run_import(crm, "salesforce", path)
    rows = query(
        crm, "SELECT account_id, start_date, end_date, arr, status FROM contracts"
    )
    assert summary.files[0].loaded == 1
    assert rows == [
        (
            f"salesforce:{GLOBEX}",
            date(2024, 4, 1),
            date(2025, 3, 31),
            2400000.0,
            "Activated",
        )
    ]
