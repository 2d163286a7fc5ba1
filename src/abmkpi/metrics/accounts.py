"""Account views: the ranked account list and one account's detail.

The detail explains the engagement score: its top contributing activities,
its history, the account's timeline, its people by persona and its
opportunities with their stage history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from abmkpi.canonical import OpportunityType
from abmkpi.config import Settings
from abmkpi.errors import NotFoundError, UserMessage
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.metrics.engagement import (
    SECONDS_PER_DAY,
    contributions_expr,
    epoch_seconds,
    horizon,
    scores_expr,
    weighted_activities_expr,
)
from abmkpi.metrics.facts import account_facts_expr, opportunity_facts_expr
from abmkpi.periods import Period
from abmkpi.store.database import Store

JOURNEY_STAGES = ("customer", "opportunity", "mqa", "engaged", "aware", "unengaged")

SORT_KEYS = {
    "score": ("score", True),
    "name": ("name", False),
    "tier": ("tier", False),
    "stage": ("journey_rank", False),
    "pipeline": ("open_pipeline", True),
    "won": ("won_amount", True),
    "people": ("engaged_people", True),
}


def journey_stage(account: dict[str, Any], threshold: float) -> str:
    """Assign one journey stage, checking from the top of the funnel down.

    A customer has a won deal (``won_deals``) or an active contract
    (``active_contract``). An opportunity has an open deal or, in a period's
    view, a new-business deal created in the period (``new_opportunity``).
    """
    if account.get("won_deals") or account.get("active_contract"):
        return "customer"
    if account.get("open_deals") or account.get("new_opportunity"):
        return "opportunity"
    if account["score"] >= threshold:
        return "mqa"
    if account["engaged"]:
        return "engaged"
    if account["aware"]:
        return "aware"
    return "unengaged"


def list_accounts(
    store: Store,
    settings: Settings,
    period: Period,
    sort: str = "score",
    limit: int | None = None,
    targets_only: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Return live accounts with score, journey stage, people and pipeline."""
    tables = BackendTables(store.ibis())
    ctx = KpiContext.for_period(tables, settings, period, now)
    facts = tables.backend.to_pyarrow(account_facts_expr(ctx)).to_pylist()
    if targets_only:
        facts = [fact for fact in facts if fact["seg"] == "target"]
    rows = account_rows(
        facts,
        deal_totals(tables, ctx),
        account_names(store),
        settings.engagement.mqa_threshold,
    )
    return _sorted(rows, sort)[:limit] if limit else _sorted(rows, sort)


def account_names(store: Store) -> dict[str, dict[str, Any]]:
    """Return the descriptive columns of every account, by id."""
    rows = store.fetch_dicts(
        "SELECT id, source_id, name, owner, industry, fit_grade FROM accounts"
    )
    return {row["id"]: row for row in rows}


def account_row(
    fact: dict[str, Any],
    totals: dict[str, dict[str, Any]],
    names: dict[str, dict[str, Any]],
    threshold: float,
) -> dict[str, Any]:
    """Join an account's facts, deal totals and names, with its journey stage."""
    account_id = fact["account_id"]
    row = {**names[account_id], **fact, **totals.get(account_id, {})}
    row["journey_stage"] = journey_stage(row, threshold)
    row["journey_rank"] = JOURNEY_STAGES.index(row["journey_stage"])
    return row


def account_rows(
    facts: list[dict[str, Any]],
    totals: dict[str, dict[str, Any]],
    names: dict[str, dict[str, Any]],
    threshold: float,
) -> list[dict[str, Any]]:
    return [account_row(fact, totals, names, threshold) for fact in facts]


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort not in SORT_KEYS:
        raise ValueError(
            f"invalid sort key {sort!r}; use one of {', '.join(SORT_KEYS)}"
        )
    column, descending = SORT_KEYS[sort]

    def key(row: dict[str, Any]) -> tuple[bool, Any, str]:
        value = row.get(column)
        missing = value is None
        if missing:
            value = 0
        if descending and isinstance(value, int | float):
            value = -value
        return (missing, value, row.get("name") or "")

    return sorted(rows, key=key)


def deal_totals(tables: BackendTables, ctx: KpiContext) -> dict[str, dict[str, Any]]:
    """Open pipeline, won amount and deal counts per linked account.

    ``open_pipeline`` counts new business only, as the KPI ``pipeline_open``
    does, and ``open_pipeline_expansion_renewal`` the other two types, so
    the kinds are never mixed. ``open_deals`` counts open deals of every
    type, because any open deal puts the account at the opportunity stage.
    """
    links = ctx.table("opportunity_accounts")
    deals = opportunity_facts_expr(ctx)
    linked = links.join(deals, links.opportunity_id == deals.opportunity_id)
    linked = linked.filter(linked.account_id.notnull())
    listed = ctx.is_listed(linked.account_id)
    if listed is not None:
        linked = linked.filter(listed)
    new_business = linked.type == OpportunityType.NEW_BUSINESS.value
    totals = linked.group_by("account_id").aggregate(
        open_deals=linked.open_at_end.sum(),
        open_pipeline=linked.amount_at_end.sum(where=linked.open_at_end & new_business),
        open_pipeline_expansion_renewal=linked.amount_at_end.sum(
            where=linked.open_at_end & ~new_business
        ),
        won_deals=(linked.won & (linked.close_date <= ctx.as_of_date)).sum(),
        won_amount=linked.amount.sum(
            where=linked.won & (linked.close_date <= ctx.as_of_date)
        ),
    )
    rows = tables.backend.to_pyarrow(totals).to_pylist()
    return {row.pop("account_id"): row for row in rows}


@dataclass
class AccountDetail:
    account: dict[str, Any]
    note: UserMessage | None  # why the figures are not simply this live account's
    score: float
    top_activities: list[dict[str, Any]]
    score_history: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    people: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    stage_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "note": None if self.note is None else str(self.note),
            "score": self.score,
            "top_activities": self.top_activities,
            "score_history": self.score_history,
            "timeline": self.timeline,
            "people": self.people,
            "opportunities": [
                {**deal, "stage_history": self.stage_history.get(deal["id"], [])}
                for deal in self.opportunities
            ],
        }


def find_account(store: Store, key: str) -> dict[str, Any]:
    """Find a live account by canonical id, source id or exact name."""
    rows = store.fetch_dicts(
        """
        SELECT * EXCLUDE (domains), array_to_string(domains, ' ') AS domains
        FROM accounts WHERE id = ? OR source_id = ? OR name = ?
        ORDER BY is_deleted, id
        """,
        [key, key, key],
    )
    if not rows:
        raise NotFoundError(
            UserMessage(
                "account %(key)r not found; use an id from 'abmkpi accounts'",
                key=key,
            )
        )
    live = [
        row for row in rows if not row["is_deleted"] and row["merged_into_id"] is None
    ]
    if len(live) > 1:
        ids = ", ".join(row["id"] for row in live)
        raise NotFoundError(
            UserMessage(
                "%(key)r names several accounts (%(ids)s); use an id",
                key=key,
                ids=ids,
            )
        )
    return (live or rows)[0]


def live_account_of(
    store: Store, account: dict[str, Any]
) -> tuple[str, UserMessage | None]:
    """Return the live account an account's figures belong to, and a note.

    A merged account's figures belong to the account it was merged into,
    which the note names. Raise NotFoundError for a deleted account, and for
    one merged into a deleted account, because no KPI counts them.
    """
    if account["is_deleted"]:
        raise NotFoundError(
            UserMessage(
                "account %(id)s (%(name)s) is deleted in its source, so no KPI "
                "counts it; use a live account from 'abmkpi accounts'",
                id=account["id"],
                name=account["name"],
            )
        )
    winner_id = account["merged_into_id"]
    if winner_id is None:
        return account["id"], None
    deleted = store.scalar("SELECT is_deleted FROM accounts WHERE id = ?", [winner_id])
    if deleted:
        raise NotFoundError(
            UserMessage(
                "account %(id)s was merged into %(winner)s, which is deleted in "
                "its source, so no KPI counts either",
                id=account["id"],
                winner=winner_id,
            )
        )
    return (
        winner_id,
        UserMessage(
            "account %(id)s was merged into %(winner)s; showing %(winner)s",
            id=account["id"],
            winner=winner_id,
        ),
    )


def account_detail(
    store: Store,
    settings: Settings,
    key: str,
    period: Period,
    now: datetime | None = None,
    top: int = 10,
    history_weeks: int = 26,
) -> AccountDetail:
    """Return the account's score with its explanation, timeline and deals."""
    account = find_account(store, key)
    note = None
    if account["is_deleted"]:
        account_id = account["id"]
        note = UserMessage("deleted in its source: no KPI counts this account")
    else:
        account_id, note = live_account_of(store, account)
    tables = BackendTables(store.ibis())
    ctx = KpiContext.for_period(tables, settings, period, now, account_id)
    contributions = contributions_expr(ctx, ctx.as_of)
    ranked = contributions.order_by(contributions.contribution.desc()).limit(top)
    top_rows = tables.backend.to_pyarrow(
        ranked.select(
            "id", "occurred_at", "type", "asset", "person_id", "points", "contribution"
        )
    ).to_pylist()
    score = sum(
        row["score"]
        for row in tables.backend.to_pyarrow(scores_expr(ctx, ctx.as_of)).to_pylist()
    )
    return AccountDetail(
        account=account,
        note=note,
        score=score,
        top_activities=top_rows,
        score_history=_score_history(tables, ctx, history_weeks),
        timeline=_timeline(store, account_id, ctx.as_of),
        people=_people(store, account_id),
        opportunities=_opportunities(store, account_id),
        stage_history=_stage_history(store, account_id),
    )


def _score_history(
    tables: BackendTables, ctx: KpiContext, weeks: int
) -> list[dict[str, Any]]:
    """Return the account's score at weekly instants up to ``as_of``.

    The weighted activities are fetched once and decayed to every instant
    here, which gives the same sums as :func:`scores_expr` at each instant
    without one query per week.
    """
    instants = [ctx.as_of - timedelta(weeks=offset) for offset in range(weeks, -1, -1)]
    window = horizon(ctx)
    weighted = weighted_activities_expr(ctx, instants[0] - window, ctx.as_of)
    rows = tables.backend.to_pyarrow(weighted.select("occurred_at", "points"))
    occurred = np.asarray(
        [epoch_seconds(instant) for instant in rows.column("occurred_at").to_pylist()]
    )
    points = np.asarray(rows.column("points").to_pylist(), dtype=float)
    half_life = ctx.settings.engagement.half_life_days * SECONDS_PER_DAY
    history = []
    for instant in instants:
        now = epoch_seconds(instant)
        live = (occurred <= now) & (occurred > now - window.total_seconds())
        age = now - occurred[live]
        score = float((points[live] * 0.5 ** (age / half_life)).sum())
        history.append({"as_of": instant, "score": score})
    return history


def _timeline(store: Store, account_id: str, as_of: datetime) -> list[dict[str, Any]]:
    return store.fetch_dicts(
        """
        SELECT a.occurred_at, a.type, a.raw_type, a.asset, a.source_system,
               a.match_method, p.name AS person, p.title, p.persona
        FROM activities a LEFT JOIN people p ON p.id = a.person_id
        WHERE a.account_id = ? AND NOT a.is_deleted AND a.occurred_at <= ?
        ORDER BY a.occurred_at DESC LIMIT 200
        """,
        [account_id, as_of],
    )


def _people(store: Store, account_id: str) -> list[dict[str, Any]]:
    return store.fetch_dicts(
        """
        SELECT id, coalesce(name, trim(concat_ws(' ', first_name, last_name))) AS name,
               title, persona, kind, match_method,
               (SELECT count(*) FROM activities a
                WHERE a.identity_id = p.identity_id AND NOT a.is_deleted) AS activities
        FROM people p
        WHERE account_id = ? AND NOT is_deleted AND merged_into_id IS NULL
          AND id = identity_id
        ORDER BY CASE persona WHEN 'decision_maker' THEN 0 WHEN 'influencer' THEN 1
                 WHEN 'user' THEN 2 ELSE 3 END, name
        """,
        [account_id],
    )


def _opportunities(store: Store, account_id: str) -> list[dict[str, Any]]:
    return store.fetch_dicts(
        """
        SELECT o.id, o.name, o.type, o.stage, o.amount, o.currency, o.amount_reporting,
               o.created_on, o.close_date, o.is_closed, o.is_won,
               (SELECT count(*) FROM opportunity_accounts x
                WHERE x.opportunity_id = o.id AND x.account_id IS NOT NULL)
                   > 1 AS shared
        FROM opportunities o JOIN opportunity_accounts l ON l.opportunity_id = o.id
        WHERE l.account_id = ? AND NOT o.is_deleted AND o.merged_into_id IS NULL
        ORDER BY o.created_on DESC NULLS LAST
        """,
        [account_id],
    )


def _stage_history(store: Store, account_id: str) -> dict[str, list[dict[str, Any]]]:
    rows = store.fetch_dicts(
        """
        SELECT h.opportunity_id, h.stage, h.amount, h.close_date, h.changed_at
        FROM opportunity_stage_history h
        JOIN opportunity_accounts l ON l.opportunity_id = h.opportunity_id
        WHERE l.account_id = ? AND NOT h.is_deleted
        ORDER BY h.changed_at, h.id
        """,
        [account_id],
    )
    history: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        history.setdefault(row.pop("opportunity_id"), []).append(row)
    return history
