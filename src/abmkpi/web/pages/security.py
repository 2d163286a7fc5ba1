"""Who may open the pages, and protection of the forms that change state.

Pages ask for a viewer login when the server binds to an address other than
localhost, or when ``web.require_login`` is set. Logging in stores the
token's id in the signed session cookie. Every form that posts carries the
session's CSRF token in a hidden field, which the handler compares in
constant time before doing anything.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import quote

from fastapi import Request
from starlette.exceptions import HTTPException

from abmkpi.web.auth import SESSION_TOKEN_KEY, current_token
from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
SESSION_CSRF = "csrf_token"
SESSION_TOKEN_ID = SESSION_TOKEN_KEY


class LoginRequired(Exception):
    """The page needs a logged-in viewer; the handler redirects to the login."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        return "/login?next=" + quote(self.next_path, safe="/")


def login_required(state: WebState) -> bool:
    return not state.is_local or state.workspace.settings.web.require_login


def signed_in_token(request: Request) -> int | None:
    """Return the id of the live token the session logged in with, if any.

    A token revoked since the login ends the session here, on its next page.
    """
    if not isinstance(request.session.get(SESSION_TOKEN_ID), int):
        return None
    info = current_token(request)
    return info.id if info is not None else None


def require_viewer(request: Request, state: WebState) -> None:
    """Raise LoginRequired when the page needs a login and there is none."""
    if login_required(state) and signed_in_token(request) is None:
        raise LoginRequired(local_path(request))


def local_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this server, else the overview.

    This keeps the login form from sending people to another site.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def rotate_csrf_token(request: Request) -> None:
    """Give the session a new CSRF token (after logging in or out)."""
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise 403 unless ``submitted`` is the session's CSRF token."""
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not submitted
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        logger.warning(
            "rejected a form post to %s: missing or wrong CSRF token", request.url.path
        )
        raise HTTPException(
            403,
            "The form has expired or came from another site; reload the page and "
            "try again.",
        )
