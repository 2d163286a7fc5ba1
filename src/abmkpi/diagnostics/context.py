"""Shared inputs of the checklist items: the store, the settings and the instant.

Queries several items share (the target list, the KPI targets, the KPIs of
the trailing year) run once per diagnostics run and are kept here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from abmkpi.config import Settings
from abmkpi.periods import Calendar, Period, business_date
from abmkpi.store.database import Store

if TYPE_CHECKING:
    from abmkpi.metrics.compute import KpiReport

logger = logging.getLogger(__name__)

# The KPIs the diagnostics compute cover the year before the check.
KPI_WINDOW_DAYS = 365

LIVE_ACCOUNT = "NOT a.is_deleted AND a.merged_into_id IS NULL"
LIVE_OPPORTUNITY = "NOT o.is_deleted AND o.merged_into_id IS NULL"


@dataclass
class TargetAccount:
    id: str
    name: str | None
    tier: int | None


@dataclass
class DiagnosticContext:
    """One diagnostics run: the store, the settings and ``now`` (naive UTC)."""

    store: Store
    settings: Settings
    now: datetime

    @property
    def max_listed(self) -> int:
        return self.settings.diagnose.max_listed

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def age_days(self, instant: datetime | None) -> float | None:
        """Return the days from ``instant`` to now, to one decimal."""
        if instant is None:
            return None
        return round((self.now - instant).total_seconds() / 86400, 1)

    def local_time(self, instant: datetime) -> str:
        """Return a stored instant (naive UTC) in the business time zone,
        with the zone named: '2024-05-01 22:04 Asia/Tokyo'."""
        zone_name = self.settings.workspace.time_zone
        local = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(zone_name))
        return f"{local:%Y-%m-%d %H:%M} {zone_name}"

    def count(self, sql: str, params: list[Any] | None = None) -> int:
        return int(self.store.scalar(sql, params) or 0)

    @cached_property
    def targets(self) -> list[TargetAccount]:
        """The live target accounts, by tier and id."""
        rows = self.store.fetch_all(
            f"SELECT a.id, a.name, a.tier FROM accounts a "
            f"WHERE a.is_target AND {LIVE_ACCOUNT} ORDER BY a.tier, a.id"
        )
        return [TargetAccount(*row) for row in rows]

    @cached_property
    def kpi_targets(self) -> dict[str, list[str]]:
        """Every KPI key with a target, and where each target is set.

        Targets come from ``kpi.targets`` in the config and from the
        ``kpi_targets`` table (targets per period). Per-account targets of a
        PDCA plan (segment ``account:ID``) are not KPI targets of the program.
        """
        found: dict[str, list[str]] = {}
        for key in self.settings.kpi.targets:
            found.setdefault(key, []).append("config")
        rows = self.store.fetch_all(
            "SELECT DISTINCT kpi_key FROM kpi_targets "
            "WHERE NOT starts_with(segment, 'account:') ORDER BY kpi_key"
        )
        for (key,) in rows:
            found.setdefault(key, []).append("period")
        return found

    def has_target(self, key: str) -> bool:
        """Return whether ``key`` (an id, or id:variant) or a variant has a target."""
        kpi_id = key.partition(":")[0]
        return any(
            known == key or (known.partition(":")[0] == kpi_id and key == kpi_id)
            for known in self.kpi_targets
        )

    @cached_property
    def kpi_period(self) -> Period:
        calendar = Calendar(self.settings.fiscal, self.settings.workspace.time_zone)
        today = business_date(self.now, self.settings.workspace.time_zone)
        start = today - timedelta(days=KPI_WINDOW_DAYS - 1)
        return calendar.parse(f"{start}..{today}")

    @cached_property
    def kpis(self) -> KpiReport:
        """The KPIs of all and target accounts over the year before ``now``."""
        from abmkpi.metrics.compute import compute_kpis

        return compute_kpis(
            self.store, self.settings, self.kpi_period, ["all", "target"], self.now
        )
