"""Query parameters the API shares, validated into domain values.

Every invalid value is a 422 in the error envelope naming the parameter
(``query.period``) with the problem.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from abmkpi.errors import PeriodError
from abmkpi.metrics.context import parse_segment
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.periods import Period, iso_instant
from abmkpi.web.errors import ApiError
from abmkpi.web.state import WebState

MAX_PERIOD_LENGTH = 64
DEFAULT_PERIOD = "this-quarter"

PeriodText = Annotated[
    str,
    Query(
        max_length=MAX_PERIOD_LENGTH,
        description="FY2024, FY2024-Q1, FY2024-H1, 2024, 2024-05, 2024-W18, "
        "2024-05-20, START..END, this-quarter, last-quarter, …",
    ),
]


def invalid(field: str, problem: str) -> ApiError:
    """Return a 422 naming one bad parameter."""
    return ApiError(
        422,
        f"invalid {field}: {problem}",
        details=[{"field": field, "problem": problem}],
    )


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def period_of(request: Request, period: PeriodText = DEFAULT_PERIOD) -> Period:
    """Parse the ``period`` query parameter (default this-quarter)."""
    calendar = web_state(request).workspace.calendar
    try:
        return calendar.parse(period)
    except (PeriodError, ValueError) as error:
        raise invalid("query.period", str(error)) from error


def segments_of(
    segment: Annotated[
        list[str],
        Query(
            max_length=20,
            description="all, target, non-target, tier:N or account:ID "
            "(repeatable; default all, target, non-target and each tier).",
        ),
    ] = [],  # noqa: B006  (FastAPI copies list defaults per request)
) -> list[str] | None:
    """Parse the repeatable ``segment`` query parameter."""
    parsed = []
    for text in segment:
        try:
            parsed.append(parse_segment(text).id)
        except ValueError as error:
            raise invalid("query.segment", str(error)) from error
    return parsed or None


def kpis_of(
    kpi: Annotated[
        list[str],
        Query(max_length=50, description="Only these KPI ids (repeatable)."),
    ] = [],  # noqa: B006  (FastAPI copies list defaults per request)
) -> list[str]:
    for name in kpi:
        if name not in DEFINITIONS:
            raise invalid(
                "query.kpi", f"unknown KPI {name!r}; known: {', '.join(DEFINITIONS)}"
            )
    return kpi


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class DocumentResponse(JSONResponse):
    """JSON of plain documents; naive instants are UTC and get a Z."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content,
            ensure_ascii=False,
            allow_nan=False,
            default=_default,
            separators=(",", ":"),
        ).encode("utf-8")
