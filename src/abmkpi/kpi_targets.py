"""KPI targets per period: stored overrides of the config's ``kpi.targets``.

The config's ``kpi.targets`` is the target of every period. A target stored
for one KPI key (an id or ``id:variant``), period and segment replaces it
for that period and segment only. Segments are 'target', 'all',
'non_target', 'tier:N' and 'account:ID'; the per-account targets are the
plan of a PDCA cycle and apply to that account's results.

A result uses the stored target of its own segment first (see
:func:`stored_target`). A tier without one uses the stored target of the
segment the config's target covers: the target accounts, or all accounts
for comparison KPIs. At each step ``id:variant`` comes before the bare id.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from abmkpi.errors import AbmkpiError, FieldError, UserMessage, message_of
from abmkpi.kpi_ids import target_key_problem

if TYPE_CHECKING:
    from abmkpi.periods import Period
    from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

# Stored targets of one period, by (KPI key, segment).
PeriodTargets = Mapping[tuple[str, str], float]


@dataclass(frozen=True)
class StoredTarget:
    """One stored target of a KPI key for a period and segment."""

    kpi_key: str
    period_id: str
    segment: str
    value: float
    set_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi_key,
            "period": self.period_id,
            "segment": self.segment,
            "value": self.value,
            "set_at": self.set_at.isoformat(timespec="seconds") + "Z",
        }


def check_kpi_key(key: str) -> str:
    """Return ``key`` stripped, or raise AbmkpiError if it names no KPI."""
    key = key.strip()
    problem = target_key_problem(key)
    if problem is not None:
        raise AbmkpiError(
            UserMessage("invalid KPI %(key)r: %(problem)s", key=key, problem=problem)
        )
    return key


def check_value(key: str, value: float) -> float:
    """Return the target value, or raise AbmkpiError for one no KPI can meet.

    Rates (ratio KPIs) are fractions, so their targets lie in 0–1, except
    rates such as net revenue retention that can exceed 100%.
    """
    from abmkpi.metrics.registry import DEFINITIONS
    from abmkpi.metrics.results import Unit

    if not math.isfinite(value):
        raise AbmkpiError(
            UserMessage(
                "invalid target %(value)s for %(key)s: give a finite number",
                value=value,
                key=key,
            )
        )
    kpi_id = key.partition(":")[0]
    definition = DEFINITIONS.get(kpi_id)
    if kpi_id == "nps":
        # NPS runs from -100 (all detractors) to 100 (all promoters).
        if not -100 <= value <= 100:
            raise AbmkpiError(
                UserMessage(
                    "invalid target %(value)g for %(key)s: an NPS target lies "
                    "from -100 to 100",
                    value=value,
                    key=key,
                )
            )
    elif definition is not None and definition.unit == Unit.RATIO:
        if value < 0 or (definition.bounded and value > 1):
            raise AbmkpiError(
                UserMessage(
                    "invalid target %(value)g for %(key)s: a rate target is a "
                    "fraction from 0 to 1, for example 0.4 for 40%%",
                    value=value,
                    key=key,
                )
            )
    elif value < 0:
        raise AbmkpiError(
            UserMessage(
                "invalid target %(value)g for %(key)s: give 0 or more",
                value=value,
                key=key,
            )
        )
    return value


def check_segment(text: str) -> str:
    """Return the segment id of 'target', 'all', 'non-target' or 'tier:N'."""
    from abmkpi.metrics.context import parse_segment

    try:
        segment = parse_segment(text)
    except ValueError as error:
        raise AbmkpiError(message_of(error)) from error
    if segment.account_id is not None:
        raise AbmkpiError(
            UserMessage(
                "invalid segment %(text)r: give an account with --account instead",
                text=text,
            )
        )
    return segment.id


def check_kpi_segment(key: str, segment: str) -> str:
    """Return ``segment``, or raise FieldError when the KPI has no value for it.

    A comparison KPI (deal-size uplift: the target accounts' average deal ÷
    the non-target accounts') has a value only for segment 'all' and per
    tier, so a target for 'target', 'non_target' or one account is never
    used.
    """
    from abmkpi.metrics.registry import DEFINITIONS

    kpi_id = key.partition(":")[0]
    definition = DEFINITIONS.get(kpi_id)
    if definition is None or definition.target_scope != "comparison":
        return segment
    if segment == "all" or segment.startswith("tier:"):
        return segment
    raise FieldError(
        "segment",
        UserMessage(
            "a %(kpi)s target cannot be set for segment %(segment)r: the KPI "
            "compares target with non-target accounts, so it has a value only "
            "for segment all (every tier) and for tier:N; use --segment all or "
            "tier:N",
            kpi=kpi_id,
            segment=segment,
        ),
    )


def set_kpi_target(
    store: Store,
    key: str,
    period: Period,
    value: float,
    segment: str = "target",
    when: datetime | None = None,
    today: date | None = None,
) -> StoredTarget:
    """Store the target of a KPI key for a period and segment, replacing any.

    The period must start within the plan window of :mod:`abmkpi.plan_dates`
    around ``today``, the workspace's business date (default: the UTC date
    of ``when``).
    """
    from abmkpi.plan_dates import check_plan_period
    from abmkpi.usage import utc_now

    key = check_kpi_key(key)
    value = check_value(key, value)
    check_kpi_segment(key, segment)
    when = when or utc_now()
    check_plan_period(period.id, period.start, today or when.date())
    target = StoredTarget(key, period.id, segment, value, when)
    store.execute(
        "INSERT OR REPLACE INTO kpi_targets "
        "(kpi_key, period_id, segment, value, set_at) VALUES (?, ?, ?, ?, ?)",
        [key, period.id, segment, value, target.set_at],
    )
    logger.info("set the %s target of %s (%s) to %g", key, period.id, segment, value)
    return target


def list_kpi_targets(store: Store, period_id: str | None = None) -> list[StoredTarget]:
    """Return the stored targets, of one period or of all, in key order."""
    sql = "SELECT kpi_key, period_id, segment, value, set_at FROM kpi_targets"
    params: list[Any] = []
    if period_id is not None:
        sql += " WHERE period_id = ?"
        params.append(period_id)
    sql += " ORDER BY period_id, kpi_key, segment"
    return [StoredTarget(*row) for row in store.fetch_all(sql, params)]


def clear_kpi_targets(
    store: Store,
    key: str | None = None,
    period_id: str | None = None,
    segment: str | None = None,
) -> int:
    """Delete the stored targets that match every given filter; return how many."""
    conditions = {"kpi_key": key, "period_id": period_id, "segment": segment}
    given = {column: value for column, value in conditions.items() if value}
    where = " AND ".join(f"{column} = ?" for column in given) or "true"
    count = int(
        store.scalar(
            f"SELECT count(*) FROM kpi_targets WHERE {where}", [*given.values()]
        )
    )
    store.execute(f"DELETE FROM kpi_targets WHERE {where}", [*given.values()])
    logger.info("cleared %d stored KPI targets (%s)", count, given or "all")
    return count


def period_targets(store: Store, period_id: str) -> dict[tuple[str, str], float]:
    """Return the stored targets of a period by (KPI key, segment)."""
    rows = store.fetch_all(
        "SELECT kpi_key, segment, value FROM kpi_targets WHERE period_id = ?",
        [period_id],
    )
    return {(key, segment): value for key, segment, value in rows}


def stored_target(
    targets: PeriodTargets,
    kpi_id: str,
    variant: str | None,
    segment: str,
    scope_segment: str,
) -> float | None:
    """Return the stored target a result of ``segment`` uses, or None.

    ``scope_segment`` is the segment the config's target covers for this KPI
    ('target', or 'all' for comparison KPIs); a tier falls back to it.
    """
    keys = [f"{kpi_id}:{variant}", kpi_id] if variant is not None else [kpi_id]
    segments = [segment]
    if segment.startswith("tier:"):
        segments.append(scope_segment)
    for candidate in segments:
        for key in keys:
            if (key, candidate) in targets:
                return targets[(key, candidate)]
    return None
