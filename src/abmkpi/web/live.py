"""Live updates: what each write changed, and the server-sent-events stream.

Every ingest records a :class:`Change` under the data version it creates,
so cached facts can catch up by recomputing only the changed accounts. A
background refresher brings the cached facts up to date after ingests and
then publishes an event to every open ``/api/v1/events`` stream, so a
dashboard that re-fetches on the event finds warm caches.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# Versions remembered; a cache older than the oldest is recomputed in full.
MAX_CHANGES = 1000
KEEP_ALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class Change:
    """The effect of one write: the accounts whose facts changed, and whether
    it added people (which changes the leads of a period).

    ``external`` marks a write by another process, whose effect is unknown:
    any number may have changed.
    """

    version: int
    account_ids: frozenset[str] = frozenset()
    people_added: bool = False
    inserted: int = 0
    external: bool = False

    def merged(self, other: Change) -> Change:
        return Change(
            max(self.version, other.version),
            self.account_ids | other.account_ids,
            self.people_added or other.people_added,
            self.inserted + other.inserted,
            self.external or other.external,
        )


class ChangeLog:
    """The changes of recent data versions, by version."""

    def __init__(self, max_entries: int = MAX_CHANGES):
        self._changes: OrderedDict[int, Change] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def record(self, change: Change) -> None:
        with self._lock:
            self._changes[change.version] = change
            while len(self._changes) > self._max:
                self._changes.popitem(last=False)

    def since(self, version: int, current: int) -> Change | None:
        """Return the union of the changes after ``version`` up to ``current``,
        or None when a version in between is unknown (a write that recorded
        no change, or one too old to remember)."""
        merged = Change(current)
        with self._lock:
            for number in range(version + 1, current + 1):
                change = self._changes.get(number)
                if change is None:
                    return None
                merged = merged.merged(change)
        return merged


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    ready: asyncio.Event
    pending: Change | None = None


@dataclass
class Broadcaster:
    """Hands each event to every open stream.

    A stream that falls behind gets one merged event (the union of the
    accounts, the sum of inserted activities), so memory stays bounded.
    """

    _states: dict[int, _Subscriber] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def subscribe(self) -> int:
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            key = id(subscriber)
            self._states[key] = subscriber
        return key

    def unsubscribe(self, key: int) -> None:
        with self._lock:
            self._states.pop(key, None)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._states)

    def publish(self, change: Change) -> None:
        """Queue an event for every stream; callable from any thread."""
        with self._lock:
            subscribers = list(self._states.values())
            for subscriber in subscribers:
                if subscriber.pending is None:
                    subscriber.pending = change
                else:
                    subscriber.pending = subscriber.pending.merged(change)
        for subscriber in subscribers:
            _wake(subscriber)

    def close(self) -> None:
        """End every stream, as the server stops."""
        with self._lock:
            self.closed = True
            subscribers = list(self._states.values())
        for subscriber in subscribers:
            _wake(subscriber)

    def take(self, key: int) -> Change | None:
        with self._lock:
            subscriber = self._states.get(key)
            if subscriber is None:
                return None
            change, subscriber.pending = subscriber.pending, None
            subscriber.ready.clear()
            return change

    def ready_event(self, key: int) -> asyncio.Event | None:
        with self._lock:
            subscriber = self._states.get(key)
            return None if subscriber is None else subscriber.ready


def _wake(subscriber: _Subscriber) -> None:
    # A RuntimeError means the stream's event loop has closed; the stream
    # unsubscribes as it ends.
    with suppress(RuntimeError):
        subscriber.loop.call_soon_threadsafe(subscriber.ready.set)


def event_text(change: Change) -> str:
    """Format a change as one server-sent event named ``activities``."""
    data = {
        "data_version": change.version,
        "accounts": sorted(change.account_ids),
        "inserted": change.inserted,
        "external": change.external,
    }
    return f"event: activities\ndata: {json.dumps(data)}\n\n"


async def event_stream(
    broadcaster: Broadcaster,
    is_disconnected: Callable[[], Any],
    keep_alive: float = KEEP_ALIVE_SECONDS,
) -> AsyncIterator[str]:
    """Yield events as they come, and a comment line every ``keep_alive``
    seconds so proxies keep the connection open."""
    key = broadcaster.subscribe()
    logger.debug("event stream opened; %d open", broadcaster.subscriber_count)
    try:
        yield ": connected\n\n"
        while not broadcaster.closed:
            ready = broadcaster.ready_event(key)
            if ready is None:
                break
            try:
                await asyncio.wait_for(ready.wait(), timeout=keep_alive)
            except TimeoutError:
                if await is_disconnected():
                    break
                yield ": keep-alive\n\n"
                continue
            change = broadcaster.take(key)
            if change is not None:
                yield event_text(change)
    finally:
        broadcaster.unsubscribe(key)
        logger.debug("event stream closed; %d open", broadcaster.subscriber_count)
