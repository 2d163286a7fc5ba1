"""Usage events are stored in the workspace and counted by kind and age."""

from __future__ import annotations

from datetime import timedelta

from abmkpi.usage import UsageKind, last_usage, record_usage, usage_count, utc_now
from abmkpi.workspace import Workspace


def test_usage_counted_by_kind_and_age(workspace: Workspace) -> None:
    now = utc_now()
    with workspace.open_store() as store:
        assert last_usage(store, UsageKind.PAGE_VIEWED) is None
        record_usage(store, UsageKind.PAGE_VIEWED, detail={"path": "/"})
        old = now - timedelta(days=20)
        record_usage(store, UsageKind.PAGE_VIEWED, actor="viewer", when=old)
        record_usage(store, UsageKind.REPORT_GENERATED)
        assert usage_count(store, UsageKind.PAGE_VIEWED, timedelta(days=14)) == 1
        assert usage_count(store, UsageKind.PAGE_VIEWED, timedelta(days=30)) == 2
        last = last_usage(store, UsageKind.PAGE_VIEWED)
        assert last is not None and last >= now
        detail = store.fetch_one(
            "SELECT detail->>'path' FROM usage_events WHERE actor IS NULL "
            "AND kind = 'page_viewed'"
        )
        assert detail == ("/",)
