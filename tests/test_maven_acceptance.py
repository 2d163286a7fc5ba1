"""The Maven CRM export end to end through the CLI, checked by hand.

Targets come from the ICP rule employees >= 8000 and fiscal years start in
April named by start year, so FY2017-Q1 is 2017-04-01..2017-06-30. The
expected values are recomputed here from the raw CSV with the csv module,
independently of the importer.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_cli, run_json

MAPPING = (
    Path(__file__).resolve().parents[1] / "examples" / "mappings" / "maven-crm.toml"
)


def _by_hand(folder: Path) -> dict[str, dict[str, Any]]:
    with (folder / "accounts.csv").open(encoding="utf-8") as handle:
        targets = {
            row["account"]
            for row in csv.DictReader(handle)
            if int(row["employees"]) >= 8000
        }
    won: dict[str, list[float]] = {"all": [], "target": [], "non_target": []}
    lost = {"all": 0, "target": 0, "non_target": 0}
    with (folder / "sales_pipeline.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["deal_stage"] not in ("Won", "Lost"):
                continue
            if not "2017-04-01" <= row["close_date"] <= "2017-06-30":
                continue
            segments = ["all"]
            if row["account"]:
                segments.append("target" if row["account"] in targets else "non_target")
            for segment in segments:
                if row["deal_stage"] == "Won":
                    won[segment].append(float(row["close_value"]))
                else:
                    lost[segment] += 1
    expected = {}
    for segment, amounts in won.items():
        expected[segment] = {
            "won": len(amounts),
            "lost": lost[segment],
            "win_rate": len(amounts) / (len(amounts) + lost[segment]),
            "average_deal_size": sum(amounts) / len(amounts),
        }
    expected["uplift"] = {
        "value": expected["target"]["average_deal_size"]
        / expected["non_target"]["average_deal_size"]
    }
    expected["targets"] = {"count": len(targets)}
    return expected


@pytest.fixture(scope="module")
def maven(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> tuple[Path, dict[str, Any]]:
    folder = shared_data / "maven-crm-sales-opportunities"
    workspace = tmp_path_factory.mktemp("maven") / "workspace"
    run_cli(
        "init",
        workspace,
        "--currency",
        "USD",
        "--fiscal-start-month",
        "4",
        "--fiscal-naming",
        "start_year",
    )
    # The same text the README tells users to append.
    with (workspace / "abmkpi.toml").open("a", encoding="utf-8") as config:
        config.write(
            '\n[[icp.rules]]\nfield = "employees"\nop = ">="\n'
            "value = 8000\npoints = 100\n"
        )
    run_cli("-w", workspace, "import", "csv", folder, "--mapping", MAPPING)
    run_cli("-w", workspace, "targets", "icp")
    return workspace, _by_hand(folder)


def _result(document: dict[str, Any], kpi: str, segment: str) -> dict[str, Any]:
    for result in document["results"]:
        if result["id"] == kpi and result["segment"] == segment:
            return result
    raise KeyError((kpi, segment))


@pytest.fixture(scope="module")
def report(maven: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    workspace, _ = maven
    return run_json("-w", workspace, "kpi", "--period", "FY2017-Q1")


def test_targets_from_icp(maven: tuple[Path, dict[str, Any]]) -> None:
    workspace, expected = maven
    document = run_json("-w", workspace, "targets")
    assert len(document["targets"]) == expected["targets"]["count"]


def test_period_in_document(report: dict[str, Any]) -> None:
    assert report["period"]["id"] == "FY2017-Q1"
    assert report["period"]["start"] == "2017-04-01"
    assert report["period"]["end"] == "2017-06-30"


@pytest.mark.parametrize("segment", ["all", "target", "non_target"])
def test_win_rate_by_count(
    maven: tuple[Path, dict[str, Any]], report: dict[str, Any], segment: str
) -> None:
    _, expected = maven
    result = _result(report, "win_rate", segment)
    assert result["numerator"] == expected[segment]["won"]
    assert result["denominator"] == expected[segment]["won"] + expected[segment]["lost"]
    assert result["value"] == pytest.approx(expected[segment]["win_rate"])


@pytest.mark.parametrize("segment", ["all", "target", "non_target"])
def test_average_deal_size(
    maven: tuple[Path, dict[str, Any]], report: dict[str, Any], segment: str
) -> None:
    _, expected = maven
    result = _result(report, "average_deal_size", segment)
    assert result["value"] == pytest.approx(expected[segment]["average_deal_size"])
    assert result["denominator"] == expected[segment]["won"]
    assert result["unit"] == "currency"


def test_deal_size_uplift(
    maven: tuple[Path, dict[str, Any]], report: dict[str, Any]
) -> None:
    _, expected = maven
    result = _result(report, "deal_size_uplift", "all")
    assert result["value"] == pytest.approx(expected["uplift"]["value"])
    assert result["target"] == 1.6
    assert result["status"] == "off_track"


def test_rates_carry_intervals(report: dict[str, Any]) -> None:
    result = _result(report, "win_rate", "target")
    low, high = result["ci95"]
    assert low < result["value"] < high


def test_every_result_has_the_documented_fields(report: dict[str, Any]) -> None:
    required = {
        "id",
        "segment",
        "value",
        "numerator",
        "denominator",
        "ci95",
        "target",
        "status",
        "unit",
    }
    for result in report["results"]:
        assert required <= set(result), result["id"]
