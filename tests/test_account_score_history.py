"""An account's weekly score history, computed from one query."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from abmkpi.metrics.accounts import AccountDetail, account_detail
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.engagement import scores_expr
from abmkpi.workspace import Workspace
from tests.salesforce_support import csv_text, run_import, write

ACCOUNT = "salesforce:001H00000000001AAA"

_ACCOUNTS = csv_text("Id,Name", "001H00000000001AAA,Hist Corp")
_TASKS = csv_text(
    "Id,WhatId,Subject,Status,IsClosed,ActivityDate,CompletedDateTime,IsDeleted",
    "00TH00000000001AAA,001H00000000001AAA,Meeting,Completed,true,2024-05-10,"
    "2024-05-10T02:00:00.000+0000,false",
    "00TH00000000002AAA,001H00000000001AAA,Call,Completed,true,2024-06-10,"
    "2024-06-10T02:00:00.000+0000,false",
)


@pytest.fixture
def detail(workspace: Workspace, tmp_path: Path) -> AccountDetail:
    run_import(
        workspace,
        write(tmp_path / "Account.csv", _ACCOUNTS),
        write(tmp_path / "Task.csv", _TASKS),
    )
    period = workspace.calendar.parse("FY2024-Q1")
    with workspace.open_store(read_only=True) as store:
        return account_detail(store, workspace.settings, ACCOUNT, period)


def test_history_is_weekly(detail: AccountDetail) -> None:
    instants = [point["as_of"] for point in detail.score_history]
    assert len(instants) == 27
    assert instants[-1] == datetime(2024, 6, 30, 14, 59, 59, 999999)
    assert instants[-1] - instants[-2] == timedelta(weeks=1)


def test_history_before_activity_is_zero(detail: AccountDetail) -> None:
    assert detail.score_history[0]["score"] == 0


def test_history_ends_at_score(detail: AccountDetail) -> None:
    # A meeting (20 points) and a call (8 points), 30-day half-life.
    end = datetime(2024, 6, 30, 14, 59, 59, 999999)
    half_life = timedelta(days=30)
    expected = 20 * 0.5 ** ((end - datetime(2024, 5, 10, 2)) / half_life)
    expected += 8 * 0.5 ** ((end - datetime(2024, 6, 10, 2)) / half_life)
    assert detail.score_history[-1]["score"] == pytest.approx(expected, rel=1e-12)
    assert detail.score == pytest.approx(expected, rel=1e-12)


def test_history_matches_score_query(
    detail: AccountDetail, workspace: Workspace
) -> None:
    period = workspace.calendar.parse("FY2024-Q1")
    with workspace.open_store(read_only=True) as store:
        tables = BackendTables(store.ibis())
        ctx = KpiContext.for_period(tables, workspace.settings, period, None, ACCOUNT)
        for point in detail.score_history:
            rows = tables.backend.to_pyarrow(scores_expr(ctx, point["as_of"]))
            score = sum(row["score"] for row in rows.to_pylist())
            assert point["score"] == pytest.approx(score, rel=1e-12, abs=1e-12)
