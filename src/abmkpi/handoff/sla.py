"""The handoff SLA: time from the crossing to the first sales activity.

``sla_due_at`` is the crossing instant plus ``handoff.sla_hours``: the clock
starts when sales should have been notified, however late the handoff is
recorded. The SLA closes at the first activity of ``handoff.sales_activity_types`` on
the account after the crossing instant, whether it was imported or
ingested. One that came between the crossing and the handoff counts too,
because sales were already on the account. A handoff past its due time
without one is breached: :func:`mark_breaches` stamps ``breached_at`` once
and, with ``handoff.renotify_on_breach``, queues one more notification. A
handoff recorded after its due time is stamped by detection instead,
without that notification (see :mod:`abmkpi.handoff.detection`). A
backfilled handoff has no SLA: it is never stamped breached, and a sales
activity after its crossing still marks it followed up.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from abmkpi.config import Settings
from abmkpi.handoff.messages import breach_message, handoff_link
from abmkpi.handoff.records import SUBJECT_BREACH, get_handoff
from abmkpi.notify import enqueue
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)


def sla_due_at(crossed_at: datetime, settings: Settings) -> datetime:
    """Return when sales must have followed up a crossing at ``crossed_at``."""
    return crossed_at + timedelta(hours=settings.handoff.sla_hours)


def sales_activity_types(settings: Settings) -> list[str]:
    """Return the activity types that follow a handoff up."""
    return [str(kind) for kind in settings.handoff.sales_activity_types]


def close_slas(
    store: Store, settings: Settings, account_ids: Collection[str] | None = None
) -> int:
    """Set first_sales_activity_at on open handoffs that sales followed up.

    ``account_ids`` limits the check to some accounts (None: all). Returns
    how many handoffs were closed.
    """
    if account_ids is not None and not account_ids:
        return 0
    types = sales_activity_types(settings)
    limit = "" if account_ids is None else "AND list_contains(?, h.account_id)"
    params: list[object] = [types]
    if account_ids is not None:
        params.append(sorted(account_ids))
    rows = store.fetch_all(
        f"""
        UPDATE handoffs SET first_sales_activity_at = first.occurred_at
        FROM (
            SELECT h.id, min(a.occurred_at) AS occurred_at
            FROM handoffs h JOIN activities a ON a.account_id = h.account_id
            WHERE h.first_sales_activity_at IS NULL AND NOT a.is_deleted
              AND list_contains(?, a.type) AND a.occurred_at > h.crossed_at
              {limit}
            GROUP BY h.id
        ) AS first
        WHERE handoffs.id = first.id
        RETURNING handoffs.id, handoffs.account_id, handoffs.first_sales_activity_at
        """,
        params,
    )
    for handoff_id, account_id, occurred_at in rows:
        logger.info(
            "handoff %d of account %s followed up by sales at %s",
            handoff_id,
            account_id,
            occurred_at.isoformat(timespec="seconds"),
        )
    return len(rows)


def mark_breaches(
    store: Store, settings: Settings, now: datetime | None = None
) -> list[int]:
    """Stamp handoffs past their SLA without a sales activity, except backfilled
    ones; return their ids.

    Each breach is stamped, and notified when configured, once.
    """
    when = now or utc_now()
    ids = []
    with store.transaction():
        rows = store.fetch_all(
            """
            UPDATE handoffs SET breached_at = ?
            WHERE first_sales_activity_at IS NULL AND breached_at IS NULL
              AND NOT backfilled AND sla_due_at < ?
            RETURNING id
            """,
            [when, when],
        )
        for (handoff_id,) in sorted(rows):
            handoff = get_handoff(store, handoff_id)
            logger.warning(
                "handoff %d of account %s breached its SLA: no sales activity by %s",
                handoff_id,
                handoff.account_id,
                handoff.sla_due_at.isoformat(timespec="seconds"),
            )
            if settings.handoff.renotify_on_breach:
                link = handoff_link(settings, handoff_id)
                message = breach_message(handoff, settings, link)
                enqueue(
                    store,
                    SUBJECT_BREACH,
                    str(handoff_id),
                    message,
                    settings=settings,
                    now=when,
                )
            ids.append(handoff_id)
    return ids
