"""Matching activities, NPS responses and contracts to accounts.

An activity lands on at most one account. The first of these that gives a
live account wins:

1. the activity's own account link;
2. the account of its person's identity, so an activity of a merged-away
   person counts for the surviving one;
3. the e-mail address (else the company domain) and company name the
   activity carries itself, through the same rules as people.

Deleted activities, and those of deleted people, count for no account and no
person.
"""

from __future__ import annotations

import logging

from abmkpi.canonical import MatchMethod
from abmkpi.matching.accounts import domain_key_sql, email_domain_sql, email_key_sql
from abmkpi.matching.rules import apply_rules
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


def match_activities(
    store: Store, time_zone: str, fuzzy_threshold: float, scope: str | None = None
) -> None:
    """Set the business date, identity and account match of every activity.

    ``scope`` names a table with an ``id`` column; when given, only those
    activities are matched (see :mod:`abmkpi.matching.incremental`), and the
    caller must have staged ``stage_email_identities`` for their addresses.
    """
    if scope is None:
        _stage_email_identities(store)
    _stage_subjects(store, scope)
    apply_rules(
        store, "stage_activity_subjects", "stage_activity_rules", fuzzy_threshold
    )
    store.execute(_update_activities_sql(scope), [time_zone], table="activities")
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


# Each activity ``a`` with its stored person ``p``, the canonical record
# ``ip`` of its identity (found through the person, else through the
# activity's own e-mail address) and the live account of its own link.
_ACTIVITY_JOINS_SQL = f"""
    FROM activities a
    LEFT JOIN people p ON p.id = a.person_id
    LEFT JOIN stage_email_identities e
        ON p.id IS NULL AND e.email = {email_key_sql("a")}
    LEFT JOIN people ip ON ip.id = coalesce(p.identity_id, e.identity_id)
    LEFT JOIN stage_live_accounts link ON link.id = a.source_account_id
"""

# A person that is stored but has no identity is deleted, or merged into a
# record that is not live.
_PERSON_DELETED_SQL = "(p.id IS NOT NULL AND p.identity_id IS NULL)"


def _in_scope_sql(scope: str | None) -> str:
    return "true" if scope is None else f"a.id IN (SELECT id FROM {scope})"


def _stage_subjects(store: Store, scope: str | None = None) -> None:
    """Stage the activities whose link and person give no account but that
    carry an e-mail address, company domain or company name of their own.

    The domain of the e-mail address comes first; the activity's company
    domain is used when it has no address.
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_activity_subjects AS
        SELECT a.id AS subject_id,
               {email_key_sql("a")} AS email,
               coalesce({email_domain_sql("a")}, {domain_key_sql("a")})
                   AS email_domain,
               k.name_key, s.state_key
        {_ACTIVITY_JOINS_SQL}
        LEFT JOIN stage_name_keys k ON k.name = a.company_name
        LEFT JOIN stage_state_keys s ON s.state = a.state
        WHERE (a.email IS NOT NULL OR a.company_name IS NOT NULL
               OR a.domain IS NOT NULL)
          AND NOT a.is_deleted AND NOT {_PERSON_DELETED_SQL}
          AND link.live_id IS NULL AND ip.account_id IS NULL
          AND {_in_scope_sql(scope)}
        """
    )


def _update_activities_sql(scope: str | None = None) -> str:
    """Return the statement that writes every activity's match (or only the
    matches of the activities listed in the ``scope`` table).

    An activity of a live person takes that person's method and note. An
    activity of a merged-away person, or one whose person was found by
    e-mail, takes those of the identity's canonical record. Only rows whose
    values change are written. They are picked out before the join back to
    the table, which then joins only them, not every activity.
    """
    link, unmatched = MatchMethod.SOURCE_LINK, MatchMethod.UNMATCHED
    not_counted = f"a.is_deleted OR {_PERSON_DELETED_SQL}"
    live_person = "p.merged_into_id IS NULL AND NOT p.is_deleted"
    return f"""
        UPDATE activities AS t SET
            occurred_on = f.occurred_on,
            identity_id = f.identity_id,
            account_id = f.account_id,
            match_method = f.method,
            match_note = f.note
        FROM (
            SELECT * FROM (
                SELECT a.id,
                    a.occurred_on AS stored_occurred_on,
                    a.identity_id AS stored_identity_id,
                    a.account_id AS stored_account_id,
                    a.match_method AS stored_method,
                    a.match_note AS stored_note,
                    CAST(timezone($1, timezone('UTC', a.occurred_at)) AS DATE)
                        AS occurred_on,
                    CASE WHEN NOT a.is_deleted THEN ip.id END AS identity_id,
                    CASE WHEN {not_counted} THEN NULL
                         ELSE coalesce(link.live_id, ip.account_id, h.account_id)
                    END AS account_id,
                    CASE WHEN {not_counted} THEN '{unmatched}'
                         WHEN link.live_id IS NOT NULL THEN '{link}'
                         WHEN ip.account_id IS NOT NULL AND {live_person}
                             THEN p.match_method
                         WHEN ip.account_id IS NOT NULL THEN ip.match_method
                         WHEN h.account_id IS NOT NULL THEN h.method
                         ELSE '{unmatched}' END AS method,
                    CASE WHEN {not_counted} THEN 'deleted'
                         WHEN link.live_id IS NOT NULL
                             THEN 'account ' || a.source_account_id
                         WHEN ip.account_id IS NOT NULL AND {live_person}
                             THEN p.match_note
                         WHEN ip.account_id IS NOT NULL THEN ip.match_note
                         WHEN h.account_id IS NOT NULL THEN h.note
                         WHEN a.person_id IS NOT NULL AND p.id IS NULL
                             THEN 'person_not_found'
                         WHEN h.subject_id IS NOT NULL THEN h.note
                         WHEN {live_person} THEN p.match_note
                         WHEN ip.id IS NOT NULL THEN ip.match_note
                         ELSE 'no_email_or_company' END AS note
                {_ACTIVITY_JOINS_SQL}
                LEFT JOIN stage_activity_rules h ON h.subject_id = a.id
                WHERE {_in_scope_sql(scope)}
            )
            WHERE stored_occurred_on IS DISTINCT FROM occurred_on
               OR stored_identity_id IS DISTINCT FROM identity_id
               OR stored_account_id IS DISTINCT FROM account_id
               OR stored_method IS DISTINCT FROM method
               OR stored_note IS DISTINCT FROM note
        ) AS f
        WHERE f.id = t.id
    """


def match_nps_and_contracts(store: Store) -> None:
    """Set the account of NPS responses and contracts."""
    match_nps_responses(store)
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


def match_nps_responses(store: Store, scope: str | None = None) -> None:
    """Set the account of NPS responses (or only of those whose id is in the
    ``scope`` table's ``id`` column).

    A response lands on its own account link, else on its person's identity
    account, else on the account of the person with its e-mail address.
    """
    in_scope = "true" if scope is None else f"r.id IN (SELECT id FROM {scope})"
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
            WHERE {in_scope}
        ) AS f
        WHERE f.id = n.id
        """,
        table="nps_responses",
    )
