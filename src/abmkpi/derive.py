"""Recomputing derived columns from source columns and the config.

Runs after every import and on ``abmkpi match``: merges and account parents,
personas, account matches of people and activities, opportunity types and
account links, amounts in the reporting currency, ICP fit and target flags.
Everything here is a pure function of the stored source rows and the config,
so running it twice gives the same store. An import that only adds or
changes activity-like records recomputes only those
(:mod:`abmkpi.derive_import`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from abmkpi.config import Settings
from abmkpi.derive_import import config_digest, store_config_digest
from abmkpi.matching.freemail import resolve_free_mail
from abmkpi.merges import (
    MERGED_TABLES,
    MergeIssue,
    record_merge_issues,
    resolve_chains,
)
from abmkpi.progress import notify
from abmkpi.store.database import Store
from abmkpi.store.schema import TABLES_BY_NAME

logger = logging.getLogger(__name__)

# The live account a reference to account ``a`` lands on: the account it was
# merged into unless that one is deleted, else itself unless it is deleted.
LIVE_ACCOUNT_SQL = (
    "CASE WHEN a.merged_into_id IS NOT NULL THEN (SELECT w.id FROM accounts w "
    "WHERE w.id = a.merged_into_id AND NOT w.is_deleted) "
    "WHEN NOT a.is_deleted THEN a.id END"
)


def refresh(
    store: Store, settings: Settings, root: Path | None = None
) -> dict[str, Any]:
    """Recompute every derived column; return counts worth reporting.

    ``root`` is the workspace directory, which relative paths in the config
    (such as ``matching.free_mail_files``) are read from.
    """
    from abmkpi import currency, personas, targets
    from abmkpi.matching import resolve

    started = time.perf_counter()
    summary: dict[str, Any] = {}
    with store.transaction():
        # Rebuilt every run: merges add their issues, then matching adds its own.
        store.execute("DELETE FROM match_issues", table="match_issues")
        summary["merges"] = resolve_merges(store)
        summary["personas"] = personas.assign(store, settings)
        notify("derive", "personas")
        summary["matching"] = resolve.match_all(store, settings, root)
        notify("derive", "matching")
        derive_opportunities(store, settings)
        summary["fx"] = currency.convert_amounts(store, settings)
        notify("derive", "amounts")
        summary["targets"] = targets.apply(store, settings)
        notify("derive", "targets")
        free_mail = resolve_free_mail(settings.matching, root)
        store_config_digest(store, config_digest(settings, free_mail))
    logger.info("recomputed derived data in %.2fs", time.perf_counter() - started)
    return summary


def resolve_merges(store: Store) -> dict[str, int]:
    """Set merged_into_id on people, accounts and opportunities.

    Merges come from the merges table (Marketo merge activities, HubSpot merge
    audits and merged deals, merge files) and from source fields such as
    Salesforce's MasterRecordId. See :mod:`abmkpi.merges` for how chains,
    cycles and merges into missing or deleted records resolve; each of those
    problems is recorded in ``match_issues``. Returns the number of issues
    per kind.
    """
    issues: list[MergeIssue] = []
    for table, entity in MERGED_TABLES:
        edges = _merge_edges(store, table, entity)
        states = _record_states(store, table, set(edges.values()))
        resolution = resolve_chains(entity, edges, states)
        _write_merge_targets(store, table, resolution.targets)
        issues += resolution.issues
    record_merge_issues(store, issues)
    store.execute(
        """
        UPDATE accounts AS t SET parent_id = (
            SELECT coalesce(p.merged_into_id, p.id) FROM accounts p
            WHERE p.id = t.source_parent_id)
        """,
        table="accounts",
    )
    counts: dict[str, int] = {}
    for issue in issues:
        counts[issue.kind] = counts.get(issue.kind, 0) + 1
    if issues:
        logger.info("merges left unresolved or pointing nowhere: %s", counts)
    return counts


def _merge_edges(store: Store, table: str, entity: str) -> dict[str, str]:
    """Return each loser's winner; a merges row wins over the source's field."""
    merged_field = (
        f"""
        UNION ALL
        SELECT id, source_merged_into_id, 1
        FROM {table} WHERE source_merged_into_id IS NOT NULL
        """
        if "source_merged_into_id" in TABLES_BY_NAME[table].columns
        else ""
    )
    rows = store.fetch_all(
        f"""
        SELECT loser_id, arg_min(winner_id, (priority, winner_id)) FROM (
            SELECT loser_id, winner_id, 0 AS priority FROM merges WHERE entity = ?
            {merged_field}
        ) WHERE loser_id <> winner_id GROUP BY loser_id
        """,
        [entity],
    )
    return {loser: winner for loser, winner in rows}


def _record_states(store: Store, table: str, ids: set[str]) -> dict[str, bool]:
    """Return whether each stored record among ``ids`` is deleted."""
    if not ids:
        return {}
    stage = store.stage(
        "merge_winners", pa.table({"id": sorted(ids)}), {"id": "VARCHAR"}
    )
    rows = store.fetch_all(
        f"SELECT t.id, t.is_deleted FROM {table} t JOIN {stage} w ON w.id = t.id"
    )
    store.execute(f"DROP TABLE {stage}")
    return {record_id: bool(deleted) for record_id, deleted in rows}


def _write_merge_targets(store: Store, table: str, targets: dict[str, str]) -> None:
    store.execute(f"UPDATE {table} SET merged_into_id = NULL", table=table)
    if not targets:
        return
    losers = sorted(targets)
    rows = pa.table(
        {"start_id": losers, "final_id": [targets[loser] for loser in losers]}
    )
    stage = store.stage(
        "merge_targets", rows, {"start_id": "VARCHAR", "final_id": "VARCHAR"}
    )
    store.execute(
        f"""
        UPDATE {table} AS t SET merged_into_id = m.final_id
        FROM {stage} m WHERE t.id = m.start_id
        """,
        table=table,
    )
    store.execute(f"DROP TABLE {stage}")


def derive_opportunities(store: Store, settings: Settings) -> None:
    """Set type, account, creation date and the account links of opportunities."""
    type_map = {
        raw.lower(): kind for raw, kind in settings.opportunities.type_map.items()
    }
    store.execute(
        "CREATE OR REPLACE TEMP TABLE stage_type_map (raw VARCHAR, kind VARCHAR)"
    )
    if type_map:
        store.execute_many(
            "INSERT INTO stage_type_map VALUES (?, ?)", list(type_map.items())
        )
    store.execute(
        """
        UPDATE opportunities AS o SET type = coalesce(
            (SELECT kind FROM stage_type_map m WHERE m.raw = lower(trim(o.raw_type))),
            ?)
        """,
        [settings.opportunities.default_type],
        table="opportunities",
    )
    store.execute("DROP TABLE stage_type_map")
    store.execute(
        """
        UPDATE opportunities SET created_on = CAST(
            timezone(?, timezone('UTC', created_at)) AS DATE)
        """,
        [settings.workspace.time_zone],
        table="opportunities",
    )
    _link_opportunity_accounts(store)
    _link_opportunities_through_people(store)


def _link_opportunity_accounts(store: Store) -> None:
    """Add each opportunity's own account to opportunity_accounts as primary.

    NOTE: a reference to an account that is not in the store (a deal on
    account NOPE) leaves the deal without an account, unreported; the match
    report covers people and activities only.
    """
    store.execute(
        """
        INSERT INTO opportunity_accounts
            (opportunity_id, source_account_id, role, source_system)
        SELECT o.id, o.source_account_id, 'primary', o.source_system
        FROM opportunities o
        WHERE o.source_account_id IS NOT NULL
          AND NOT EXISTS (
            SELECT 1 FROM opportunity_accounts l
            WHERE l.opportunity_id = o.id AND l.source_account_id = o.source_account_id)
        """,
        table="opportunity_accounts",
    )
    store.execute(
        """
        UPDATE opportunity_accounts AS l SET
            account_id = (
                SELECT """
        + LIVE_ACCOUNT_SQL
        + """ FROM accounts a
                WHERE a.id = l.source_account_id),
            is_primary = coalesce((
                SELECT l.source_account_id = o.source_account_id FROM opportunities o
                WHERE o.id = l.opportunity_id), false)
        """,
        table="opportunity_accounts",
    )
    store.execute(
        """
        UPDATE opportunities AS o SET account_id = (
            SELECT """
        + LIVE_ACCOUNT_SQL
        + """ FROM accounts a
            WHERE a.id = o.source_account_id)
        """,
        table="opportunities",
    )


def _link_opportunities_through_people(store: Store) -> None:
    """Link opportunities without an account of their own to their people's.

    Pardot opportunities name prospects, not an account. Every account of a
    live linked person becomes a link with role 'person', and the opportunity
    takes that account when there is exactly one.
    """
    store.execute(
        "DELETE FROM opportunity_accounts WHERE role = 'person'",
        table="opportunity_accounts",
    )
    store.execute(
        """
        INSERT INTO opportunity_accounts
            (opportunity_id, source_account_id, role, source_system, account_id)
        SELECT DISTINCT o.id, p.account_id, 'person', o.source_system, p.account_id
        FROM opportunities o
        JOIN opportunity_people l ON l.opportunity_id = o.id AND NOT l.is_deleted
        JOIN people linked ON linked.id = l.person_id
        JOIN people p ON p.id = coalesce(linked.merged_into_id, linked.id)
        WHERE o.source_account_id IS NULL
          AND NOT p.is_deleted
          AND p.account_id IS NOT NULL
          AND NOT EXISTS (
            SELECT 1 FROM opportunity_accounts x
            WHERE x.opportunity_id = o.id AND x.source_account_id = p.account_id)
        """,
        table="opportunity_accounts",
    )
    store.execute(
        """
        UPDATE opportunities AS o SET account_id = (
            SELECT CASE WHEN count(DISTINCT l.account_id) = 1
                        THEN any_value(l.account_id) END
            FROM opportunity_accounts l
            WHERE l.opportunity_id = o.id AND l.role = 'person')
        WHERE o.source_account_id IS NULL
        """,
        table="opportunities",
    )
    store.execute(
        """
        UPDATE opportunity_accounts AS l SET is_primary = true
        FROM opportunities o
        WHERE l.opportunity_id = o.id AND l.role = 'person'
          AND l.account_id = o.account_id
        """,
        table="opportunity_accounts",
    )
