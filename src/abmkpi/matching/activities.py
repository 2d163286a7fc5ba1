"""Matching activities, NPS responses and contracts to accounts.

An activity lands on at most one account, chosen in this order: the
activity's own account link; the account of its person's identity (an
activity of a merged-away person counts for the surviving one); the e-mail
and company-name hints the activity carries itself, through the same rules
as people. Deleted activities, and those of deleted people, count for no
account and no person.
"""

from __future__ import annotations

import logging

from abmkpi.canonical import MatchMethod
from abmkpi.matching.accounts import email_domain_sql, email_key_sql
from abmkpi.matching.rules import apply_rules
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


def match_activities(store: Store, time_zone: str, fuzzy_threshold: float) -> None:
    """Set the business date, identity and account match of every activity."""
    _stage_email_identities(store)
    _stage_base(store, time_zone)
    _stage_subjects(store)
    apply_rules(
        store, "stage_activity_subjects", "stage_activity_rules", fuzzy_threshold
    )
    store.execute(_update_activities_sql(), table="activities")
    store.execute(
        """
        INSERT INTO match_issues (entity, record_id, kind, detail, candidates)
        SELECT 'activity', subject_id, issue, detail, candidates
        FROM stage_activity_rules WHERE issue IS NOT NULL
        """,
        table="match_issues",
    )


def _stage_email_identities(store: Store) -> None:
    """Stage the identity of every live person's e-mail address, so an event
    that carries only an address still finds its person."""
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_email_identities AS
        SELECT r.email, min(i.identity_id) AS identity_id
        FROM stage_person_ranks r JOIN stage_identities i ON i.id = r.id
        WHERE r.email IS NOT NULL
        GROUP BY r.email
        """
    )


def _stage_base(store: Store, time_zone: str) -> None:
    """Stage each activity's date, person, identity and the account its own
    link and its identity give."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_activity_base AS
        SELECT a.id,
            CAST(timezone(?, timezone('UTC', a.occurred_at)) AS DATE) AS occurred_on,
            a.is_deleted,
            a.source_account_id,
            a.person_id IS NOT NULL AND p.id IS NULL AS person_missing,
            p.id IS NOT NULL AND p.identity_id IS NULL AS person_deleted,
            coalesce(p.identity_id, e.identity_id) AS identity_id,
            link.live_id AS link_account,
            ip.account_id AS identity_account,
            CASE WHEN p.merged_into_id IS NULL AND NOT p.is_deleted
                     THEN p.match_method ELSE ip.match_method END AS identity_method,
            CASE WHEN p.merged_into_id IS NULL AND NOT p.is_deleted
                     THEN p.match_note ELSE ip.match_note END AS identity_note,
            a.email IS NOT NULL OR a.company_name IS NOT NULL AS has_hints
        FROM activities a
        LEFT JOIN people p ON p.id = a.person_id
        LEFT JOIN stage_email_identities e
            ON p.id IS NULL AND e.email = {email_key_sql("a")}
        LEFT JOIN people ip ON ip.id = coalesce(p.identity_id, e.identity_id)
        LEFT JOIN stage_live_accounts link ON link.id = a.source_account_id
        """,
        [time_zone],
        table="activities",
    )


def _stage_subjects(store: Store) -> None:
    """Stage the activities whose link and person give no account but that
    carry an e-mail address or company name of their own."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_activity_subjects AS
        SELECT a.id AS subject_id,
               {email_key_sql("a")} AS email,
               {email_domain_sql("a")} AS email_domain,
               k.name_key, s.state_key
        FROM stage_activity_base b
        JOIN activities a ON a.id = b.id
        LEFT JOIN stage_name_keys k ON k.name = a.company_name
        LEFT JOIN stage_state_keys s ON s.state = a.state
        WHERE b.has_hints AND NOT b.is_deleted AND NOT b.person_deleted
          AND b.link_account IS NULL AND b.identity_account IS NULL
        """
    )


def _update_activities_sql() -> str:
    link, unmatched = MatchMethod.SOURCE_LINK, MatchMethod.UNMATCHED
    return f"""
        UPDATE activities AS a SET
            occurred_on = f.occurred_on,
            identity_id = f.identity_id,
            account_id = f.account_id,
            match_method = f.method,
            match_note = f.note
        FROM (
            SELECT b.id, b.occurred_on,
                CASE WHEN NOT b.is_deleted THEN b.identity_id END AS identity_id,
                CASE WHEN b.is_deleted OR b.person_deleted THEN NULL
                     ELSE coalesce(b.link_account, b.identity_account, h.account_id)
                END AS account_id,
                CASE WHEN b.is_deleted OR b.person_deleted THEN '{unmatched}'
                     WHEN b.link_account IS NOT NULL THEN '{link}'
                     WHEN b.identity_account IS NOT NULL THEN b.identity_method
                     WHEN h.account_id IS NOT NULL THEN h.method
                     ELSE '{unmatched}' END AS method,
                CASE WHEN b.is_deleted OR b.person_deleted THEN 'deleted'
                     WHEN b.link_account IS NOT NULL
                         THEN 'account ' || b.source_account_id
                     WHEN b.identity_account IS NOT NULL THEN b.identity_note
                     WHEN h.account_id IS NOT NULL THEN h.note
                     WHEN b.person_missing THEN 'person_not_found'
                     WHEN h.subject_id IS NOT NULL THEN h.note
                     WHEN b.identity_id IS NOT NULL THEN b.identity_note
                     ELSE 'no_email_or_company' END AS note
            FROM stage_activity_base b
            LEFT JOIN stage_activity_rules h ON h.subject_id = b.id
        ) AS f
        WHERE f.id = a.id
    """


def match_nps_and_contracts(store: Store) -> None:
    """Set the account of NPS responses and contracts.

    A response lands on its own account link, else on its person's identity
    account, else on the account of the person with its e-mail address.
    """
    store.execute(
        f"""
        UPDATE nps_responses AS n SET account_id = f.account_id
        FROM (
            SELECT r.id,
                   coalesce(link.live_id, person.account_id, by_email.account_id)
                       AS account_id
            FROM nps_responses r
            LEFT JOIN stage_live_accounts link ON link.id = r.source_account_id
            LEFT JOIN people given ON given.id = r.person_id
            LEFT JOIN people person ON person.id = given.identity_id
            LEFT JOIN stage_email_identities e ON e.email = {email_key_sql("r")}
            LEFT JOIN people by_email ON by_email.id = e.identity_id
        ) AS f
        WHERE f.id = n.id
        """,
        table="nps_responses",
    )
    store.execute(
        """
        UPDATE contracts AS c SET account_id = f.live_id
        FROM (
            SELECT k.id, link.live_id FROM contracts k
            LEFT JOIN stage_live_accounts link ON link.id = k.source_account_id
        ) AS f
        WHERE f.id = c.id
        """,
        table="contracts",
    )
