"""Numbers the pages and the API show, cached per data version.

KPIs of a period take a second or two on a workspace of a few thousand
accounts, and a page shows the same period many times (cards, sparklines,
the JSON behind live updates). Results are cached under the period, the
segments and the workspace's data version, so a write (an import through
the API, a live ingest) makes every older entry unreachable.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from abmkpi.metrics.accounts import JOURNEY_STAGES, list_accounts
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.periods import Period
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
    """Return the KPIs of a period for the segments (default: all of them)."""
    now = now_minute()
    key = (
        "kpis",
        state.data_version,
        period.id,
        tuple(segments or ()),
        clock_key(state, period, now),
    )

    def compute() -> KpiReport:
        with state.reader() as store:
            return compute_kpis(store, state.workspace.settings, period, segments, now)

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
    """Return every live account with its facts for the period (cached)."""
    now = now_minute()
    key = ("accounts", state.data_version, period.id, clock_key(state, period, now))

    def compute() -> list[dict[str, Any]]:
        with state.reader() as store:
            return list_accounts(
                store, state.workspace.settings, period, "score", None, False, now
            )

    return cache_of(state).get(key, compute)


def funnel(state: WebState, period: Period) -> Funnel:
    """Count accounts per journey stage (unengaged → customer) for the period."""
    rows = account_rows(state, period)
    everyone = Counter(row["journey_stage"] for row in rows)
    targets = Counter(row["journey_stage"] for row in rows if row["seg"] == "target")
    order = JOURNEY_STAGES[::-1]
    return Funnel(
        period,
        {stage: targets.get(stage, 0) for stage in order},
        {stage: everyone.get(stage, 0) for stage in order},
    )
