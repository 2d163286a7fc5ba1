"""Recomputing derived columns after an import: only the changed records when
that gives the same store as a full refresh, else everything.

The loader records the id of every row an import inserts or updates in
``stage_import_changes`` (see :meth:`abmkpi.store.database.Store.upsert`)
and counts the rows written per table. :func:`refresh_after_import` then
matches only the changed records, through
:func:`abmkpi.matching.incremental.match_new_records`, when all of these
hold:

1. the last full refresh ran with the same config, free-mail list, store
   schema and abmkpi release, whose digest :func:`abmkpi.derive.refresh`
   stores in ``meta`` (a store without one, such as one refreshed by an
   older release, gets a full refresh first);
2. the import wrote rows only to activities, NPS responses, people,
   campaigns, opportunity stage history and opportunity stages. The last
   three have no derived columns and no derive step reads them;
3. every person written is new (not stored before), a lead, live, with no
   conversion link and no merge of its own, and no e-mail address that
   another live person (stored or new) has;
4. no stored record names a new person in a merge (the merges table or a
   person's merged-into field), a conversion link or an opportunity link.

Existing activities and NPS responses that name a new person by id, or
carry its address without a stored person, are matched again too. Under
these conditions no account, identity, account domain, opportunity or
target changes, so the derived columns of the other records stay as a full
refresh would leave them. Amounts are still converted to the reporting
currency, because an opportunity without a close or creation date is
converted at the current day's rate. Anything else (accounts, merges,
opportunities, contracts, exchange rates, a changed config) runs
:func:`abmkpi.derive.refresh`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from abmkpi.config import Settings
from abmkpi.matching.accounts import email_key_sql
from abmkpi.matching.freemail import FreeMailDomains, resolve_free_mail
from abmkpi.merges import MERGE_ISSUE_KINDS
from abmkpi.progress import notify
from abmkpi.store.database import Store
from abmkpi.store.schema import SCHEMA_VERSION

logger = logging.getLogger(__name__)

CHANGES_TABLE = "stage_import_changes"
CONFIG_DIGEST_KEY = "derived_config_digest"

# Tables whose new or changed rows the incremental path matches. The loader
# records changed ids for these only.
MATCHED_TABLES = frozenset({"activities", "nps_responses", "people"})
# Tables without derived columns that no derive step reads.
_UNREAD_TABLES = frozenset(
    {"campaigns", "opportunity_stage_history", "opportunity_stages"}
)


@dataclass
class ImportChanges:
    """The rows one import inserted or updated, counted per table."""

    written: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, rows: int) -> None:
        if rows:
            self.written[table] = self.written.get(table, 0) + rows


def start_recording(store: Store) -> None:
    """Create the empty table that :meth:`Store.upsert` adds changed ids to."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGES_TABLE} "
        "(table_name VARCHAR, id VARCHAR, is_new BOOLEAN)"
    )


def config_digest(settings: Settings, free_mail: FreeMailDomains) -> str:
    """Return a digest of the config, the free-mail list, the store schema and
    the abmkpi release: everything besides the records that derived columns
    depend on."""
    try:
        release = metadata.version("abmkpi")
    except metadata.PackageNotFoundError:
        release = "unknown"
    digest = hashlib.sha256(f"{SCHEMA_VERSION}\x00{release}\x00".encode())
    digest.update(settings.model_dump_json().encode("utf-8"))
    for domains in (
        free_mail.listed.exact,
        free_mail.listed.suffixes,
        free_mail.exceptions.exact,
        free_mail.exceptions.suffixes,
    ):
        digest.update(b"\x00" + "\n".join(sorted(domains)).encode("utf-8"))
    return digest.hexdigest()


def store_config_digest(store: Store, digest: str) -> None:
    store.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [CONFIG_DIGEST_KEY, digest],
        table="meta",
    )


def refresh_after_import(
    store: Store, settings: Settings, root: Path | None, changes: ImportChanges
) -> dict[str, Any]:
    """Recompute the derived columns an import changed and return the summary.

    Runs in the import's transaction, after every table is written.
    """
    from abmkpi import currency, derive
    from abmkpi.matching.incremental import match_new_records

    started = time.perf_counter()
    free_mail = resolve_free_mail(settings.matching, root)
    reason = fallback_reason(store, settings, free_mail, changes)
    if reason is not None:
        logger.info("recomputing all derived data: %s", reason)
        refreshed = derive.refresh(store, settings, root)
        store.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")
        return refreshed

    ids = _changed_ids(store)
    notify("derive", "personas")
    match = match_new_records(
        store,
        settings,
        free_mail,
        ids.get("people", []),
        ids.get("activities", []),
        ids.get("nps_responses", []),
    )
    notify("derive", "matching")
    summary: dict[str, Any] = {
        "incremental": {
            "people": match.people,
            "activities": match.activities,
            "rematched": match.rematched,
            "nps_responses": len(ids.get("nps_responses", [])),
        },
        "merges": _merge_issue_counts(store),
        "fx": currency.convert_amounts(store, settings),
    }
    notify("derive", "amounts")
    # Targets read only accounts and their domains, which this import left alone.
    notify("derive", "targets")
    store.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")
    logger.info(
        "recomputed derived data of %d people and %d activities in %.2fs",
        match.people,
        match.activities,
        time.perf_counter() - started,
    )
    return summary


def fallback_reason(
    store: Store,
    settings: Settings,
    free_mail: FreeMailDomains,
    changes: ImportChanges,
) -> str | None:
    """Return why the import needs a full refresh, or None when it does not."""
    other = sorted(set(changes.written) - MATCHED_TABLES - _UNREAD_TABLES)
    if other:
        return f"the import changed {', '.join(other)}"
    digest = store.scalar("SELECT value FROM meta WHERE key = ?", [CONFIG_DIGEST_KEY])
    if digest != config_digest(settings, free_mail):
        return (
            "the config, free-mail list or abmkpi release changed since the last "
            "full refresh"
        )
    if "people" not in changes.written:
        return None
    return _new_people_reason(store)


def _new_people_reason(store: Store) -> str | None:
    """Return why the people the import wrote may change other matches."""
    people = f"(SELECT id FROM {CHANGES_TABLE} WHERE table_name = 'people')"
    new = f"(SELECT id FROM {CHANGES_TABLE} WHERE table_name = 'people' AND is_new)"
    checks = [
        (
            f"SELECT count(*) FROM {CHANGES_TABLE} "
            "WHERE table_name = 'people' AND NOT is_new",
            "the import updated stored people",
        ),
        (
            f"""
            SELECT count(*) FROM people p WHERE p.id IN {new}
              AND (p.kind <> 'lead' OR p.is_deleted
                   OR p.converted_contact_id IS NOT NULL
                   OR p.source_merged_into_id IS NOT NULL)
            """,
            "the import added contacts, deleted people, converted or merged leads",
        ),
        (
            f"""
            SELECT count(*) FROM people p WHERE p.id NOT IN {new}
              AND (p.converted_contact_id IN {new}
                   OR p.source_merged_into_id IN {new})
            """,
            "stored people name a new person as converted contact or merge winner",
        ),
        (
            f"""
            SELECT count(*) FROM merges m WHERE m.entity = 'person'
              AND (m.loser_id IN {people} OR m.winner_id IN {people})
            """,
            "merges name a new person",
        ),
        (
            f"SELECT count(*) FROM opportunity_people l WHERE l.person_id IN {new}",
            "opportunities name a new person",
        ),
        (
            f"""
            SELECT count(*) FROM (
                SELECT {email_key_sql("p")} AS email FROM people p
                WHERE p.id IN {new} AND {email_key_sql("p")} IS NOT NULL
            ) n
            JOIN people q ON {email_key_sql("q")} = n.email
            WHERE NOT q.is_deleted AND q.merged_into_id IS NULL
              AND q.id NOT IN {new}
            """,
            "a new person's e-mail address belongs to a stored person",
        ),
        (
            f"""
            SELECT count(*) FROM (
                SELECT {email_key_sql("p")} AS email FROM people p
                WHERE p.id IN {new} AND {email_key_sql("p")} IS NOT NULL
                GROUP BY 1 HAVING count(*) > 1
            )
            """,
            "several new people share an e-mail address",
        ),
    ]
    for sql, reason in checks:
        if store.scalar(sql):
            return reason
    return None


def _changed_ids(store: Store) -> dict[str, list[str]]:
    rows = store.fetch_all(
        f"SELECT table_name, list(id ORDER BY id) FROM {CHANGES_TABLE} "
        "WHERE table_name IN ('people', 'activities', 'nps_responses') GROUP BY 1"
    )
    return {table: list(ids) for table, ids in rows}


def _merge_issue_counts(store: Store) -> dict[str, int]:
    """Count the unresolved merges per kind, as :func:`derive.resolve_merges`
    returns them; the last full refresh recorded them."""
    rows = store.fetch_all(
        "SELECT kind, count(*) FROM match_issues WHERE list_contains(?, kind) "
        "GROUP BY kind",
        [list(MERGE_ISSUE_KINDS)],
    )
    return {kind: int(count) for kind, count in rows}
