"""Page views as usage events, so diagnostics can tell the dashboard is used.

A page view is stored at most once per minute for each viewer and path,
so a wall screen that reloads every few seconds writes one row a minute.
A viewer is the logged-in token, else the client address. Only the token
id and the path are stored, never the address.
"""

from __future__ import annotations

import logging
import threading
import time

from fastapi import Request

from abmkpi.errors import StoreError
from abmkpi.usage import UsageKind, record_usage
from abmkpi.web.auth import SESSION_TOKEN_KEY, client_key
from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

VIEW_INTERVAL_SECONDS = 60.0
# Entries older than the interval are dropped once the table grows this big.
MAX_REMEMBERED = 10_000

_last_recorded: dict[tuple[str, str, str], float] = {}
_lock = threading.Lock()


def record_page_view(request: Request, state: WebState) -> None:
    """Store a page view of the request's path, unless one was stored within
    the last minute for the same viewer and path."""
    session = request.scope.get("session") or {}
    token_id = session.get(SESSION_TOKEN_KEY)
    actor = f"token:{token_id}" if isinstance(token_id, int) else None
    path = request.url.path
    key = (str(state.store_path), actor or client_key(request), path)
    if not _due(key):
        return
    try:
        with state.reader() as store:
            record_usage(
                store, UsageKind.PAGE_VIEWED, actor=actor, detail={"path": path}
            )
    except StoreError as error:
        # Another write held the table at the same moment; the next view counts.
        logger.warning("could not record a page view of %s: %s", path, error)


def _due(key: tuple[str, str, str]) -> bool:
    now = time.monotonic()
    with _lock:
        if (
            now - _last_recorded.get(key, -VIEW_INTERVAL_SECONDS)
            < VIEW_INTERVAL_SECONDS
        ):
            return False
        if len(_last_recorded) >= MAX_REMEMBERED:
            for old in [
                k
                for k, at in _last_recorded.items()
                if now - at >= VIEW_INTERVAL_SECONDS
            ]:
                del _last_recorded[old]
        _last_recorded[key] = now
    return True
