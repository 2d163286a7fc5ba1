"""What every request handler shares: the workspace, its store and caches.

The server process keeps the workspace's DuckDB file open. Each request
works on its own cursor (DuckDB cursors share the database but not
transactions), and writes take a lock so ingests commit one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import duckdb

from abmkpi.matching.freemail import FreeMailDomains, resolve_free_mail
from abmkpi.store.database import Store
from abmkpi.web.facts_cache import FactCache
from abmkpi.web.limits import AUTH_FAILURES_PER_MINUTE, RateLimiter
from abmkpi.web.live import KEEP_ALIVE_SECONDS, Broadcaster, ChangeLog
from abmkpi.web.refresher import Refresher
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)


@dataclass
class WebState:
    """The workspace a server serves, its open store and a data version.

    ``data_version`` increases on every write, so caches keyed by it never
    return numbers older than the data. ``changes`` records what each
    ingest changed, so cached facts catch up without a full recompute.
    """

    workspace: Workspace
    store: Store
    bind_host: str = "127.0.0.1"
    data_version: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    changes: ChangeLog = field(default_factory=ChangeLog)
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    facts: FactCache = field(default_factory=FactCache)
    limiter: RateLimiter = field(init=False)
    auth_failures: RateLimiter = field(init=False)
    refresher: Refresher = field(init=False)
    latest_ingest_at: datetime | None = None
    keep_alive: float = KEEP_ALIVE_SECONDS  # seconds between event-stream comments

    def __post_init__(self) -> None:
        web = self.workspace.settings.web
        self.limiter = RateLimiter(web.rate_limit_per_minute)
        self.auth_failures = RateLimiter(AUTH_FAILURES_PER_MINUTE)
        self.refresher = Refresher(self)

    @classmethod
    def open(cls, workspace: Workspace, bind_host: str = "127.0.0.1") -> WebState:
        return cls(workspace, workspace.open_store(), bind_host)

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """Yield a store on a fresh cursor for one request's reads."""
        cursor = self.store.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """Yield a store for writes, one writer at a time; bumps the data version."""
        with self.write_lock:
            cursor = self.store.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
                self.data_version += 1

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
        try:
            self.store.close()
        except duckdb.Error as error:
            # A request thread still runs a query (its task was cancelled at
            # shutdown); the process exit closes the file.
            logger.warning("closing the store while a query runs failed: %s", error)
