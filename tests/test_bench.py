"""``abmkpi bench`` on a tiny demo workspace: the stages and their figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_json

TINY = ("--accounts", "50", "--activities", "500", "--targets", "2")
SMALL_STAGES = ("--import-rows", "40", "--batch-size", "10")


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench") / "workspace"


@pytest.fixture(scope="module")
def first_run(bench_dir: Path) -> dict[str, Any]:
    return run_json("bench", "--dir", bench_dir, *TINY, *SMALL_STAGES)


def test_first_run_builds(first_run: dict[str, Any]) -> None:
    names = [stage["name"] for stage in first_run["stages"]]
    assert names == ["build", "import", "match", "kpis", "accounts", "ingest"]


def test_stage_figures_positive(first_run: dict[str, Any]) -> None:
    for stage in first_run["stages"]:
        assert stage["seconds"] > 0, stage
        assert stage["peak_memory_mib"] > 0, stage


def test_document_keys(first_run: dict[str, Any]) -> None:
    assert set(first_run) == {
        "directory",
        "size",
        "seed",
        "reused",
        "period",
        "rows",
        "stages",
    }


def test_rows_of_size(first_run: dict[str, Any]) -> None:
    assert first_run["rows"]["accounts"] == 50


def test_stage_details(first_run: dict[str, Any]) -> None:
    details = {stage["name"]: stage["detail"] for stage in first_run["stages"]}
    assert details["import"] == (
        "40 activities from a CSV file, changed records matched, rolled back"
    )
    assert details["ingest"].startswith("10 events")


def test_second_run_reuses(first_run: dict[str, Any], bench_dir: Path) -> None:
    again = run_json("bench", "--dir", bench_dir, *TINY, *SMALL_STAGES)
    assert again["reused"] is True
    assert again["stages"][0]["name"] == "import"
    # The import and the ingest batch were rolled back.
    assert again["rows"] == first_run["rows"]
