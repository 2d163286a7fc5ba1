"""KPI and funnel routes of the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from abmkpi.periods import Period
from abmkpi.tokens import Role
from abmkpi.web.api_models import ERROR_RESPONSES, FunnelModel, KpiReportModel
from abmkpi.web.auth import require_role
from abmkpi.web.params import (
    DocumentResponse,
    kpis_of,
    period_of,
    segments_of,
    web_state,
)
from abmkpi.web.queries import funnel, kpi_report

router = APIRouter(
    prefix="/api/v1",
    tags=["KPIs"],
    dependencies=[Depends(require_role(Role.VIEWER))],
    responses=ERROR_RESPONSES,
)


@router.get("/kpis", response_model=KpiReportModel)
def get_kpis(
    request: Request,
    period: Annotated[Period, Depends(period_of)],
    segments: Annotated[list[str] | None, Depends(segments_of)],
    kpis: Annotated[list[str], Depends(kpis_of)],
) -> DocumentResponse:
    """Return every KPI of a period per segment, as `abmkpi kpi --format json`
    prints it."""
    report = kpi_report(web_state(request), period, segments)
    document = report.to_dict()
    if kpis:
        document["results"] = [r for r in document["results"] if r["id"] in kpis]
    return DocumentResponse(document)


@router.get("/funnel", response_model=FunnelModel)
def get_funnel(
    request: Request, period: Annotated[Period, Depends(period_of)]
) -> DocumentResponse:
    """Count target accounts and all accounts per journey stage."""
    return DocumentResponse(funnel(web_state(request), period).to_dict())
