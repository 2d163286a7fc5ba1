"""KPI facts of a period, cached and kept current by recomputing changed accounts.

A full KPI computation fetches the facts of every account, deal, lead and
stage stay of a period (seconds on a workspace of a few thousand accounts).
A live ingest changes the facts of a few accounts only, so a cached
:class:`FactSet` recomputes the rows of those accounts and of the deals
linked to them, with queries compiled once per fact set, and reassembles
only the segments those rows belong to. The result equals a cold
:func:`abmkpi.metrics.compute.compute_kpis` of the same instant.

Any other write (one that records no :class:`~abmkpi.web.live.Change`)
makes the next request recompute the fact set in full.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from abmkpi.config import Settings
from abmkpi.metrics import facts
from abmkpi.metrics.accounts import account_names, account_row, deal_totals
from abmkpi.metrics.compute import (
    FACT_ORDER,
    FactRows,
    KpiReport,
    default_segments,
    empty_report,
    fetch_fact_rows,
    segment_results,
)
from abmkpi.metrics.context import BackendTables, KpiContext, Segment, UnboundTables
from abmkpi.metrics.results import KpiResult
from abmkpi.periods import Period
from abmkpi.store.database import Store
from abmkpi.web.account_table import AccountTable
from abmkpi.web.live import Change

if TYPE_CHECKING:
    from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

Row = dict[str, Any]

# Fact sets kept: a few periods, each at the current and the next minute.
MAX_FACT_SETS = 16

# The table the compiled delta queries read the changed account ids from.
CHANGED_ACCOUNTS_TABLE = "web_changed_accounts"


def minute_end(now: datetime | None = None) -> datetime:
    """Return the last microsecond of the current minute, as naive UTC.

    Running periods are computed as of this instant, so the facts stay the
    same for a minute (and can be cached) while an activity that happened
    a moment ago already counts.
    """
    current = now or datetime.now(UTC).replace(tzinfo=None)
    start = current.replace(second=0, microsecond=0)
    return start + timedelta(minutes=1) - timedelta(microseconds=1)


def as_of_for(
    settings: Settings, period: Period, now: datetime | None = None
) -> datetime:
    """Return the instant the period's numbers are computed for."""
    ctx = KpiContext.for_period(UnboundTables(), settings, period, minute_end(now))
    return ctx.as_of


class FactSet:
    """The fact rows of one period as of one instant, at a data version."""

    def __init__(self, period: Period, as_of: datetime, version: int, rows: FactRows):
        self.period = period
        self.as_of = as_of
        self.version = version
        self.lock = threading.RLock()
        self.last_used = time.monotonic()
        self._delta_sql: dict[str, str] = {}
        self._load(rows)

    def _load(self, rows: FactRows) -> None:
        self.accounts = {row["account_id"]: row for row in rows.accounts}
        self.deals = {row["opportunity_id"]: row for row in rows.deals}
        self.leads = rows.leads
        self.stays = rows.stays
        self.reached = rows.reached
        self.open_stages = rows.open_stages
        self._rows: FactRows | None = rows
        self._results: dict[str, list[KpiResult]] = {}
        self._totals: dict[str, Row] | None = None
        self._names: dict[str, Row] | None = None
        self._account_rows: dict[str, Row] = {}
        self._threshold = 0.0
        self._account_table: AccountTable | None = None

    @classmethod
    def compute(
        cls, state: WebState, period: Period, as_of: datetime, version: int
    ) -> FactSet:
        started = time.perf_counter()
        with state.reader() as store:
            rows = _fetch_rows(store, state.workspace.settings, period, as_of)
        logger.info(
            "computed the facts of %s as of %s in %.2fs",
            period.id,
            as_of.isoformat(timespec="seconds"),
            time.perf_counter() - started,
        )
        return cls(period, as_of, version, rows)

    def reload(self, state: WebState) -> None:
        with state.reader() as store:
            self._load(
                _fetch_rows(store, state.workspace.settings, self.period, self.as_of)
            )
        self._delta_sql = {}

    def context(self, settings: Settings) -> KpiContext:
        """Return a context for assembling results, which runs no queries."""
        return KpiContext(UnboundTables(), settings, self.period, self.as_of)

    def fact_rows(self) -> FactRows:
        """Return the facts as lists in ``FACT_ORDER``, as a cold fetch has them."""
        if self._rows is None:
            self._rows = FactRows(
                accounts=_ordered(self.accounts),
                deals=_ordered(self.deals),
                leads=self.leads,
                stays=self.stays,
                reached=self.reached,
                open_stages=self.open_stages,
            )
        return self._rows

    def report(self, settings: Settings, segments: list[str] | None) -> KpiReport:
        """Assemble the report of the segments, reusing unchanged segments."""
        with self.lock:
            self.last_used = time.monotonic()
            ctx = self.context(settings)
            rows = self.fact_rows()
            report = empty_report(ctx, segments or default_segments(rows.accounts))
            for segment_id in report.segments:
                if segment_id not in self._results:
                    self._results[segment_id] = segment_results(ctx, rows, segment_id)
                report.results += self._results[segment_id]
            return report

    # Applying changes ---------------------------------------------------------

    def apply(self, state: WebState, change: Change) -> None:
        """Recompute the rows a change touched and reassemble the segments
        that were assembled before; call with ``lock`` held."""
        settings = state.workspace.settings
        touched: list[Row] = []
        with state.reader() as store:
            if change.account_ids:
                touched += self._recompute_accounts(store, settings, change.account_ids)
            if change.people_added:
                touched += self._recompute_leads(store, settings)
        segments = {(row.get("seg"), row.get("tier")) for row in touched}
        stale = [
            segment_id
            for segment_id in self._results
            if any(Segment(segment_id).includes(seg, tier) for seg, tier in segments)
        ]
        for segment_id in stale:
            del self._results[segment_id]
        self._rows = None
        ctx = self.context(settings)
        for segment_id in stale:
            self._results[segment_id] = segment_results(
                ctx, self.fact_rows(), segment_id
            )

    def _recompute_accounts(
        self, store: Store, settings: Settings, account_ids: Iterable[str]
    ) -> list[Row]:
        ids = sorted(account_ids)
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {CHANGED_ACCOUNTS_TABLE} AS "
            "SELECT unnest(?::VARCHAR[]) AS account_id",
            [ids],
        )
        sql = self._compiled(store, settings)
        accounts = store.fetch_arrow(sql["accounts"]).to_pylist()
        deals = []
        if _has_deals(store):
            deals = store.fetch_arrow(sql["deals"]).to_pylist()
        store.execute(f"DROP TABLE {CHANGED_ACCOUNTS_TABLE}")
        old = [self.accounts.pop(key) for key in ids if key in self.accounts]
        self.accounts.update((row["account_id"], row) for row in accounts)
        old += [
            self.deals[row["opportunity_id"]]
            for row in deals
            if row["opportunity_id"] in self.deals
        ]
        self.deals.update((row["opportunity_id"], row) for row in deals)
        self._refresh_account_rows(ids)
        return [*old, *accounts, *deals]

    def _recompute_leads(self, store: Store, settings: Settings) -> list[Row]:
        sql = self._compiled(store, settings)
        old = self.leads
        self.leads = store.fetch_arrow(sql["leads"]).to_pylist()
        return [*old, *self.leads]

    @property
    def is_prepared(self) -> bool:
        return bool(self._delta_sql)

    def prepare(self, state: WebState) -> None:
        """Compile the delta queries ahead of the first change."""
        with self.lock, state.reader() as store:
            self._compiled(store, state.workspace.settings)

    def _compiled(self, store: Store, settings: Settings) -> dict[str, str]:
        """Compile the delta queries once; the account filter reads a table."""
        if not self._delta_sql:
            store.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {CHANGED_ACCOUNTS_TABLE} "
                "(account_id VARCHAR)"
            )
            backend = store.ibis()
            tables = BackendTables(backend)
            ctx = KpiContext(
                tables,
                settings,
                self.period,
                self.as_of,
                account_ids_table=CHANGED_ACCOUNTS_TABLE,
            )
            everyone = KpiContext(tables, settings, self.period, self.as_of)
            expressions = {
                "accounts": facts.account_facts_expr(ctx),
                "deals": facts.opportunity_facts_expr(ctx),
                "leads": facts.new_leads_expr(everyone),
            }
            self._delta_sql = {
                name: backend.compile(expression.order_by(list(FACT_ORDER[name])))
                for name, expression in expressions.items()
            }
        return self._delta_sql

    # The account list ---------------------------------------------------------

    def account_rows(self, state: WebState) -> dict[str, Row]:
        """Return every account's list row (facts, deal totals, names, stage)."""
        with self.lock:
            if self._totals is None or self._names is None:
                with state.reader() as store:
                    tables = BackendTables(store.ibis())
                    ctx = KpiContext(
                        tables, state.workspace.settings, self.period, self.as_of
                    )
                    self._totals = deal_totals(tables, ctx)
                    self._names = account_names(store)
                self._threshold = state.workspace.settings.engagement.mqa_threshold
                self._refresh_account_rows(list(self.accounts))
            return self._account_rows

    def account_table(self, state: WebState) -> AccountTable:
        """Return the account list as a table to filter, sort and page."""
        with self.lock:
            if self._account_table is None:
                self._account_table = AccountTable(self.account_rows(state).values())
            return self._account_table

    def _refresh_account_rows(self, ids: list[str]) -> None:
        if self._totals is None or self._names is None:
            return
        for key in ids:
            fact = self.accounts.get(key)
            if fact is None:
                self._account_rows.pop(key, None)
            else:
                self._account_rows[key] = account_row(
                    fact, self._totals, self._names, self._threshold
                )
        self._account_table = None


def _has_deals(store: Store) -> bool:
    """Return whether any opportunity is linked to a changed account."""
    return bool(
        store.scalar(
            f"""
            SELECT count(*) FROM opportunity_accounts
            WHERE account_id IN (SELECT account_id FROM {CHANGED_ACCOUNTS_TABLE})
            """
        )
    )


def _fetch_rows(
    store: Store, settings: Settings, period: Period, as_of: datetime
) -> FactRows:
    tables = BackendTables(store.ibis())
    return fetch_fact_rows(KpiContext(tables, settings, period, as_of), tables)


def _ordered(rows: dict[str, Row]) -> list[Row]:
    return [rows[key] for key in sorted(rows)]


class FactCache:
    """Fact sets by period and instant, least recently used first out."""

    def __init__(self, max_entries: int = MAX_FACT_SETS):
        self._entries: OrderedDict[tuple[Any, ...], FactSet] = OrderedDict()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, state: WebState, period: Period, as_of: datetime) -> FactSet:
        """Return the current fact set, computing or catching it up as needed."""
        key = (period.id, period.start, period.end, as_of)
        entry = self._lookup(key)
        if entry is None:
            with self._build_lock(key):
                entry = self._lookup(key)
                if entry is None:
                    entry = FactSet.compute(state, period, as_of, state.data_version)
                    self._store(key, entry)
                with self._lock:
                    self._building.pop(key, None)
        self.catch_up(state, entry)
        return entry

    def catch_up(self, state: WebState, entry: FactSet) -> None:
        """Bring a fact set to the current data version."""
        with entry.lock:
            current = state.data_version
            if entry.version >= current:
                return
            started = time.perf_counter()
            change = state.changes.since(entry.version, current)
            if change is None:
                entry.reload(state)
            else:
                entry.apply(state, change)
            logger.debug(
                "brought the facts of %s from version %d to %d (%s) in %.3fs",
                entry.period.id,
                entry.version,
                current,
                "in full" if change is None else f"{len(change.account_ids)} accounts",
                time.perf_counter() - started,
            )
            entry.version = current

    def catch_up_all(self, state: WebState) -> None:
        for entry in self.entries():
            self.catch_up(state, entry)

    def entries(self) -> list[FactSet]:
        with self._lock:
            return list(self._entries.values())

    def contains(self, period: Period, as_of: datetime) -> bool:
        with self._lock:
            return (period.id, period.start, period.end, as_of) in self._entries

    def _lookup(self, key: tuple[Any, ...]) -> FactSet | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _store(self, key: tuple[Any, ...], entry: FactSet) -> None:
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def _build_lock(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(key, threading.Lock())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._building.clear()
