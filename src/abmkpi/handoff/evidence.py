"""The evidence a handoff carries: why the account is an MQA and who is active.

Evidence is computed at the detection instant, from the same decayed
contributions as the score: the top contributing activities, the people
whose activities count (with persona and title) and the account owner.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import ibis

from abmkpi.config import Settings
from abmkpi.handoff.crossings import detection_context
from abmkpi.metrics.engagement import contributions_expr
from abmkpi.store.database import Store

# Engaged people listed per handoff, most contributing first.
MAX_PEOPLE = 20


def evidence_of(
    store: Store, settings: Settings, as_of: datetime, account_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Return, per account, its top activities, engaged people and owner."""
    if not account_ids:
        return {}
    ctx = detection_context(store, settings, as_of, account_ids)
    contributions = contributions_expr(ctx, as_of)
    backend = ctx.tables.backend  # type: ignore[attr-defined]
    top = _top_activities(backend, contributions, settings.handoff.evidence_activities)
    people = _engaged_people(backend, contributions)
    _add_people_details(store, people)
    accounts = _accounts(store, list(account_ids))
    return {
        account_id: {
            "account": accounts.get(account_id, {}),
            "top_activities": top.get(account_id, []),
            "engaged_people": people.get(account_id, []),
        }
        for account_id in account_ids
    }


def _top_activities(
    backend: Any, contributions: Any, limit: int
) -> dict[str, list[dict[str, Any]]]:
    window = ibis.window(
        group_by=contributions.account_id,
        order_by=[contributions.contribution.desc(), contributions.id],
    )
    ranked = contributions.mutate(rank=ibis.row_number().over(window))
    ranked = ranked.filter(ranked.rank < limit).select(
        "account_id",
        "rank",
        "id",
        "occurred_at",
        "type",
        "asset",
        "person_id",
        "points",
        "contribution",
    )
    result: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(
        backend.to_pyarrow(ranked).to_pylist(),
        key=lambda row: (row["account_id"], row["rank"]),
    ):
        account_id = row.pop("account_id")
        row.pop("rank")
        result.setdefault(account_id, []).append(row)
    return result


def _engaged_people(
    backend: Any, contributions: Any
) -> dict[str, list[dict[str, Any]]]:
    with_person = contributions.filter(contributions.person_id.notnull())
    per_person = with_person.group_by(["account_id", "person_id"]).aggregate(
        activities=with_person.count(), contribution=with_person.contribution.sum()
    )
    result: dict[str, list[dict[str, Any]]] = {}
    rows = backend.to_pyarrow(per_person).to_pylist()
    for row in sorted(rows, key=lambda r: (-r["contribution"], r["person_id"])):
        listed = result.setdefault(row.pop("account_id"), [])
        if len(listed) < MAX_PEOPLE:
            listed.append(row)
    return result


def _add_people_details(store: Store, people: dict[str, list[dict[str, Any]]]) -> None:
    ids = [person["person_id"] for rows in people.values() for person in rows]
    if not ids:
        return
    rows = store.fetch_all(
        """
        SELECT id, coalesce(name, trim(concat_ws(' ', first_name, last_name))),
               title, coalesce(persona, 'unknown')
        FROM people WHERE list_contains(?, id)
        """,
        [ids],
    )
    details = {row[0]: row[1:] for row in rows}
    for rows_of_account in people.values():
        for person in rows_of_account:
            name, title, persona = details.get(person["person_id"], (None, None, None))
            person.update(name=name or None, title=title, persona=persona or "unknown")


def _accounts(store: Store, account_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = store.fetch_dicts(
        """
        SELECT id, source_system, source_id, name, owner, is_target, tier
        FROM accounts WHERE list_contains(?, id)
        """,
        [account_ids],
    )
    return {row["id"]: row for row in rows}
