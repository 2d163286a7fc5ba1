"""The JSON API under /api/v1, with its authentication and request limits."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from abmkpi.web import (
    api_accounts,
    api_diagnostics,
    api_events,
    api_handoffs,
    api_journey,
    api_kpis,
    api_pdca,
    api_status,
    api_tokens,
    ingest,
)
from abmkpi.web.auth import SESSION_COOKIE, session_secret
from abmkpi.web.limits import BodySizeLimit
from abmkpi.web.state import WebState

API_PREFIX = "/api/v1"

# A login lasts two weeks, so a dashboard left open on a wall screen stays in.
SESSION_MAX_AGE_SECONDS = 14 * 24 * 3600

ROUTERS = (
    api_kpis.router,
    api_journey.router,
    api_accounts.router,
    api_status.router,
    ingest.router,
    api_events.router,
    api_tokens.router,
    api_pdca.router,
    api_diagnostics.router,
    api_handoffs.router,
)


def install_api(app: FastAPI) -> None:
    """Add the API routes, the session cookie and the body size limit.

    Call before adding middleware that should see every request (such as
    the request log), because middleware added later wraps this.
    """
    state: WebState = app.state.web
    with state.reader() as store:
        secret = session_secret(store)
    app.add_middleware(
        BodySizeLimit, max_bytes=state.workspace.settings.web.max_body_bytes
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_SECONDS,
        same_site="lax",
    )
    for router in ROUTERS:
        app.include_router(router)
