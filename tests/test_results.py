"""KPI intervals and statuses."""

from __future__ import annotations

import pytest

from abmkpi.metrics.results import (
    NORMAL_APPROXIMATION_FROM,
    Status,
    bootstrap_mean_interval,
    judge,
    wilson_interval,
)


def test_wilson_known_value() -> None:
    # 2 of 3 at 95%: the Wilson interval is [0.2077, 0.9385].
    low, high = wilson_interval(2, 3) or (0.0, 0.0)
    assert low == pytest.approx(0.2077, abs=1e-4)
    assert high == pytest.approx(0.9385, abs=1e-4)


def test_wilson_edges_exact() -> None:
    assert wilson_interval(0, 10) is not None
    assert (wilson_interval(0, 10) or (1, 1))[0] == 0.0
    assert (wilson_interval(10, 10) or (0, 0))[1] == 1.0


def test_wilson_needs_trials() -> None:
    assert wilson_interval(0, 0) is None


def test_bootstrap_repeatable() -> None:
    values = [1.0, 2.0, 3.0, 10.0, 4.0]
    assert bootstrap_mean_interval(values, 500, 1) == bootstrap_mean_interval(
        values, 500, 1
    )


def test_large_sample_uses_normal_interval() -> None:
    values = [float(i % 10) for i in range(NORMAL_APPROXIMATION_FROM)]
    low, high = bootstrap_mean_interval(values, 2000, 1) or (0.0, 0.0)
    assert (low + high) / 2 == pytest.approx(4.5)
    assert high - low == pytest.approx(
        2 * 1.96 * 2.8725 / NORMAL_APPROXIMATION_FROM**0.5, rel=1e-3
    )


def test_judge_bands() -> None:
    assert judge(0.6, 0.6, 0.8) == Status.ON_TRACK
    assert judge(0.5, 0.6, 0.8) == Status.AT_RISK
    assert judge(0.4, 0.6, 0.8) == Status.OFF_TRACK
    assert judge(10.0, 12.0, 0.8, higher_is_better=False) == Status.ON_TRACK
