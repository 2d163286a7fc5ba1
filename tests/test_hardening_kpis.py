"""KPI results on hostile data: non-finite numbers, ratio intervals outside
[0, 1], segments that name no tier or a deleted or merged account."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from abmkpi.errors import NotFoundError
from abmkpi.metrics.compute import compute_kpis
from abmkpi.metrics.results import KpiResult, Unit
from abmkpi.workspace import Workspace
from tests.hardening_support import BASE, import_files


@pytest.fixture
def usd(make_workspace: Callable[..., Workspace]) -> Workspace:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    import_files(workspace, BASE, "base")
    return workspace


def _report(workspace: Workspace, segments: list[str]):
    period = workspace.calendar.parse("FY2024-Q1")
    with workspace.open_store(read_only=True) as store:
        return compute_kpis(store, workspace.settings, period, segments)


def test_to_dict_replaces_infinity() -> None:
    result = KpiResult(
        "average_deal_size",
        "all",
        math.inf,
        math.inf,
        2,
        Unit.CURRENCY,
        ci95=(1.0, math.nan),
    )
    document = result.to_dict()
    assert document["value"] is None
    assert document["numerator"] is None
    assert document["ci95"] == [1, None]
    assert document["details"]["non_finite"] == ["value", "numerator", "ci95"]
    assert "Infinity" not in json.dumps(document, allow_nan=False)


def test_ratio_interval_clamped(usd: Workspace) -> None:
    # A source that exports negative amounts would make resampled sums of won
    # and closed amounts stray outside [0, 1]; the store is edited directly
    # because imports reject negative amounts.
    with usd.open_store() as store:
        store.execute(
            "UPDATE opportunities SET amount = -5000, amount_reporting = -5000 "
            "WHERE id = 't:O3'"
        )
    result = _report(usd, ["all"]).find("win_rate_amount")
    assert result.ci95 is not None
    assert result.ci95[0] >= 0.0
    assert result.ci95[1] <= 1.0


def test_unknown_tier_lists_tiers(usd: Workspace) -> None:
    with usd.open_store() as store:
        store.execute(
            "UPDATE accounts SET is_target = true, tier = 2 WHERE id = 't:A1'"
        )
    with pytest.raises(NotFoundError) as caught:
        _report(usd, ["tier:99"])
    assert "no target account has tier 99 (segment tier:99)" in str(caught.value)
    assert "tiers in use: tier:2" in str(caught.value)


def test_deleted_account_segment_rejected(usd: Workspace) -> None:
    with pytest.raises(NotFoundError) as caught:
        _report(usd, ["account:t:A4"])
    assert "account t:A4 (Delta) is deleted in its source" in str(caught.value)


def test_merged_account_segment_uses_winner(usd: Workspace) -> None:
    report = _report(usd, ["account:A5"])
    assert report.segments == ["account:t:A1"]
    assert report.notes == ["account t:A5 was merged into t:A1; showing t:A1"]


def test_source_id_segment_resolves(usd: Workspace) -> None:
    report = _report(usd, ["account:A1"])
    win_rate = report.find("win_rate", "account:t:A1")
    # O1 is A1's own deal; O5 came with A5, which was merged into A1.
    assert (win_rate.numerator, win_rate.denominator) == (2, 2)
