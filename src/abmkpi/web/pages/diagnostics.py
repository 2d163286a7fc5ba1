"""Diagnostics: the KPI-setup checklist grouped by part, with evidence and fixes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from abmkpi.diagnostics.items import PART_TITLES, STATUS_LABELS
from abmkpi.vocabulary import N_
from abmkpi.web.diagnostics import diagnostics_report
from abmkpi.web.pages.rendering import Page, page_context, render

router = APIRouter(include_in_schema=False)


@router.get("/diagnostics")
def diagnostics(page: Annotated[Page, Depends(page_context)]) -> Response:
    report = diagnostics_report(page.state)
    return render(
        page,
        "diagnostics.html",
        nav="diagnostics",
        report=report,
        parts=[
            (str(part), PART_TITLES[part], items) for part, items in report.by_part()
        ],
        counts=report.counts(),
        status_labels={str(k): v for k, v in STATUS_LABELS.items()},
        is_table=is_table,
        scalar=scalar_text,
    )


def is_table(value: Any) -> bool:
    """Return whether evidence is a list of records, shown as a table."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(row, dict) for row in value)
    )


# Evidence keys whose fractions are shown as percentages.
SHARE_SUFFIXES = ("rate", "share", "coverage")


def scalar_text(page: Page, key: str, value: Any) -> str:
    """Format one evidence value in the page language."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return page.gettext(N_("yes") if value else N_("no"))
    if isinstance(value, datetime):
        return page.fmt.datetime(value)
    if isinstance(value, float) and key.endswith(SHARE_SUFFIXES):
        return page.fmt.percent(value)
    if isinstance(value, int | float):
        return page.fmt.number(value, 0 if float(value).is_integer() else 1)
    return str(value)
