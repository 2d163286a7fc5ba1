"""Usage events: what people did with the product, for diagnostics.

Diagnostics ask whether the KPIs are used (pages viewed, reports generated,
handoffs acknowledged, PDCA actions reviewed). The product records each of
these as it happens, in the store's ``usage_events`` table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abmkpi.store.database import Store


class UsageKind(StrEnum):
    PAGE_VIEWED = "page_viewed"
    REPORT_GENERATED = "report_generated"
    HANDOFF_ACKNOWLEDGED = "handoff_acknowledged"
    PDCA_REVIEWED = "pdca_reviewed"
    DIAGNOSE_RUN = "diagnose_run"


def utc_now() -> datetime:
    """Return the current instant as a naive UTC timestamp, as the store keeps it."""
    return datetime.now(UTC).replace(tzinfo=None)


def record_usage(
    store: Store,
    kind: UsageKind,
    *,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
    when: datetime | None = None,
) -> None:
    """Store one usage event at ``when`` (naive UTC, default now)."""
    store.execute(
        "INSERT INTO usage_events (id, kind, occurred_at, actor, detail) "
        "VALUES (nextval('usage_event_ids'), ?, ?, ?, ?)",
        [
            str(kind),
            when or utc_now(),
            actor,
            json.dumps(detail, ensure_ascii=False) if detail is not None else None,
        ],
    )


def last_usage(store: Store, kind: UsageKind) -> datetime | None:
    """Return when ``kind`` last happened (naive UTC), or None if never."""
    row = store.fetch_one(
        "SELECT max(occurred_at) FROM usage_events WHERE kind = ?", [str(kind)]
    )
    return row[0] if row else None


def usage_count(store: Store, kind: UsageKind, since: timedelta) -> int:
    """Return how often ``kind`` happened in the last ``since``."""
    row = store.fetch_one(
        "SELECT count(*) FROM usage_events WHERE kind = ? AND occurred_at >= ?",
        [str(kind), utc_now() - since],
    )
    return int(row[0]) if row else 0
