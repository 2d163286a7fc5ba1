"""The abmkpi command, run in a subprocess as a user runs it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from abmkpi.cli import app
from abmkpi.cli import commands as _commands  # noqa: F401  (registers commands)
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "workspace"
    run_cli(
        "demo",
        "--no-serve",
        "--dir",
        directory,
        "--accounts",
        "300",
        "--activities",
        "20000",
        "--end-date",
        "2025-03-31",
        "--format",
        "json",
    )
    return directory


def test_every_command_documented() -> None:
    text = README.read_text(encoding="utf-8")
    group = typer.main.get_group(app)
    names = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", {})
        names.append(name)
        names += [f"{name} {sub}" for sub in subcommands]
    for name in names:
        assert f"abmkpi {name}" in text, f"README does not document 'abmkpi {name}'"


def test_every_option_documented() -> None:
    text = README.read_text(encoding="utf-8")
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        commands = getattr(command, "commands", {}) or {name: command}
        for sub in commands.values():
            for parameter in sub.params:
                for option in getattr(parameter, "opts", []):
                    if option.startswith("--") and option not in ("--help", "--format"):
                        assert option in text, (
                            f"README does not document {option} of {name}"
                        )


def test_demo_prints_json_document(demo: Path) -> None:
    document = run_json("-w", demo, "kpi", "--period", "FY2024-Q4")
    assert document["period"] == {
        "id": "FY2024-Q4",
        "start": "2025-01-01",
        "end": "2025-03-31",
        "label": {"en": "FY2024 Q4", "ja": "2024年度 第4四半期"},
    }
    ids = {result["id"] for result in document["results"]}
    assert {"contact_rate", "opportunity_rate", "win_rate", "deal_size_uplift"} <= ids


def test_kpi_segment_filter(demo: Path) -> None:
    document = run_json(
        "-w", demo, "kpi", "-p", "FY2024-Q4", "-s", "target", "--kpi", "contact_rate"
    )
    assert [r["segment"] for r in document["results"]] == ["target"]
    assert document["results"][0]["target"] == 0.6


def test_kpi_csv_has_header_and_rows(demo: Path) -> None:
    output = run_cli(
        "-w", demo, "kpi", "-p", "FY2024-Q4", "--kpi", "win_rate", "--format", "csv"
    ).stdout
    lines = output.strip().splitlines()
    assert lines[0].startswith("\ufeffid,variant,segment,label_en,label_ja,value")
    assert len(lines) > 1


def test_kpi_table_in_japanese(demo: Path) -> None:
    output = run_cli("-w", demo, "--lang", "ja", "kpi", "-p", "FY2024-Q4").stdout
    assert "接点化率" in output
    assert "2024年度 第4四半期" in output


def test_accounts_sorted_by_score(demo: Path) -> None:
    document = run_json("-w", demo, "accounts", "-p", "FY2024-Q4", "--limit", "10")
    scores = [row["score"] for row in document["accounts"]]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) == 10


def test_account_detail_explains_score(demo: Path) -> None:
    first = run_json("-w", demo, "accounts", "-p", "FY2024-Q4", "--limit", "1")[
        "accounts"
    ][0]
    detail = run_json("-w", demo, "account", first["source_id"], "-p", "FY2024-Q4")
    contributions = sum(row["contribution"] for row in detail["top_activities"])
    assert detail["account"]["id"] == first["id"]
    assert detail["score"] == pytest.approx(first["score"])
    assert 0 < contributions <= detail["score"] + 1e-9


def test_unknown_account_fails_cleanly(demo: Path) -> None:
    result = run_cli(
        "-w", demo, "--lang", "en", "account", "no-such-account", check=False
    )
    assert result.returncode == 1
    assert "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_period_fails_cleanly(demo: Path) -> None:
    result = run_cli(
        "-w", demo, "--lang", "en", "kpi", "--period", "FY24-Q9", check=False
    )
    assert result.returncode == 1
    assert "invalid period" in result.stderr


def test_targets_file_warns_outside_range(tmp_path: Path, cases: Path) -> None:
    workspace = tmp_path / "workspace"
    folder = cases / "07-free-email-domain"
    run_cli("init", workspace)
    run_cli("-w", workspace, "import", "salesforce", folder / "Account.csv")
    result = run_cli(
        "-w", workspace, "--lang", "en", "targets", "set",
        folder / "target_accounts.csv",
    )  # fmt: skip
    assert "3 target accounts (from a list)" in result.stdout
    assert "start with 10-20" in result.stderr


def test_targets_json(tmp_path: Path, cases: Path) -> None:
    workspace = tmp_path / "workspace"
    folder = cases / "07-free-email-domain"
    run_cli("init", workspace)
    run_cli("-w", workspace, "import", "salesforce", folder / "Account.csv")
    run_cli(
        "-w", workspace, "targets", "set", folder / "target_accounts.csv", "--tier", "2"
    )
    document: dict[str, Any] = run_json("-w", workspace, "targets")
    assert document["mode"] == "list"
    assert [t["tier"] for t in document["targets"]] == [2, 2, 2]


def _bad_opportunity_file(tmp_path: Path) -> Path:
    path = tmp_path / "Opportunity.csv"
    path.write_text(
        "Id,AccountId,StageName,Amount,CloseDate,IsClosed,IsWon\n"
        "006A,001A,Closed Won,100,2024-05-01,true,true\n"
        "006B,001A,Closed Won,100,soon,true,true\n",
        encoding="utf-8",
    )
    return path


def test_bad_value_names_file_line_column_value(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    result = run_cli(
        "-w",
        workspace,
        "import",
        "salesforce",
        _bad_opportunity_file(tmp_path),
        check=False,
    )
    assert result.returncode == 1
    assert re.search(
        r"Opportunity\.csv, line 3, column 'CloseDate', value 'soon'", result.stderr
    )
    assert "nothing was imported" in result.stderr


def test_bad_value_leaves_store_unchanged(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    run_cli(
        "-w",
        workspace,
        "import",
        "salesforce",
        _bad_opportunity_file(tmp_path),
        check=False,
    )
    document = run_json("-w", workspace, "kpi", "-p", "FY2024-Q1", "--kpi", "win_rate")
    assert document["results"][0]["denominator"] == 0


def test_max_rejects_imports_rest(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    document = run_json(
        "-w",
        workspace,
        "import",
        "salesforce",
        _bad_opportunity_file(tmp_path),
        "--max-rejects",
        "1",
    )
    assert document["files"][0]["new"] == 1
    assert document["files"][0]["rejected"] == 1
    assert Path(document["reject_file"]).exists()


def test_wrong_encoding_named(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    path = tmp_path / "Account.csv"
    path.write_bytes("Id,Name\n001A,株式会社テスト\n".encode("cp932"))
    run_cli("init", workspace)
    result = run_cli(
        "-w",
        workspace,
        "import",
        "salesforce",
        path,
        "--encoding",
        "utf-8",
        check=False,
    )
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert "--encoding cp932" in result.stderr


def test_dry_run_stores_nothing(tmp_path: Path, cases: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    folder = cases / "18-win-rate-denominator"
    document = run_json(
        "-w", workspace, "import", "salesforce", folder / "Opportunity.csv", "--dry-run"
    )
    win_rate = run_json("-w", workspace, "kpi", "-p", "FY2024-Q1", "--kpi", "win_rate")
    assert document["dry_run"] is True
    assert document["files"][0]["new"] == 6
    assert win_rate["results"][0]["denominator"] == 0


def test_no_workspace_message(tmp_path: Path) -> None:
    result = run_cli("-w", tmp_path / "missing", "kpi", check=False)
    assert result.returncode == 1
    assert "abmkpi init" in result.stderr


def test_demo_smallest_size_scales_targets(tmp_path: Path) -> None:
    directory = tmp_path / "small"
    run_cli(
        "demo",
        "--dir",
        directory,
        "--accounts",
        "50",
        "--activities",
        "2000",
        "--end-date",
        "2025-03-31",
        "--no-serve",
        "--format",
        "json",
    )
    with Workspace.load(directory).open_store(read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM accounts WHERE is_target") == 10
