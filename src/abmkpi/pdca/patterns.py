"""Patterns to reuse (横展開): what preceded new-business opportunities.

Accounts of the scope (target accounts, or all live accounts) fall in two
groups: those with a new-business opportunity created in the period
(reached), and the rest. For every activity type, campaign and asset, a
pattern counts the accounts of each group that had it in the
``pattern_window_days`` before a reference instant, and compares the groups
with a lift, its interval and Fisher's exact test (see
:mod:`abmkpi.pdca.statistics`).

A reached account's reference instant is the creation of its first such
opportunity. Every other account gets the reference instant of one reached
account, assigned in turn in a fixed order (time-matched controls). A
window that ended at the period end for all of them would compare different
weeks: a campaign that ran only before the period would then show up almost
only in the reached group and look predictive.

Significance uses Holm-adjusted p-values within each kind (type, campaign,
asset), because dozens of campaigns and assets are tested at once. A pattern
with fewer accounts than ``pattern_min_accounts`` or not significant at
``significance_level`` is weak evidence.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from abmkpi.canonical import DELIVERY_ACTIVITY_TYPES
from abmkpi.config import Settings
from abmkpi.pdca.statistics import (
    Table2x2,
    fisher_p_value,
    holm_adjusted,
    lift,
    lift_interval,
)
from abmkpi.pdca.window import as_of_instant, period_days
from abmkpi.periods import Period
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


class PatternScope(StrEnum):
    TARGET = "target"
    ALL = "all"


class PatternKind(StrEnum):
    ACTIVITY_TYPE = "activity_type"
    CAMPAIGN = "campaign"
    ASSET = "asset"


@dataclass
class Pattern:
    """One activity type, campaign or asset and how it relates to opportunities.

    ``accounts_with`` = a + b and ``reached_with`` = a of the 2×2 table;
    ``reached_without`` = c and ``accounts_without`` = c + d.
    """

    kind: PatternKind
    key: str
    label: str
    reached_with: int
    accounts_with: int
    reached_without: int
    accounts_without: int
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    p_value: float
    p_adjusted: float
    significant: bool
    weak: bool

    @property
    def rate_with(self) -> float:
        return self.reached_with / self.accounts_with

    @property
    def rate_without(self) -> float | None:
        if not self.accounts_without:
            return None
        return self.reached_without / self.accounts_without

    @property
    def is_candidate(self) -> bool:
        """A pattern to reuse: significant, with more opportunities when present."""
        return not self.weak and self.rate_with > (self.rate_without or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "kind": str(self.kind),
            "rate_with": self.rate_with,
            "rate_without": self.rate_without,
            "candidate": self.is_candidate,
        }


@dataclass
class PatternReport:
    """The patterns of one period and scope, with the groups they compare."""

    period: Period
    scope: PatternScope
    window_days: int
    accounts: int
    reached: int
    patterns: list[Pattern] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.id,
            "scope": str(self.scope),
            "window_days": self.window_days,
            "accounts": self.accounts,
            "reached": self.reached,
            "patterns": [pattern.to_dict() for pattern in self.patterns],
        }


def patterns(
    store: Store,
    settings: Settings,
    period: Period,
    now: datetime | None = None,
    scope: PatternScope = PatternScope.TARGET,
) -> list[Pattern]:
    """Return the patterns of ``period``, candidates to reuse first."""
    return pattern_report(store, settings, period, now, scope).patterns


def pattern_report(
    store: Store,
    settings: Settings,
    period: Period,
    now: datetime | None = None,
    scope: PatternScope = PatternScope.TARGET,
) -> PatternReport:
    """Compare accounts that reached a new-business opportunity in the period
    with those that did not."""
    as_of = as_of_instant(settings, period, now)
    start, end = period_days(settings, period, as_of)
    window = settings.pdca.pattern_window_days
    params = [scope == PatternScope.TARGET, start, end, as_of, window]
    accounts, reached = _group_sizes(store, params)
    report = PatternReport(period, scope, window, accounts, reached)
    if reached == 0 or reached == accounts:
        logger.info(
            "no patterns for %s (%s): %d of %d accounts reached an opportunity",
            period.id,
            scope,
            reached,
            accounts,
        )
        return report
    counts = store.fetch_dicts(_FEATURE_COUNTS_SQL, params)
    report.patterns = _patterns_of(counts, settings, accounts, reached)
    return report


def _group_sizes(store: Store, params: list[Any]) -> tuple[int, int]:
    row = store.fetch_one(
        _REFERENCES_SQL + "SELECT count(*), count(*) FILTER (WHERE reached) FROM refs",
        params,
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _patterns_of(
    counts: list[dict[str, Any]], settings: Settings, accounts: int, reached: int
) -> list[Pattern]:
    found = []
    for kind in PatternKind:
        rows = [row for row in counts if row["kind"] == kind.value]
        tables = [_table(row, accounts, reached) for row in rows]
        p_values = [fisher_p_value(table) for table in tables]
        adjusted = holm_adjusted(p_values)
        for row, table, p_value, p_adjusted in zip(
            rows, tables, p_values, adjusted, strict=True
        ):
            found.append(_pattern(kind, row, table, p_value, p_adjusted, settings))
    return sorted(found, key=_rank)


def _table(row: dict[str, Any], accounts: int, reached: int) -> Table2x2:
    a, b = int(row["reached_with"]), int(row["others_with"])
    c = reached - a
    return Table2x2(a, b, c, accounts - reached - b)


def _pattern(
    kind: PatternKind,
    row: dict[str, Any],
    table: Table2x2,
    p_value: float,
    p_adjusted: float,
    settings: Settings,
) -> Pattern:
    pdca = settings.pdca
    significant = p_adjusted < pdca.significance_level
    interval = lift_interval(table)
    return Pattern(
        kind=kind,
        key=row["key"],
        label=row["label"] or row["key"],
        reached_with=table.a,
        accounts_with=table.with_pattern,
        reached_without=table.c,
        accounts_without=table.without_pattern,
        lift=lift(table),
        lift_low=interval[0] if interval else None,
        lift_high=interval[1] if interval else None,
        p_value=p_value,
        p_adjusted=p_adjusted,
        significant=significant,
        weak=not significant or table.with_pattern < pdca.pattern_min_accounts,
    )


def _rank(pattern: Pattern) -> tuple[bool, float, str, str]:
    """Candidates first, then by the interval's lower bound, largest first."""
    return (
        not pattern.is_candidate,
        -(pattern.lift_low or 0.0),
        str(pattern.kind),
        pattern.key,
    )


# Parameters: targets only, period start date, last date counted, as-of
# instant, window days. Reached accounts are ranked by reference instant, the
# others by a hash of their id, and other number k takes the reference of
# reached number k mod (reached count).
# NOTE: an opportunity without a creation instant is taken as created at
# midnight UTC of its creation date.
_REFERENCES_SQL = """
WITH params AS (
    SELECT ?::BOOLEAN AS targets_only, ?::DATE AS first_day, ?::DATE AS last_day,
           ?::TIMESTAMP AS as_of, ?::INTEGER AS window_days
), scope AS (
    SELECT a.id AS account_id
    FROM accounts a, params p
    WHERE NOT a.is_deleted AND a.merged_into_id IS NULL
      AND (a.is_target OR NOT p.targets_only)
), first_deals AS (
    SELECT l.account_id,
           min(coalesce(o.created_at, o.created_on::TIMESTAMP)) AS reference
    FROM opportunities o
    JOIN opportunity_accounts l ON l.opportunity_id = o.id
    JOIN scope s ON s.account_id = l.account_id, params p
    WHERE NOT o.is_deleted AND o.merged_into_id IS NULL
      AND o.type = 'new_business'
      AND o.created_on BETWEEN p.first_day AND p.last_day
    GROUP BY l.account_id
), reached AS (
    SELECT account_id, reference,
           row_number() OVER (ORDER BY reference, account_id) - 1 AS slot
    FROM first_deals
), others AS (
    SELECT s.account_id,
           (row_number() OVER (ORDER BY md5(s.account_id), s.account_id) - 1)
               % greatest((SELECT count(*) FROM reached), 1) AS slot
    FROM scope s
    WHERE s.account_id NOT IN (SELECT account_id FROM reached)
), refs AS (
    SELECT account_id, true AS reached, reference FROM reached
    UNION ALL
    SELECT o.account_id, false AS reached,
           coalesce(r.reference, (SELECT as_of FROM params)) AS reference
    FROM others o LEFT JOIN reached r ON r.slot = o.slot
)
"""

_DELIVERY_TYPES = ", ".join(f"'{kind.value}'" for kind in DELIVERY_ACTIVITY_TYPES)

_FEATURE_COUNTS_SQL = (
    _REFERENCES_SQL
    + f""",
preceding AS (
    SELECT r.account_id, r.reached, v.type, v.campaign_id, v.asset
    FROM refs r
    JOIN activities v ON v.account_id = r.account_id, params p
    WHERE NOT v.is_deleted
      AND v.type NOT IN ({_DELIVERY_TYPES})
      AND v.occurred_at < r.reference
      AND v.occurred_at >= r.reference - to_days(p.window_days)
), features AS (
    SELECT DISTINCT account_id, reached, 'activity_type' AS kind, type AS key
    FROM preceding
    UNION
    SELECT DISTINCT account_id, reached, 'campaign', campaign_id
    FROM preceding WHERE campaign_id IS NOT NULL
    UNION
    SELECT DISTINCT account_id, reached, 'asset', asset
    FROM preceding WHERE asset IS NOT NULL AND asset <> ''
)
SELECT f.kind, f.key, any_value(c.name) AS label,
       count(*) FILTER (WHERE f.reached) AS reached_with,
       count(*) FILTER (WHERE NOT f.reached) AS others_with
FROM features f
LEFT JOIN campaigns c ON f.kind = 'campaign' AND c.id = f.key
GROUP BY f.kind, f.key
ORDER BY f.kind, f.key
"""
)
