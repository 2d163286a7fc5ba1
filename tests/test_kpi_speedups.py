"""The faster KPI paths give the values of the plain ones.

Account facts score both windows in one pass; segments filter their rows
once; bootstrap intervals draw their resamples in blocks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pytest

from abmkpi.demo import DemoSize, generate
from abmkpi.metrics.context import BackendTables, KpiContext, Segment
from abmkpi.metrics.engagement import peak_scores_expr, scores_expr
from abmkpi.metrics.facts import account_facts_expr
from abmkpi.metrics.results import (
    bootstrap_mean_interval,
    bootstrap_mean_ratio_interval,
    bootstrap_ratio_interval,
)
from abmkpi.workspace import Workspace

SMALL = DemoSize(accounts=200, activities=20_000, target_accounts=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("speedups") / "demo")
    generate(workspace, SMALL, seed=7, end_date=date(2025, 6, 30))
    return workspace


def _by_account(tables: BackendTables, expression: Any) -> dict[str, dict[str, Any]]:
    rows = tables.backend.to_pyarrow(expression).to_pylist()
    return {row["account_id"]: row for row in rows}


@pytest.mark.parametrize(
    "now", [None, datetime(2025, 5, 20, 3, 30)], ids=["quarter", "mid_day"]
)
def test_account_facts_match_two_passes(demo: Workspace, now: datetime | None) -> None:
    period = demo.calendar.parse("FY2025-Q1")
    with demo.open_store(read_only=True) as store:
        tables = BackendTables(store.ibis())
        ctx = KpiContext.for_period(tables, demo.settings, period, now)
        facts = _by_account(tables, account_facts_expr(ctx))
        scores = _by_account(tables, scores_expr(ctx, ctx.as_of))
        peaks = _by_account(tables, peak_scores_expr(ctx))
    assert len(facts) == 200
    assert sum(1 for row in facts.values() if row["mqa_at"] is not None) > 0
    for account_id, row in facts.items():
        score = scores.get(account_id, {"score": 0.0})["score"]
        assert row["score"] == pytest.approx(score, rel=1e-12, abs=1e-12)
        peak = peaks.get(account_id, {"peak_score": 0.0, "mqa_at": None})
        assert row["peak_score"] == pytest.approx(
            peak["peak_score"], rel=1e-12, abs=1e-12
        )
        assert row["mqa_at"] == peak["mqa_at"]


def test_segment_select() -> None:
    rows = [
        {"seg": "target", "tier": 1, "n": 0},
        {"seg": "non_target", "tier": None, "n": 1},
        {"seg": "target", "tier": 2, "n": 2},
        {"seg": "unattributed", "tier": None, "n": 3},
        {"seg": "target", "tier": 1, "n": 4},
    ]
    chosen = {
        name: [row["n"] for row in Segment(name).select(rows)]
        for name in ("all", "target", "non_target", "tier:1", "tier:3")
    }
    assert chosen == {
        "all": [0, 1, 2, 3, 4],
        "target": [0, 2, 4],
        "non_target": [1],
        "tier:1": [0, 4],
        "tier:3": [],
    }


def _values(count: int) -> list[float]:
    return list(np.random.default_rng(11).lognormal(15, 1, count))


@pytest.mark.parametrize("count", [3, 300, 4_999])
def test_mean_interval_blocks(count: int) -> None:
    values = _values(count)
    rng = np.random.default_rng(5)
    data = np.asarray(values)
    means = data[rng.integers(0, count, size=(2000, count))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    assert bootstrap_mean_interval(values, 2000, 5) == (float(low), float(high))


@pytest.mark.parametrize("count", [3, 4_999])
def test_ratio_interval_blocks(count: int) -> None:
    closed = np.asarray(_values(count))
    won = np.where(np.arange(count) % 3 == 0, closed, 0.0)
    picks = np.random.default_rng(5).integers(0, count, size=(2000, count))
    ratios = won[picks].sum(axis=1) / closed[picks].sum(axis=1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    interval = bootstrap_ratio_interval(list(won), list(closed), 2000, 5)
    assert interval == (float(low), float(high))


def test_mean_ratio_interval_blocks() -> None:
    first, second = np.asarray(_values(900)), np.asarray(_values(4_000))
    rng = np.random.default_rng(5)
    means_a = first[rng.integers(0, 900, size=(2000, 900))].mean(axis=1)
    means_b = second[rng.integers(0, 4_000, size=(2000, 4_000))].mean(axis=1)
    low, high = np.percentile(means_a / means_b, [2.5, 97.5])
    interval = bootstrap_mean_ratio_interval(list(first), list(second), 2000, 5)
    assert interval == (float(low), float(high))
