"""Rendering pages: the template environment, the page context and headers.

Autoescaping is on for every template, so every value a page shows is
HTML-escaped; no page marks data safe. Data for charts goes into
``<script type="application/json">`` elements through the ``tojson``
filter, which escapes ``<``, ``>``, ``&`` and ``'`` so the data cannot end
the element.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from abmkpi.i18n import LANGUAGES, translate, workspace_name
from abmkpi.vocabulary import N_, TERMS
from abmkpi.web.app import web_state
from abmkpi.web.page_views import record_page_view
from abmkpi.web.pages.cards import PACED_TARGET
from abmkpi.web.pages.formats import Formatter
from abmkpi.web.pages.periods import PICKER_KINDS
from abmkpi.web.pages.security import (
    csrf_token,
    login_required,
    require_viewer,
    signed_in_token,
)
from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

LANGUAGE_COOKIE = "abmkpi_lang"
LIVE_EVENTS_PATH = "/api/v1/events"
KPI_API_PATH = "/api/v1/kpis"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

# Scripts and styles come only from this server. Plotly sets inline styles
# on the elements it draws, hence 'unsafe-inline' for styles (not scripts).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# Query parameters that links to other pages carry along.
SHARED_PARAMETERS = ("period", "kind", "segment")

NAVIGATION = [
    ("overview", "/", N_("Overview")),
    ("accounts", "/accounts", N_("Accounts")),
    ("marketing", "/marketing", N_("Marketing")),
    ("sales", "/sales", N_("Sales")),
    ("customer_success", "/customer-success", N_("Customer success")),
    ("handoffs", "/handoffs", N_("Handoffs")),
    ("health", "/health", N_("Data health")),
    ("pdca", "/pdca", N_("PDCA loop")),
    ("diagnostics", "/diagnostics", N_("Diagnostics")),
]

environment = Environment(
    loader=PackageLoader("abmkpi.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_language(request: Request, state: WebState) -> str:
    """Return the page language: ?lang=, else the cookie, else the config's."""
    for candidate in (
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
    ):
        if candidate in LANGUAGES:
            return candidate
    return state.workspace.settings.workspace.language


@dataclass
class Page:
    """The context every template receives: request, language and formatters."""

    request: Request
    state: WebState
    language: str
    fmt: Formatter
    values: dict[str, Any] = field(default_factory=dict)

    def gettext(self, message: str, **values: Any) -> str:
        """Translate ``message`` and fill its ``%(name)s`` placeholders."""
        text = translate(message, self.language)
        return text % values if values else text

    def url(self, path: str | None = None, **changes: Any) -> str:
        """Return this page's URL (or ``path``) with query parameters changed.

        A change to None removes the parameter. Page numbers reset whenever
        something else changes.
        """
        params = dict(self.request.query_params)
        params.pop("lang", None)
        if "page" not in changes and path is None:
            params.pop("page", None)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = str(value)
        query = urlencode(params)
        target = path if path is not None else self.request.url.path
        return target + (f"?{query}" if query else "")

    def link(self, path: str, **extra: Any) -> str:
        """Return ``path`` with this page's period and segment, for links."""
        params = {
            name: value
            for name, value in self.request.query_params.items()
            if name in SHARED_PARAMETERS
        }
        params.update({name: str(value) for name, value in extra.items()})
        query = urlencode(params)
        return path + (f"?{query}" if query else "")

    def language_url(self, language: str) -> str:
        params = dict(self.request.query_params)
        params["lang"] = language
        return self.request.url.path + "?" + urlencode(params)


def build_page(request: Request) -> Page:
    """Build the page context without checking the login (login, error pages)."""
    state = web_state(request)
    language = page_language(request, state)
    settings = state.workspace.settings
    formatter = Formatter(
        language, settings.workspace.reporting_currency, state.workspace.calendar
    )
    return Page(request, state, language, formatter)


def page_context(request: Request) -> Page:
    """Build the page context; a FastAPI dependency that also checks the login
    and records the page view."""
    state = web_state(request)
    require_viewer(request, state)
    record_page_view(request, state)
    return build_page(request)


def _ui_text(page: Page) -> dict[str, Any]:
    """Return the labels the live-update script shows, in the page language."""
    return {
        "status": {status: page.fmt.status(status) for status in TERMS["status"]},
        "paced_target": page.gettext(PACED_TARGET),
    }


def _route_path(request: Request, path: str) -> str | None:
    """Return ``path`` when the app's API serves it (the API may be absent).

    The OpenAPI schema lists every API route, including those of included
    routers; FastAPI builds it once and keeps it.
    """
    schema = request.app.openapi()
    return path if path in schema.get("paths", {}) else None


def render(
    page: Page, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """Render a template with the page context and the security headers."""
    state = page.state
    context = {
        "page": page,
        "fmt": page.fmt,
        "_": page.gettext,
        "lang": page.language,
        "navigation": NAVIGATION,
        "workspace_name": workspace_name(
            state.workspace.settings.workspace.name, page.language
        ),
        "csrf_token": csrf_token(page.request),
        "signed_in": signed_in_token(page.request) is not None,
        "login_required": login_required(state),
        "data_version": state.data_version,
        "nav": "",
        "period_kinds": PICKER_KINDS,
        "ui_text": _ui_text(page),
        "live_events_url": _route_path(page.request, LIVE_EVENTS_PATH),
        "kpi_api_url": _route_path(page.request, KPI_API_PATH),
        **values,
    }
    html = environment.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    chosen = page.request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
        )
    return response
