"""Act: PDCA actions on accounts, logged with owner and due date, and their effect.

An action stores the account's engagement score and journey stage when it
is added. Its effect is measured afterwards, for done actions and for open
ones past their due date: the score and stage now against those before.
Stage change counts steps up the journey (unengaged → aware → engaged → MQA
→ opportunity → customer); a negative change is a step down.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from abmkpi.config import Settings
from abmkpi.errors import NotFoundError, UserMessage
from abmkpi.free_text import checked_text
from abmkpi.metrics.accounts import JOURNEY_STAGES, find_account, live_account_of
from abmkpi.pdca.rules import checked_action_rule, resolve_pattern_rule
from abmkpi.pdca.states import account_states
from abmkpi.periods import Calendar, Period, business_date
from abmkpi.plan_dates import check_plan_date
from abmkpi.store.database import Store
from abmkpi.usage import UsageKind, record_usage, utc_now

logger = logging.getLogger(__name__)

MAX_TITLE_LENGTH = 200
MAX_OWNER_LENGTH = 200
MAX_NOTE_LENGTH = 2000


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass
class Action:
    """One row of ``pdca_actions`` with the account's name and the effect."""

    id: int
    account_id: str
    account_name: str | None
    title: str
    rule: str | None
    owner: str | None
    due_date: date | None
    status: ActionStatus
    created_at: datetime
    done_at: datetime | None
    reviewed_at: datetime | None
    note: str | None
    score_before: float | None
    stage_before: str | None
    overdue: bool = False
    measured: bool = False
    score_now: float | None = None
    stage_now: str | None = None
    score_change: float | None = None
    stage_change: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": str(self.status)}


def current_quarter(settings: Settings, now: datetime) -> Period:
    """Return the fiscal quarter that contains ``now`` (naive UTC)."""
    zone = settings.workspace.time_zone
    calendar = Calendar(settings.fiscal, zone)
    return calendar.fiscal_quarter_of(business_date(now, zone))


def add_action(
    store: Store,
    settings: Settings,
    account: str,
    title: str,
    owner: str | None = None,
    due_date: date | None = None,
    rule: str | None = None,
    now: datetime | None = None,
) -> Action:
    """Log an open action on an account (id, source id or exact name), with
    its score and journey stage now."""
    when = now or utc_now()
    checked_title = checked_text(title, "title", MAX_TITLE_LENGTH, required=True)
    checked_owner = checked_text(owner, "owner", MAX_OWNER_LENGTH)
    checked_rule = checked_action_rule(rule)
    if due_date is not None:
        today = business_date(when, settings.workspace.time_zone)
        check_plan_date(due_date, today, "due_date")

    checked_rule = resolve_pattern_rule(store, checked_rule)
    account_id, _ = live_account_of(store, find_account(store, account))
    state = account_states(
        store, settings, current_quarter(settings, when), [account_id], when
    ).get(account_id, {})

    action_id = int(store.scalar("SELECT nextval('pdca_action_ids')"))
    store.execute(
        """
        INSERT INTO pdca_actions (id, account_id, title, rule, owner, due_date,
            status, created_at, score_before, stage_before)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            action_id,
            account_id,
            checked_title,
            checked_rule,
            checked_owner,
            due_date,
            str(ActionStatus.OPEN),
            when,
            state.get("score"),
            state.get("journey_stage"),
        ],
    )
    logger.info("added PDCA action %d on account %s", action_id, account_id)
    return get_action(store, action_id)


_SELECT = """
SELECT x.id, x.account_id, a.name AS account_name, x.title, x.rule, x.owner,
       x.due_date, x.status, x.created_at, x.done_at, x.reviewed_at, x.note,
       x.score_before, x.stage_before
FROM pdca_actions x LEFT JOIN accounts a ON a.id = x.account_id
"""


def get_action(store: Store, action_id: int) -> Action:
    """Return one action, or raise NotFoundError."""
    rows = store.fetch_dicts(_SELECT + "WHERE x.id = ?", [action_id])
    if not rows:
        raise NotFoundError(
            UserMessage(
                "PDCA action %(id)s not found; list them with "
                "'abmkpi pdca action list'",
                id=action_id,
            )
        )
    return _action(rows[0])


def _action(row: dict[str, Any]) -> Action:
    return Action(**{**row, "status": ActionStatus(row["status"])})


def list_actions(
    store: Store,
    settings: Settings,
    status: ActionStatus | None = None,
    now: datetime | None = None,
    measure: bool = True,
) -> list[Action]:
    """Return actions (all, or of one status), open ones by due date first,
    with the effect of done and overdue actions measured when ``measure``."""
    when = now or utc_now()
    sql = _SELECT
    params: list[Any] = []
    if status is not None:
        sql += "WHERE x.status = ? "
        params.append(str(status))
    sql += "ORDER BY x.status = 'open' DESC, x.due_date NULLS LAST, x.id"
    actions = [_action(row) for row in store.fetch_dicts(sql, params)]
    today = business_date(when, settings.workspace.time_zone)
    for action in actions:
        action.overdue = (
            action.status is ActionStatus.OPEN
            and action.due_date is not None
            and action.due_date < today
        )
    if measure:
        _measure(store, settings, actions, when)
    return actions


def _measure(
    store: Store, settings: Settings, actions: list[Action], now: datetime
) -> None:
    due = [
        action
        for action in actions
        if action.status is ActionStatus.DONE or action.overdue
    ]
    ids = {action.account_id for action in due}
    states = account_states(store, settings, current_quarter(settings, now), ids, now)
    for action in due:
        state = states.get(action.account_id)
        if state is None:
            continue
        action.measured = True
        action.score_now = float(state["score"])
        action.stage_now = state["journey_stage"]
        if action.score_before is not None:
            action.score_change = action.score_now - action.score_before
        if action.stage_before in JOURNEY_STAGES:
            before = JOURNEY_STAGES.index(action.stage_before)
            action.stage_change = before - JOURNEY_STAGES.index(action.stage_now)


def complete_action(
    store: Store, action_id: int, note: str | None = None, now: datetime | None = None
) -> Action:
    """Mark an open action done, with an optional note."""
    return _close(store, action_id, ActionStatus.DONE, note, now)


def cancel_action(
    store: Store, action_id: int, note: str | None = None, now: datetime | None = None
) -> Action:
    """Mark an open action cancelled, with an optional note."""
    return _close(store, action_id, ActionStatus.CANCELLED, note, now)


def _close(
    store: Store,
    action_id: int,
    status: ActionStatus,
    note: str | None,
    now: datetime | None,
) -> Action:
    action = get_action(store, action_id)
    if action.status is not ActionStatus.OPEN:
        raise ValueError(
            f"PDCA action {action_id} is already {action.status}; only open "
            "actions can be closed"
        )
    text = checked_text(note, "note", MAX_NOTE_LENGTH, multiline=True)
    store.execute(
        "UPDATE pdca_actions SET status = ?, done_at = ?, note = coalesce(?, note) "
        "WHERE id = ?",
        [str(status), now or utc_now(), text, action_id],
    )
    logger.info("PDCA action %d is %s", action_id, status)
    return get_action(store, action_id)


def review_actions(
    store: Store, actor: str | None = None, now: datetime | None = None
) -> int:
    """Mark every open action reviewed now and record the review; return how
    many open actions were reviewed."""
    when = now or utc_now()
    count = int(
        store.scalar("SELECT count(*) FROM pdca_actions WHERE status = 'open'") or 0
    )
    store.execute(
        "UPDATE pdca_actions SET reviewed_at = ? WHERE status = 'open'", [when]
    )
    record_usage(
        store,
        UsageKind.PDCA_REVIEWED,
        actor=actor,
        detail={"open_actions": count},
        when=when,
    )
    logger.info("reviewed %d open PDCA actions", count)
    return count
