"""Low performers for the diagnostics: target accounts gone quiet.

A target account with no live activity in the last ``pdca.no_engagement_days``
days is a low performer. It has an action when a PDCA action on it is still
open or was logged within that window.

NOTE: this covers only the no-engagement rule. The PDCA check lists more
rules (engaged without an opportunity, MQA without follow-up, stalled deals);
the diagnostics item should read that list once it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from abmkpi.store.database import Store

# PDCA action states that end an action without a done time.
CLOSED_ACTION_STATES = ("done", "cancelled", "canceled", "closed")


@dataclass
class QuietTarget:
    """A target account without activity, and whether an action covers it."""

    account_id: str
    name: str | None
    tier: int | None
    last_activity_at: datetime | None
    has_action: bool


def quiet_targets(store: Store, now: datetime, days: int) -> list[QuietTarget]:
    """Return the target accounts without activity in the ``days`` before ``now``."""
    since = now - timedelta(days=days)
    rows = store.fetch_all(
        """
        SELECT a.id, a.name, a.tier, max(t.occurred_at) AS last_activity_at,
               EXISTS (
                   SELECT 1 FROM pdca_actions p
                   WHERE p.account_id = a.id
                     AND ((p.done_at IS NULL AND NOT list_contains(?, p.status))
                          OR p.created_at >= ?)
               ) AS has_action
        FROM accounts a
        LEFT JOIN activities t
            ON t.account_id = a.id AND NOT t.is_deleted AND t.occurred_at <= ?
        WHERE a.is_target AND NOT a.is_deleted AND a.merged_into_id IS NULL
        GROUP BY a.id, a.name, a.tier
        HAVING max(t.occurred_at) IS NULL OR max(t.occurred_at) < ?
        ORDER BY a.tier, a.id
        """,
        [list(CLOSED_ACTION_STATES), since, now, since],
    )
    return [QuietTarget(*row) for row in rows]
