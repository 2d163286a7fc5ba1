"""Numbers the pages and the API show, cached and kept current.

KPIs of the plain segments (all, target, non-target, tiers) come from the
period's cached facts (:mod:`abmkpi.web.facts_cache`), which live ingest
keeps current by recomputing only the changed accounts. Per-account
segments and account details are computed on request and cached under the
workspace's data version, so any write makes older entries unreachable.

A running period is computed as of the end of the current minute; a past
period as of its end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from abmkpi.metrics.accounts import JOURNEY_STAGES, AccountDetail, account_detail
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.metrics.context import Segment
from abmkpi.metrics.journey import JourneyProgress, journey_progress, today
from abmkpi.periods import Period, business_date
from abmkpi.web.account_table import AccountQuery
from abmkpi.web.facts_cache import FactSet, as_of_for, minute_end
from abmkpi.web.state import WebState

T = TypeVar("T")

MAX_ENTRIES = 64


class QueryCache:
    """A small least-recently-used cache keyed by data version and arguments.

    Requests that ask for the same key while it is being computed wait for
    that computation instead of starting their own, because one KPI report
    costs seconds of CPU.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._entries:
                    return self._entries[key]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            with self._lock:
                self._computing.pop(key, None)
                self._entries[key] = value
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache_of(state: WebState) -> QueryCache:
    cache = getattr(state, "query_cache", None)
    if cache is None:
        cache = QueryCache()
        state.query_cache = cache  # type: ignore[attr-defined]
    return cache


def fact_set(state: WebState, period: Period) -> FactSet:
    """Return the period's current cached facts."""
    as_of = as_of_for(state.workspace.settings, period)
    facts = state.facts.get(state, period, as_of)
    if not facts.is_prepared:
        state.refresher.wake()
    return facts


def now_minute() -> datetime:
    """The current instant to the minute, so running periods refresh each minute."""
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)


def clock_key(state: WebState, period: Period, now: datetime) -> datetime | None:
    """The part of a cache key that depends on the clock.

    A period that has ended is computed as of its end, whatever the time, so
    its entries stay valid until the data changes.
    """
    _, end = period.utc_bounds(state.workspace.settings.workspace.time_zone)
    return now if now < end else None


def kpi_report(
    state: WebState, period: Period, segments: list[str] | None = None
) -> KpiReport:
    """Return the KPIs of a period for the segments (default: all of them).

    The report equals :func:`abmkpi.metrics.compute.compute_kpis` of the
    same instant, as ``abmkpi kpi`` prints it.
    """
    if not segments or all(Segment(s).account_id is None for s in segments):
        return fact_set(state, period).report(state.workspace.settings, segments)
    settings = state.workspace.settings
    as_of = as_of_for(settings, period)
    # Contract outcomes are judged at the current minute, also for a past
    # period, so the day is part of the key.
    now = minute_end()
    today = business_date(now, settings.workspace.time_zone)
    key = ("kpis", state.data_version, period.id, tuple(segments), as_of, today)

    def compute() -> KpiReport:
        with state.reader() as store:
            return compute_kpis(store, settings, period, segments, now)

    return cache_of(state).get(key, compute)


def trend(
    state: WebState, period: Period, count: int = 4, segments: list[str] | None = None
) -> list[KpiReport]:
    """Return the reports of ``count`` periods before ``period`` and of it."""
    calendar = state.workspace.calendar
    periods = [*calendar.previous(period, count), period]
    return [kpi_report(state, item, segments) for item in periods]


@dataclass
class Funnel:
    """Accounts per journey stage, for target accounts and for all accounts."""

    period: Period
    targets: dict[str, int]
    everyone: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.id,
            "stages": list(JOURNEY_STAGES[::-1]),
            "target": self.targets,
            "all": self.everyone,
        }


def account_rows(state: WebState, period: Period) -> list[dict[str, Any]]:
    """Return every live account with its facts for the period, by score."""
    facts = fact_set(state, period)
    table = facts.account_table(state)
    return table.sorted_by("score", None).drop_columns(["search"]).to_pylist()


def account_page(
    state: WebState, period: Period, query: AccountQuery
) -> tuple[int, list[dict[str, Any]]]:
    """Return the number of accounts matching a query and one page of them."""
    return fact_set(state, period).account_table(state).query(query)


def funnel(state: WebState, period: Period) -> Funnel:
    """Count accounts per journey stage (unengaged → customer) for the period."""
    table = fact_set(state, period).account_table(state)
    targets = table.stage_counts(target_only=True)
    everyone = table.stage_counts(target_only=False)
    order = JOURNEY_STAGES[::-1]
    return Funnel(
        period,
        {stage: targets.get(stage, 0) for stage in order},
        {stage: everyone.get(stage, 0) for stage in order},
    )


def account_view(
    state: WebState, key: str, period: Period, top: int = 10
) -> AccountDetail:
    """Return one account's detail for the period (cached per data version)."""
    settings = state.workspace.settings
    as_of = as_of_for(settings, period)
    cache_key = ("account", state.data_version, key, period.id, as_of, top)

    def compute() -> AccountDetail:
        with state.reader() as store:
            return account_detail(store, settings, key, period, as_of, top)

    return cache_of(state).get(cache_key, compute)


def journey(
    state: WebState, from_date: date, to_date: date, segment: str = "target"
) -> JourneyProgress:
    """Return the journey progress of a segment between two dates (cached per
    data version, and per minute while ``to_date`` is today).

    Today's stages are taken at the end of the current minute, as the KPIs
    of a running period are.
    """
    settings = state.workspace.settings
    now = now_minute()
    running = to_date >= today(settings, now)
    clock = now if running else None
    key = ("journey", state.data_version, from_date, to_date, segment, clock)

    def compute() -> JourneyProgress:
        with state.reader() as store:
            return journey_progress(
                store, settings, from_date, to_date, segment, minute_end(now)
            )

    return cache_of(state).get(key, compute)
