"""Data health: freshness, match rates per source, unmatched records, imports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from abmkpi.matching.report import MatchReport, build_match_report
from abmkpi.web.pages import records
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.queries import cache_of

router = APIRouter(include_in_schema=False)

# Data older than this many days is flagged as stale.
STALE_AFTER_DAYS = 7


@router.get("/health")
def health(page: Annotated[Page, Depends(page_context)]) -> Response:
    state = page.state
    fresh = records.freshness(state)
    report = _match_report(page)
    unmatched_people, people_total = records.unmatched(state, "people")
    unmatched_activities, activities_total = records.unmatched(state, "activities")
    return render(
        page,
        "health.html",
        nav="health",
        fresh=fresh,
        age_days={
            name: _age_days(fresh[name], fresh["checked_at"])
            for name in ("latest_activity", "latest_import", "latest_stage_change")
        },
        stale_after=STALE_AFTER_DAYS,
        report=report,
        account_names=_candidate_names(page, report),
        ambiguous=[
            (source.source_system, item)
            for source in report.sources
            for item in source.ambiguous
        ],
        merged_counts=merged_counts,
        unmatched_people=unmatched_people,
        unmatched_people_total=people_total,
        unmatched_activities=unmatched_activities,
        unmatched_activities_total=activities_total,
        imports=records.imports(state),
    )


def _match_report(page: Page) -> MatchReport:
    state = page.state

    def compute() -> MatchReport:
        with state.reader() as store:
            return build_match_report(store)

    return cache_of(state).get(("match_report", state.data_version), compute)


def _candidate_names(page: Page, report: MatchReport) -> dict[str, str]:
    """Return the names of the accounts ambiguous records could belong to."""
    ids = sorted(
        {
            candidate
            for source in report.sources
            for item in source.ambiguous
            for candidate in item.candidates
        }
    )
    if not ids:
        return {}
    with page.state.reader() as store:
        rows = store.fetch_all(
            "SELECT id, name FROM accounts WHERE list_contains(?, id)", [ids]
        )
    return {account_id: name or account_id for account_id, name in rows}


def merged_counts(*counts: dict[str, int]) -> list[tuple[str, int]]:
    """Return counts per key summed over several tables, largest first."""
    total: Counter[str] = Counter()
    for item in counts:
        total.update(item)
    return total.most_common()


def _age_days(instant: Any, now: datetime) -> int | None:
    if not isinstance(instant, datetime):
        return None
    return max(0, (now - instant).days)
