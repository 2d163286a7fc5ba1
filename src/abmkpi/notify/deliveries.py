"""Queued deliveries: one ``deliveries`` row per message and channel.

:func:`enqueue` writes the rows in the caller's transaction, so a handoff
and its notifications are stored together or not at all. Sending happens
later, in :func:`deliver_due` (``abmkpi handoff run``) or in the server's
background notifier. A failed send keeps its row as ``pending`` with the
error. It is tried again after a wait that doubles from
``notify.retry_base_seconds`` up to ``notify.retry_max_seconds``, and after
``notify.max_attempts`` sends it is ``failed``. The message itself is never
lost: the row keeps it as JSON.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from abmkpi.config import Settings
from abmkpi.errors import DeliveryError, DeliveryTimeout
from abmkpi.notify.csv_queue import append_task
from abmkpi.notify.email import recipients_of, send_email
from abmkpi.notify.message import Message
from abmkpi.notify.webhook import send_webhook
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)

# Characters of an error message kept in deliveries.last_error.
MAX_ERROR_CHARS = 500

# Seconds a claimed delivery stays out of other senders' sight. A pass sends
# each channel's deliveries one after another and stops a channel at its
# first timeout, so this is far longer than a pass takes unless a channel
# has hundreds of slow sends due at once.
CLAIM_SECONDS = 900


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    CSV = "csv"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """One stored delivery row, with its message."""

    id: int
    subject_kind: str
    subject_id: str
    channel: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    message: Message

    @property
    def subject(self) -> str:
        return f"{self.subject_kind} {self.subject_id}"

    def to_dict(self) -> dict[str, Any]:
        """Return the row without its message, as listings show it."""
        return {
            "id": self.id,
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "next_attempt_at": self.next_attempt_at,
            "last_attempt_at": self.last_attempt_at,
            "delivered_at": self.delivered_at,
            "last_error": self.last_error,
        }


@dataclass
class DeliveryRun:
    """The counts of one pass over the due deliveries."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def describe(self) -> str:
        return (
            f"{self.delivered:,} notifications delivered, {self.retrying:,} to "
            f"retry, {self.failed:,} failed for good"
        )


# Channels each kind of subject may use. The CSV queue contains Salesforce
# Tasks for sales to follow up, so only handoffs and their SLA breaches go
# there. Backfill summaries, report packs and any kind not listed use the
# webhook and e-mail.
SUBJECT_CHANNELS: dict[str, tuple[Channel, ...]] = {
    "handoff": (Channel.WEBHOOK, Channel.EMAIL, Channel.CSV),
    "handoff_breach": (Channel.WEBHOOK, Channel.EMAIL, Channel.CSV),
    "handoff_backfill": (Channel.WEBHOOK, Channel.EMAIL),
    "report": (Channel.WEBHOOK, Channel.EMAIL),
}
DEFAULT_CHANNELS = (Channel.WEBHOOK, Channel.EMAIL)


def channels_for(
    settings: Settings, message: Message, subject_kind: str = "handoff"
) -> list[Channel]:
    """Return the channels the config turns on for this kind of subject."""
    notify = settings.notify
    configured = []
    if notify.webhook.url:
        configured.append(Channel.WEBHOOK)
    if notify.email.smtp_host and recipients_of(message, notify.email):
        configured.append(Channel.EMAIL)
    if notify.csv_queue:
        configured.append(Channel.CSV)
    allowed = SUBJECT_CHANNELS.get(subject_kind, DEFAULT_CHANNELS)
    return [channel for channel in configured if channel in allowed]


def enqueue(
    store: Store,
    subject_kind: str,
    subject_id: str,
    message: Message,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> list[int]:
    """Queue the message on every configured channel; return the new row ids.

    A subject already queued on a channel is left as it is, so queueing the
    same subject twice sends it once.
    """
    when = now or utc_now()
    payload = json.dumps(message.to_dict(), ensure_ascii=False)
    ids = []
    for channel in channels_for(settings, message, subject_kind):
        row = store.fetch_one(
            """
            INSERT INTO deliveries (id, subject_kind, subject_id, channel, status,
                attempts, created_at, next_attempt_at, payload)
            VALUES (nextval('delivery_ids'), ?, ?, ?, 'pending', 0, ?, ?, ?)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [subject_kind, subject_id, str(channel), when, when, payload],
        )
        if row is not None:
            ids.append(int(row[0]))
    if ids:
        logger.info("queued %s %s on %d channels", subject_kind, subject_id, len(ids))
    return ids


_SELECT = """
    SELECT id, subject_kind, subject_id, channel, status, attempts, created_at,
           next_attempt_at, last_attempt_at, delivered_at, last_error, payload
    FROM deliveries
"""


def _delivery(row: tuple[Any, ...]) -> Delivery:
    names = [name for name in Delivery.__dataclass_fields__ if name != "message"]
    values = dict(zip(names, row[:-1], strict=True))
    return Delivery(**values, message=Message.from_dict(json.loads(row[-1])))


def due_deliveries(store: Store, now: datetime | None = None) -> list[Delivery]:
    """Return pending deliveries whose next attempt is due, oldest first."""
    rows = store.fetch_all(
        _SELECT + "WHERE status = 'pending' AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id",
        [now or utc_now()],
    )
    return [_delivery(row) for row in rows]


def claim_due(store: Store, now: datetime | None = None) -> list[Delivery]:
    """Return the due deliveries and move their next attempt past the claim.

    Another process (a CLI import while ``abmkpi serve`` runs, or a second
    server) that looks for due deliveries while these are being sent does
    not find them, so no message goes out twice. :func:`record_attempt`
    stores the outcome, and :func:`release` makes unsent ones due again. A
    process that dies mid-send leaves its claims to expire after
    :data:`CLAIM_SECONDS`, and they are sent then.
    """
    when = now or utc_now()
    with store.transaction():
        due = due_deliveries(store, when)
        if due:
            store.execute(
                "UPDATE deliveries SET next_attempt_at = ? WHERE list_contains(?, id)",
                [when + timedelta(seconds=CLAIM_SECONDS), [item.id for item in due]],
                table="deliveries",
            )
    return due


def release(store: Store, deliveries: list[Delivery]) -> None:
    """Make claimed deliveries that were not sent due again at their old time."""
    for delivery in deliveries:
        store.execute(
            "UPDATE deliveries SET next_attempt_at = ? "
            "WHERE id = ? AND status = 'pending' AND attempts = ?",
            [delivery.next_attempt_at, delivery.id, delivery.attempts],
            table="deliveries",
        )


def deliveries_of(
    store: Store, subject_kind: str, subject_ids: list[str]
) -> list[Delivery]:
    """Return the deliveries of some subjects, by subject then channel."""
    rows = store.fetch_all(
        _SELECT + "WHERE subject_kind = ? AND list_contains(?, subject_id) "
        "ORDER BY subject_id, channel",
        [subject_kind, subject_ids],
    )
    return [_delivery(row) for row in rows]


def send(delivery: Delivery, settings: Settings, workspace_root: Path) -> None:
    """Send one delivery on its channel; raise DeliveryError on failure."""
    notify = settings.notify
    channel = delivery.channel
    if channel == Channel.WEBHOOK:
        send_webhook(delivery.message, notify.webhook)
    elif channel == Channel.EMAIL:
        send_email(delivery.message, notify.email, workspace_root)
    elif channel == Channel.CSV:
        if not notify.csv_queue:
            raise DeliveryError("notify.csv_queue is turned off")
        append_task(delivery.message, workspace_root / notify.csv_queue)
    else:
        raise DeliveryError(f"unknown channel {channel!r}")


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """Return the wait after the ``attempts``-th failed send (1, 2, …)."""
    notify = settings.notify
    seconds = notify.retry_base_seconds * 2 ** min(attempts - 1, 62)
    return timedelta(seconds=min(seconds, notify.retry_max_seconds))


def record_attempt(
    store: Store,
    delivery: Delivery,
    error: str | None,
    settings: Settings,
    now: datetime | None = None,
) -> str:
    """Store the outcome of one send; return the delivery's new status."""
    when = now or utc_now()
    attempts = delivery.attempts + 1
    if error is None:
        store.execute(
            "UPDATE deliveries SET status = 'delivered', attempts = ?, "
            "last_attempt_at = ?, delivered_at = ?, next_attempt_at = NULL, "
            "last_error = NULL WHERE id = ?",
            [attempts, when, when, delivery.id],
            table="deliveries",
        )
        logger.info("delivered %s on %s", delivery.subject, delivery.channel)
        return DeliveryStatus.DELIVERED
    error = error[:MAX_ERROR_CHARS]
    if attempts >= settings.notify.max_attempts:
        status, next_at = DeliveryStatus.FAILED, None
        logger.error(
            "delivery %d of %s on %s failed for good after %d attempts: %s",
            delivery.id,
            delivery.subject,
            delivery.channel,
            attempts,
            error,
        )
    else:
        status = DeliveryStatus.PENDING
        next_at = when + retry_delay(settings, attempts)
        logger.warning(
            "delivery %d of %s on %s failed (attempt %d of %d), retrying at %s: %s",
            delivery.id,
            delivery.subject,
            delivery.channel,
            attempts,
            settings.notify.max_attempts,
            next_at.isoformat(timespec="seconds"),
            error,
        )
    store.execute(
        "UPDATE deliveries SET status = ?, attempts = ?, last_attempt_at = ?, "
        "next_attempt_at = ?, last_error = ? WHERE id = ?",
        [str(status), attempts, when, next_at, error, delivery.id],
        table="deliveries",
    )
    return status


def attempt(delivery: Delivery, settings: Settings, workspace_root: Path) -> str | None:
    """Send one delivery and return the error message, or None if it went out."""
    return _send_once(delivery, settings, workspace_root)[0]


def _send_once(
    delivery: Delivery, settings: Settings, workspace_root: Path
) -> tuple[str | None, bool]:
    """Send one delivery; return the error message (None if it went out) and
    whether the channel timed out."""
    try:
        send(delivery, settings, workspace_root)
    except DeliveryTimeout as error:
        return str(error), True
    except DeliveryError as error:
        return str(error), False
    except Exception as error:
        # A bug or an unexpected library error must not stop the other sends.
        logger.exception("sending delivery %d on %s", delivery.id, delivery.channel)
        return f"{type(error).__name__}: {error}", False
    return None, False


def send_concurrently(
    deliveries: list[Delivery],
    settings: Settings,
    workspace_root: Path,
    stopping: threading.Event | None = None,
) -> list[tuple[Delivery, str | None]]:
    """Send deliveries, one thread per channel; return each sent delivery with
    its error (None when it went out).

    Channels run in parallel, so a slow webhook holds up neither the e-mail
    nor the CSV queue. Within a channel, deliveries go one after another.
    After one times out, the channel's later deliveries are not sent in this
    pass and are left out of the result. Their rows stay due for the next
    pass, so a channel waits for at most one timeout per pass. ``stopping``
    ends every channel's sends early.
    """
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    errors: dict[int, str | None] = {}

    def send_channel(queue: list[Delivery]) -> None:
        for position, delivery in enumerate(queue):
            if stopping is not None and stopping.is_set():
                return
            error, timed_out = _send_once(delivery, settings, workspace_root)
            errors[delivery.id] = error
            waiting = len(queue) - position - 1
            if timed_out and waiting:
                logger.warning(
                    "%s timed out, so %d more deliveries on it wait for the next pass",
                    delivery.channel,
                    waiting,
                )
            if timed_out:
                return

    threads = [
        threading.Thread(
            target=send_channel, args=(queue,), name=f"abmkpi-send-{channel}"
        )
        for channel, queue in by_channel.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [(item, errors[item.id]) for item in deliveries if item.id in errors]


def deliver_due(
    store: Store,
    settings: Settings,
    workspace_root: Path,
    now: datetime | None = None,
) -> DeliveryRun:
    """Send every due delivery once, the channels concurrently, and record
    each outcome."""
    when = now or utc_now()
    run = DeliveryRun()
    due = claim_due(store, when)
    sent = send_concurrently(due, settings, workspace_root)
    for delivery, error in sent:
        count(run, record_attempt(store, delivery, error, settings, when))
    sent_ids = {delivery.id for delivery, _ in sent}
    release(store, [delivery for delivery in due if delivery.id not in sent_ids])
    return run


def count(run: DeliveryRun, status: str) -> None:
    """Add one outcome to a run's counts."""
    if status == DeliveryStatus.DELIVERED:
        run.delivered += 1
    elif status == DeliveryStatus.FAILED:
        run.failed += 1
    else:
        run.retrying += 1
