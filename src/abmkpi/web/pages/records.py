"""Store queries the pages need beyond the KPI engine, cached per data version.

Imports and their files, freshness, unmatched records, contracts, NPS
responses and the open pipeline by stage. Every statement takes its values
as parameters; none is built from request text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from abmkpi.metrics.compute import open_stage_order
from abmkpi.metrics.context import BackendTables, KpiContext, Segment
from abmkpi.metrics.facts import opportunity_facts_expr
from abmkpi.periods import Period
from abmkpi.store.database import Store
from abmkpi.web.queries import cache_of, clock_key
from abmkpi.web.state import WebState

T = TypeVar("T")

MAX_ROWS = 50


def _cached(state: WebState, key: tuple[Any, ...], read: Callable[[Store], T]) -> T:
    def compute() -> T:
        with state.reader() as store:
            return read(store)

    return cache_of(state).get((*key, state.data_version), compute)


def imports(state: WebState, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest imports, newest first, each with its files."""

    def read(store: Store) -> list[dict[str, Any]]:
        rows = store.fetch_dicts(
            "SELECT * FROM imports ORDER BY started_at DESC, id DESC LIMIT ?", [limit]
        )
        ids = [row["id"] for row in rows]
        files = store.fetch_dicts(
            """
            SELECT import_id, path, object, encoding, rows_read, rows_loaded,
                   rows_updated, rows_unchanged, rows_deleted, rows_skipped,
                   rows_rejected
            FROM import_files WHERE list_contains(?, import_id)
            ORDER BY import_id, path, object
            """,
            [ids],
        )
        for row in rows:
            row["files"] = [item for item in files if item["import_id"] == row["id"]]
        return rows

    return _cached(state, ("imports", limit), read)


def freshness(state: WebState) -> dict[str, Any]:
    """Return the latest activity, import, opportunity change and record counts."""

    def read(store: Store) -> dict[str, Any]:
        row = store.fetch_dicts(
            """
            SELECT
              (SELECT max(occurred_at) FROM activities WHERE NOT is_deleted)
                  AS latest_activity,
              (SELECT max(finished_at) FROM imports) AS latest_import,
              (SELECT max(changed_at) FROM opportunity_stage_history
               WHERE NOT is_deleted) AS latest_stage_change,
              (SELECT count(*) FROM accounts
               WHERE NOT is_deleted AND merged_into_id IS NULL) AS accounts,
              (SELECT count(*) FROM people
               WHERE NOT is_deleted AND merged_into_id IS NULL) AS people,
              (SELECT count(*) FROM activities WHERE NOT is_deleted) AS activities,
              (SELECT count(*) FROM opportunities WHERE NOT is_deleted)
                  AS opportunities
            """
        )[0]
        row["checked_at"] = datetime.now(UTC).replace(tzinfo=None)
        return row

    return _cached(state, ("freshness",), read)


def unmatched(state: WebState, entity: str) -> tuple[list[dict[str, Any]], int]:
    """Return live unmatched people or activities (the first 50) and their count."""
    if entity == "people":
        sql = """
            SELECT id, source_system, kind AS detail, company_name, email_domain,
                   coalesce(match_note, 'not_matched_yet') AS reason,
                   count(*) OVER () AS total
            FROM people
            WHERE account_id IS NULL AND NOT is_deleted AND merged_into_id IS NULL
            ORDER BY source_system, id LIMIT ?
        """
    elif entity == "activities":
        sql = """
            SELECT id, source_system, type AS detail, company_name,
                   split_part(email, '@', 2) AS email_domain,
                   coalesce(match_note, 'not_matched_yet') AS reason,
                   count(*) OVER () AS total
            FROM activities
            WHERE account_id IS NULL AND NOT is_deleted
            ORDER BY occurred_at DESC, id LIMIT ?
        """
    else:
        raise ValueError(f"unknown entity {entity!r}; use people or activities")

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        return _split_total(store.fetch_dicts(sql, [MAX_ROWS]))

    return _cached(state, ("unmatched", entity), read)


def contracts(state: WebState) -> tuple[list[dict[str, Any]], int]:
    """Return live contracts ending soonest first (the first 50) and their count."""

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        rows = store.fetch_dicts(
            """
            SELECT c.id, c.account_id, a.name AS account_name, c.start_date,
                   c.end_date, c.arr, c.currency, c.arr_reporting, c.status,
                   count(*) OVER () AS total
            FROM contracts c LEFT JOIN accounts a ON a.id = c.account_id
            WHERE NOT c.is_deleted
            ORDER BY c.end_date DESC NULLS LAST, c.id LIMIT ?
            """,
            [MAX_ROWS],
        )
        return _split_total(rows)

    return _cached(state, ("contracts",), read)


def nps_responses(state: WebState) -> tuple[list[dict[str, Any]], int]:
    """Return the latest NPS responses (the first 50) and their count."""

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        rows = store.fetch_dicts(
            """
            SELECT n.id, n.account_id, a.name AS account_name, n.score,
                   n.responded_at, n.comment, count(*) OVER () AS total
            FROM nps_responses n LEFT JOIN accounts a ON a.id = n.account_id
            ORDER BY n.responded_at DESC, n.id LIMIT ?
            """,
            [MAX_ROWS],
        )
        return _split_total(rows)

    return _cached(state, ("nps",), read)


def _split_total(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    total = int(rows[0]["total"]) if rows else 0
    for row in rows:
        row.pop("total")
    return rows, total


def pipeline_by_stage(
    state: WebState, period: Period, segment: str, now: datetime
) -> list[dict[str, Any]]:
    """Return open new-business deals at the period end per stage, in sales order.

    Each row has stage, deals and amount (reporting currency); the stage is
    the one the deal was in at the period end.
    """

    def read(store: Store) -> list[dict[str, Any]]:
        tables = BackendTables(store.ibis())
        ctx = KpiContext.for_period(tables, state.workspace.settings, period, now)
        deals = opportunity_facts_expr(ctx)
        deals = deals.filter(deals.open_at_end, deals.type == "new_business")
        rows = tables.backend.to_pyarrow(
            deals.select("seg", "tier", "stage_at_end", "amount_at_end")
        ).to_pylist()
        chosen = Segment(segment)
        totals: dict[str, dict[str, Any]] = {}
        for row in rows:
            if not chosen.includes(row["seg"], row["tier"]):
                continue
            stage = row["stage_at_end"] or ""
            total = totals.setdefault(
                stage, {"stage": stage, "deals": 0, "amount": 0.0}
            )
            total["deals"] += 1
            total["amount"] += row["amount_at_end"] or 0.0
        order = open_stage_order(ctx)
        return sorted(
            totals.values(),
            key=lambda item: (
                order.index(item["stage"]) if item["stage"] in order else len(order),
                item["stage"],
            ),
        )

    key = ("pipeline", period.id, segment, clock_key(state, period, now))
    return _cached(state, key, read)
