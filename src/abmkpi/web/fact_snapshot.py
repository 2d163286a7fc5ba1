"""One version of a period's KPI facts, never changed once published.

A live update builds a new snapshot from the previous one (copying the row
dictionaries, replacing the changed rows) and publishes it in one
assignment, so a request always reads one consistent version and never
waits for an update in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from abmkpi.metrics.accounts import account_row
from abmkpi.metrics.compute import FactRows, segment_results
from abmkpi.metrics.context import KpiContext, Segment
from abmkpi.metrics.results import KpiResult
from abmkpi.web.account_table import AccountTable

Row = dict[str, Any]


class FactSnapshot:
    """The fact rows of one data version, with results assembled on demand."""

    def __init__(
        self,
        version: int,
        accounts: dict[str, Row],
        deals: dict[str, Row],
        rows: FactRows,
        results: dict[str, list[KpiResult]] | None = None,
    ):
        self.version = version
        self.accounts = accounts
        self.deals = deals
        # Leads, stays, reached, stage order and customer-success facts.
        self._base = rows
        self._rows: FactRows | None = None
        self._results = dict(results or {})
        self._table: AccountTable | None = None
        # The account table of an earlier version, and the accounts changed
        # since, from which this version's table is built.
        self._table_base: tuple[AccountTable, frozenset[str]] | None = None
        self._lock = threading.Lock()
        self._table_lock = threading.Lock()

    @classmethod
    def of(cls, version: int, rows: FactRows) -> FactSnapshot:
        snapshot = cls(
            version,
            {row["account_id"]: row for row in rows.accounts},
            {row["opportunity_id"]: row for row in rows.deals},
            rows,
        )
        snapshot._rows = rows
        return snapshot

    @property
    def leads(self) -> list[Row]:
        return self._base.leads

    def fact_rows(self) -> FactRows:
        """Return the facts as lists in ``FACT_ORDER``, as a cold fetch has them."""
        with self._lock:
            if self._rows is None:
                self._rows = FactRows(
                    accounts=_ordered(self.accounts),
                    deals=_ordered(self.deals),
                    leads=self._base.leads,
                    stays=self._base.stays,
                    reached=self._base.reached,
                    open_stages=self._base.open_stages,
                    contracts=self._base.contracts,
                    customers=self._base.customers,
                    responses=self._base.responses,
                )
            return self._rows

    def results(self, ctx: KpiContext, segment_id: str) -> list[KpiResult]:
        """Return one segment's results, assembling them on first use."""
        rows = self.fact_rows()
        with self._lock:
            known = self._results.get(segment_id)
        if known is None:
            known = segment_results(ctx, rows, segment_id)
            with self._lock:
                self._results.setdefault(segment_id, known)
        return known

    @property
    def assembled(self) -> list[str]:
        with self._lock:
            return list(self._results)

    def updated(
        self,
        version: int,
        accounts: list[Row],
        account_ids: Iterable[str],
        deals: list[Row],
        leads: list[Row] | None,
        responses: list[Row] | None = None,
    ) -> tuple[FactSnapshot, list[str]]:
        """Return the next snapshot with rows replaced, and the segments it
        must reassemble (those assembled here that the changed rows touch)."""
        touched = [*accounts, *deals]
        new_accounts = dict(self.accounts)
        for key in account_ids:
            old = new_accounts.pop(key, None)
            if old is not None:
                touched.append(old)
        new_accounts.update((row["account_id"], row) for row in accounts)
        new_deals = dict(self.deals)
        touched += [
            new_deals[r["opportunity_id"]]
            for r in deals
            if r["opportunity_id"] in new_deals
        ]
        new_deals.update((row["opportunity_id"], row) for row in deals)
        base = self._base
        if leads is not None:
            touched += [*base.leads, *leads]
            base = replace(base, accounts=[], deals=[], leads=leads)
        if responses is not None:
            touched += [*base.responses, *responses]
            base = replace(base, accounts=[], deals=[], responses=responses)
        keys = {(row.get("seg"), row.get("tier")) for row in touched}
        kept, stale = {}, []
        for segment_id, results in self._results.items():
            if any(Segment(segment_id).includes(seg, tier) for seg, tier in keys):
                stale.append(segment_id)
            else:
                kept[segment_id] = results
        snapshot = FactSnapshot(version, new_accounts, new_deals, base, kept)
        changed = frozenset(account_ids)
        with self._table_lock:
            if self._table is not None:
                snapshot._table_base = (self._table, changed)
            elif self._table_base is not None:
                table, earlier = self._table_base
                snapshot._table_base = (table, earlier | changed)
        return snapshot, stale

    def account_table(
        self, totals: dict[str, Row], names: dict[str, Row], threshold: float
    ) -> AccountTable:
        """Return the account list of this version as a queryable table."""
        with self._table_lock:
            if self._table is not None:
                return self._table
            if self._table_base is None:
                facts: Iterable[Row] = self.accounts.values()
            else:
                table, changed = self._table_base
                facts = [self.accounts[key] for key in changed if key in self.accounts]
            rows = [account_row(fact, totals, names, threshold) for fact in facts]
            if self._table_base is None:
                self._table = AccountTable.of(rows)
            else:
                self._table = table.replaced(rows, changed)
            self._table_base = None
            return self._table


def _ordered(rows: dict[str, Row]) -> list[Row]:
    return [rows[key] for key in sorted(rows)]
