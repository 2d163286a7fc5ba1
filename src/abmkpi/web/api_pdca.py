"""PDCA routes of the JSON API: low performers, patterns, plans and actions.

Reading needs a viewer (as every read route); adding, closing and reviewing
actions need an editor token, always. Action rows change no KPI, so the
writes take the write lock without moving the data version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from abmkpi.errors import FieldError
from abmkpi.pdca.actions import (
    ActionStatus,
    add_action,
    cancel_action,
    complete_action,
    list_actions,
    review_actions,
)
from abmkpi.pdca.checks import low_performers
from abmkpi.pdca.patterns import PatternScope, pattern_report
from abmkpi.pdca.plan import account_plans
from abmkpi.periods import Period
from abmkpi.store.database import Store
from abmkpi.tokens import Role, TokenInfo
from abmkpi.web.api_models import ERROR_RESPONSES
from abmkpi.web.api_pdca_models import (
    ActionList,
    ActionModel,
    ActionRequest,
    CloseRequest,
    LowPerformerList,
    PatternList,
    PlanList,
    ReviewResult,
    StatusName,
)
from abmkpi.web.auth import require_role
from abmkpi.web.params import DocumentResponse, invalid, period_of, web_state
from abmkpi.web.queries import cache_of, clock_key, now_minute
from abmkpi.web.state import WebState

# Roles are set per route, so each request is authenticated (and counted
# against the rate limit) once.
router = APIRouter(prefix="/api/v1/pdca", tags=["pdca"], responses=ERROR_RESPONSES)

VIEWER = [Depends(require_role(Role.VIEWER))]

Editor = Annotated[TokenInfo | None, Depends(require_role(Role.EDITOR))]


def _cached(
    state: WebState, period: Period, key: tuple[Any, ...], compute: Callable[[], Any]
) -> Any:
    """Cache a result per data version, and per minute while the period runs."""
    clock = clock_key(state, period, now_minute())
    return cache_of(state).get(
        ("pdca", period.id, *key, state.data_version, clock), compute
    )


@router.get("/low-performers", response_model=LowPerformerList, dependencies=VIEWER)
def get_low_performers(
    request: Request, period: Annotated[Period, Depends(period_of)]
) -> DocumentResponse:
    """List target accounts that break a low-performer rule, with the numbers,
    the reason and a suggested action in English and Japanese."""
    state = web_state(request)

    def compute() -> list[dict[str, Any]]:
        with state.reader() as store:
            found = low_performers(store, state.workspace.settings, period)
        return [entry.to_dict() for entry in found]

    rows = _cached(state, period, ("low",), compute)
    return DocumentResponse({"period": period.id, "low_performers": rows})


@router.get("/patterns", response_model=PatternList, dependencies=VIEWER)
def get_patterns(
    request: Request,
    period: Annotated[Period, Depends(period_of)],
    scope: Annotated[
        Literal["target", "all"],
        Query(description="Accounts compared: target accounts or all accounts."),
    ] = "target",
) -> DocumentResponse:
    """Compare accounts that reached a new-business opportunity with the rest,
    per activity type, campaign and asset: lift, counts and p-values."""
    state = web_state(request)

    def compute() -> dict[str, Any]:
        with state.reader() as store:
            report = pattern_report(
                store, state.workspace.settings, period, scope=PatternScope(scope)
            )
        return report.to_dict()

    return DocumentResponse(_cached(state, period, ("patterns", scope), compute))


@router.get("/plan", response_model=PlanList, dependencies=VIEWER)
def get_plan(
    request: Request, period: Annotated[Period, Depends(period_of)]
) -> DocumentResponse:
    """Return the per-account KPI targets of the period with the actuals."""
    state = web_state(request)
    with state.reader() as store:
        lines = account_plans(store, state.workspace.settings, period)
    return DocumentResponse(
        {"period": period.id, "plans": [line.to_dict() for line in lines]}
    )


@router.get("/actions", response_model=ActionList, dependencies=VIEWER)
def get_actions(
    request: Request,
    status: Annotated[StatusName | None, Query(description="Only this status.")] = None,
) -> DocumentResponse:
    """List actions; done and overdue ones with their measured effect."""
    state = web_state(request)
    with state.reader() as store:
        actions = list_actions(
            store, state.workspace.settings, ActionStatus(status) if status else None
        )
    return DocumentResponse({"actions": [action.to_dict() for action in actions]})


@contextmanager
def _action_writer(state: WebState, field: str) -> Iterator[Store]:
    """Yield a store for one action write; a ValueError becomes a 422 naming
    ``field``, or the body field a FieldError names."""
    with state.write_lock, state.reader() as store:
        try:
            yield store
        except FieldError as error:
            raise invalid(f"body.{error.field}", str(error)) from error
        except ValueError as error:
            raise invalid(field, str(error)) from error


@router.post("/actions", response_model=ActionModel, status_code=201)
def post_action(
    request: Request, body: ActionRequest, token: Editor
) -> DocumentResponse:
    """Log an open action on an account, with its score and stage now."""
    state = web_state(request)
    with _action_writer(state, "body") as store:
        action = add_action(
            store,
            state.workspace.settings,
            body.account,
            body.title,
            body.owner,
            body.due_date,
            body.rule,
        )
    return DocumentResponse(action.to_dict(), status_code=201)


ActionId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/actions/{action_id}/done", response_model=ActionModel)
def post_action_done(
    request: Request, action_id: ActionId, body: CloseRequest, token: Editor
) -> DocumentResponse:
    """Mark an open action done, with an optional note."""
    with _action_writer(web_state(request), "path.action_id") as store:
        action = complete_action(store, action_id, body.note)
    return DocumentResponse(action.to_dict())


@router.post("/actions/{action_id}/cancel", response_model=ActionModel)
def post_action_cancel(
    request: Request, action_id: ActionId, body: CloseRequest, token: Editor
) -> DocumentResponse:
    """Mark an open action cancelled, with an optional note."""
    with _action_writer(web_state(request), "path.action_id") as store:
        action = cancel_action(store, action_id, body.note)
    return DocumentResponse(action.to_dict())


@router.post("/review", response_model=ReviewResult)
def post_review(request: Request, token: Editor) -> DocumentResponse:
    """Mark every open action reviewed now, and record the review."""
    actor = token.name if token is not None else None
    with _action_writer(web_state(request), "body") as store:
        count = review_actions(store, actor)
    return DocumentResponse({"reviewed": count})
