"""Matching a few new people and activities without rematching everything.

Live ingest adds activities, and people for unseen e-mail addresses, many
times a minute, and an import of one day's activities adds thousands, while
:func:`abmkpi.matching.resolve.match_all` rereads every record.
:func:`match_new_records` stages only what the new records need and runs the
same rules and update statements, limited to those records, so a later full
refresh leaves every match as it is.

That is true under these conditions on the new people (live ingest meets
them, and :mod:`abmkpi.derive_import` checks them for imports): each is
live, is a lead (so it adds no contact address and no account domain), and
has an e-mail address that no other live person has, no conversion link and
no merge, and no stored record names it in a merge or a conversion link.
Each is therefore an identity of its own and no existing identity changes.
Activities and NPS responses may be new or changed in any way, because no
other record's match depends on them. Existing activities and NPS
responses that name a new person by id, or carry its address without a
stored person, are rematched, because a full refresh would now find the new
person for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pyarrow as pa

from abmkpi.config import Settings
from abmkpi.matching import accounts, activities, people
from abmkpi.matching.accounts import domain_key_sql, email_domain_sql, email_key_sql
from abmkpi.matching.freemail import FreeMailDomains
from abmkpi.matching.identities import PERSON_RANK_ORDER_SQL
from abmkpi.matching.resolve import record_free_mail_domains
from abmkpi.personas import PersonaRules
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

_STAGE_TABLES = (
    "stage_new_people",
    "stage_activity_scope",
    "stage_nps_scope",
    "stage_live_accounts",
    "stage_name_keys",
    "stage_state_keys",
    "stage_account_names",
    "stage_free_domains",
    "stage_email_ranks",
    "stage_contact_emails",
    "stage_person_ranks",
    "stage_identities",
    "stage_person_links",
    "stage_person_subjects",
    "stage_person_rules",
    "stage_person_results",
    "stage_identity_matches",
    "stage_email_identities",
    "stage_activity_subjects",
    "stage_activity_rules",
)


@dataclass
class IncrementalMatch:
    """The effect of matching a set of new records."""

    activities: int = 0  # activities matched, new and rematched
    rematched: int = 0  # existing activities rematched for a new person
    people: int = 0
    account_ids: set[str] = field(default_factory=set)  # accounts whose facts changed


def match_new_records(
    store: Store,
    settings: Settings,
    free_mail: FreeMailDomains,
    person_ids: list[str],
    activity_ids: list[str],
    nps_ids: list[str] | None = None,
) -> IncrementalMatch:
    """Match new people, and new or changed activities and NPS responses, to
    accounts, in the caller's transaction.

    Return the accounts whose activities changed: those the new activities
    landed on, and the old and new accounts of rematched activities.
    """
    result = IncrementalMatch(people=len(person_ids))
    _stage_ids(store, "new_people", person_ids)
    _stage_ids(store, "activity_scope", activity_ids)
    _stage_ids(store, "nps_scope", nps_ids or [])
    if person_ids:
        result.rematched = _add_activities_of_new_people(store)
        _add_nps_responses_of_new_people(store)
    before = _accounts_of_scope(store)

    accounts.stage_live_accounts(store)
    _stage_keys_and_names(store, settings.matching.fuzzy_threshold)
    _stage_free_domains(store, free_mail)
    _stage_contact_emails(store)
    _stage_new_identities(store, settings)
    _stage_email_identities(store)

    fuzzy = settings.matching.fuzzy_threshold
    store.execute(
        "DELETE FROM match_issues WHERE entity = 'activity' "
        "AND record_id IN (SELECT id FROM stage_activity_scope)",
        table="match_issues",
    )
    if person_ids:
        people.match_people(store, fuzzy, scope="stage_new_people")
    activities.match_activities(
        store, settings.workspace.time_zone, fuzzy, scope="stage_activity_scope"
    )
    activities.match_nps_responses(store, scope="stage_nps_scope")
    if person_ids:
        _recount_free_mail_domains(store)

    result.activities = int(store.scalar("SELECT count(*) FROM stage_activity_scope"))
    result.account_ids = before | _accounts_of_scope(store)
    for table in _STAGE_TABLES:
        store.execute(f"DROP TABLE IF EXISTS {table}")
    logger.debug(
        "matched %d new people and %d activities (%d rematched) incrementally",
        result.people,
        result.activities,
        result.rematched,
    )
    return result


def _stage_ids(store: Store, name: str, ids: list[str]) -> None:
    store.stage(name, pa.table({"id": pa.array(ids, pa.string())}), {"id": "VARCHAR"})


def _add_activities_of_new_people(store: Store) -> int:
    """Add the existing activities that a new person changes to the scope,
    and return how many there are.

    Those name the new person by id, or carry its e-mail address without a
    stored person (none named, or one that is not stored).
    """
    scoped = int(store.scalar("SELECT count(*) FROM stage_activity_scope"))
    store.execute(
        f"""
        INSERT INTO stage_activity_scope
        WITH candidates AS (
            SELECT a.id, a.person_id FROM activities a
            WHERE a.person_id IN (SELECT id FROM stage_new_people)
               OR (NOT a.is_deleted
                   AND {email_key_sql("a")} IN ({_NEW_EMAILS_SQL}))
        )
        SELECT c.id FROM candidates c
        LEFT JOIN people p ON p.id = c.person_id
        WHERE (c.person_id IN (SELECT id FROM stage_new_people) OR p.id IS NULL)
          AND c.id NOT IN (SELECT id FROM stage_activity_scope)
        """
    )
    return int(store.scalar("SELECT count(*) FROM stage_activity_scope")) - scoped


def _add_nps_responses_of_new_people(store: Store) -> None:
    """Add the existing NPS responses that name a new person by id or carry
    its e-mail address to the scope."""
    store.execute(
        f"""
        INSERT INTO stage_nps_scope
        SELECT r.id FROM nps_responses r
        WHERE (r.person_id IN (SELECT id FROM stage_new_people)
               OR {email_key_sql("r")} IN ({_NEW_EMAILS_SQL}))
          AND r.id NOT IN (SELECT id FROM stage_nps_scope)
        """
    )


_NEW_EMAILS_SQL = f"""
    SELECT {email_key_sql("p")} FROM people p
    WHERE p.id IN (SELECT id FROM stage_new_people)"""


def _accounts_of_scope(store: Store) -> set[str]:
    rows = store.fetch_all(
        """
        SELECT DISTINCT account_id FROM activities
        WHERE id IN (SELECT id FROM stage_activity_scope) AND account_id IS NOT NULL
        """
    )
    return {row[0] for row in rows}


def _subject_values(store: Store, column: str) -> list[str]:
    """Distinct non-null values of a column of the new people and scoped
    activities."""
    rows = store.fetch_all(
        f"""
        SELECT {column} FROM people WHERE id IN (SELECT id FROM stage_new_people)
        UNION
        SELECT {column} FROM activities
        WHERE id IN (SELECT id FROM stage_activity_scope)
        """
    )
    return [row[0] for row in rows if row[0] is not None]


def _stage_keys_and_names(store: Store, fuzzy_threshold: float) -> None:
    """Stage the name and state keys of the subjects and the account names
    they can match; every account name when fuzzy matching compares them."""
    names = _subject_values(store, "company_name")
    states = _subject_values(store, "state")
    account_states = store.fetch_all(
        "SELECT DISTINCT state FROM accounts WHERE state IS NOT NULL"
    )
    states = sorted({*states, *(row[0] for row in account_states)})
    accounts.stage_keys(store, names, states)
    scope = None if fuzzy_threshold > 0 else "stage_name_keys"
    accounts.stage_account_names(store, scope)


def _stage_free_domains(store: Store, free_mail: FreeMailDomains) -> None:
    rows = store.fetch_all(
        f"""
        SELECT {email_domain_sql("p")} FROM people p
        WHERE p.id IN (SELECT id FROM stage_new_people)
        UNION
        SELECT coalesce({email_domain_sql("a")}, {domain_key_sql("a")})
        FROM activities a WHERE a.id IN (SELECT id FROM stage_activity_scope)
        """
    )
    domains = sorted({row[0] for row in rows if row[0] is not None})
    accounts.stage_free_domain_list(store, domains, free_mail)


def _stage_contact_emails(store: Store) -> None:
    """Stage the contact account of every subject e-mail address.

    The live people with those addresses are ranked among themselves in the
    order of preference that ranks all people, which keeps their relative
    order and so picks the same contact as a full run.
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_email_ranks AS
        WITH emails AS (
            SELECT {email_key_sql("p")} AS email FROM people p
            WHERE p.id IN (SELECT id FROM stage_new_people)
            UNION
            SELECT {email_key_sql("a")} FROM activities a
            WHERE a.id IN (SELECT id FROM stage_activity_scope)
        )
        SELECT p.id, row_number() OVER (ORDER BY {PERSON_RANK_ORDER_SQL}) AS rank
        FROM people p
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
          AND {email_key_sql("p")} IN (SELECT email FROM emails)
        """
    )
    accounts.stage_contact_emails(store, ranks="stage_email_ranks")


def _stage_new_identities(store: Store, settings: Settings) -> None:
    """Give each new person its derived columns and stage it as an identity
    of its own, as identity resolution would."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_person_ranks AS
        SELECT p.id,
               row_number() OVER (ORDER BY {PERSON_RANK_ORDER_SQL}) AS rank,
               {email_key_sql("p")} AS email,
               NULL::VARCHAR AS converted_to
        FROM people p WHERE p.id IN (SELECT id FROM stage_new_people)
        """
    )
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_identities AS
        SELECT id, id AS identity_id FROM stage_person_ranks
        """
    )
    _set_personas(store, settings)
    store.execute(
        f"""
        UPDATE people AS p SET
            email_domain = {email_domain_sql("p")},
            identity_id = p.id
        WHERE p.id IN (SELECT id FROM stage_new_people)
        """,
        table="people",
    )


def _stage_email_identities(store: Store) -> None:
    """Stage the identity of every live person's e-mail address that a
    scoped activity or NPS response carries, as a full run would."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_email_identities AS
        WITH emails AS (
            SELECT {email_key_sql("a")} AS email FROM activities a
            WHERE a.id IN (SELECT id FROM stage_activity_scope)
            UNION
            SELECT {email_key_sql("r")} FROM nps_responses r
            WHERE r.id IN (SELECT id FROM stage_nps_scope)
        )
        SELECT {email_key_sql("p")} AS email, min(p.identity_id) AS identity_id
        FROM people p
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
          AND {email_key_sql("p")} IN (SELECT email FROM emails)
        GROUP BY 1
        """
    )


def _set_personas(store: Store, settings: Settings) -> None:
    rules = PersonaRules(settings.personas)
    rows = store.fetch_all(
        "SELECT id, title FROM people WHERE id IN (SELECT id FROM stage_new_people)"
    )
    personas = [rules.persona_of(title).value for _, title in rows]
    store.stage(
        "new_personas",
        pa.table(
            {
                "id": pa.array([row[0] for row in rows], pa.string()),
                "persona": pa.array(personas, pa.string()),
            }
        ),
        {"id": "VARCHAR", "persona": "VARCHAR"},
    )
    store.execute(
        """
        UPDATE people AS p SET persona = s.persona
        FROM stage_new_personas s WHERE s.id = p.id
        """,
        table="people",
    )
    store.execute("DROP TABLE stage_new_personas")


def _recount_free_mail_domains(store: Store) -> None:
    """Recount the people on the staged free-mail domains, as a full run does."""
    store.execute(
        """
        DELETE FROM match_issues
        WHERE entity = 'domain' AND kind = 'free_mail_domain'
          AND record_id IN (SELECT domain FROM stage_free_domains)
        """,
        table="match_issues",
    )
    record_free_mail_domains(store)
