"""The PDCA page: plans, low performers with suggested actions, patterns to
reuse, and the action log with its add, done and review forms.

Forms post with the session's CSRF token, as logging out does. Where the
pages need a login, changing actions needs an editor (or admin) login. A
dashboard open on localhost without login lets its viewers change them.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from abmkpi.pdca.actions import (
    MAX_NOTE_LENGTH,
    MAX_OWNER_LENGTH,
    MAX_TITLE_LENGTH,
    add_action,
    complete_action,
    list_actions,
    review_actions,
)
from abmkpi.pdca.checks import low_performers
from abmkpi.pdca.messages import RULE_LABELS, rule_label
from abmkpi.pdca.patterns import PatternScope, pattern_report
from abmkpi.pdca.plan import account_plans
from abmkpi.pdca.rules import MAX_RULE_LENGTH, PATTERN_RULE, Rule, pattern_rule
from abmkpi.store.database import Store
from abmkpi.tokens import Role
from abmkpi.vocabulary import TERMS
from abmkpi.web.auth import current_token
from abmkpi.web.pages.overview import KindText, PeriodText
from abmkpi.web.pages.periods import choose_period
from abmkpi.web.pages.rendering import Page, page_context, render
from abmkpi.web.pages.security import check_csrf, login_required, safe_next
from abmkpi.web.queries import cache_of, clock_key, now_minute
from abmkpi.web.state import WebState

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

SCOPES = TERMS["pattern_scope"]
PATTERN_KINDS = TERMS["pattern_kind"]
ACTION_STATUSES = TERMS["action_status"]


@router.get("/pdca")
def pdca(
    page: Annotated[Page, Depends(page_context)],
    period: PeriodText = None,
    kind: KindText = None,
    scope: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    state = page.state
    choice = choose_period(state, period, kind)
    chosen_scope = scope if scope in SCOPES else "target"
    settings = state.workspace.settings
    clock = clock_key(state, choice.period, now_minute())
    key = (choice.period.id, chosen_scope, state.data_version, clock)

    def compute() -> dict[str, Any]:
        with state.reader() as store:
            return {
                "low": low_performers(store, settings, choice.period),
                "patterns": pattern_report(
                    store, settings, choice.period, scope=PatternScope(chosen_scope)
                ),
                "plans": account_plans(store, settings, choice.period),
            }

    found = cache_of(state).get(("pdca_page", *key), compute)
    with state.reader() as store:
        actions = list_actions(store, settings)
        targets = _target_accounts(store)
    return render(
        page,
        "pdca.html",
        nav="pdca",
        choice=choice,
        scope=chosen_scope,
        scopes=SCOPES,
        low=found["low"],
        report=found["patterns"],
        plans=found["plans"],
        actions=actions,
        rules=[(str(key), RULE_LABELS[key]) for key in [*Rule, PATTERN_RULE]],
        rule_label=rule_label,
        pattern_rule=pattern_rule,
        targets=targets,
        pattern_kinds=PATTERN_KINDS,
        action_statuses=ACTION_STATUSES,
        can_edit=_may_edit(page.request, state),
        limits={
            "rule": MAX_RULE_LENGTH,
            "title": MAX_TITLE_LENGTH,
            "owner": MAX_OWNER_LENGTH,
            "note": MAX_NOTE_LENGTH,
        },
    )


def _target_accounts(store: Store) -> list[tuple[str, str]]:
    """Return the id and name of each live target account, by tier and name:
    the accounts a pattern can be reused on from the page."""
    rows = store.fetch_all(
        "SELECT id, coalesce(name, id) FROM accounts WHERE is_target "
        "AND NOT is_deleted AND merged_into_id IS NULL ORDER BY tier, name, id"
    )
    return [(account_id, name) for account_id, name in rows]


def _may_edit(request: Request, state: WebState) -> bool:
    if not login_required(state):
        return True
    info = current_token(request)
    return info is not None and info.role.allows(Role.EDITOR)


def _check_form(request: Request, csrf_token: str) -> WebState:
    """Check the CSRF token and the role; return the server state."""
    check_csrf(request, csrf_token)
    state: WebState = request.app.state.web
    if not _may_edit(request, state):
        raise HTTPException(
            403, "Changing PDCA actions needs a login with an editor or admin token."
        )
    return state


def _back(back: str) -> RedirectResponse:
    target = safe_next(back)
    return RedirectResponse(target if target.startswith("/pdca") else "/pdca", 303)


@router.post("/pdca/actions")
def add_action_form(
    request: Request,
    account: Annotated[str, Form(min_length=1, max_length=200)],
    title: Annotated[str, Form(min_length=1, max_length=MAX_TITLE_LENGTH)],
    owner: Annotated[str, Form(max_length=MAX_OWNER_LENGTH)] = "",
    due_date: Annotated[date | None, Form()] = None,
    rule: Annotated[str, Form(max_length=MAX_RULE_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/pdca",
) -> Response:
    state = _check_form(request, csrf_token)
    with state.write_lock, state.reader() as store:
        try:
            action = add_action(
                store,
                state.workspace.settings,
                account,
                title,
                owner or None,
                due_date,
                rule or None,
            )
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
    logger.info("added PDCA action %d from the dashboard", action.id)
    return _back(back)


@router.post("/pdca/actions/{action_id}/done")
def done_action_form(
    request: Request,
    action_id: int,
    note: Annotated[str, Form(max_length=MAX_NOTE_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/pdca",
) -> Response:
    state = _check_form(request, csrf_token)
    with state.write_lock, state.reader() as store:
        try:
            complete_action(store, action_id, note or None)
        except ValueError as error:
            raise HTTPException(409, str(error)) from error
    return _back(back)


@router.post("/pdca/review")
def review_form(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/pdca",
) -> Response:
    state = _check_form(request, csrf_token)
    info = current_token(request)
    with state.write_lock, state.reader() as store:
        review_actions(store, info.name if info is not None else "dashboard")
    return _back(back)
