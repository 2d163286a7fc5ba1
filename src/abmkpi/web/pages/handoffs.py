"""The handoff queue: MQA accounts handed to sales, their SLA and notifications.

Acknowledging posts a form with the session's CSRF token. Where pages need
a login, it needs an editor (or admin) token, as the API's acknowledge route
does. A dashboard open on localhost without login lets its viewer do it.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from abmkpi.handoff.records import (
    STATUS_FILTERS,
    acknowledge,
    delivery_states,
    list_handoffs,
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


@router.get("/handoffs")
def handoff_queue(
    page: Annotated[Page, Depends(page_context)],
    status: Annotated[str, Query(max_length=20)] = "all",
) -> Response:
    if status not in STATUS_FILTERS:
        status = "all"
    now = utc_now()
    with page.state.reader() as store:
        handoffs = list_handoffs(store, status, now)
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
        statuses=STATUS_FILTERS,
        status_labels=STATUS_LABELS,
        delivery_labels=DELIVERY_LABELS,
        channel_labels=CHANNEL_LABELS,
        can_acknowledge=_may_acknowledge(page),
        sla_hours=page.state.workspace.settings.handoff.sla_hours,
        threshold=page.state.workspace.settings.engagement.mqa_threshold,
    )


@router.post("/handoffs/{handoff_id}/ack")
def acknowledge_form(
    page: Annotated[Page, Depends(page_context)],
    handoff_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
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
    return RedirectResponse(page.link("/handoffs") + f"#handoff-{handoff_id}", 303)
