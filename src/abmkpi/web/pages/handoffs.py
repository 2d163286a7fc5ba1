"""The handoff queue: MQA accounts handed to sales, their SLA and notifications.

Acknowledging posts a form with the session's CSRF token. Where pages need
a login, it needs an editor (or admin) token, as the API's acknowledge route
does. A dashboard open on localhost without login lets its viewer do it.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from abmkpi.handoff.records import (
    STATUS_FILTERS,
    acknowledge,
    delivery_states,
    handoff_page,
)
from abmkpi.tokens import Role, TokenInfo
from abmkpi.usage import utc_now
from abmkpi.vocabulary import TERMS
from abmkpi.web.auth import current_token
from abmkpi.web.errors import ApiError
from abmkpi.web.notifier import workflow_writer
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.pages.security import check_csrf, login_required

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

STATUS_LABELS = TERMS["handoff_status"]
DELIVERY_LABELS = TERMS["delivery_status"]
CHANNEL_LABELS = TERMS["channel"]


def _editor(page: Page) -> TokenInfo | None:
    """Return the session's token when it may acknowledge handoffs."""
    info = current_token(page.request)
    return info if info is not None and info.role.allows(Role.EDITOR) else None


def _may_acknowledge(page: Page) -> bool:
    """Tell whether this viewer may acknowledge handoffs.

    A dashboard open on localhost without login lets its viewer acknowledge,
    as it lets them change PDCA actions; otherwise an editor login is needed.
    """
    return not login_required(page.state) or _editor(page) is not None


# The name recorded as acknowledging on a dashboard open on localhost
# without login.
LOCAL_VIEWER = "dashboard (localhost)"


# Handoffs per page unless the page_size parameter sets it.
PAGE_SIZE = 50


@router.get("/handoffs")
def handoff_queue(
    page: Annotated[Page, Depends(page_context)],
    status: Annotated[str, Query(max_length=20)] = "all",
    number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
) -> Response:
    if status not in STATUS_FILTERS:
        status = "all"
    now = utc_now()
    with page.state.reader() as store:
        total, handoffs = handoff_page(store, status, now, number, page_size)
        pages = max(1, math.ceil(total / page_size))
        if number > pages:
            # A page past the end (the queue shrank) shows the last one.
            number = pages
            total, handoffs = handoff_page(store, status, now, number, page_size)
        states = delivery_states(store, [handoff.id for handoff in handoffs])
    rows: list[dict[str, Any]] = [
        {**handoff.to_dict(now), "deliveries": states[handoff.id]}
        for handoff in handoffs
    ]
    return render(
        page,
        "handoffs.html",
        nav="handoffs",
        rows=rows,
        status=status,
        paging={
            "page": number,
            "pages": pages,
            "total": total,
            "first": (number - 1) * page_size + 1 if rows else 0,
            "last": (number - 1) * page_size + len(rows),
        },
        back=_queue_query(status, number, page_size),
        statuses=STATUS_FILTERS,
        status_labels=STATUS_LABELS,
        delivery_labels=DELIVERY_LABELS,
        channel_labels=CHANNEL_LABELS,
        can_acknowledge=_may_acknowledge(page),
        sla_hours=page.state.workspace.settings.handoff.sla_hours,
        threshold=page.state.workspace.settings.engagement.mqa_threshold,
        backfill_days=page.state.workspace.settings.handoff.backfill_days,
    )


def _queue_query(status: str, number: int, page_size: int) -> str:
    """Return the query string that brings the queue back to this page."""
    params: dict[str, Any] = {}
    if status != "all":
        params["status"] = status
    if number > 1:
        params["page"] = number
    if page_size != PAGE_SIZE:
        params["page_size"] = page_size
    return urlencode(params)


@router.post("/handoffs/{handoff_id}/ack")
def acknowledge_form(
    page: Annotated[Page, Depends(page_context)],
    handoff_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "all",
    number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
) -> Response:
    check_csrf(page.request, csrf_token)
    if not _may_acknowledge(page):
        raise ApiError(
            403,
            "acknowledging a handoff needs a login with an editor or admin token",
        )
    token = _editor(page)
    by = token.name if token is not None else LOCAL_VIEWER
    with workflow_writer(page.state) as store:
        acknowledge(store, handoff_id, by)
    logger.info("%s acknowledged handoff %d on the page", by, handoff_id)
    if status not in STATUS_FILTERS:
        status = "all"
    query = _queue_query(status, number, page_size)
    target = "/handoffs" + (f"?{query}" if query else "")
    return RedirectResponse(target + f"#handoff-{handoff_id}", 303)
