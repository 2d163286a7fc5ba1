"""Account list and account detail routes of the JSON API."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from abmkpi.metrics.accounts import SORT_KEYS
from abmkpi.periods import Period
from abmkpi.tokens import Role
from abmkpi.web.account_table import COLUMNS, AccountQuery
from abmkpi.web.api_models import ERROR_RESPONSES, AccountDetailModel, AccountPage
from abmkpi.web.auth import require_role
from abmkpi.web.params import DocumentResponse, period_of, web_state
from abmkpi.web.queries import account_page, account_view

router = APIRouter(
    prefix="/api/v1",
    tags=["accounts"],
    dependencies=[Depends(require_role(Role.VIEWER))],
    responses=ERROR_RESPONSES,
)

# The sort keys of metrics.accounts.SORT_KEYS and the journey stages, spelled
# out for the OpenAPI schema; a test checks that they agree.
SortKey = Literal["score", "name", "tier", "stage", "pipeline", "won", "people"]
JourneyStage = Literal[
    "customer", "opportunity", "mqa", "engaged", "aware", "unengaged"
]

# Columns of a row in the list; the rest of the table is for searching.
ROW_COLUMNS = [name for name in COLUMNS if name not in ("account_id", "start_score")]


@router.get("/accounts", response_model=AccountPage)
def get_accounts(
    request: Request,
    period: Annotated[Period, Depends(period_of)],
    sort: Annotated[SortKey, Query(description="Sort key.")] = "score",
    order: Annotated[
        Literal["asc", "desc"] | None,
        Query(description="asc or desc; default desc for numbers, asc for names."),
    ] = None,
    tier: Annotated[
        list[Annotated[int, Query(ge=1, le=99)]],
        Query(max_length=20, description="Only these target tiers (repeatable)."),
    ] = [],  # noqa: B006  (FastAPI copies list defaults per request)
    stage: Annotated[
        list[JourneyStage],
        Query(max_length=6, description="Only these journey stages (repeatable)."),
    ] = [],  # noqa: B006
    owner: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Text in the id or name."),
    ] = None,
    target: Annotated[
        bool | None, Query(description="Only target (true) or non-target accounts.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DocumentResponse:
    """List the accounts of a period with score, journey stage, people and pipeline,
    filtered, sorted and paged on the server."""
    natural = SORT_KEYS[sort][1]
    descending = natural if order is None else order == "desc"
    query = AccountQuery(
        sort=sort,
        descending=descending,
        tiers=tuple(tier),
        stages=tuple(stage),
        owner=owner,
        min_score=min_score,
        search=q,
        target=target,
        page=page,
        page_size=page_size,
    )
    total, rows = account_page(web_state(request), period, query)
    return DocumentResponse(
        {
            "period": period.id,
            "total": total,
            "page": page,
            "page_size": page_size,
            "pages": math.ceil(total / page_size),
            "sort": sort,
            "order": "desc" if descending else "asc",
            "accounts": [{key: row[key] for key in ROW_COLUMNS} for row in rows],
        }
    )


@router.get("/accounts/{account_id:path}", response_model=AccountDetailModel)
def get_account(
    request: Request,
    account_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=200,
            description="Canonical id (such as demo:acc1), source id or exact name.",
        ),
    ],
    period: Annotated[Period, Depends(period_of)],
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> DocumentResponse:
    """Return one account: score and its top activities, score history, timeline,
    people by persona and opportunities with stage history."""
    detail = account_view(web_state(request), account_id, period, top)
    return DocumentResponse(detail.to_dict())
