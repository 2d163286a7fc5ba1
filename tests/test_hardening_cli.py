"""The abmkpi command on hostile arguments: every mistake gets a message that
names the option or value, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from abmkpi.cli import app
from abmkpi.cli import commands as _commands  # noqa: F401  (registers commands)
from tests.cli_support import run_cli
from tests.hardening_support import BASE, MAPPING, OPPS_HEADER, write_files


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace (USD) with the small base data set imported."""
    root = tmp_path_factory.mktemp("cli")
    workspace = root / "workspace"
    run_cli("init", workspace, "--currency", "USD")
    paths = write_files(root / "input", BASE)
    mapping = root / "map.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    run_cli("-w", workspace, "import", "csv", *paths, "--mapping", mapping)
    return workspace


def _fails(*args: Any, code: int = 1) -> str:
    """Run abmkpi in English, check it failed cleanly with ``code``; return
    its stderr."""
    result = run_cli("--lang", "en", *args, check=False)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.replace("│", " ").split())


def _strict_json(text: str) -> Any:
    """Parse JSON as RFC 8259 does: Infinity and NaN are not JSON."""

    def reject(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=reject)


@pytest.mark.parametrize(
    ("period", "year"),
    [("FY0001", 1), ("FY9999", 9999), ("9999-12", 9999), ("0000-01", 0)],
)
def test_period_out_of_range(base: Path, period: str, year: int) -> None:
    message = _fails("-w", base, "kpi", "--period", period)
    assert f"invalid period '{period}': year {year} is outside the supported" in message


def test_accounts_period_out_of_range(base: Path) -> None:
    message = _fails("-w", base, "accounts", "--period", "9999-12")
    assert "year 9999 is outside the supported years 1900 to 2999" in message


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_as_of_out_of_range(base: Path, as_of: str) -> None:
    message = _fails("-w", base, "kpi", "-p", "FY2024-Q1", "--as-of", as_of, code=2)
    assert "--as-of" in message
    assert f"'{as_of}' is outside the supported years" in message


@pytest.mark.parametrize("segment", ["foo", "tier:abc", "tier:", "account:"])
def test_invalid_segment_named(base: Path, segment: str) -> None:
    message = _fails("-w", base, "kpi", "-p", "FY2024-Q1", "-s", segment, code=2)
    assert "--segment" in message
    assert f"invalid segment '{segment}'" in message


def test_unknown_tier_lists_tiers(base: Path) -> None:
    message = _fails("-w", base, "kpi", "-p", "FY2024-Q1", "-s", "tier:99")
    assert "no target account has tier 99" in message
    assert "tiers in use: none" in message


def test_deleted_account_segment_fails(base: Path) -> None:
    message = _fails("-w", base, "kpi", "-p", "FY2024-Q1", "-s", "account:t:A4")
    assert "account t:A4 (Delta) is deleted in its source" in message


def test_merged_account_segment_resolves(base: Path) -> None:
    result = run_cli(
        "-w", base, "--lang", "en", "kpi", "-p", "FY2024-Q1", "-s", "account:t:A5",
        "--kpi", "win_rate", "--format", "json",
    )  # fmt: skip
    document = json.loads(result.stdout)
    assert document["results"][0]["segment"] == "account:t:A1"
    assert document["notes"] == ["account t:A5 was merged into t:A1; showing t:A1"]
    assert "note: account t:A5 was merged into t:A1" in result.stderr


def test_repeated_kpi_listed_once(base: Path) -> None:
    result = run_cli(
        "-w", base, "kpi", "-p", "FY2024-Q1", "-s", "all",
        "--kpi", "win_rate", "--kpi", "win_rate", "--format", "json",
    )  # fmt: skip
    assert len(json.loads(result.stdout)["results"]) == 1


def test_invalid_language_named(base: Path) -> None:
    message = _fails("--lang", "xx", "-w", base, "kpi", code=2)
    assert "'--lang': 'xx' is not a language; use ja or en" in message


def test_negative_limit_rejected(base: Path) -> None:
    message = _fails("-w", base, "accounts", "--limit", "-1", code=2)
    assert "--limit" in message


def test_deleted_account_detail_says_so(base: Path) -> None:
    result = run_cli("-w", base, "--lang", "en", "account", "t:A4", "-p", "FY2024-Q1")
    assert "note: deleted in its source: no KPI counts this account" in result.stdout


def test_merged_account_detail_says_so(base: Path) -> None:
    result = run_cli("-w", base, "--lang", "en", "account", "t:A5", "-p", "FY2024-Q1")
    assert "note: account t:A5 was merged into t:A1; showing t:A1" in result.stdout


def test_stage_history_without_stage(base: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "hist.toml"
    mapping.write_text(
        'source = "t"\n[[tables]]\nfile = "hist*.csv"\n'
        'target = "opportunity_stage_history"\n[tables.columns]\nid = "id"\n'
        'opportunity_id = "opp"\nstage = "stage"\nchanged_at = "at"\n',
        encoding="utf-8",
    )
    history = tmp_path / "hist.csv"
    history.write_text(
        "id,opp,stage,at\nH1,O3,Prospecting,2024-04-10T00:00:00Z\n"
        "H2,O3,,2024-04-20T00:00:00Z\n",
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    paths = write_files(tmp_path / "input", BASE)
    base_mapping = tmp_path / "base.toml"
    base_mapping.write_text(MAPPING, encoding="utf-8")
    run_cli("-w", workspace, "import", "csv", *paths, "--mapping", base_mapping)
    run_cli("-w", workspace, "import", "csv", history, "--mapping", mapping)
    result = run_cli(
        "-w", workspace, "--lang", "en", "account", "t:A3", "-p", "FY2024-Q1"
    )
    assert "Prospecting → (no stage)" in result.stdout


def test_encoding_option_validated(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "opps.csv"
    path.write_text(BASE["opps.csv"], encoding="utf-8")
    message = _fails(
        "-w", base, "import", "csv", path, "--mapping", base.parent / "map.toml",
        "--encoding", "rot13", code=2,
    )  # fmt: skip
    assert "'--encoding': 'rot13' is not a text encoding" in message


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("Close Dte=MM/DD/YYYY", "no file has a date column named 'Close Dte'"),
        ("close=", "unknown date format ''"),
        ("close=XX/YY", "unknown date format 'XX/YY'"),
    ],
)
def test_date_format_option_validated(
    base: Path, tmp_path: Path, declared: str, expected: str
) -> None:
    path = tmp_path / "opps.csv"
    path.write_text(BASE["opps.csv"], encoding="utf-8")
    message = _fails(
        "-w", base, "import", "csv", path, "--mapping", base.parent / "map.toml",
        "--dry-run", "--date-format", declared, code=2,
    )  # fmt: skip
    assert "--date-format" in message
    assert expected in message


def test_unrecognised_files_exit_one(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "opps.csv"
    path.write_text(BASE["opps.csv"], encoding="utf-8")
    message = _fails("-w", base, "import", "salesforce", path)
    assert "opps.csv: read as" in message
    assert "6 rows skipped (not an object abmkpi imports)" in message
    assert "nothing was imported" in message


def test_dry_run_rejects_outside_workspace(base: Path, tmp_path: Path) -> None:
    row = "Q9,A1,Closed Won,2024-04-10,2024-05-01,-5000,USD,New Business"
    path = tmp_path / "opps_neg.csv"
    path.write_text(f"{OPPS_HEADER}\n{row}\n", encoding="utf-8")
    result = run_cli(
        "-w", base, "import", "csv", path, "--mapping", base.parent / "map.toml",
        "--dry-run", "--max-rejects", "1", "--format", "json",
    )  # fmt: skip
    document = json.loads(result.stdout)
    reject_file = Path(document["reject_file"])
    assert reject_file.exists()
    assert base not in reject_file.parents
    assert not (base / "rejects").exists()


def test_rejects_path_is_a_file(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    (workspace / "rejects").write_text("not a folder", encoding="utf-8")
    row = "Q9,A1,Closed Won,2024-04-10,2024-05-01,abc,USD,New Business"
    path = tmp_path / "opps_bad.csv"
    path.write_text(f"{OPPS_HEADER}\n{row}\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    message = _fails("-w", workspace, "import", "csv", path, "--mapping", mapping)
    assert "cannot write the reject file" in message
    assert f"{workspace / 'rejects'} must be a folder you can write to" in message


def test_config_pattern_error_before_import(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    config = workspace / "abmkpi.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"chief"', '"chief("', 1),
        encoding="utf-8",
    )
    message = _fails("-w", workspace, "kpi")
    assert "personas.rules.0.title_patterns: pattern 1 ('chief(')" in message


@pytest.mark.parametrize("size", [5_000, 300_000])
def test_damaged_store_named(base: Path, tmp_path: Path, size: int) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "abmkpi.toml").write_bytes((base / "abmkpi.toml").read_bytes())
    data = (base / "abmkpi.duckdb").read_bytes()
    (workspace / "abmkpi.duckdb").write_bytes(data[:size])
    message = _fails("-w", workspace, "kpi", "-p", "FY2024-Q1")
    assert "The file is damaged or not an abmkpi store" in message
    assert "Another abmkpi process" not in message


def test_init_on_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    message = _fails("init", blocker / "workspace")
    assert f"cannot create a workspace in {blocker / 'workspace'}" in message


def test_demo_size_checked_first(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    message = _fails(
        "demo", "--dir", directory, "--accounts", "50", "--targets", "15", code=2
    )
    assert "target accounts (--targets) must be between 1 and a fifth" in message
    assert not directory.exists()


def test_demo_too_few_accounts(tmp_path: Path) -> None:
    message = _fails("demo", "--dir", tmp_path / "demo", "--accounts", "20", code=2)
    assert "--accounts" in message


def test_failed_demo_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abmkpi.demo.generator

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("generation failed")

    monkeypatch.setattr(abmkpi.demo.generator, "generate", broken)
    directory = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(directory)])
    assert isinstance(result.exception, RuntimeError)
    assert not directory.exists()


def test_json_never_has_infinity(base: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for name in ("abmkpi.toml", "abmkpi.duckdb"):
        (workspace / name).write_bytes((base / name).read_bytes())
    connection = duckdb.connect(str(workspace / "abmkpi.duckdb"))
    connection.execute(
        "UPDATE opportunities SET amount = 'inf', amount_reporting = 'inf' "
        "WHERE id = 't:O1'"
    )
    connection.close()
    result = run_cli(
        "-w", workspace, "kpi", "-p", "FY2024-Q1", "-s", "all",
        "--kpi", "average_deal_size", "--format", "json",
    )  # fmt: skip
    document = _strict_json(result.stdout)
    size = document["results"][0]
    assert size["value"] is None
    assert size["details"]["non_finite"] == ["value", "numerator", "ci95"]


def test_csv_output_quotes_formulas(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    accounts = "id,name,website,employees,revenue,deleted,merged_into\n"
    accounts += "F1,=cmd|' /C calc'!A0,f.example.com,10,1,0,\n"
    paths = write_files(tmp_path / "input", {"accounts.csv": accounts})
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    run_cli("-w", workspace, "import", "csv", *paths, "--mapping", mapping)
    result = run_cli("-w", workspace, "accounts", "--format", "csv")
    assert ",'=cmd|' /C calc'!A0," in result.stdout


def test_merge_warning_after_import(base: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for name in ("abmkpi.toml", "abmkpi.duckdb"):
        (workspace / name).write_bytes((base / name).read_bytes())
    merges = tmp_path / "merges_cyc.csv"
    merges.write_text(
        "entity,loser,winner\nperson,P1,P2\nperson,P2,P1\n", encoding="utf-8"
    )
    result = run_cli(
        "-w", workspace, "--lang", "en", "import", "csv", merges,
        "--mapping", base.parent / "map.toml",
    )  # fmt: skip
    assert "warning: 2 merges could not be applied" in result.stderr
    assert "(2 merge_cycle)" in result.stderr


def test_help_skips_query_engine() -> None:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "abmkpi", "--help"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "ibis" not in imported
    assert "duckdb" not in imported
    assert "pyarrow" not in imported
