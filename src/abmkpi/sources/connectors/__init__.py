"""Live connectors: records pulled from an API page by page, from a cursor."""

from abmkpi.sources.connectors.base import (
    Connector,
    Page,
    SyncSummary,
    read_cursor,
    sync,
    write_cursor,
)

__all__ = ["Connector", "Page", "SyncSummary", "read_cursor", "sync", "write_cursor"]
