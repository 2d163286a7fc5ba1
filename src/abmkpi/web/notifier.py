"""The background thread that sends handoff notifications while the server runs.

It wakes when an ingest records a handoff, and otherwise every
``TICK_SECONDS``: it stamps SLA breaches, then sends every delivery whose
next attempt is due (the channels concurrently), so retries go out on
time. Sending happens outside the write lock, because a webhook or SMTP
server may take seconds to respond. Only recording each outcome takes the
lock.

Handoffs and deliveries are no KPI data, so these writes leave the data
version alone and cached KPI facts stay valid.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from abmkpi.errors import StoreBusyError
from abmkpi.handoff.sla import mark_breaches
from abmkpi.notify.deliveries import (
    Delivery,
    DeliveryRun,
    claim_due,
    count,
    record_attempt,
    release,
    send_concurrently,
)
from abmkpi.store.database import Store
from abmkpi.usage import utc_now
from abmkpi.web.store_lease import BusyLog

if TYPE_CHECKING:
    from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

# How often the thread looks for due deliveries and breaches, in seconds.
TICK_SECONDS = 10.0
# Seconds between tries to store a send's outcome while the store is busy.
RECORD_RETRY_SECONDS = 1.0


@contextmanager
def workflow_writer(state: WebState) -> Iterator[Store]:
    """Yield a store for writes to workflow tables (handoffs, deliveries,
    usage), under the write lock but without a new data version."""
    with state.workflow_writer() as store:
        yield store


class Notifier:
    """Stamps SLA breaches and sends due notifications in a daemon thread."""

    def __init__(self, state: WebState):
        self._state = state
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._busy = BusyLog("sending handoff notifications")

    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopping.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="abmkpi-notifier", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Have the thread send what is due now (after a new handoff)."""
        self.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=60)

    def _run(self) -> None:
        logger.debug("notifier started")
        while not self._stopping.is_set():
            try:
                self.run_once()
                self._busy.available()
            except StoreBusyError as error:
                # Another process has the workspace; the next tick retries.
                self._busy.busy(error)
            except Exception:
                logger.exception("sending handoff notifications failed; will retry")
            self._wake.wait(timeout=TICK_SECONDS)
            self._wake.clear()
        logger.debug("notifier stopped")

    def run_once(self, now: datetime | None = None) -> DeliveryRun:
        """Stamp breaches, then send every due delivery once."""
        state = self._state
        settings = state.workspace.settings
        when = now or utc_now()
        with workflow_writer(state) as store:
            mark_breaches(store, settings, when)
            due = claim_due(store, when)
        run = DeliveryRun()
        root = state.workspace.root
        sent = send_concurrently(due, settings, root, self._stopping)
        for delivery, error in sent:
            status = self._record(delivery, error)
            if status is not None:
                count(run, status)
        sent_ids = {delivery.id for delivery, _ in sent}
        unsent = [delivery for delivery in due if delivery.id not in sent_ids]
        if unsent:
            with workflow_writer(state) as store:
                release(store, unsent)
        if due:
            logger.info("notifier: %s", run.describe())
        return run

    def _record(self, delivery: Delivery, error: str | None) -> str | None:
        """Store a send's outcome, waiting while another process has the store.

        The message has gone out (or failed), so giving up here would send it
        again once its claim expires. Returns None if the server stops first.
        """
        settings = self._state.workspace.settings
        while True:
            try:
                with workflow_writer(self._state) as store:
                    return record_attempt(store, delivery, error, settings, utc_now())
            except StoreBusyError as busy:
                self._busy.busy(busy)
                if self._stopping.wait(RECORD_RETRY_SECONDS):
                    logger.warning(
                        "stopping before the outcome of delivery %d was stored; "
                        "it is sent again after its claim expires",
                        delivery.id,
                    )
                    return None
