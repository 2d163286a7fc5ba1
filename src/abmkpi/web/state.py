"""What every request handler shares: the workspace, its store and caches.

The server process holds the workspace's DuckDB file open. Each request
works on its own cursor (DuckDB cursors share the database but not
transactions), and writes take a lock so ingests commit one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from abmkpi.store.database import Store
from abmkpi.workspace import Workspace


@dataclass
class WebState:
    """The workspace a server serves, its open store and a data version.

    ``data_version`` increases on every write, so caches keyed by it never
    return numbers older than the data.
    """

    workspace: Workspace
    store: Store
    bind_host: str = "127.0.0.1"
    data_version: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)

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

    def close(self) -> None:
        self.store.close()
