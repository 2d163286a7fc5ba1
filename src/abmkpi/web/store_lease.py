"""The server's store, open only while requests and threads use it.

DuckDB lets one process at a time open a file for writing, so a server that
kept the store open would lock out every other command (a nightly import,
``abmkpi kpi``). The lease opens the store when a request or a background
thread requests it, counts the users, and closes it once it has been idle
for :data:`LINGER_SECONDS`. When a command waits for the store (it leaves a
marker file, see :mod:`abmkpi.store.lock`), the lease opens no new
connection and closes as soon as its current users finish.

A request that finds the store held by another process waits up to
:data:`BUSY_WAIT_SECONDS`, then gets :class:`~abmkpi.errors.StoreBusyError`
(the API returns 503). No cached number is served while the store is busy,
because the other process may be changing the data behind it.

Every writing open by another process counts in the store's write
generation (see :meth:`~abmkpi.store.database.Store.open`). The lease reads
it on each open; a generation other than the one it last saw means another
process may have written, and ``on_external_change`` runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from abmkpi.errors import StoreBusyError
from abmkpi.store.database import Store
from abmkpi.store.lock import waiting_processes

logger = logging.getLogger(__name__)

# How long an idle store stays open, in seconds, so that the requests of
# one page load share a connection.
LINGER_SECONDS = 1.5
# How long a request waits for a store that another process has open.
BUSY_WAIT_SECONDS = 4.0
# The minimum interval between two looks for waiting commands' markers.
MARKER_CHECK_SECONDS = 0.2
# The pause of a waiting request between two attempts to get the store.
RETRY_PAUSE = 0.1


class StoreLease:
    """Opens the store on demand and closes it when idle.

    ``lease()`` yields a cursor store for one request or one task; the
    connection stays open while any lease is active.
    """

    def __init__(
        self,
        path: Path,
        on_external_change: Callable[[], None] | None = None,
        linger: float | None = None,
        busy_wait: float | None = None,
    ):
        self.path = path
        self.linger = LINGER_SECONDS if linger is None else linger
        self.busy_wait = BUSY_WAIT_SECONDS if busy_wait is None else busy_wait
        self._on_external_change = on_external_change
        self._changed = threading.Condition()
        self._store: Store | None = None
        self._users = 0
        self._idle_since = 0.0
        self._generation: int | None = None
        self._wrote = False
        self._closed = False
        self._closer: threading.Thread | None = None
        # Set and cleared under the condition's lock, so an open right after
        # a close never relies on a closing thread that is about to end.
        self._closer_running = False
        self._waiters_checked = 0.0
        self._waiters: list[int] = []
        # The number of leases the current thread has. A nested lease does
        # not wait for a command, which itself waits for the outer lease.
        self._thread_leases = threading.local()
        self.opens = 0

    # Using the store ----------------------------------------------------------

    @contextmanager
    def lease(self, changes_data: bool = False) -> Iterator[Store]:
        """Yield a store on a fresh cursor.

        ``changes_data`` marks a user that writes KPI data: the first such
        user of each open counts in the write generation, so another server
        of the workspace notices the write. Workflow writes (handoffs,
        deliveries, usage) change no cached number and do not count, which
        keeps an idle server from writing the file on every notifier tick.
        """
        store = self._acquire(changes_data)
        depth = getattr(self._thread_leases, "depth", 0)
        self._thread_leases.depth = depth + 1
        try:
            cursor = store.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            self._thread_leases.depth = depth
            self._release()

    def open_now(self, wait: float | None = None) -> None:
        """Open the store once (at start-up), so a missing, damaged or busy
        store fails at once; it closes again after the linger time."""
        with self._changed:
            if self._store is None:
                self._open_locked(wait)
                self._idle_since = time.monotonic()
                self._start_closer()

    @property
    def is_open(self) -> bool:
        with self._changed:
            return self._store is not None

    def close(self) -> None:
        """Close the store for good (the server stops)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            if self._store is not None:
                self._close_locked()
        closer = self._closer
        if closer is not None and closer is not threading.current_thread():
            closer.join(timeout=10)

    # Opening and closing ------------------------------------------------------

    def _acquire(self, changes_data: bool) -> Store:
        deadline = time.monotonic() + self.busy_wait
        holder: int | None = None
        with self._changed:
            while True:
                if self._closed:
                    raise StoreBusyError("the server is stopping", None)
                nested = getattr(self._thread_leases, "depth", 0) > 0
                waiting = [] if nested else self._commands_waiting()
                if self._store is not None and not waiting:
                    if changes_data and not self._wrote:
                        self._count_write_locked()
                    self._users += 1
                    return self._store
                if self._store is not None and self._users == 0:
                    # A command waits and no user is left: close to let it in.
                    self._close_locked()
                if self._store is None and not waiting:
                    try:
                        self._open_locked(wait=0)
                        continue
                    except StoreBusyError as error:
                        holder = error.pid
                elif waiting:
                    holder = waiting[0]
                if time.monotonic() >= deadline:
                    raise StoreBusyError(_busy_message(holder), holder)
                self._changed.wait(RETRY_PAUSE)

    def _release(self) -> None:
        with self._changed:
            self._users -= 1
            if self._users == 0:
                self._idle_since = time.monotonic()
                if self._store is not None and self._commands_waiting(fresh=True):
                    self._close_locked()
            self._changed.notify_all()

    def _open_locked(self, wait: float | None) -> None:
        store = Store.open(self.path, wait=wait, mark=False, count_open=False)
        try:
            generation = store.write_generation()
        except BaseException:
            store.close()
            raise
        self._store = store
        self._wrote = False
        self.opens += 1
        previous, self._generation = self._generation, generation
        self._start_closer()
        if previous is not None and generation != previous:
            logger.info(
                "another process opened the store for writing since the server "
                "last used it; cached numbers are recomputed"
            )
            if self._on_external_change is not None:
                self._on_external_change()

    def _count_write_locked(self) -> None:
        assert self._store is not None
        cursor = self._store.cursor()
        try:
            self._generation = cursor.next_write_generation()
        finally:
            cursor.close()
        self._wrote = True

    def _close_locked(self) -> None:
        store, self._store = self._store, None
        if store is None:
            return
        try:
            store.close()
        except duckdb.Error as error:
            # A query of a cancelled request still runs; the process exit
            # closes the file.
            logger.warning("closing the store while a query runs failed: %s", error)
        self._changed.notify_all()

    def _commands_waiting(self, fresh: bool = False) -> list[int]:
        """Return the ids of commands waiting for the store (looked up at
        most every MARKER_CHECK_SECONDS unless ``fresh``)."""
        now = time.monotonic()
        if fresh or now - self._waiters_checked >= MARKER_CHECK_SECONDS:
            self._waiters_checked = now
            self._waiters = waiting_processes(self.path)
        return self._waiters

    # The closing thread -------------------------------------------------------

    def _start_closer(self) -> None:
        """Start the closing thread unless it runs; call with the lock held."""
        if self._closer_running:
            return
        self._closer_running = True
        self._closer = threading.Thread(
            target=self._close_when_idle, name="abmkpi-store-lease", daemon=True
        )
        self._closer.start()

    def _close_when_idle(self) -> None:
        with self._changed:
            try:
                while not self._closed and self._store is not None:
                    if self._users == 0:
                        idle = time.monotonic() - self._idle_since
                        if idle >= self.linger or self._commands_waiting():
                            self._close_locked()
                            break
                        pause = min(self.linger - idle, MARKER_CHECK_SECONDS)
                    else:
                        pause = MARKER_CHECK_SECONDS
                    self._changed.wait(pause)
            finally:
                self._closer_running = False


class BusyLog:
    """Logs once that a background task found the store busy, and once that
    it is available again, instead of a traceback on every tick."""

    def __init__(self, task: str):
        self.task = task
        self._busy = False

    def busy(self, error: StoreBusyError) -> None:
        if not self._busy:
            self._busy = True
            logger.warning("%s: %s; retrying later", self.task, error)

    def available(self) -> None:
        if self._busy:
            self._busy = False
            logger.info("%s: the workspace is available again", self.task)


def _busy_message(pid: int | None) -> str:
    holder = f"process {pid}" if pid is not None else "another process"
    return f"the workspace is busy: {holder} has it open; try again in a few seconds"
