"""KPI facts of a period, cached and kept current by recomputing changed accounts.

A full KPI computation fetches the facts of every account, deal, lead and
stage stay of a period (seconds on a workspace of a few thousand accounts).
A live ingest changes the facts of a few accounts only, so a cached
:class:`FactSet` recomputes the rows of those accounts and of the deals
linked to them, with queries compiled once per fact set, and reassembles
only the segments those rows belong to. The result equals a cold
:func:`abmkpi.metrics.compute.compute_kpis` of the same instant. Each
update publishes a new :class:`~abmkpi.web.fact_snapshot.FactSnapshot`, so
requests read the last published version while an update runs.

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
from abmkpi.kpi_targets import PeriodTargets, period_targets
from abmkpi.metrics import customer_facts, facts
from abmkpi.metrics.accounts import account_names, deal_totals
from abmkpi.metrics.compute import (
    FACT_ORDER,
    KpiReport,
    default_segments,
    empty_report,
    fetch_fact_rows,
)
from abmkpi.metrics.context import BackendTables, KpiContext, UnboundTables
from abmkpi.periods import Period
from abmkpi.store.database import Store
from abmkpi.web.account_table import AccountTable
from abmkpi.web.fact_snapshot import FactSnapshot
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
    """The facts of one period as of one instant, in published snapshots.

    ``snapshot`` is replaced whole by each update, so a reader never waits
    for an update that another thread runs. ``update_lock`` lets one update
    run at a time.
    """

    def __init__(
        self,
        period: Period,
        as_of: datetime,
        snapshot: FactSnapshot,
        stored_targets: PeriodTargets | None = None,
        now: datetime | None = None,
    ):
        self.period = period
        self.as_of = as_of
        # When the facts were computed: contract cohort outcomes are judged
        # then (see KpiContext.now).
        self.now = now
        self.snapshot = snapshot
        # The period's stored KPI targets, read again by reload(), which
        # every write other than a live ingest causes.
        self.stored_targets = stored_targets or {}
        self.update_lock = threading.Lock()
        self.last_used = time.monotonic()
        self._delta_sql: dict[str, str] = {}
        self._list_inputs: tuple[dict[str, Row], dict[str, Row], float] | None = None

    @property
    def version(self) -> int:
        return self.snapshot.version

    @classmethod
    def compute(
        cls, state: WebState, period: Period, as_of: datetime, version: int
    ) -> FactSet:
        now = minute_end()
        snapshot = _compute_snapshot(state, period, as_of, version, now)
        return cls(period, as_of, snapshot, _stored_targets(state, period), now)

    def reload(self, state: WebState, version: int) -> None:
        """Recompute every row; call with ``update_lock`` held."""
        now = minute_end()
        self.snapshot = _compute_snapshot(state, self.period, self.as_of, version, now)
        self.stored_targets = _stored_targets(state, self.period)
        self.now = now
        self._list_inputs = None

    def context(self, settings: Settings) -> KpiContext:
        """Return a context for assembling results, which runs no queries."""
        return KpiContext(
            UnboundTables(),
            settings,
            self.period,
            self.as_of,
            stored_targets=self.stored_targets,
            now=self.now,
        )

    def report(self, settings: Settings, segments: list[str] | None) -> KpiReport:
        """Assemble the report of the segments from the current snapshot."""
        self.last_used = time.monotonic()
        snapshot = self.snapshot
        ctx = self.context(settings)
        rows = snapshot.fact_rows()
        report = empty_report(ctx, segments or default_segments(rows.accounts))
        for segment_id in report.segments:
            report.results += snapshot.results(ctx, segment_id)
        return report

    # Applying changes ---------------------------------------------------------

    def apply(self, state: WebState, change: Change, version: int) -> None:
        """Publish a snapshot with the rows a change touched recomputed and
        the segments assembled before reassembled; call with ``update_lock``
        held."""
        settings = state.workspace.settings
        accounts: list[Row] = []
        deals: list[Row] = []
        leads = responses = None
        with state.reader() as store:
            sql = self._compiled(store, settings)
            if change.account_ids:
                accounts, deals = _recompute_accounts(store, sql, change.account_ids)
            if change.people_added:
                # A new person can attribute older NPS responses to an account.
                leads = store.fetch_arrow(sql["leads"]).to_pylist()
                responses = store.fetch_arrow(sql["responses"]).to_pylist()
        snapshot, stale = self.snapshot.updated(
            version, accounts, change.account_ids, deals, leads, responses
        )
        ctx = self.context(settings)
        for segment_id in stale:
            snapshot.results(ctx, segment_id)
        self.snapshot = snapshot

    @property
    def is_prepared(self) -> bool:
        return bool(self._delta_sql)

    def prepare(self, state: WebState) -> None:
        """Compile the delta queries ahead of the first change."""
        with self.update_lock, state.reader() as store:
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
                "responses": customer_facts.nps_facts_expr(everyone),
            }
            self._delta_sql = {
                name: backend.compile(expression.order_by(list(FACT_ORDER[name])))
                for name, expression in expressions.items()
            }
        return self._delta_sql

    # The account list ---------------------------------------------------------

    def account_table(self, state: WebState) -> AccountTable:
        """Return the current account list as a table to filter, sort and page."""
        self.last_used = time.monotonic()
        if self._list_inputs is None:
            # Deal totals and names change with writes other than live
            # ingest, and those reload the whole fact set.
            with state.reader() as store:
                tables = BackendTables(store.ibis())
                settings = state.workspace.settings
                ctx = KpiContext(tables, settings, self.period, self.as_of)
                self._list_inputs = (
                    deal_totals(tables, ctx),
                    account_names(store),
                    settings.engagement.mqa_threshold,
                )
        return self.snapshot.account_table(*self._list_inputs)


def _compute_snapshot(
    state: WebState, period: Period, as_of: datetime, version: int, now: datetime
) -> FactSnapshot:
    started = time.perf_counter()
    with state.reader() as store:
        tables = BackendTables(store.ibis())
        ctx = KpiContext(tables, state.workspace.settings, period, as_of, now=now)
        rows = fetch_fact_rows(ctx, tables)
    logger.info(
        "computed the facts of %s as of %s in %.2fs",
        period.id,
        as_of.isoformat(timespec="seconds"),
        time.perf_counter() - started,
    )
    return FactSnapshot.of(version, rows)


def _stored_targets(state: WebState, period: Period) -> PeriodTargets:
    with state.reader() as store:
        return period_targets(store, period.id)


def _recompute_accounts(
    store: Store, sql: dict[str, str], account_ids: Iterable[str]
) -> tuple[list[Row], list[Row]]:
    """Run the delta queries for some accounts: their facts and the facts of
    the deals linked to them."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED_ACCOUNTS_TABLE} AS "
        "SELECT unnest(?::VARCHAR[]) AS account_id",
        [sorted(account_ids)],
    )
    accounts = store.fetch_arrow(sql["accounts"]).to_pylist()
    deals = []
    if _has_deals(store):
        deals = store.fetch_arrow(sql["deals"]).to_pylist()
    store.execute(f"DROP TABLE {CHANGED_ACCOUNTS_TABLE}")
    return accounts, deals


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
            self.drop_past_minutes(state.workspace.settings)
            with self._build_lock(key):
                entry = self._lookup(key)
                if entry is None:
                    entry = FactSet.compute(state, period, as_of, state.data_version)
                    self._store(key, entry)
                with self._lock:
                    self._building.pop(key, None)
        self.catch_up(state, entry, wait=False)
        return entry

    def catch_up(self, state: WebState, entry: FactSet, wait: bool = True) -> None:
        """Bring a fact set to the current data version.

        Without ``wait``, a fact set that another thread is updating is left
        to that thread, and readers get its last published snapshot.
        """
        if entry.version >= state.data_version:
            return
        if not entry.update_lock.acquire(blocking=wait):
            return
        try:
            self._catch_up_locked(state, entry)
        finally:
            entry.update_lock.release()

    def _catch_up_locked(self, state: WebState, entry: FactSet) -> None:
        current = state.data_version
        if entry.version >= current:
            return
        started = time.perf_counter()
        change = state.changes.since(entry.version, current)
        if change is None:
            entry.reload(state, current)
        else:
            entry.apply(state, change, current)
        logger.debug(
            "brought the facts of %s to version %d (%s) in %.3fs",
            entry.period.id,
            current,
            "in full" if change is None else f"{len(change.account_ids)} accounts",
            time.perf_counter() - started,
        )

    def catch_up_all(self, state: WebState, in_use_seconds: float) -> None:
        """Catch up the fact sets used in the last ``in_use_seconds``; the
        others catch up when next requested."""
        self.drop_past_minutes(state.workspace.settings)
        recent = time.monotonic() - in_use_seconds
        for entry in self.entries():
            if entry.last_used >= recent:
                self.catch_up(state, entry, wait=True)

    def drop_past_minutes(
        self, settings: Settings, now: datetime | None = None
    ) -> None:
        """Drop the fact sets of running periods computed for a minute that
        has passed; no request asks for them again."""
        with self._lock:
            for key, entry in list(self._entries.items()):
                if entry.as_of < as_of_for(settings, entry.period, now):
                    del self._entries[key]

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
