"""Matching people (contacts and leads) to accounts.

Each live record is matched on its own: the source's own account link first
(for a converted lead, its contact's account), then the shared e-mail and
company-name rules of :mod:`abmkpi.matching.rules`. Then every record of an
identity takes the account that the identity's strongest record found, so a
lead whose address equals a contact's lands on the contact's account.
Merged-away and deleted records match nothing.
"""

from __future__ import annotations

import logging

from abmkpi.canonical import MatchMethod
from abmkpi.matching.rules import apply_rules, method_rank_sql
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


def match_people(
    store: Store, fuzzy_threshold: float, scope: str | None = None
) -> None:
    """Set people.account_id, match_method and match_note, and record a match
    issue for every live record left unmatched by an ambiguity.

    ``scope`` names a table with an ``id`` column; when given, only those
    records are written. They must be whole identities, every record of
    which is in ``stage_person_ranks``.
    """
    _stage_links(store)
    _stage_subjects(store)
    apply_rules(store, "stage_person_subjects", "stage_person_rules", fuzzy_threshold)
    _stage_record_results(store)
    _stage_identity_matches(store)
    store.execute(_update_people_sql(scope), table="people")
    store.execute(
        """
        INSERT INTO match_issues (entity, record_id, kind, detail, candidates)
        SELECT 'person', r.id, r.issue, r.detail, r.candidates
        FROM stage_person_results r
        LEFT JOIN stage_identity_matches m ON m.identity_id = r.identity_id
        WHERE r.issue IS NOT NULL AND m.account_id IS NULL
        """,
        table="match_issues",
    )


def _stage_links(store: Store) -> None:
    """Stage the live account each live record's source links to."""
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_person_links AS
        SELECT p.id,
               coalesce(own.live_id, converted.live_id) AS account_id,
               CASE WHEN own.live_id IS NOT NULL
                        THEN 'account ' || p.source_account_id
                    ELSE 'converted contact ' || c.id END AS note
        FROM people p
        JOIN stage_person_ranks r ON r.id = p.id
        LEFT JOIN stage_live_accounts own ON own.id = p.source_account_id
        LEFT JOIN people given ON given.id = p.converted_contact_id
        LEFT JOIN people c ON c.id = coalesce(given.merged_into_id, given.id)
        LEFT JOIN stage_live_accounts converted ON converted.id = c.source_account_id
        WHERE coalesce(own.live_id, converted.live_id) IS NOT NULL
        """
    )


def _stage_subjects(store: Store) -> None:
    """Stage the live records without a source link for the shared rules."""
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_person_subjects AS
        SELECT p.id AS subject_id, r.email, p.email_domain, k.name_key, s.state_key
        FROM people p
        JOIN stage_person_ranks r ON r.id = p.id
        LEFT JOIN stage_name_keys k ON k.name = p.company_name
        LEFT JOIN stage_state_keys s ON s.state = p.state
        WHERE p.id NOT IN (SELECT id FROM stage_person_links)
        """
    )


def _stage_record_results(store: Store) -> None:
    """Stage each live record's own result: its source link, else the rules."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_person_results AS
        SELECT r.id, r.rank, i.identity_id,
               coalesce(l.account_id, m.account_id) AS account_id,
               CASE WHEN l.account_id IS NOT NULL THEN '{MatchMethod.SOURCE_LINK}'
                    ELSE m.method END AS method,
               coalesce(l.note, m.note) AS note,
               m.issue, m.detail, m.candidates
        FROM stage_person_ranks r
        JOIN stage_identities i ON i.id = r.id
        LEFT JOIN stage_person_links l ON l.id = r.id
        LEFT JOIN stage_person_rules m ON m.subject_id = r.id
        """
    )


def _stage_identity_matches(store: Store) -> None:
    """Stage each identity's account: the result of its record with the
    strongest method, ties going to the identity's preferred record."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_identity_matches AS
        SELECT identity_id, account_id, method, note, id AS via_id
        FROM stage_person_results
        WHERE account_id IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY identity_id ORDER BY {method_rank_sql("method")}, rank
        ) = 1
        """
    )


def _update_people_sql(scope: str | None = None) -> str:
    """Return the statement that writes every person's match (or only the
    matches of the records listed in the ``scope`` table).

    A record whose own result is the identity's account keeps its own method
    and evidence. A record that got its account through another record of
    its identity takes that record's method and names it in the note.
    """
    unmatched = MatchMethod.UNMATCHED
    in_scope = "true" if scope is None else f"q.id IN (SELECT id FROM {scope})"
    return f"""
        UPDATE people AS p SET
            account_id = f.account_id,
            match_method = f.method,
            match_note = f.note
        FROM (
            SELECT * FROM (
                SELECT q.id, m.account_id,
                    q.account_id AS stored_account_id,
                    q.match_method AS stored_method,
                    q.match_note AS stored_note,
                    CASE WHEN r.id IS NULL OR m.account_id IS NULL
                             THEN '{unmatched}'
                         WHEN r.account_id = m.account_id THEN r.method
                         ELSE m.method END AS method,
                    CASE WHEN r.id IS NULL THEN 'merged_or_deleted'
                         WHEN m.account_id IS NULL THEN r.note
                         WHEN r.account_id = m.account_id THEN r.note
                         ELSE m.note || ' (via ' || m.via_id || ')' END AS note
                FROM people q
                LEFT JOIN stage_person_results r ON r.id = q.id
                LEFT JOIN stage_identity_matches m ON m.identity_id = r.identity_id
                WHERE {in_scope}
            )
            WHERE stored_account_id IS DISTINCT FROM account_id
               OR stored_method IS DISTINCT FROM method
               OR stored_note IS DISTINCT FROM note
        ) AS f
        WHERE f.id = p.id
    """
