"""The dashboard: server-rendered pages over the workspace's KPIs.

Pages are Jinja2 templates in ``abmkpi/web/templates`` and scripts and
styles in ``abmkpi/web/static``. Plotly is served from the installed Python
package, so no page loads anything from another host.
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
)
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from abmkpi.errors import StoreBusyError
from abmkpi.i18n import translate
from abmkpi.web.app import web_state
from abmkpi.web.errors import BUSY_RETRY_SECONDS
from abmkpi.web.pages import (
    accounts,
    departments,
    diagnostics,
    handoffs,
    health,
    login,
    overview,
    pdca,
)
from abmkpi.web.pages.rendering import (
    PAGE_HEADERS,
    build_page,
    environment,
    page_language,
    render,
)
from abmkpi.web.pages.security import LoginRequired

logger = logging.getLogger(__name__)

PLOTLY_URL = "/vendor/plotly.min.js"

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install_pages(app: FastAPI) -> None:
    """Add the pages, their static files and HTML error pages to the app.

    Call it after the API's middleware is installed, so the session
    middleware it adds is found.
    """
    _ensure_sessions(app)
    app.mount("/static", StaticFiles(packages=[("abmkpi.web", "static")]), "static")
    app.add_api_route(PLOTLY_URL, _plotly, include_in_schema=False)
    for module in (
        overview,
        accounts,
        departments,
        handoffs,
        health,
        pdca,
        diagnostics,
        login,
    ):
        app.include_router(module.router)
    _install_html_errors(app)


def _plotly() -> FileResponse:
    path = Path(str(files("plotly").joinpath("package_data/plotly.min.js")))
    return FileResponse(
        path,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=604800"},
    )


def _ensure_sessions(app: FastAPI) -> None:
    """Install the session middleware unless the API's auth has done so.

    NOTE: the fallback signs sessions with a secret made at start-up, so
    logins end when the server restarts. The API's auth installs the
    middleware with the workspace's own secret.
    """
    if any(item.cls is SessionMiddleware for item in app.user_middleware):
        return
    app.add_middleware(
        SessionMiddleware,
        secret_key=secrets.token_urlsafe(32),
        session_cookie="abmkpi_session",
        same_site="lax",
    )


def _install_html_errors(app: FastAPI) -> None:
    """Render errors as HTML pages for browsers, and as JSON for the rest.

    The API's handlers still decide the status and message. A request
    outside ``/api`` that accepts HTML (as browsers send) gets their
    envelope shown as a page.
    """
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _html_for_pages(handler)
    app.exception_handlers[LoginRequired] = _redirect_to_login
    busy = app.exception_handlers.get(StoreBusyError)
    if busy is not None:
        app.exception_handlers[StoreBusyError] = _busy_page(busy)


def _html_for_pages(handler: Handler) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        response = handler(request, error)
        if inspect.isawaitable(response):
            response = await response
        if not _wants_html(request):
            return response
        return _error_page(request, response)

    return handle


def _busy_page(handler: Handler) -> Handler:
    """Render, for a browser, a page that reloads itself while another
    process has the workspace. The page reads nothing from the store."""

    async def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, StoreBusyError)
        if not _wants_html(request):
            response = handler(request, error)
            return await response if inspect.isawaitable(response) else response
        language = page_language(request, web_state(request))

        def gettext(message: str, **values: Any) -> str:
            text = translate(message, language)
            return text % values if values else text

        html = environment.get_template("busy.html").render(
            lang=language, _=gettext, pid=error.pid, seconds=BUSY_RETRY_SECONDS
        )
        headers = {**PAGE_HEADERS, "Retry-After": str(BUSY_RETRY_SECONDS)}
        return HTMLResponse(html, status_code=503, headers=headers)

    return handle


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def _redirect_to_login(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return RedirectResponse(error.login_url, status_code=303)


def _error_page(request: Request, response: Response) -> Response:
    message = _envelope_message(response)
    try:
        page = build_page(request)
        return render(
            page,
            "error.html",
            status_code=response.status_code,
            status=response.status_code,
            message=message,
        )
    except Exception:
        logger.exception("could not render the error page for %s", request.url.path)
        return PlainTextResponse(message, status_code=response.status_code)


def _envelope_message(response: Response) -> str:
    try:
        document: dict[str, Any] = json.loads(bytes(response.body))
        return str(document["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return "error"
