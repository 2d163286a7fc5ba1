"""The account journey route of the JSON API: stages on two dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from abmkpi.errors import AbmkpiError
from abmkpi.metrics.journey import journey_segment, today
from abmkpi.periods import MAX_YEAR, MIN_YEAR
from abmkpi.tokens import Role
from abmkpi.web.api_models import ERROR_RESPONSES, JourneyModel
from abmkpi.web.auth import require_role
from abmkpi.web.params import DocumentResponse, invalid, web_state
from abmkpi.web.queries import journey

router = APIRouter(
    prefix="/api/v1",
    tags=["KPIs"],
    dependencies=[Depends(require_role(Role.VIEWER))],
    responses=ERROR_RESPONSES,
)


def _date(field: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise invalid(field, f"{text!r} is not a date; write YYYY-MM-DD") from error
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise invalid(
            field, f"{text!r} is outside the supported years {MIN_YEAR} to {MAX_YEAR}"
        )
    return day


@router.get("/journey", response_model=JourneyModel)
def get_journey(
    request: Request,
    from_text: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=10,
            description="First date, YYYY-MM-DD (default: the first day of the "
            "fiscal quarter of `to`).",
        ),
    ] = None,
    to_text: Annotated[
        str | None,
        Query(alias="to", max_length=10, description="Second date (default: today)."),
    ] = None,
    segment: Annotated[
        str, Query(max_length=30, description="target, all, non-target or tier:N.")
    ] = "target",
) -> DocumentResponse:
    """Compare the journey stages of a segment's accounts on two dates: counts
    per stage on each, and the accounts that moved up or down."""
    state = web_state(request)
    settings = state.workspace.settings
    to_date = _date("query.to", to_text) or today(settings)
    from_date = _date("query.from", from_text)
    if from_date is None:
        from_date = state.workspace.calendar.period_of("fiscal_quarter", to_date).start
    if to_date < from_date:
        raise invalid("query.to", f"{to_date} is before from ({from_date})")
    try:
        segment_id = journey_segment(segment).id
    except AbmkpiError as error:
        raise invalid("query.segment", str(error)) from error
    progress = journey(state, from_date, to_date, segment_id)
    return DocumentResponse(progress.to_dict())
