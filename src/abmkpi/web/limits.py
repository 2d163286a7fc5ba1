"""Request limits: body size and request rate.

The body limit is ASGI middleware: it rejects a request whose
``Content-Length`` is too large before reading any of the body, and stops
reading a body sent without a length (chunked) once it passes the limit.
The rate limit is a token bucket per token or client address, checked by
the authentication dependency once it has identified the caller.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from abmkpi.web.errors import envelope

logger = logging.getLogger(__name__)

# Buckets kept before full (idle) ones are dropped.
MAX_BUCKETS = 10_000

# Failed authentications one client address may make per minute. After that,
# its requests with a token not verified before are rejected with 429,
# because each verification costs an scrypt hash and guessing must stay slow.
AUTH_FAILURES_PER_MINUTE = 20


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(
            413, f"request body larger than {limit:,} bytes; send smaller batches"
        )


class BodySizeLimit:
    """Reject request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            logger.warning(
                "rejected a %s-byte body on %s (limit %s)",
                f"{declared:,}",
                scope.get("path"),
                f"{self.max_bytes:,}",
            )
            await self._reject(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.max_bytes)
        response = JSONResponse(
            envelope(413, str(error.detail)),
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled evenly."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int | None:
        """Take one request from the key's bucket; return None when allowed,
        else the whole seconds to wait before the next request is."""
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._prune(now, rate)
                bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(
                float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate
            )
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def peek(self, key: str) -> int | None:
        """Return the seconds to wait if the key's bucket is empty, else None;
        takes nothing from the bucket."""
        rate = self.per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return None
            tokens = bucket.tokens + (self.clock() - bucket.updated) * rate
            if tokens >= 1.0:
                return None
            return max(1, math.ceil((1.0 - tokens) / rate))

    def _prune(self, now: float, rate: float) -> None:
        if len(self._buckets) < MAX_BUCKETS:
            return
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * rate >= self.per_minute
        ]
        for key in full:
            del self._buckets[key]
