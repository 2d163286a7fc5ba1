"""The account list and one account's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from abmkpi.metrics.accounts import JOURNEY_STAGES, AccountDetail, account_detail
from abmkpi.web.pages.account_table import AccountQuery, account_page
from abmkpi.web.pages.charts import score_history_figure
from abmkpi.web.pages.overview import KindText, PeriodText
from abmkpi.web.pages.periods import choose_period
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.queries import account_rows, cache_of, clock_key, now_minute

router = APIRouter(include_in_schema=False)

PERSONA_ORDER = ("decision_maker", "influencer", "user", "unknown")
TOP_ACTIVITIES = 10

Text = Annotated[str | None, Query(max_length=200)]


def _table_query(
    search: Text = None,
    tier: Text = None,
    stage: Text = None,
    owner: Text = None,
    sort: Text = None,
    order: Text = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> AccountQuery:
    return AccountQuery.parse(search, tier, stage, owner, sort, order, page)


@router.get("/accounts")
def accounts(
    page: Annotated[Page, Depends(page_context)],
    query: Annotated[AccountQuery, Depends(_table_query)],
    period: PeriodText = None,
    kind: KindText = None,
) -> Response:
    choice = choose_period(page.state, period, kind)
    return render(
        page,
        "accounts.html",
        nav="accounts",
        choice=choice,
        table=account_page(page.state, choice.period, query),
        stages=JOURNEY_STAGES[::-1],
    )


@router.get("/accounts/rows")
def account_table_rows(
    page: Annotated[Page, Depends(page_context)],
    query: Annotated[AccountQuery, Depends(_table_query)],
    period: PeriodText = None,
    kind: KindText = None,
) -> Response:
    """Return the table body alone, for live updates of the visible rows."""
    choice = choose_period(page.state, period, kind)
    return render(
        page,
        "account_rows.html",
        choice=choice,
        table=account_page(page.state, choice.period, query),
    )


@router.get("/accounts/{account_id:path}")
def account(
    page: Annotated[Page, Depends(page_context)],
    account_id: str,
    period: PeriodText = None,
    kind: KindText = None,
) -> Response:
    state = page.state
    choice = choose_period(state, period, kind)
    detail = _detail(page, account_id, choice.period)
    facts = _facts(page, detail.account["id"], choice.period)
    settings = state.workspace.settings
    threshold = settings.engagement.mqa_threshold
    return render(
        page,
        "account.html",
        nav="accounts",
        choice=choice,
        detail=detail,
        facts=facts,
        people=_people_by_persona(detail),
        person_names={person["id"]: person["name"] for person in detail.people},
        threshold=threshold,
        history_figure=score_history_figure(detail.score_history, threshold, page.fmt),
        timeline_days=_timeline_by_day(page, detail),
    )


def _detail(page: Page, key: str, period: Any) -> AccountDetail:
    state = page.state
    now = now_minute()
    cache_key = (
        "account",
        state.data_version,
        key,
        period.id,
        clock_key(state, period, now),
    )

    def compute() -> AccountDetail:
        with state.reader() as store:
            return account_detail(
                store, state.workspace.settings, key, period, now, TOP_ACTIVITIES
            )

    return cache_of(state).get(cache_key, compute)


def _facts(page: Page, account_id: str, period: Any) -> dict[str, Any] | None:
    """Return the account's row of the account list (stage, pipeline, won)."""
    for row in account_rows(page.state, period):
        if row["id"] == account_id:
            return row
    return None


def _people_by_persona(detail: AccountDetail) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for person in detail.people:
        persona = person["persona"] if person["persona"] in PERSONA_ORDER else "unknown"
        groups.setdefault(persona, []).append(person)
    return [
        (persona, groups[persona]) for persona in PERSONA_ORDER if persona in groups
    ]


def _timeline_by_day(
    page: Page, detail: AccountDetail
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Group the timeline by business date, newest first."""
    days: dict[str, list[dict[str, Any]]] = {}
    for item in detail.timeline:
        day = page.fmt.date(item["occurred_at"])
        days.setdefault(day, []).append(item)
    return list(days.items())
