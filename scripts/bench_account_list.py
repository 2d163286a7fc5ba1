#!/usr/bin/env python
"""Time the account list table behind /api/v1/accounts on synthetic rows.

    PYTHONPATH=src python scripts/bench_account_list.py --accounts 100000

Prints the time to build the table, to replace the rows of changed
accounts, to sort it the first time, and the median of 20 queries per case
after the first. Not a timed test; figures vary with load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from abmkpi.web.account_table import AccountQuery, AccountTable

STAGES = ("customer", "opportunity", "mqa", "engaged", "aware", "unengaged")


def synthetic_rows(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        target = number < 100
        rows.append(
            {
                "id": f"demo:acc{number}",
                "account_id": f"demo:acc{number}",
                "source_id": f"acc{number}",
                "name": f"株式会社サンプル{number} Holdings",
                "owner": f"owner {number % 40}",
                "seg": "target" if target else "non_target",
                "tier": number % 3 + 1 if target else None,
                "journey_stage": rng.choice(STAGES),
                "score": rng.random() * 100,
                "engaged_people": rng.randint(0, 9),
            }
        )
    return rows


def median_ms(table: AccountTable, query: AccountQuery, runs: int = 20) -> float:
    table.query(query)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        table.query(query)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=500)
    args = parser.parse_args()
    rows = synthetic_rows(args.accounts, seed=1)

    started = time.perf_counter()
    table = AccountTable.of(rows)
    print(f"build {args.accounts:,} rows: {time.perf_counter() - started:.2f} s")
    changed = [dict(row, score=row["score"] + 1) for row in rows[: args.changed]]
    started = time.perf_counter()
    replaced = table.replaced(changed, {row["id"] for row in changed})
    print(f"replace {args.changed:,} rows: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    replaced.sorted_by("score", None)
    print(f"first sort by score: {time.perf_counter() - started:.2f} s")

    cases = {
        "page 1 by score": AccountQuery(),
        "page 1,000 by score": AccountQuery(page=1000),
        "page 1 by name": AccountQuery(sort="name"),
        "text search": AccountQuery(search="サンプル123"),
        "stage and minimum score": AccountQuery(
            stages=("mqa", "engaged"), min_score=50
        ),
        "owner": AccountQuery(owner="owner 7"),
    }
    for name, query in cases.items():
        print(f"{name}: {median_ms(replaced, query):.1f} ms")


if __name__ == "__main__":
    main()
