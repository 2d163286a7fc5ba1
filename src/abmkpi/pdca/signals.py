"""Signals of each target account that the low-performer rules read.

Every signal is taken as of one instant. Engagement means an activity of a
qualifying type (``engagement.qualifying_types``), as the engaged KPIs
count it. An account *became
engaged* at its first qualifying activity after its latest new-business
opportunity was created (or ever, without one), so a new opportunity
restarts the clock of the engaged-without-opportunity rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from abmkpi.config import Settings
from abmkpi.store.database import Store


@dataclass
class TargetSignals:
    """One live target account's last engagement, deals and handoff."""

    account_id: str
    name: str | None
    tier: int | None
    owner: str | None
    last_engaged_at: datetime | None
    engaged_since: datetime | None
    last_new_opportunity_at: datetime | None


def target_signals(
    store: Store, settings: Settings, as_of: datetime
) -> list[TargetSignals]:
    """Return the signals of every live target account, ordered by id."""
    qualifying = [kind.value for kind in settings.engagement.qualifying_types]
    rows = store.fetch_dicts(_SIGNALS_SQL, [as_of, qualifying])
    return [TargetSignals(**row) for row in rows]


_SIGNALS_SQL = """
WITH params AS (SELECT ?::TIMESTAMP AS as_of, ?::VARCHAR[] AS qualifying),
targets AS (
    SELECT id, name, tier, owner FROM accounts
    WHERE is_target AND NOT is_deleted AND merged_into_id IS NULL
), deals AS (
    SELECT l.account_id, max(coalesce(o.created_at, o.created_on::TIMESTAMP)) AS last_at
    FROM opportunities o
    JOIN opportunity_accounts l ON l.opportunity_id = o.id, params p
    WHERE NOT o.is_deleted AND o.merged_into_id IS NULL
      AND o.type = 'new_business'
      AND coalesce(o.created_at, o.created_on::TIMESTAMP) <= p.as_of
    GROUP BY l.account_id
), engaged AS (
    SELECT v.account_id, v.occurred_at
    FROM activities v, params p
    WHERE NOT v.is_deleted AND v.occurred_at <= p.as_of
      AND list_contains(p.qualifying, v.type)
)
SELECT t.id AS account_id, t.name, t.tier, t.owner,
       max(e.occurred_at) AS last_engaged_at,
       min(e.occurred_at) FILTER (
           WHERE d.last_at IS NULL OR e.occurred_at > d.last_at
       ) AS engaged_since,
       any_value(d.last_at) AS last_new_opportunity_at
FROM targets t
LEFT JOIN engaged e ON e.account_id = t.id
LEFT JOIN deals d ON d.account_id = t.id
GROUP BY t.id, t.name, t.tier, t.owner
ORDER BY t.id
"""


def handoff_crossings(
    store: Store, as_of: datetime
) -> dict[str, dict[str, Any]] | None:
    """Return each account's latest handoff up to ``as_of``, or None when the
    handoffs table is empty (handoffs are not recorded in this workspace)."""
    if not store.scalar("SELECT count(*) FROM handoffs"):
        return None
    rows = store.fetch_dicts(
        """
        SELECT account_id, arg_max(crossed_at, crossed_at) AS crossed_at,
               arg_max(score, crossed_at) AS score
        FROM handoffs WHERE crossed_at <= ?
        GROUP BY account_id
        """,
        [as_of],
    )
    return {row.pop("account_id"): row for row in rows}


def first_sales_activity(
    store: Store,
    settings: Settings,
    since: dict[str, datetime],
    as_of: datetime,
) -> dict[str, datetime]:
    """Return each account's first sales activity after its instant in ``since``."""
    if not since:
        return {}
    types = [kind.value for kind in settings.handoff.sales_activity_types]
    rows = store.fetch_all(
        """
        SELECT v.account_id, min(v.occurred_at)
        FROM activities v
        JOIN (SELECT unnest(?::VARCHAR[]) AS account_id,
                     unnest(?::TIMESTAMP[]) AS since) s
          ON s.account_id = v.account_id
        WHERE NOT v.is_deleted AND list_contains(?::VARCHAR[], v.type)
          AND v.occurred_at > s.since AND v.occurred_at <= ?
        GROUP BY v.account_id
        """,
        [list(since), list(since.values()), types, as_of],
    )
    return {account_id: instant for account_id, instant in rows}
