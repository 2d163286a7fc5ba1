#!/usr/bin/env python
"""Headline KPIs with hand-written DuckDB SQL, against abmkpi's computation.

Computes contact rate, opportunity rate (per account), win rate, average
deal size and the mean engagement score of all accounts for one period
with plain SQL on a workspace's store, then the same figures with
abmkpi's ``compute_kpis`` (which computes every KPI of every segment),
and prints both times, the ratio abmkpi ÷ SQL and whether the values
match.

    PYTHONPATH=src python scripts/bench_vs_sql.py --workspace bench-workspace
    PYTHONPATH=src python scripts/bench_vs_sql.py --workspace W --only sql

``--only sql`` or ``--only abmkpi`` computes one side and prints its values
as JSON, so each side can be timed as a whole process. The SQL reads the
weights, multipliers, caps, half-life, qualifying types and stage outcomes
from the workspace's config, as abmkpi does.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from abmkpi.config import Settings
from abmkpi.periods import Period, business_date
from abmkpi.workspace import Workspace

HEADLINES = (
    ("contact_rate", None),
    ("opportunity_rate", "per_account"),
    ("win_rate", None),
    ("average_deal_size", None),
    ("engagement_score", None),
)
DELIVERIES = ("email_send", "email_delivered", "email_bounce")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument(
        "--period",
        help="Period to compute; default: the fiscal quarter before the one of "
        "the latest activity.",
    )
    parser.add_argument("--only", choices=("sql", "abmkpi"))
    parser.add_argument("--runs", type=int, default=3, help="Runs of each side.")
    return parser.parse_args()


def _as_of(settings: Settings, period: Period) -> datetime:
    _, end = period.utc_bounds(settings.workspace.time_zone)
    return end - timedelta(microseconds=1)


def _cases(column: str, mapping: dict[str, float], default: str) -> str:
    branches = " ".join(
        f"WHEN {column} = '{key}' THEN {float(value)!r}"
        for key, value in mapping.items()
    )
    return f"CASE {branches} ELSE {default} END" if branches else default


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values) or "NULL"


def headline_sql(settings: Settings, period: Period) -> str:
    """Return one SQL query of the five headline figures for all accounts."""
    zone = settings.workspace.time_zone
    start, _ = period.utc_bounds(zone)
    as_of = _as_of(settings, period)
    last_day = min(period.end, business_date(as_of, zone))
    engagement = settings.engagement
    half_life = engagement.half_life_days * 86_400
    since = as_of - timedelta(days=engagement.half_life_days * 16)
    weights = {k.value: v for k, v in engagement.weights.items() if v != 0}
    personas = {k.value: v for k, v in engagement.persona_multipliers.items()}
    caps = {k.value: float(v) for k, v in engagement.daily_caps.items()}
    tiers = {str(k): v for k, v in engagement.tier_multipliers.items()}
    outcomes = settings.opportunities.stage_outcomes
    closed_labels = [k.lower() for k, v in outcomes.items() if v in ("won", "lost")]
    won_labels = [k.lower() for k, v in outcomes.items() if v == "won"]
    qualifying = [t.value for t in engagement.qualifying_types]
    return f"""
    WITH live AS (
        SELECT id, CASE WHEN is_target THEN tier END AS tier
        FROM accounts WHERE NOT is_deleted AND merged_into_id IS NULL
    ),
    engaged AS (
        SELECT DISTINCT a.account_id
        FROM activities a JOIN live ON live.id = a.account_id
        WHERE NOT a.is_deleted AND a.occurred_at >= TIMESTAMP '{start}'
          AND a.occurred_at <= TIMESTAMP '{as_of}'
          AND a.type IN ({_quoted(qualifying)})
    ),
    new_deals AS (
        SELECT DISTINCT l.account_id FROM opportunity_accounts l
        JOIN opportunities o ON o.id = l.opportunity_id
        JOIN live ON live.id = l.account_id
        WHERE NOT o.is_deleted AND o.merged_into_id IS NULL
          AND o.type = 'new_business'
          AND o.created_on BETWEEN DATE '{period.start}' AND DATE '{last_day}'
    ),
    deals AS (
        SELECT o.amount_reporting AS amount, o.close_date,
            coalesce(o.is_closed, s.is_closed,
                     lower(trim(o.stage)) IN ({_quoted(closed_labels)}), false)
                AS closed,
            coalesce(o.is_won, s.is_won,
                     lower(trim(o.stage)) IN ({_quoted(won_labels)}), false)
                AS won
        FROM opportunities o
        LEFT JOIN opportunity_stages s
          ON s.source_system = o.source_system AND s.stage = o.stage
        WHERE NOT o.is_deleted AND o.merged_into_id IS NULL
          AND o.type = 'new_business'
    ),
    closed AS (
        SELECT amount, closed AND won AS won FROM deals
        WHERE closed AND close_date BETWEEN DATE '{period.start}' AND DATE '{last_day}'
    ),
    scoring AS (
        SELECT a.id, a.account_id, a.type, a.occurred_at, a.occurred_on,
               coalesce(p.persona, 'unknown') AS persona, live.tier
        FROM activities a
        JOIN live ON live.id = a.account_id
        LEFT JOIN people p ON p.id = a.person_id
        WHERE NOT a.is_deleted AND a.occurred_at > TIMESTAMP '{since}'
          AND a.occurred_at <= TIMESTAMP '{as_of}'
          AND a.type IN ({_quoted(sorted(weights))})
    ),
    ranked AS (
        SELECT *, row_number() OVER (
            PARTITION BY account_id, type, occurred_on ORDER BY occurred_at, id
        ) AS day_rank
        FROM scoring
    ),
    scores AS (
        SELECT sum(
            {_cases("type", weights, "0.0")}
            * {_cases("persona", personas, "1.0")}
            * {_cases("CAST(tier AS VARCHAR)", tiers, "1.0")}
            * pow(0.5, ({(as_of - datetime(1970, 1, 1)).total_seconds()!r}
                         - epoch(occurred_at)) / {half_life!r})
        ) AS total
        FROM ranked
        WHERE day_rank <= {_cases("type", caps, "NULL")}
           OR {_cases("type", caps, "NULL")} IS NULL
    )
    SELECT
        (SELECT count(*) FROM engaged) / (SELECT count(*) FROM live) AS contact_rate,
        (SELECT count(*) FROM new_deals) / (SELECT count(*) FROM live)
            AS opportunity_rate,
        (SELECT count(*) FILTER (WHERE won) / count(*) FROM closed) AS win_rate,
        (SELECT avg(amount) FILTER (WHERE won) FROM closed) AS average_deal_size,
        (SELECT total FROM scores) / (SELECT count(*) FROM live) AS engagement_score
    """


def sql_values(workspace: Workspace, period: Period) -> dict[str, float | None]:
    """Compute the headline figures with the hand-written query."""
    import duckdb

    connection = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        cursor = connection.execute(headline_sql(workspace.settings, period))
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    finally:
        connection.close()
    return dict(zip(names, row, strict=True))


def abmkpi_values(workspace: Workspace, period: Period) -> dict[str, float | None]:
    """Compute every KPI with abmkpi and return the headline figures."""
    from abmkpi.metrics.compute import compute_kpis

    with workspace.open_store(read_only=True) as store:
        report = compute_kpis(store, workspace.settings, period)
    return {kpi: report.find(kpi, "all", variant).value for kpi, variant in HEADLINES}


def latest_quarter(workspace: Workspace) -> Period:
    import duckdb

    connection = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        row = connection.execute("SELECT max(occurred_on) FROM activities").fetchone()
    finally:
        connection.close()
    if row is None or row[0] is None:
        sys.exit(f"{workspace.root}: no activities; pass --period")
    calendar = workspace.calendar
    return calendar.previous(calendar.fiscal_quarter_of(row[0]))[0]


def _timed(function: Any, *args: Any) -> tuple[float, dict[str, float | None]]:
    started = time.perf_counter()
    values = function(*args)
    return time.perf_counter() - started, values


def _same(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is second
    return math.isclose(float(first), float(second), rel_tol=1e-9, abs_tol=1e-12)


def main() -> None:
    args = parse_args()
    workspace = Workspace.load(args.workspace)
    period = (
        workspace.calendar.parse(args.period)
        if args.period
        else latest_quarter(workspace)
    )
    if args.only:
        side = sql_values if args.only == "sql" else abmkpi_values
        print(json.dumps({"period": period.id, **side(workspace, period)}))
        return
    sql_runs, abmkpi_runs = [], []
    for _ in range(args.runs):
        seconds, sql = _timed(sql_values, workspace, period)
        sql_runs.append(seconds)
        seconds, ours = _timed(abmkpi_values, workspace, period)
        abmkpi_runs.append(seconds)
    print(f"period {period.id}, {args.runs} runs of each side (median seconds)")
    print(f"{'KPI':<20} {'hand-written SQL':>20} {'abmkpi':>20}  same")
    for kpi, _ in HEADLINES:
        same = "yes" if _same(sql[kpi], ours[kpi]) else "NO"
        print(f"{kpi:<20} {sql[kpi]!s:>20.20} {ours[kpi]!s:>20.20}  {same}")
    sql_median = statistics.median(sql_runs)
    abmkpi_median = statistics.median(abmkpi_runs)
    print(f"hand-written SQL: {sql_median:.2f}s (the five figures)")
    print(f"abmkpi:           {abmkpi_median:.2f}s (every KPI of every segment)")
    print(f"ratio abmkpi / SQL: {abmkpi_median / sql_median:.1f}")
    mismatched = [kpi for kpi, _ in HEADLINES if not _same(sql[kpi], ours[kpi])]
    if mismatched:
        sys.exit(f"values differ: {', '.join(mismatched)}")


if __name__ == "__main__":
    main()
