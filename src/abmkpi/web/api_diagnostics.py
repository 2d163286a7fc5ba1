"""Diagnostics route of the JSON API: the KPI-setup checklist."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from abmkpi.tokens import Role
from abmkpi.web.api_models import ERROR_RESPONSES, DiagnosticsModel
from abmkpi.web.auth import require_role
from abmkpi.web.diagnostics import diagnostics_report
from abmkpi.web.params import DocumentResponse, web_state

router = APIRouter(
    prefix="/api/v1",
    tags=["diagnostics"],
    dependencies=[Depends(require_role(Role.VIEWER))],
    responses=ERROR_RESPONSES,
)


@router.get("/diagnostics", response_model=DiagnosticsModel)
def get_diagnostics(request: Request) -> DocumentResponse:
    """Return every checklist item with its status, evidence and fix (as
    `abmkpi diagnose --format json`), cached per minute and data version."""
    report = diagnostics_report(web_state(request))
    return DocumentResponse(report.to_dict())
