"""What every request handler shares: the workspace, its store and caches.

The server opens the workspace's DuckDB file while requests and background
threads use it, and closes it when idle, so other commands can open it (see
:mod:`abmkpi.web.store_lease`). Each request works on its own cursor (DuckDB
cursors share the database but not transactions), and writes take a lock so
ingests commit one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from abmkpi.matching.freemail import FreeMailDomains, resolve_free_mail
from abmkpi.store.database import Store
from abmkpi.web.facts_cache import FactCache
from abmkpi.web.limits import AUTH_FAILURES_PER_MINUTE, RateLimiter
from abmkpi.web.live import KEEP_ALIVE_SECONDS, Broadcaster, Change, ChangeLog
from abmkpi.web.refresher import Refresher
from abmkpi.web.store_lease import StoreLease
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)


@dataclass
class WebState:
    """The workspace a server serves, its store lease and a data version.

    ``data_version`` increases on every write, so caches keyed by it never
    return numbers older than the data. ``changes`` records what each
    ingest changed, so cached facts catch up without a full recompute. A
    write by another process (an import while the server runs) also
    increases it, drops the cached facts and notifies the event streams.
    """

    workspace: Workspace
    bind_host: str = "127.0.0.1"
    data_version: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    changes: ChangeLog = field(default_factory=ChangeLog)
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    facts: FactCache = field(default_factory=FactCache)
    limiter: RateLimiter = field(init=False)
    auth_failures: RateLimiter = field(init=False)
    refresher: Refresher = field(init=False)
    lease: StoreLease = field(init=False)
    _version_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False
    )
    latest_ingest_at: datetime | None = None
    keep_alive: float = KEEP_ALIVE_SECONDS  # seconds between event-stream comments

    def __post_init__(self) -> None:
        web = self.workspace.settings.web
        self.limiter = RateLimiter(web.rate_limit_per_minute)
        self.auth_failures = RateLimiter(AUTH_FAILURES_PER_MINUTE)
        self.refresher = Refresher(self)
        self.lease = StoreLease(self.workspace.store_path, self._external_change)

    @classmethod
    def open(cls, workspace: Workspace, bind_host: str = "127.0.0.1") -> WebState:
        """Return the state of a server; the store opens once now, so a
        missing or damaged store fails at start-up."""
        state = cls(workspace, bind_host)
        state.lease.open_now()
        return state

    @property
    def store_path(self) -> Path:
        return self.workspace.store_path

    def refresh(self) -> None:
        """Make ``data_version`` cover writes by other processes.

        Another process can write only while the server has the store
        closed, and the lease checks for such writes each time it opens
        it, so holding the lease once suffices.
        """
        with self.lease.lease():
            pass

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """Yield a store on a fresh cursor for one request's reads."""
        with self.lease.lease() as store:
            yield store

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """Yield a store for writes, one writer at a time; bumps the data version."""
        with self.write_lock, self.lease.lease(changes_data=True) as store:
            try:
                yield store
            finally:
                self.next_data_version()

    @contextmanager
    def workflow_writer(self) -> Iterator[Store]:
        """Yield a store for writes to workflow tables (handoffs, deliveries,
        usage), under the write lock but without a new data version."""
        with self.write_lock, self.lease.lease() as store:
            yield store

    def next_data_version(self) -> int:
        with self._version_lock:
            self.data_version += 1
            return self.data_version

    def _external_change(self) -> None:
        """Another process may have written: no change log describes what,
        so cached facts are dropped and open dashboards re-fetch."""
        version = self.next_data_version()
        self.facts.clear()
        self.broadcaster.publish(Change(version, external=True))

    @property
    def is_local(self) -> bool:
        return self.bind_host in ("127.0.0.1", "localhost", "::1")

    @cached_property
    def free_mail(self) -> FreeMailDomains:
        """The free-mail domain list of the config, read once."""
        return resolve_free_mail(self.workspace.settings.matching, self.workspace.root)

    def close(self) -> None:
        self.refresher.stop()
        self.broadcaster.close()
        self.lease.close()
