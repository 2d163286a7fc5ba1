"""Who is asking: API tokens in a Bearer header or a signed session cookie.

Rules:

- sending activities needs an editor (or admin) token, always;
- managing tokens through the API needs an admin token, always;
- pages and the read API need a viewer login when the server binds to an
  address other than localhost. They always need one when
  ``web.require_login`` is set, and are open otherwise.

A request without credentials where a token is needed gets 401; a token
whose role is too low gets 403. The page login stores the token's id in the
session cookie (signed with a secret kept in the store), never the token.
Every request is counted against the rate limit of its token, or of its
client address when it carries none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request

from abmkpi.errors import StoreError
from abmkpi.store.database import Store
from abmkpi.tokens import (
    Role,
    TokenInfo,
    get_token,
    stored_hash,
    token_id_of,
    token_matches,
    touch_token,
)
from abmkpi.web.errors import ApiError
from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

SESSION_TOKEN_KEY = "token_id"
SESSION_COOKIE = "abmkpi_session"
SESSION_SECRET_KEY = "session_secret"

# last_used_at is written at most this often per token.
TOUCH_INTERVAL_SECONDS = 60.0

_verified: dict[tuple[str, int], bytes] = {}
_touched: dict[tuple[str, int], float] = {}
_lock = threading.Lock()


def session_secret(store: Store) -> str:
    """Return the secret that signs session cookies, creating it once."""
    secret = store.scalar("SELECT value FROM meta WHERE key = ?", [SESSION_SECRET_KEY])
    if secret is None:
        secret = secrets.token_urlsafe(48)
        store.execute(
            "INSERT OR IGNORE INTO meta VALUES (?, ?)", [SESSION_SECRET_KEY, secret]
        )
        secret = store.scalar(
            "SELECT value FROM meta WHERE key = ?", [SESSION_SECRET_KEY]
        )
        logger.info("created the session secret of this workspace")
    return str(secret)


def authenticate(store: Store, token: str) -> TokenInfo | None:
    """Return the live token a secret belongs to, or None if there is none.

    A token verified once is remembered by a digest, so later requests skip
    the scrypt hash; revocation is checked on every call.
    """
    token_id = token_id_of(token)
    if token_id is None:
        return None
    info = get_token(store, token_id)
    if info is None or info.is_revoked:
        return None
    key = (str(store.path), token_id)
    digest = hashlib.sha256(token.encode("utf-8")).digest()
    with _lock:
        known = _verified.get(key)
    if known is None or not hmac.compare_digest(known, digest):
        hashed = stored_hash(store, token_id)
        if hashed is None or not token_matches(token, hashed):
            return None
        with _lock:
            _verified[key] = digest
    _touch(store, token_id)
    return info


def was_verified(store_path: Path, token: str) -> bool:
    """Return whether this process has verified the token for the store
    before (it may have been revoked since)."""
    token_id = token_id_of(token)
    if token_id is None:
        return False
    digest = hashlib.sha256(token.encode("utf-8")).digest()
    with _lock:
        known = _verified.get((str(store_path), token_id))
    return known is not None and hmac.compare_digest(known, digest)


def _touch(store: Store, token_id: int) -> None:
    key = (str(store.path), token_id)
    now = time.monotonic()
    with _lock:
        if now - _touched.get(key, -TOUCH_INTERVAL_SECONDS) < TOUCH_INTERVAL_SECONDS:
            return
        _touched[key] = now
    try:
        touch_token(store, token_id, datetime.now(UTC).replace(tzinfo=None))
    except StoreError:
        # Another request wrote the row at the same moment; its time serves.
        logger.debug("skipped recording the use of token %d", token_id)


def login_required(state: WebState) -> bool:
    """Return whether pages and the read API need a viewer login."""
    return state.workspace.settings.web.require_login or not state.is_local


def log_in(request: Request, info: TokenInfo) -> None:
    """Start a page session for a token (after :func:`authenticate`)."""
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = info.id
    logger.info("token %d (%s) logged in", info.id, info.name)


def log_out(request: Request) -> None:
    request.session.clear()


def client_key(request: Request) -> str:
    host = request.client.host if request.client else "unknown"
    return f"client:{host}"


def current_token(request: Request) -> TokenInfo | None:
    """Return the token of the request (header first, then session), or None.

    A malformed header or an unknown or revoked token is a 401, so a client
    never silently falls back to anonymous access.
    """
    state: WebState = request.app.state.web
    header = request.headers.get("authorization")
    if header is not None:
        return _bearer_token(request, state, header)
    session = request.scope.get("session")
    token_id = session.get(SESSION_TOKEN_KEY) if session else None
    if not isinstance(token_id, int):
        return None
    with state.reader() as store:
        info = get_token(store, token_id)
    if info is None or info.is_revoked:
        request.session.clear()
        return None
    return info


def _bearer_token(request: Request, state: WebState, header: str) -> TokenInfo:
    scheme, _, value = header.partition(" ")
    challenge = {"WWW-Authenticate": "Bearer"}
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(
            401,
            "invalid Authorization header; send 'Authorization: Bearer <token>'",
            headers=challenge,
        )
    client = client_key(request)
    wait = (
        None
        if was_verified(state.store_path, value.strip())
        else (state.auth_failures.peek(client))
    )
    if wait is not None:
        raise ApiError(
            429,
            f"too many failed authentications; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    with state.reader() as store:
        info = authenticate(store, value.strip())
    if info is None:
        state.auth_failures.hit(client)
        logger.warning("rejected an unknown or revoked API token from %s", client)
        raise ApiError(401, "invalid or revoked API token", headers=challenge)
    return info


def require_role(role: Role) -> Callable[[Request], TokenInfo | None]:
    """Return a FastAPI dependency that admits requests allowed ``role``.

    The dependency returns the request's token, or None for an anonymous
    request where no login is needed.
    """

    def dependency(request: Request) -> TokenInfo | None:
        state: WebState = request.app.state.web
        info = current_token(request)
        _count_request(request, state, info)
        if info is None:
            if role is Role.VIEWER and not login_required(state):
                return None
            raise ApiError(
                401,
                f"this request needs a token with role {role.value} or higher; "
                "send 'Authorization: Bearer <token>' (create one with "
                f"'abmkpi token create --name NAME --role {role.value}')",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not info.role.allows(role):
            raise ApiError(
                403,
                f"token {info.id} has role {info.role.value}; this request needs "
                f"{role.value} or higher",
            )
        return info

    return dependency


def _count_request(request: Request, state: WebState, info: TokenInfo | None) -> None:
    key = f"token:{info.id}" if info else client_key(request)
    wait = state.limiter.hit(key)
    if wait is not None:
        raise ApiError(
            429,
            f"rate limit of {state.limiter.per_minute} requests per minute "
            f"reached; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
