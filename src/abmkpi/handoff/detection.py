"""Recording a handoff when an account crosses the MQA threshold.

Detection runs after imports, after live ingests (for the accounts the
ingest changed) and on ``abmkpi handoff run``. Each account at or above
``engagement.mqa_threshold`` is identified by the activity that last pushed
it over (see :mod:`abmkpi.handoff.crossings`). A handoff already stored for
that crossing is not recorded again. So a new handoff needs the score to
fall below the threshold and cross it anew, as UNIQUE (account_id,
crossed_at) in the store also enforces.

A crossing more than ``handoff.backfill_days`` before the detection is
history (the first import of a workspace, a late backfill): its handoff is
recorded as ``backfilled``, with no notification of its own and no SLA, and
one summary notification per detection run counts these handoffs. Sales get
no flood of stale alerts and are not held to an SLA for alerts they never
received.

For the other handoffs the SLA runs from the crossing, when sales should
have been notified. One recorded after its SLA already ran out is marked
``detected_late`` in its evidence and, without a sales activity since the
crossing, stamped breached at once, with no breach notification.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from abmkpi.config import Settings
from abmkpi.handoff.crossings import Crossing, current_crossings
from abmkpi.handoff.evidence import evidence_of
from abmkpi.handoff.messages import backfill_message, handoff_link, handoff_message
from abmkpi.handoff.records import SUBJECT_BACKFILL, SUBJECT_HANDOFF, get_handoff
from abmkpi.handoff.sla import sales_activity_types, sla_due_at
from abmkpi.notify import enqueue
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# An owner given as a user id (Salesforce 005…, HubSpot digits) rather than
# a name: one word of letters and digits with at least one digit.
_USER_ID = re.compile(r"^(?=[^\s]*\d)[0-9A-Za-z_:-]+$")


def detect_handoffs(
    store: Store,
    settings: Settings,
    now: datetime | None = None,
    account_ids: Collection[str] | None = None,
    trigger: str = "run",
) -> list[int]:
    """Record a handoff for every new crossing; return the new handoff ids.

    ``account_ids`` limits detection to some accounts (None: all).
    ``trigger`` records what ran it: import, ingest, run or demo.
    """
    if not settings.handoff.enabled:
        return []
    when = now or utc_now()
    crossings = current_crossings(store, settings, when, account_ids)
    fresh = _not_recorded(store, crossings)
    if not fresh:
        return []
    evidence = evidence_of(store, settings, when, [c.account_id for c in fresh])
    cutoff = when - timedelta(days=settings.handoff.backfill_days)
    ids, late = [], []
    backfilled: dict[int, Crossing] = {}
    with store.transaction():
        for crossing in fresh:
            document = _evidence_document(
                crossing, evidence[crossing.account_id], settings
            )
            document["detected_late"] = sla_due_at(crossing.crossed_at, settings) < when
            is_backfill = crossing.crossed_at < cutoff
            handoff_id = _insert(
                store, settings, crossing, document, trigger, when, is_backfill
            )
            ids.append(handoff_id)
            if is_backfill:
                backfilled[handoff_id] = crossing
                continue
            _queue_notice(store, settings, handoff_id, when)
            if document["detected_late"]:
                late.append(handoff_id)
            logger.info(
                "handoff %d: account %s crossed the MQA threshold at %s (score %.1f)",
                handoff_id,
                crossing.account_id,
                crossing.crossed_at.isoformat(timespec="seconds"),
                crossing.score,
            )
        _breach_late(store, settings, late, when)
        _queue_backfill_summary(store, settings, backfilled, evidence, when)
    return ids


def _queue_notice(
    store: Store, settings: Settings, handoff_id: int, now: datetime
) -> None:
    handoff = get_handoff(store, handoff_id)
    message = handoff_message(handoff, settings, handoff_link(settings, handoff_id))
    enqueue(
        store, SUBJECT_HANDOFF, str(handoff_id), message, settings=settings, now=now
    )


def _queue_backfill_summary(
    store: Store,
    settings: Settings,
    backfilled: dict[int, Crossing],
    evidence: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    """Queue one message that counts the handoffs recorded as backfilled.

    Its subject id is the lowest of their handoff ids, which no other
    summary can have.
    """
    if not backfilled:
        return
    crossings = list(backfilled.values())
    names = {
        c.account_id: evidence[c.account_id]["account"].get("name") for c in crossings
    }
    message = backfill_message(crossings, names, settings)
    first_id = min(backfilled)
    enqueue(store, SUBJECT_BACKFILL, str(first_id), message, settings=settings, now=now)
    logger.info(
        "%d handoffs (ids %d to %d) recorded as backfilled: their crossings are more "
        "than %d days old, so one summary is queued instead of a notice for each",
        len(backfilled),
        first_id,
        max(backfilled),
        settings.handoff.backfill_days,
    )


def _breach_late(
    store: Store, settings: Settings, handoff_ids: list[int], now: datetime
) -> None:
    """Mark breached the new handoffs whose SLA ran out before they were
    recorded, unless a sales activity followed the crossing.

    No breach notification is queued for them.
    """
    if not handoff_ids:
        return
    rows = store.fetch_all(
        """
        UPDATE handoffs SET breached_at = ?
        WHERE list_contains(?, id) AND NOT EXISTS (
            SELECT 1 FROM activities a
            WHERE a.account_id = handoffs.account_id AND NOT a.is_deleted
              AND list_contains(?, a.type) AND a.occurred_at > handoffs.crossed_at
        )
        RETURNING id
        """,
        [now, handoff_ids, sales_activity_types(settings)],
    )
    for (handoff_id,) in sorted(rows):
        logger.warning(
            "handoff %d was recorded after its SLA ran out and no sales activity "
            "followed the crossing: breached, with no breach notification",
            handoff_id,
        )


def _not_recorded(store: Store, crossings: list[Crossing]) -> list[Crossing]:
    """Return the crossings that start a run above the threshold with no handoff.

    A crossing is the start of the account's current run above the
    threshold, so a handoff recorded at or after it lies in the same run.
    Importing older activities can move the start of a run earlier; that
    run already has its handoff and gets no second one.
    """
    if not crossings:
        return []
    rows = store.fetch_all(
        "SELECT account_id, max(crossed_at) FROM handoffs "
        "WHERE list_contains(?, account_id) GROUP BY account_id",
        [sorted({c.account_id for c in crossings})],
    )
    latest = dict(rows)
    return [
        c
        for c in crossings
        if c.account_id not in latest or latest[c.account_id] < c.crossed_at
    ]


def owner_of(raw: str | None) -> dict[str, str | None]:
    """Split the account's owner column into id, name and e-mail address."""
    if not raw or not raw.strip():
        return {"id": None, "name": None, "email": None}
    value = raw.strip()
    email = value.lower() if _EMAIL.match(value) else None
    is_id = email is None and bool(_USER_ID.match(value))
    return {
        "id": value if is_id else None,
        "name": None if is_id else value,
        "email": email,
    }


def _evidence_document(
    crossing: Crossing, found: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    account = found["account"]
    people = found["engaged_people"]
    personas = Counter(person["persona"] for person in people)
    return {
        "score": crossing.score,
        "score_at_crossing": crossing.score_at_crossing,
        "threshold": settings.engagement.mqa_threshold,
        "crossing_activity_id": crossing.activity_id,
        "account": {
            "id": crossing.account_id,
            "name": account.get("name"),
            "source_system": account.get("source_system"),
            "source_id": account.get("source_id"),
            "is_target": account.get("is_target"),
            "tier": account.get("tier"),
        },
        "owner": owner_of(account.get("owner")),
        "top_activities": [
            {**row, "occurred_at": row["occurred_at"].isoformat(timespec="seconds")}
            for row in found["top_activities"]
        ],
        "engaged_people": people,
        "personas": dict(sorted(personas.items())),
    }


def _insert(
    store: Store,
    settings: Settings,
    crossing: Crossing,
    evidence: dict[str, Any],
    trigger: str,
    now: datetime,
    backfilled: bool,
) -> int:
    owner = evidence["owner"]
    row = store.fetch_one(
        """
        INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, trigger,
            owner_id, evidence, created_at, sla_due_at, backfilled)
        VALUES (nextval('handoff_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING id
        """,
        [
            crossing.account_id,
            crossing.crossed_at,
            crossing.score,
            settings.engagement.mqa_threshold,
            trigger,
            owner["id"] or owner["name"] or owner["email"],
            json.dumps(evidence, ensure_ascii=False),
            now,
            sla_due_at(crossing.crossed_at, settings),
            backfilled,
        ],
    )
    assert row is not None
    return int(row[0])
