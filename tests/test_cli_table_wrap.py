"""CLI tables wrap text but do not split a number, amount, ratio or date."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from abmkpi.cli import table_layout
from tests.cli_support import run_cli

PERIOD = "FY2024-Q4"
# Numbers with an optional unit, and dates, as the reasons of 'pdca check' write them.
NUMBER = re.compile(r"\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?(?:倍|日|×|%)?")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wrap") / "workspace"
    run_cli(
        "demo", "--no-serve", "--dir", directory, "--accounts", "300",
        "--activities", "20000", "--end-date", "2025-03-31", "--format", "json",
    )  # fmt: skip
    return directory


def test_wrap_keeps_ratio_whole() -> None:
    # 中央値 (6 cells) + 10.7日 (6 cells) is wider than 10, and so is
    # 10.7日の (8) + 4.4倍 (5).
    wrapped = table_layout.wrap("中央値10.7日の4.4倍です", 10, numeric=False)
    assert wrapped == "中央値\n10.7日の\n4.4倍です"


def test_wrap_breaks_japanese_between_characters() -> None:
    assert table_layout.wrap("商談がありません。", 6, numeric=False) == (
        "商談が\nありま\nせん。"
    )


def test_wrap_keeps_date_and_words() -> None:
    wrapped = table_layout.wrap("Engaged since 2024-10-23, 159 days", 12, False)
    assert wrapped == "Engaged\nsince\n2024-10-23,\n159 days"


def test_wrap_numeric_only_at_spaces() -> None:
    assert table_layout.wrap("100.0% (順調)", 8, numeric=True) == "100.0%\n(順調)"


def test_fit_minimum_is_widest_unit() -> None:
    fit = table_layout.fit("KPI", ["創出 ￥428,008,311 です"], numeric=False)
    # 創出 (4) + space + ￥428,008,311 (13) + space + です (4).
    assert (fit.minimum, fit.maximum) == (13, 23)


def test_layout_repeats_first_column() -> None:
    fits = [table_layout.ColumnFit(10, 10) for _ in range(4)]
    # Two columns take 10 + 10 + 3 × 2 + 1 = 27 cells; three take 40.
    assert table_layout.layout(fits, 30) == [[0, 1], [0, 2], [0, 3]]
    assert table_layout.layout(fits, 53) is None


def _money(value: float, language: str) -> str:
    sign = "￥" if language == "ja" else "¥"
    return f"{sign}{round(value):,}"


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_kpi_values_whole(demo: Path, language: str, columns: int) -> None:
    args = ("-w", demo, "--lang", language, "kpi", "--period", PERIOD)
    output = run_cli(*args, columns=columns).stdout
    document = json.loads(run_cli(*args, "--format", "json").stdout)
    assert max(cell_len(line) for line in output.splitlines()) <= columns
    lines = output.splitlines()
    checked = 0
    for result in document["results"]:
        if result["value"] is None:
            continue
        if result["unit"] == "currency":
            text = _money(result["value"], language)
        elif result["unit"] == "ratio":
            text = f"{result['value'] * 100:.1f}%"
        else:
            continue
        checked += 1
        assert any(text in line for line in lines), (text, output)
    assert checked > 50


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_pdca_check_numbers_whole(demo: Path, language: str, columns: int) -> None:
    args = ("-w", demo, "--lang", language, "pdca", "check", "--period", PERIOD)
    output = run_cli(*args, columns=columns).stdout
    document = json.loads(run_cli(*args, "--format", "json").stdout)
    assert max(cell_len(line) for line in output.splitlines()) <= columns
    lines = output.splitlines()
    tokens = {
        token
        for row in document["low_performers"]
        for token in NUMBER.findall(row["reason"][language])
    }
    # Dates, day counts and ratios such as 2024-10-23, 159日 and 11.4×.
    assert len(tokens) > 10
    for token in tokens:
        assert any(token in line for line in lines), (token, output)
