"""The one-pass account scores equal a plain reference and the two-pass ones.

A tiny CRM export gives a tier-1 target account with a decision maker and
a person without persona, and another account. Half-life 10 days (horizon
160 days), web visits capped at 2 a day, and an instant in the middle of a
business day, so the score window (as of - 160 days) starts in the middle
of a day that has capped visits before and after its start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from abmkpi import targets
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.engagement import (
    account_scores_expr,
    peak_scores_expr,
    scores_expr,
)
from abmkpi.periods import business_date
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

MAPPING = """
source = "crm"
time_zone = "UTC"

[[tables]]
file = "accounts.csv"
target = "accounts"
[tables.columns]
id = "id"
name = "name"

[[tables]]
file = "people.csv"
target = "people"
[tables.columns]
id = "id"
kind = { value = "contact" }
name = "name"
title = "title"
source_account_id = "account"

[[tables]]
file = "activities.csv"
target = "activities"
[tables.columns]
id = "id"
occurred_at = "at"
type = "type"
person_id = "person"
source_account_id = "account"
"""

ACCOUNTS = "id,name\nA,Alpha KK\nB,Beta KK\n"
PEOPLE = "id,name,title,account\nP1,Sato,CEO,A\nP2,Ito,,A\nP3,Kato,,B\n"
# Instants are UTC; the business day is Tokyo's (UTC+9).
ACTIVITIES = [
    # 2023-12-07 JST: five visits, two before the score window's start
    # (12:00 JST) and three after it.
    ("v1", "2023-12-07T01:00:00", "web_visit", "P1", "A"),
    ("v2", "2023-12-07T02:00:00", "web_visit", "P1", "A"),
    ("v3", "2023-12-07T04:00:00", "web_visit", "P1", "A"),
    ("v4", "2023-12-07T05:00:00", "web_visit", "P1", "A"),
    ("v5", "2023-12-07T06:00:00", "web_visit", "P1", "A"),
    ("f1", "2024-04-10T01:00:00", "form_fill", "P2", "A"),
    ("d1", "2024-05-01T00:00:00", "content_download", "P1", "A"),
    ("v6", "2024-05-02T00:00:00", "web_visit", "P2", "A"),
    ("v7", "2024-05-02T00:30:00", "web_visit", "P2", "A"),
    ("v8", "2024-05-02T01:00:00", "web_visit", "P2", "A"),
    ("s1", "2024-05-02T01:00:00", "email_send", "P2", "A"),
    ("late", "2024-05-20T00:00:00", "form_fill", "P1", "A"),
    ("b1", "2024-04-01T00:00:00", "web_visit", "P3", "B"),
    ("b2", "2024-05-14T00:00:00", "form_fill", "P3", "B"),
]
NOW = datetime(2024, 5, 15, 3, 0)  # 12:00 in Tokyo, inside FY2024-Q1
HALF_LIFE = timedelta(days=10)
HORIZON = 16 * HALF_LIFE
WEIGHTS = {"web_visit": 1.0, "form_fill": 10.0, "content_download": 5.0}
PERSONA = {"P1": 1.5, "P2": 1.0, "P3": 1.0}  # CEO: decision maker
TIER = {"A": 1.5, "B": 1.0}
CAPS = {"web_visit": 2}
THRESHOLD = 16.0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def scored(make_workspace: Callable[..., Workspace], tmp_path: Path) -> Workspace:
    workspace = make_workspace(
        engagement={
            "half_life_days": 10.0,
            "daily_caps": {"web_visit": 2},
            "mqa_threshold": THRESHOLD,
        }
    )
    rows = "\n".join(",".join(row) for row in ACTIVITIES)
    paths = [
        _write(tmp_path / "accounts.csv", ACCOUNTS),
        _write(tmp_path / "people.csv", PEOPLE),
        _write(tmp_path / "activities.csv", f"id,at,type,person,account\n{rows}\n"),
    ]
    options = ImportOptions(mapping=_write(tmp_path / "crm.toml", MAPPING))
    batch = get_importer("csv").read(paths, workspace.settings, options)
    with workspace.open_store() as store:
        load_batch(workspace, store, batch, options)
        targets.set_list(
            store, workspace.settings, [targets.TargetEntry("crm:A", "id", 1)]
        )
    return workspace


def _context(workspace: Workspace, store: Any) -> tuple[BackendTables, KpiContext]:
    tables = BackendTables(store.ibis())
    period = workspace.calendar.parse("FY2024-Q1")
    return tables, KpiContext.for_period(tables, workspace.settings, period, NOW)


def _fetch(tables: BackendTables, expression: Any) -> dict[str, dict[str, Any]]:
    rows = tables.backend.to_pyarrow(expression).to_pylist()
    return {row["account_id"].removeprefix("crm:"): row for row in rows}


def _kept(since: datetime, until: datetime) -> list[tuple[str, datetime, float]]:
    """(account, instant, points) of the activities that score in (since, until]."""
    used: dict[tuple[str, str, Any], int] = {}
    kept = []
    for _, at, kind, person, account in sorted(ACTIVITIES, key=lambda r: (r[1], r[0])):
        instant = datetime.fromisoformat(at)
        if not since < instant <= until or kind not in WEIGHTS:
            continue
        day = (account, kind, business_date(instant, "Asia/Tokyo"))
        used[day] = used.get(day, 0) + 1
        if kind in CAPS and used[day] > CAPS[kind]:
            continue
        kept.append((account, instant, WEIGHTS[kind] * PERSONA[person] * TIER[account]))
    return kept


def _decayed(points: float, age: timedelta) -> float:
    return points * 0.5 ** (age / HALF_LIFE)


def reference(start: datetime, as_of: datetime) -> dict[str, dict[str, Any]]:
    """Score at ``as_of``, start score, peak and MQA instant, computed plainly."""
    result: dict[str, dict[str, Any]] = {}
    for account, instant, points in _kept(as_of - HORIZON, as_of):
        row = result.setdefault(account, {"score": 0.0})
        row["score"] += _decayed(points, as_of - instant)
    peak_rows = _kept(start - HORIZON, as_of)
    for account in {row[0] for row in peak_rows}:
        mine = [(t, p) for a, t, p in peak_rows if a == account]
        start_score = sum(_decayed(p, start - t) for t, p in mine if t < start)
        peak, mqa_at = start_score, None
        for instant, _ in mine:
            if instant >= start:
                after = sum(_decayed(p, instant - t) for t, p in mine if t <= instant)
                peak = max(peak, after)
                if after >= THRESHOLD and mqa_at is None:
                    mqa_at = instant
        row = result.setdefault(account, {"score": None})
        row.update(start_score=start_score, peak_score=peak, mqa_at=mqa_at)
    return result


def test_score_of_target(scored: Workspace) -> None:
    # Kept in (as of - 160 days, as of]: visits v3 and v4 (the cap counts
    # only the window's visits of that day), f1, d1, v6 and v7; tier 1.5.
    at = NOW
    expected = 1.5 * (
        _decayed(1.5, at - datetime(2023, 12, 7, 4))
        + _decayed(1.5, at - datetime(2023, 12, 7, 5))
        + _decayed(10.0, at - datetime(2024, 4, 10, 1))
        + _decayed(7.5, at - datetime(2024, 5, 1))
        + _decayed(1.0, at - datetime(2024, 5, 2))
        + _decayed(1.0, at - datetime(2024, 5, 2, 0, 30))
    )
    with scored.open_store(read_only=True) as store:
        tables, ctx = _context(scored, store)
        rows = _fetch(tables, account_scores_expr(ctx))
    assert rows["A"]["score"] == pytest.approx(expected, rel=1e-12)


def test_one_pass_matches_reference(scored: Workspace) -> None:
    with scored.open_store(read_only=True) as store:
        tables, ctx = _context(scored, store)
        rows = _fetch(tables, account_scores_expr(ctx))
        expected = reference(ctx.bounds[0], ctx.as_of)
    assert sorted(rows) == sorted(expected)
    for account, row in expected.items():
        for column in ("score", "start_score", "peak_score"):
            assert rows[account][column] == pytest.approx(row[column], rel=1e-12)
        assert rows[account]["mqa_at"] == row["mqa_at"]


def test_mqa_instant(scored: Workspace) -> None:
    # The form fill (15 points with the tier) decays to 3.51 by 1 May, the
    # download adds 11.25 (14.76), the first visit of 2 May 1.5 after a
    # day's decay (15.27), and the second visit 1.5 more (16.75 >= 16).
    with scored.open_store(read_only=True) as store:
        tables, ctx = _context(scored, store)
        rows = _fetch(tables, account_scores_expr(ctx))
    assert rows["A"]["mqa_at"] == datetime(2024, 5, 2, 0, 30)


def test_one_pass_matches_two_passes(scored: Workspace) -> None:
    with scored.open_store(read_only=True) as store:
        tables, ctx = _context(scored, store)
        combined = _fetch(tables, account_scores_expr(ctx))
        scores = _fetch(tables, scores_expr(ctx, ctx.as_of))
        peaks = _fetch(tables, peak_scores_expr(ctx))
    for account, row in combined.items():
        assert row["score"] == pytest.approx(scores[account]["score"], rel=1e-12)
        for column in ("start_score", "peak_score"):
            assert row[column] == pytest.approx(peaks[account][column], rel=1e-12)
        assert row["mqa_at"] == peaks[account]["mqa_at"]
