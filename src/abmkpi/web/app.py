"""The FastAPI application: dashboard pages and the JSON API in one process."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request, Response

from abmkpi.web.api import install_api
from abmkpi.web.errors import install_error_handlers
from abmkpi.web.notifier import Notifier
from abmkpi.web.redaction import loggable_path
from abmkpi.web.state import WebState
from abmkpi.workspace import Workspace

if TYPE_CHECKING:
    from abmkpi.reports.scheduler import ReportScheduler

logger = logging.getLogger(__name__)

# Routes that show no workspace data: the event stream (a browser's
# EventSource gives up on an error status) and the chart library.
NO_DATA_PATHS = frozenset({"/api/v1/events", "/vendor/plotly.min.js"})


def create_app(workspace: Workspace, bind_host: str = "127.0.0.1") -> FastAPI:
    """Build the application over one workspace."""
    state = WebState.open(workspace, bind_host)
    notifier = Notifier(state)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("serving workspace %s", workspace.root)
        notifier.start()
        scheduler = _report_scheduler(state)
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        notifier.stop()
        state.close()
        logger.info("stopped serving workspace %s", workspace.root)

    app = FastAPI(
        title="abmkpi",
        description="Account-based-marketing KPIs shared by marketing, sales and "
        "customer success.",
        version="1",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        dependencies=[Depends(_current_data)],
    )
    app.state.web = state
    app.state.notifier = notifier
    install_error_handlers(app)
    # The JSON API (/api/v1), its authentication and request limits.
    install_api(app)
    app.middleware("http")(_log_requests)

    from abmkpi.web.pages import install_pages

    install_pages(app)
    return app


def _report_scheduler(state: WebState) -> ReportScheduler | None:
    """Return the thread that writes due packs when reports.run_in_serve is on."""
    if not state.workspace.settings.reports.run_in_serve:
        return None
    from abmkpi.reports.scheduler import ReportScheduler

    return ReportScheduler(state.workspace, state.reader, state.writer)


def _current_data(request: Request) -> None:
    """Bring the data version up to date before the route runs.

    Cached numbers are served from memory, so a request may read no table
    at all. Opening the store (or finding it open) notices a write by
    another process since the server last had the store. While another
    process has the store, this raises StoreBusyError (a 503).
    """
    if request.url.path in NO_DATA_PATHS:
        return
    state: WebState = request.app.state.web
    state.refresh()


async def _log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Log one line per request: method, path, status and duration.

    The query string is left out and path segments with an '@' are masked,
    because they may carry e-mail addresses.
    """
    started = time.perf_counter()
    response = await call_next(request)
    logger.info(
        "%s %s %d %.1fms",
        request.method,
        loggable_path(request.url.path),
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response


def web_state(request: Request) -> WebState:
    """Return the shared state; a FastAPI dependency for handlers."""
    state: WebState = request.app.state.web
    return state
