"""Detecting the source of a run's files, and rejecting another source's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from abmkpi.errors import InputError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.csvfile import peek_csv
from abmkpi.sources.detection import detect_source
from abmkpi.sources.registry import get_importer, native_shapes
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli

# Each shared data set and the source its files come from.
DATA_SETS = {
    "salesforce-devorg-data-export": "salesforce",
    "salesforce-sample-mmddyy": "salesforce",
    "fivetran-salesforce": "salesforce",
    "fivetran-hubspot": "hubspot",
    "fivetran-marketo": "marketo",
    "fivetran-pardot": "pardot",
    "mautic-fixtures": "mautic",
}
LABELS = {shape.source: shape.label for shape in native_shapes()}
EXPECTED = {shape.source: shape.expected for shape in native_shapes()}


@pytest.mark.parametrize("folder", DATA_SETS)
def test_detect_shared_data(shared_data: Path, folder: str) -> None:
    detection = detect_source([shared_data / folder])
    assert detection.source == DATA_SETS[folder]


def test_detect_counts_files(shared_data: Path) -> None:
    detection = detect_source([shared_data / "salesforce-sample-mmddyy"])
    assert detection.describe() == (
        "detected Salesforce data: 5 of 6 files; not recognized: "
        "OpportunityHistoryGroup.csv"
    )


def test_detect_fivetran_salesforce_tables(shared_data: Path) -> None:
    detection = detect_source([shared_data / "fivetran-salesforce"])
    looks = {look.path.name: look.looks for look in detection.files}
    assert looks["sf_account_data.csv"] == {
        "salesforce": "salesforce Account Fivetran table"
    }
    assert looks["sf_opportunity_history_data.csv"] == {
        "salesforce": "salesforce Opportunity Fivetran history-mode table"
    }
    assert looks["sf_user_data.csv"] == {
        "salesforce": "salesforce User Fivetran table, not imported"
    }


def test_detect_unknown_files_fail(shared_data: Path) -> None:
    folder = shared_data / "maven-crm-sales-opportunities"
    with pytest.raises(InputError) as raised:
        detect_source([folder])
    message = str(raised.value)
    assert (
        f"{folder / 'accounts.csv'}: matches no source's shapes; columns found: "
        "account, sector, year_established" in message
    )
    assert "abmkpi import csv --mapping FILE PATH…" in message


def test_detect_mixed_folder_fails(cases: Path) -> None:
    folder = cases / "07-free-email-domain"
    with pytest.raises(InputError) as raised:
        detect_source([folder])
    lines = str(raised.value).splitlines()
    assert lines[0] == f"{folder / 'Account.csv'}: looks like salesforce Account export"
    assert lines[1] == f"{folder / 'Contact.csv'}: looks like salesforce Contact export"
    assert (
        lines[2]
        == f"{folder / 'activity_types.csv'}: looks like marketo activity types"
    )
    assert "several sources (3 Marketo, 2 Salesforce files)" in lines[-1]


def test_detect_ambiguous_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,email,crm_lead_fid,firstname\n1,a@example.com,,Ann\n")
    with pytest.raises(InputError) as raised:
        detect_source([path])
    message = str(raised.value)
    assert f"{path}: looks like pardot prospects or mautic contacts" in message
    assert "fit Pardot and Mautic alike" in message
    assert "abmkpi import --source pardot PATH…" in message


def test_detect_ignores_unknown_files(cases: Path) -> None:
    folder = cases / "04-deal-multi-company-fanout"
    detection = detect_source([folder])
    assert detection.source == "hubspot"
    assert [look.path.name for look in detection.files if not look.looks] == [
        "target_accounts.csv"
    ]


def test_peek_reads_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["Id,Name"] + [f"001A{n:014d},Company {n}" for n in range(20_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    peek = peek_csv(path)
    assert peek.header == ["Id", "Name"]
    assert len(peek.rows) == 20
    assert peek.rows[0].line == 2
    assert peek.rows[0].values == {"Id": "001A00000000000000", "Name": "Company 0"}


def test_peek_cuts_cp932_at_line_end(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    text = "Id,Name\n" + "".join(f"{n},株式会社髙橋製作所{n}\n" for n in range(30_000))
    path.write_bytes(text.encode("cp932"))
    peek = peek_csv(path, rows=5)
    assert peek.encoding == "cp932"
    assert peek.rows[4].values["Name"] == "株式会社髙橋製作所4"


# A file of one source imported under another source's name ----------------------


WRONG_SOURCE = [
    (folder, source)
    for folder, own in DATA_SETS.items()
    for source in LABELS
    if source != own
]


@pytest.mark.parametrize(("folder", "source"), WRONG_SOURCE)
def test_wrong_source_fails(
    workspace: Workspace, shared_data: Path, folder: str, source: str
) -> None:
    importer = get_importer(source)
    with pytest.raises(InputError) as raised:
        importer.read([shared_data / folder], workspace.settings, ImportOptions())
    message = str(raised.value)
    own = DATA_SETS[folder]
    assert f"looks like {own} " in message
    assert f", not {LABELS[source]} data; columns found: " in message
    assert EXPECTED[source] in message


def test_wrong_source_names_columns(workspace: Workspace, shared_data: Path) -> None:
    path = shared_data / "mautic-fixtures" / "fakecompanydata.csv"
    with pytest.raises(InputError) as raised:
        get_importer("salesforce").read([path], workspace.settings, ImportOptions())
    assert str(raised.value).splitlines()[0] == (
        f"{path}, line 1: looks like mautic companies, not Salesforce data; "
        "columns found: companyname, companycity, companystate, companycountry, "
        "companyindustry"
    )


def test_own_unknown_files_pass(workspace: Workspace, shared_data: Path) -> None:
    folder = shared_data / "salesforce-sample-mmddyy"
    batch = get_importer("salesforce").read(
        [folder], workspace.settings, ImportOptions()
    )
    reports = {report.path.name: report for report in batch.files}
    assert reports["OpportunityHistoryGroup.csv"].skipped == {
        "not an object abmkpi imports": 10
    }


# The import command ---------------------------------------------------------------


@pytest.fixture
def cli_workspace(tmp_path: Path) -> Path:
    directory = tmp_path / "workspace"
    run_cli("init", directory)
    return directory


def test_cli_detects_source(cli_workspace: Path, shared_data: Path) -> None:
    folder = shared_data / "mautic-fixtures"
    result = run_cli(
        "-w", cli_workspace, "--lang", "en", "import", folder, "--format", "json"
    )
    assert "detected Mautic data: 2 of 2 files" in result.stderr
    assert '"source": "mautic"' in result.stdout
    assert f'"{folder / "fakeleaddata.csv"}": "mautic contacts"' in result.stdout


def test_cli_source_option(cli_workspace: Path, shared_data: Path) -> None:
    folder = shared_data / "mautic-fixtures"
    result = run_cli(
        "-w", cli_workspace, "--lang", "en", "import", "--source", "mautic", folder,
        "--dry-run",
    )  # fmt: skip
    assert "detected" not in result.stderr
    assert "read 58 rows" in result.stdout


def test_cli_source_argument(cli_workspace: Path, shared_data: Path) -> None:
    folder = shared_data / "mautic-fixtures"
    result = run_cli(
        "-w", cli_workspace, "--lang", "en", "import", "mautic", folder, "--dry-run"
    )
    assert "detected" not in result.stderr
    assert "Import check (dry run) of Mautic files" in result.stdout


def test_cli_wrong_source_fails(cli_workspace: Path, shared_data: Path) -> None:
    folder = shared_data / "mautic-fixtures"
    result = run_cli("-w", cli_workspace, "import", "pardot", folder, check=False)
    assert result.returncode == 1
    assert "looks like mautic companies, not Pardot data" in result.stderr


def test_cli_mapping_means_csv(cli_workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "accounts.csv"
    data.write_text("code,company\nA1,Acme\n", encoding="utf-8")
    mapping = tmp_path / "accounts.toml"
    mapping.write_text(
        'source = "crm"\n\n[[tables]]\nfile = "accounts.csv"\ntarget = "accounts"\n'
        '\n[tables.columns]\nid = "code"\nname = "company"\n',
        encoding="utf-8",
    )
    result = run_cli(
        "-w", cli_workspace, "--lang", "en", "import", data, "--mapping", mapping
    )
    assert "Import 1 from crm" in result.stdout


def test_cli_mapping_with_native_source_fails(
    cli_workspace: Path, shared_data: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text("", encoding="utf-8")
    folder = shared_data / "mautic-fixtures"
    result = run_cli(
        "-w",
        cli_workspace,
        "--lang",
        "en",
        "import",
        "mautic",
        folder,
        "--mapping",
        mapping,
        check=False,
    )
    assert result.returncode == 2
    assert "--mapping applies only to the csv source, not mautic" in result.stderr


def test_cli_missing_path_fails(cli_workspace: Path, tmp_path: Path) -> None:
    result = run_cli(
        "-w",
        cli_workspace,
        "--lang",
        "en",
        "import",
        "salesforce",
        tmp_path / "absent",
        check=False,
    )
    assert result.returncode == 2
    assert "file or folder not found" in result.stderr
