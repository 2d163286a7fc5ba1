"""The lead-to-account matching pipeline.

Runs inside :func:`abmkpi.derive.refresh`, after merges and personas, in the
same transaction. It recomputes derived columns from source columns only:

1. accounts: name keys, domains (``account_domains``);
2. people: e-mail domains and identities (one canonical person each);
3. people: account, match method and note;
4. activities: business date, identity, account, match method and note;
5. NPS responses and contracts: account.

Matching problems worth a person's attention (ambiguous domains and names,
duplicate people, free-mail domains seen) go to ``match_issues``, which
:func:`abmkpi.derive.refresh` empties before every run. Heavy steps are
set-based SQL; only company names, states and domains are normalised in
Python, once per distinct value.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from abmkpi.config import Settings
from abmkpi.matching import accounts, activities, identities, people
from abmkpi.matching.freemail import resolve_free_mail
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

_STAGE_TABLES = (
    "stage_live_accounts",
    "stage_name_keys",
    "stage_state_keys",
    "stage_website_domains",
    "stage_free_domains",
    "stage_account_names",
    "stage_person_ranks",
    "stage_identity_labels",
    "stage_identities",
    "stage_contact_emails",
    "stage_person_links",
    "stage_person_subjects",
    "stage_person_rules",
    "stage_person_results",
    "stage_identity_matches",
    "stage_email_identities",
    "stage_activity_subjects",
    "stage_activity_rules",
)


def match_all(
    store: Store, settings: Settings, root: Path | None = None
) -> dict[str, Any]:
    """Recompute every account match; return counts for the import summary.

    ``root`` is the workspace directory that relative
    ``matching.free_mail_files`` entries are read from.
    """
    started = time.perf_counter()
    free_mail = resolve_free_mail(settings.matching, root)
    fuzzy = settings.matching.fuzzy_threshold
    with store.transaction():
        accounts.stage_live_accounts(store)
        accounts.stage_name_and_state_keys(store)
        accounts.set_account_name_keys(store)
        accounts.stage_free_domains(store, free_mail)
        domain_count = accounts.set_account_domains(store)
        identity_counts = identities.resolve_identities(store)
        accounts.stage_contact_emails(store)
        people.match_people(store, fuzzy)
        activities.match_activities(store, settings.workspace.time_zone, fuzzy)
        activities.match_nps_and_contracts(store)
        record_free_mail_domains(store)
        summary = _summarize(store)
        for table in _STAGE_TABLES:
            store.execute(f"DROP TABLE IF EXISTS {table}")
    summary.update(identity_counts, account_domains=domain_count)
    _log_summary(summary, time.perf_counter() - started)
    return summary


def record_free_mail_domains(store: Store) -> None:
    """Record each free-mail domain that live people use, with their count,
    so a user can spot a customer's own domain on the free-mail list."""
    store.execute(
        """
        INSERT INTO match_issues (entity, record_id, kind, detail, candidates)
        SELECT 'domain', p.email_domain, 'free_mail_domain',
               CASE WHEN count(*) = 1 THEN 'used by 1 person'
                    ELSE 'used by ' || count(*) || ' people' END,
               NULL
        FROM people p
        JOIN stage_free_domains f ON f.domain = p.email_domain
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
        GROUP BY p.email_domain
        """,
        table="match_issues",
    )


def _summarize(store: Store) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for table in ("people", "activities"):
        rows = store.fetch_all(
            f"""
            SELECT match_method,
                   CASE WHEN account_id IS NULL THEN match_note END AS reason,
                   count(*)
            FROM {table} GROUP BY ALL
            """
        )
        summary[table] = _counts_of(rows)
    issues = store.fetch_all("SELECT kind, count(*) FROM match_issues GROUP BY kind")
    summary["issues"] = {kind: count for kind, count in sorted(issues)}
    return summary


def _counts_of(rows: list[tuple]) -> dict[str, Any]:
    matched: dict[str, int] = {}
    unmatched: dict[str, int] = {}
    for method, reason, count in rows:
        if reason is None and method is not None:
            matched[method] = matched.get(method, 0) + count
        else:
            key = reason or "unknown"
            unmatched[key] = unmatched.get(key, 0) + count
    total = sum(matched.values()) + sum(unmatched.values())
    return {
        "total": total,
        "matched": sum(matched.values()),
        "by_method": dict(sorted(matched.items())),
        "unmatched": dict(sorted(unmatched.items())),
    }


def _log_summary(summary: dict[str, Any], seconds: float) -> None:
    for table in ("people", "activities"):
        counts = summary[table]
        rate = counts["matched"] / counts["total"] if counts["total"] else 0.0
        logger.info(
            "matched %s of %s %s to accounts (%.1f%%); unmatched by reason: %s",
            f"{counts['matched']:,}",
            f"{counts['total']:,}",
            table,
            100 * rate,
            counts["unmatched"] or "none",
        )
    logger.info("account matching took %.2fs", seconds)
