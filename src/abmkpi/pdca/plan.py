"""Plan: the per-account KPI targets of a period next to the account's actuals.

Targets are ``kpi_targets`` rows whose segment is ``account:ID``, keyed by a
KPI id or ``id:variant``; this module only reads them. Actuals are the
KPIs of each planned account's segment, computed for those accounts only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from abmkpi.config import Settings
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.periods import Period
from abmkpi.store.database import Store

ACCOUNT_PREFIX = "account:"


@dataclass
class PlanLine:
    """One KPI target of an account and the value it reached."""

    account_id: str
    account_name: str | None
    kpi_key: str
    target: float
    actual: float | None
    unit: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def account_targets(store: Store, period: Period) -> list[dict[str, Any]]:
    """Return the per-account targets of a period: account_id, kpi_key, value."""
    return store.fetch_dicts(
        """
        SELECT substr(t.segment, ?) AS account_id, t.kpi_key, t.value
        FROM kpi_targets t
        WHERE t.period_id = ? AND starts_with(t.segment, ?)
        ORDER BY account_id, t.kpi_key
        """,
        [len(ACCOUNT_PREFIX) + 1, period.id, ACCOUNT_PREFIX],
    )


def account_plans(
    store: Store, settings: Settings, period: Period, now: datetime | None = None
) -> list[PlanLine]:
    """Return every per-account target of the period with its actual value."""
    targets = account_targets(store, period)
    if not targets:
        return []
    names = dict(store.fetch_all("SELECT id, name FROM accounts"))
    live = [row["account_id"] for row in targets if row["account_id"] in names]
    segments = [ACCOUNT_PREFIX + account_id for account_id in dict.fromkeys(live)]
    report = compute_kpis(store, settings, period, segments, now) if segments else None
    lines = []
    for row in targets:
        actual, unit = _actual(report, row["account_id"], row["kpi_key"])
        lines.append(
            PlanLine(
                account_id=row["account_id"],
                account_name=names.get(row["account_id"]),
                kpi_key=row["kpi_key"],
                target=float(row["value"]),
                actual=actual,
                unit=unit,
            )
        )
    return lines


def _actual(
    report: KpiReport | None, account_id: str, kpi_key: str
) -> tuple[float | None, str | None]:
    if report is None:
        return None, None
    kpi_id, _, variant = kpi_key.partition(":")
    try:
        result = report.find(kpi_id, ACCOUNT_PREFIX + account_id, variant or None)
    except KeyError:
        return None, None
    return result.value, str(result.unit)
