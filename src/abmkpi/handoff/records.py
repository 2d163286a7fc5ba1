"""Stored handoffs: reading them, their status, and acknowledging them.

A handoff's status at an instant, checked in this order:

- ``followed_up``: a sales activity on the account came after the crossing;
- ``backfilled``: detected more than ``handoff.backfill_days`` after its
  crossing, so sales got no notice of it and no SLA applies;
- ``breached``: none came and the SLA due time has passed;
- ``acknowledged``: someone acknowledged it (``abmkpi handoff ack``);
- ``open``: none of these yet.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from abmkpi.errors import NotFoundError, UserMessage
from abmkpi.free_text import checked_text
from abmkpi.notify import deliveries_of
from abmkpi.store.database import Store
from abmkpi.usage import UsageKind, record_usage, utc_now

logger = logging.getLogger(__name__)

SUBJECT_HANDOFF = "handoff"
SUBJECT_BREACH = "handoff_breach"
# The one message per detection run that counts backfilled handoffs.
SUBJECT_BACKFILL = "handoff_backfill"
# Maximum length of the name of who acknowledges a handoff.
MAX_ACTOR_LENGTH = 200


class HandoffStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    BREACHED = "breached"
    FOLLOWED_UP = "followed_up"
    BACKFILLED = "backfilled"


STATUS_FILTERS = (
    "open",
    "acknowledged",
    "breached",
    "followed_up",
    "backfilled",
    "all",
)


@dataclass
class Handoff:
    """One handoff row with the account's name."""

    id: int
    account_id: str
    account_name: str | None
    crossed_at: datetime
    score: float
    threshold: float
    trigger: str
    owner_id: str | None
    evidence: dict[str, Any]
    created_at: datetime
    sla_due_at: datetime
    first_sales_activity_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    breached_at: datetime | None
    backfilled: bool

    def status_at(self, now: datetime) -> HandoffStatus:
        # The same order as _STATUS_SQL.
        if self.first_sales_activity_at is not None:
            return HandoffStatus.FOLLOWED_UP
        if self.backfilled:
            return HandoffStatus.BACKFILLED
        if now > self.sla_due_at:
            return HandoffStatus.BREACHED
        if self.acknowledged_at is not None:
            return HandoffStatus.ACKNOWLEDGED
        return HandoffStatus.OPEN

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "status": str(self.status_at(now)),
            "crossed_at": self.crossed_at,
            "score": self.score,
            "threshold": self.threshold,
            "trigger": self.trigger,
            "owner_id": self.owner_id,
            "created_at": self.created_at,
            "sla_due_at": self.sla_due_at,
            "first_sales_activity_at": self.first_sales_activity_at,
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "breached_at": self.breached_at,
            "backfilled": self.backfilled,
            "evidence": self.evidence,
        }


_SELECT = """
    SELECT h.id, h.account_id, a.name, h.crossed_at, h.score, h.threshold,
           h.trigger, h.owner_id, h.evidence, h.created_at, h.sla_due_at,
           h.first_sales_activity_at, h.acknowledged_at, h.acknowledged_by,
           h.breached_at, h.backfilled
    FROM handoffs h LEFT JOIN accounts a ON a.id = h.account_id
"""
# A handoff's status at the instant bound to the parameter, as status_at.
_STATUS_SQL = """
    CASE WHEN h.first_sales_activity_at IS NOT NULL THEN 'followed_up'
         WHEN h.backfilled THEN 'backfilled'
         WHEN ? > h.sla_due_at THEN 'breached'
         WHEN h.acknowledged_at IS NOT NULL THEN 'acknowledged'
         ELSE 'open' END
"""


def _handoff(row: tuple[Any, ...]) -> Handoff:
    values = list(row)
    values[8] = json.loads(values[8])
    return Handoff(*values)


def list_handoffs(
    store: Store, status: str = "all", now: datetime | None = None
) -> list[Handoff]:
    """Return handoffs with the given status at ``now``, newest first."""
    return handoff_page(store, status, now)[1]


def handoff_page(
    store: Store,
    status: str = "all",
    now: datetime | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> tuple[int, list[Handoff]]:
    """Return how many handoffs have the given status at ``now`` and one page
    of them, newest first; ``page_size`` None returns them all."""
    if status not in STATUS_FILTERS:
        raise ValueError(
            f"invalid handoff status {status!r}; use {', '.join(STATUS_FILTERS)}"
        )
    if page < 1:
        raise ValueError(f"invalid page {page}; pages start at 1")
    when = now or utc_now()
    where, params = "", []
    if status != "all":
        where = f"WHERE ({_STATUS_SQL}) = ? "
        params = [when, status]
    total = store.scalar("SELECT count(*) FROM handoffs h " + where, params)
    query = _SELECT + where + "ORDER BY h.created_at DESC, h.id DESC"
    if page_size is not None:
        query += " LIMIT ? OFFSET ?"
        params = [*params, page_size, (page - 1) * page_size]
    rows = store.fetch_all(query, params)
    return int(total or 0), [_handoff(row) for row in rows]


def backfilled_among(store: Store, handoff_ids: list[int]) -> list[int]:
    """Return the ids among ``handoff_ids`` of handoffs recorded as backfilled."""
    if not handoff_ids:
        return []
    rows = store.fetch_all(
        "SELECT id FROM handoffs WHERE backfilled AND list_contains(?, id) ORDER BY id",
        [handoff_ids],
    )
    return [int(row[0]) for row in rows]


def get_handoff(store: Store, handoff_id: int) -> Handoff:
    row = store.fetch_one(_SELECT + "WHERE h.id = ?", [handoff_id])
    if row is None:
        raise NotFoundError(
            UserMessage(
                "handoff %(id)s not found; 'abmkpi handoff list' shows the ids",
                id=handoff_id,
            )
        )
    return _handoff(row)


def delivery_states(
    store: Store, handoff_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Return the deliveries of each handoff: its notice and any breach notice."""
    ids = [str(handoff_id) for handoff_id in handoff_ids]
    states: dict[int, list[dict[str, Any]]] = {h: [] for h in handoff_ids}
    for kind in (SUBJECT_HANDOFF, SUBJECT_BREACH):
        for delivery in deliveries_of(store, kind, ids):
            states[int(delivery.subject_id)].append(delivery.to_dict())
    return states


def acknowledge(
    store: Store,
    handoff_id: int,
    by: str | None = None,
    now: datetime | None = None,
) -> Handoff:
    """Mark a handoff acknowledged and record the usage event.

    Acknowledging twice keeps the first time and name. ``by`` is checked as
    free text of at most MAX_ACTOR_LENGTH characters.
    """
    handoff, _ = acknowledge_once(store, handoff_id, by, now)
    return handoff


def acknowledge_once(
    store: Store,
    handoff_id: int,
    by: str | None = None,
    now: datetime | None = None,
) -> tuple[Handoff, bool]:
    """Acknowledge a handoff as :func:`acknowledge` does, and return it with
    whether it had already been acknowledged (then nothing changed)."""
    when = now or utc_now()
    by = checked_text(by, "by", MAX_ACTOR_LENGTH, label="acknowledged-by name")
    with store.transaction():
        handoff = get_handoff(store, handoff_id)
        if handoff.acknowledged_at is not None:
            return handoff, True
        store.execute(
            "UPDATE handoffs SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
            [when, by, handoff_id],
            table="handoffs",
        )
        record_usage(
            store,
            UsageKind.HANDOFF_ACKNOWLEDGED,
            actor=by,
            detail={"handoff_id": handoff_id, "account_id": handoff.account_id},
            when=when,
        )
    logger.info("handoff %d of account %s acknowledged", handoff_id, handoff.account_id)
    return get_handoff(store, handoff_id), False
