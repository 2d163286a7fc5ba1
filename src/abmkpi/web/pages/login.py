"""Logging in with an API token, and logging out.

The login form takes a token as ``abmkpi token create`` printed it; any
role may view the pages. The session keeps only the token's id, never the
token.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from abmkpi.web.pages.rendering import Page, build_page, render
from abmkpi.web.pages.security import (
    SESSION_TOKEN_ID,
    check_csrf,
    rotate_csrf_token,
    safe_next,
)

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(page: Annotated[Page, Depends(build_page)], next: str = "/") -> Response:
    return render(page, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(
    page: Annotated[Page, Depends(build_page)],
    token: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    request = page.request
    check_csrf(request, csrf_token)
    from abmkpi.web.auth import authenticate

    with page.state.reader() as store:
        identity = authenticate(store, token.strip())
    if identity is None:
        logger.info("login failed: unknown or revoked token")
        error = page.gettext("The token is unknown or has been revoked.")
        return render(
            page, "login.html", status_code=401, next=safe_next(next), error=error
        )
    request.session.clear()
    request.session[SESSION_TOKEN_ID] = identity.id
    rotate_csrf_token(request)
    logger.info("token %s logged in to the dashboard", identity.id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    token_id = request.session.get(SESSION_TOKEN_ID)
    request.session.clear()
    rotate_csrf_token(request)
    if token_id is not None:
        logger.info("token %s logged out of the dashboard", token_id)
    return RedirectResponse("/login", status_code=303)
