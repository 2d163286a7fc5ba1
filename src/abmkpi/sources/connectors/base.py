"""The connector interface and the sync loop that stores pages and cursors.

A file importer reads files a user exported. A connector pulls the same
records from a vendor's API: it yields :class:`Page` values, each an
:class:`~abmkpi.sources.base.ImportBatch` of canonical records and the
cursor just after it (a modification time, a paging token, an export job
id). :func:`sync` loads each page with the same loader as a file import, then
stores the page's cursor in the workspace, so the next sync asks the API only
for what changed since.

A page and its cursor are stored in two transactions. A sync killed between
them loads that page again next time, which changes nothing, because every
import is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from abmkpi.config import Settings
from abmkpi.sources.base import ImportBatch, ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.store.database import Store
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)

_CURSOR_KEY = "connector_cursor:{name}"


@dataclass(frozen=True)
class Page:
    """One page of records from a connector, and the cursor just after it."""

    batch: ImportBatch
    cursor: str


class Connector(Protocol):
    """A reader of one vendor's API that yields pages of canonical records.

    ``name`` identifies the connection (``salesforce-prod``): the workspace
    keeps one cursor per name. ``pages`` yields the pages after ``cursor``,
    oldest first, or every page when ``cursor`` is None. It must not write
    to the store, and tests must give it local data, never a network address.
    """

    name: str
    source_system: str

    def pages(self, cursor: str | None, settings: Settings) -> Iterator[Page]: ...


@dataclass
class SyncSummary:
    """What one sync loaded: an import summary per page, and the cursors."""

    connector: str
    cursor_before: str | None
    cursor_after: str | None
    imports: list[ImportSummary] = field(default_factory=list)

    def describe(self) -> str:
        rows = sum(summary.total("rows_read") for summary in self.imports)
        rejected = sum(summary.total("rejected") for summary in self.imports)
        pages = f"{len(self.imports)} page" + ("" if len(self.imports) == 1 else "s")
        return (
            f"{self.connector}: {pages}, {rows:,} records read, "
            f"{rejected:,} rejected; cursor {self.cursor_before or '(start)'} → "
            f"{self.cursor_after or '(start)'}"
        )


def read_cursor(store: Store, name: str) -> str | None:
    """Return the stored cursor of a connector, or None before its first sync."""
    value = store.scalar(
        "SELECT value FROM meta WHERE key = ?", [_CURSOR_KEY.format(name=name)]
    )
    return None if value is None else str(value)


def write_cursor(store: Store, name: str, cursor: str) -> None:
    """Store the cursor of a connector, replacing the previous one."""
    store.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [_CURSOR_KEY.format(name=name), cursor],
        table="meta",
    )


def sync(
    workspace: Workspace,
    connector: Connector,
    options: ImportOptions | None = None,
    max_pages: int | None = None,
) -> SyncSummary:
    """Load the connector's pages after its stored cursor, advancing the cursor.

    Each page is loaded atomically, like one file import. A page that fails
    raises, and the cursor stays after the last page that loaded. A dry run
    checks the pages and leaves the cursor as it was.
    """
    options = options or ImportOptions()
    with workspace.open_store() as store:
        cursor = read_cursor(store, connector.name)
        summary = SyncSummary(connector.name, cursor, cursor)
        for page in connector.pages(cursor, workspace.settings):
            summary.imports.append(load_batch(workspace, store, page.batch, options))
            if not options.dry_run:
                write_cursor(store, connector.name, page.cursor)
                summary.cursor_after = page.cursor
            if max_pages is not None and len(summary.imports) >= max_pages:
                break
        if summary.imports and not options.dry_run:
            from abmkpi.handoff.run import run_after_import

            run_after_import(store, workspace.settings, workspace.root)
    logger.info("%s", summary.describe())
    return summary
