"""The background thread that keeps cached KPI facts warm.

After ingests it brings every cached fact set up to the latest data version
and then publishes one event to the open streams, so the dashboard's
re-fetch finds current numbers without waiting. It compiles the queries a
new fact set needs for its first change ahead of time. Before each minute
ends it
computes the next minute's facts of the running periods in use, because a
running period is computed as of the end of the current minute.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from abmkpi.errors import StoreBusyError
from abmkpi.web.facts_cache import as_of_for, minute_end
from abmkpi.web.live import Change
from abmkpi.web.store_lease import BusyLog

if TYPE_CHECKING:
    from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

# How often the thread looks at the clock while no ingest arrives.
TICK_SECONDS = 5.0
# From this second of a minute on, the next minute's facts are computed.
PREWARM_FROM_SECOND = 40
# Fact sets used within this many seconds count as in use.
IN_USE_SECONDS = 180.0


class Refresher:
    """Catches cached facts up after writes, then notifies the event streams."""

    def __init__(self, state: WebState):
        self._state = state
        self._pending: Change | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = BusyLog("refreshing cached KPI facts")

    def start(self) -> None:
        """Start the thread unless it runs already."""
        with self._lock:
            if self._thread is not None or self._stopping.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="abmkpi-refresher", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Have the thread look for work now (such as new fact sets)."""
        self.start()
        self._wake.set()

    def notify(self, change: Change) -> None:
        """Queue a committed change for the caches and the event streams."""
        with self._lock:
            self._pending = (
                change if self._pending is None else self._pending.merged(change)
            )
        self.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=60)

    def _run(self) -> None:
        logger.debug("refresher started")
        while not self._stopping.is_set():
            self._wake.wait(timeout=TICK_SECONDS)
            if self._stopping.is_set():
                break
            self._wake.clear()
            with self._lock:
                change, self._pending = self._pending, None
            try:
                if change is not None:
                    self._state.facts.catch_up_all(self._state, IN_USE_SECONDS)
                    self._state.broadcaster.publish(change)
                self._prepare()
                self._prewarm()
                self._busy.available()
            except StoreBusyError as error:
                # Another process has the workspace: the change waits for
                # the next tick, and the lease stays closed meanwhile.
                if change is not None:
                    self._requeue(change)
                self._busy.busy(error)
            except Exception:
                logger.exception("refreshing cached KPI facts failed; will retry")
        logger.debug("refresher stopped")

    def _requeue(self, change: Change) -> None:
        with self._lock:
            self._pending = (
                change if self._pending is None else change.merged(self._pending)
            )

    def _prepare(self) -> None:
        for entry in self._state.facts.entries():
            if not entry.is_prepared and not self._stopping.is_set():
                entry.prepare(self._state)

    def _prewarm(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        if now.second < PREWARM_FROM_SECOND:
            return
        state = self._state
        settings = state.workspace.settings
        current = minute_end(now)
        following = now + timedelta(minutes=1)
        for entry in state.facts.entries():
            if entry.as_of != current:
                continue
            if time.monotonic() - entry.last_used > IN_USE_SECONDS:
                continue
            as_of = as_of_for(settings, entry.period, following)
            if as_of == entry.as_of or state.facts.contains(entry.period, as_of):
                continue
            logger.debug("computing the next minute's facts of %s", entry.period.id)
            state.facts.get(state, entry.period, as_of)
