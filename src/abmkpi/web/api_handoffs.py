"""Handoff routes of the JSON API: the queue, one handoff, acknowledging it."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from abmkpi.handoff.records import (
    MAX_ACTOR_LENGTH,
    Handoff,
    acknowledge_once,
    delivery_states,
    get_handoff,
    handoff_page,
)
from abmkpi.store.database import Store
from abmkpi.tokens import Role, TokenInfo
from abmkpi.usage import utc_now
from abmkpi.web.api_models import (
    ERROR_RESPONSES,
    AcknowledgedHandoffModel,
    HandoffList,
    HandoffModel,
)
from abmkpi.web.auth import require_role
from abmkpi.web.notifier import workflow_writer
from abmkpi.web.params import DocumentResponse, web_state

router = APIRouter(prefix="/api/v1", tags=["handoffs"], responses=ERROR_RESPONSES)

StatusFilter = Literal[
    "open", "acknowledged", "breached", "followed_up", "backfilled", "all"
]
HandoffId = Annotated[int, Path(ge=1, le=2**62, description="Id of the handoff.")]


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_ACTOR_LENGTH,
        description="Who acknowledges; default the token's name.",
    )


def handoff_documents(
    store: Store, handoffs: list[Handoff], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Return handoffs as API documents with their deliveries and their status
    at ``now`` (default: the current time)."""
    now = now or utc_now()
    states = delivery_states(store, [handoff.id for handoff in handoffs])
    return [
        {**handoff.to_dict(now), "deliveries": states[handoff.id]}
        for handoff in handoffs
    ]


@router.get(
    "/handoffs",
    response_model=HandoffList,
    dependencies=[Depends(require_role(Role.VIEWER))],
)
def get_handoffs(
    request: Request,
    status: Annotated[
        StatusFilter, Query(description="Only handoffs with this status.")
    ] = "all",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DocumentResponse:
    """List handoffs, newest first, with evidence, SLA and notification states,
    one page at a time."""
    with web_state(request).reader() as store:
        now = utc_now()
        total, handoffs = handoff_page(store, status, now, page, page_size)
        documents = handoff_documents(store, handoffs, now)
    return DocumentResponse(
        {
            "status": status,
            "total": total,
            "page": page,
            "page_size": page_size,
            "pages": math.ceil(total / page_size),
            "handoffs": documents,
        }
    )


@router.get(
    "/handoffs/{handoff_id}",
    response_model=HandoffModel,
    dependencies=[Depends(require_role(Role.VIEWER))],
)
def get_one_handoff(request: Request, handoff_id: HandoffId) -> DocumentResponse:
    """Return one handoff with its evidence and notification states."""
    with web_state(request).reader() as store:
        (document,) = handoff_documents(store, [get_handoff(store, handoff_id)])
    return DocumentResponse(document)


@router.post("/handoffs/{handoff_id}/ack", response_model=AcknowledgedHandoffModel)
def post_ack(
    request: Request,
    handoff_id: HandoffId,
    token: Annotated[TokenInfo | None, Depends(require_role(Role.EDITOR))],
    body: AcknowledgeRequest | None = None,
) -> DocumentResponse:
    """Acknowledge a handoff (sales has seen it); needs an editor token.

    Acknowledging again keeps the first time and name, and returns
    ``already_acknowledged`` true.
    """
    by = body.by if body is not None and body.by else None
    if by is None and token is not None:
        by = token.name
    state = web_state(request)
    with workflow_writer(state) as store:
        handoff, already = acknowledge_once(store, handoff_id, by)
        (document,) = handoff_documents(store, [handoff])
    return DocumentResponse({**document, "already_acknowledged": already})
