"""Live accounts, their name keys and domains, and their contacts' e-mail
addresses: the data that people and activities are matched against.

Every function here writes a ``stage_`` temp table or a derived column;
:mod:`abmkpi.matching.resolve` drops the temp tables when matching ends.
"""

from __future__ import annotations

import logging

import pyarrow as pa

from abmkpi.matching.freemail import FreeMailDomains
from abmkpi.matching.names import normalize_company_name, normalize_state
from abmkpi.sources.values import domain_of_website
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

# The e-mail key and domain of a row with an ``email`` column. Importers store
# e-mails trimmed and lower-cased already. Repeating it here makes a row
# written by hand or by a live event compare the same way.
EMAIL_KEY_SQL = "nullif(lower(trim({table}.email)), '')"
EMAIL_DOMAIN_SQL = "nullif(split_part(lower(trim({table}.email)), '@', 2), '')"
# The company domain of an activity that names one without an e-mail address.
DOMAIN_KEY_SQL = "nullif(lower(trim({table}.domain)), '')"


def email_key_sql(table: str) -> str:
    return EMAIL_KEY_SQL.format(table=table)


def email_domain_sql(table: str) -> str:
    return EMAIL_DOMAIN_SQL.format(table=table)


def domain_key_sql(table: str) -> str:
    return DOMAIN_KEY_SQL.format(table=table)


def stage_live_accounts(store: Store) -> None:
    """Map every account id to the live account it lands on.

    A merged account lands on the account it was merged into, because the
    merge step has already followed chains to their end. That target must be
    stored and not deleted. Accounts that land nowhere are left out.
    """
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_live_accounts AS
        SELECT a.id, t.id AS live_id
        FROM accounts a
        JOIN accounts t ON t.id = coalesce(a.merged_into_id, a.id)
        WHERE NOT t.is_deleted AND t.merged_into_id IS NULL
        """
    )


def stage_name_and_state_keys(store: Store) -> None:
    """Normalise every distinct company name and state in Python, once each,
    into ``stage_name_keys`` and ``stage_state_keys``."""
    names = _distinct(
        store,
        "SELECT name FROM accounts UNION SELECT company_name FROM people "
        "UNION SELECT company_name FROM activities",
    )
    states = _distinct(
        store,
        "SELECT state FROM accounts UNION SELECT state FROM people "
        "UNION SELECT state FROM activities",
    )
    stage_keys(store, names, states)
    logger.debug("normalised %d company names and %d states", len(names), len(states))


def stage_keys(store: Store, names: list[str], states: list[str]) -> None:
    """Normalise company names and states into ``stage_name_keys`` and
    ``stage_state_keys``."""
    keys = [normalize_company_name(name) for name in names]
    store.stage(
        "name_keys",
        pa.table({"name": names, "name_key": keys}, schema=_KEYS_SCHEMA),
        {"name": "VARCHAR", "name_key": "VARCHAR"},
    )
    state_keys = [normalize_state(state) for state in states]
    store.stage(
        "state_keys",
        pa.table({"state": states, "state_key": state_keys}, schema=_STATES_SCHEMA),
        {"state": "VARCHAR", "state_key": "VARCHAR"},
    )


_KEYS_SCHEMA = pa.schema([("name", pa.string()), ("name_key", pa.string())])
_STATES_SCHEMA = pa.schema([("state", pa.string()), ("state_key", pa.string())])


def set_account_name_keys(store: Store) -> None:
    """Set accounts.name_key and stage the name keys that find each live account.

    A merged account's name still finds the account it was merged into, so a
    lead typed with the old company name lands on the surviving account.
    """
    store.execute(
        """
        UPDATE accounts AS a SET name_key = k.name_key
        FROM stage_name_keys k
        WHERE k.name = a.name AND a.name_key IS DISTINCT FROM k.name_key
        """,
        table="accounts",
    )
    store.execute(
        "UPDATE accounts SET name_key = NULL "
        "WHERE name IS NULL AND name_key IS NOT NULL",
        table="accounts",
    )
    stage_account_names(store)


def stage_account_names(store: Store, name_keys: str | None = None) -> None:
    """Stage the name keys that find each live account, with its state key.

    ``name_keys`` names a table whose ``name_key`` column limits the staged
    keys to those a set of subjects carries.
    """
    scope = (
        ""
        if name_keys is None
        else (f"AND a.name_key IN (SELECT name_key FROM {name_keys})")
    )
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_account_names AS
        SELECT DISTINCT a.name_key, l.live_id AS account_id, s.state_key
        FROM accounts a
        JOIN stage_live_accounts l ON l.id = a.id
        JOIN accounts t ON t.id = l.live_id
        LEFT JOIN stage_state_keys s ON s.state = t.state
        WHERE a.name_key IS NOT NULL {scope}
        """
    )


def stage_free_domains(store: Store, free_mail: FreeMailDomains) -> None:
    """Stage website hosts, and check every observed domain against the
    free-mail list in Python, once per distinct domain."""
    websites = _distinct(store, "SELECT website FROM accounts")
    hosts = [domain_of_website(website) for website in websites]
    store.stage(
        "website_domains",
        pa.table({"website": websites, "domain": hosts}),
        {"website": "VARCHAR", "domain": "VARCHAR"},
    )
    domains = _distinct(
        store,
        f"""
        SELECT {email_domain_sql("people")} FROM people
        UNION SELECT {email_domain_sql("activities")} FROM activities
        UNION SELECT {domain_key_sql("activities")} FROM activities
        UNION SELECT {email_domain_sql("nps_responses")} FROM nps_responses
        UNION SELECT domain FROM stage_website_domains
        """,
    )
    free = stage_free_domain_list(store, domains, free_mail)
    logger.debug("%d of %d observed domains are free-mail", len(free), len(domains))


def stage_free_domain_list(
    store: Store, domains: list[str], free_mail: FreeMailDomains
) -> list[str]:
    """Stage the free-mail domains among ``domains`` and return them."""
    free = [domain for domain in domains if domain in free_mail]
    store.stage(
        "free_domains",
        pa.table({"domain": pa.array(free, pa.string())}),
        {"domain": "VARCHAR"},
    )
    return free


def set_account_domains(store: Store) -> int:
    """Rebuild account_domains and accounts.domains; return the domain count.

    An account's domains are its website host and its live contacts' e-mail
    domains (with the number of contacts on each), never a free-mail domain.
    A merged account's website and contacts count for the surviving account.
    """
    store.execute("DELETE FROM account_domains", table="account_domains")
    store.execute(
        f"""
        INSERT INTO account_domains (account_id, domain, origin, contact_count)
        WITH sightings AS (
            SELECT l.live_id AS account_id, w.domain, 'website' AS origin,
                   NULL AS person_id
            FROM accounts a
            JOIN stage_live_accounts l ON l.id = a.id
            JOIN stage_website_domains w ON w.website = a.website
            WHERE w.domain IS NOT NULL
            UNION ALL
            SELECT l.live_id, {email_domain_sql("p")}, 'contact', p.id
            FROM people p
            JOIN stage_live_accounts l ON l.id = p.source_account_id
            WHERE p.kind = 'contact' AND NOT p.is_deleted
              AND p.merged_into_id IS NULL
        )
        SELECT account_id, domain,
               CASE WHEN bool_or(origin = 'website') THEN 'website'
                    ELSE 'contact' END,
               count(DISTINCT person_id)
        FROM sightings
        WHERE domain IS NOT NULL
          AND domain NOT IN (SELECT domain FROM stage_free_domains)
        GROUP BY account_id, domain
        """,
        table="account_domains",
    )
    store.execute(
        """
        UPDATE accounts AS a SET domains = f.domains
        FROM (
            SELECT a2.id,
                   CASE WHEN l.live_id = a2.id
                        THEN coalesce(d.domains, []::VARCHAR[]) END AS domains
            FROM accounts a2
            LEFT JOIN stage_live_accounts l ON l.id = a2.id
            LEFT JOIN (
                SELECT account_id, list(domain ORDER BY domain) AS domains
                FROM account_domains GROUP BY account_id
            ) d ON d.account_id = a2.id
        ) AS f
        WHERE f.id = a.id AND a.domains IS DISTINCT FROM f.domains
        """,
        table="accounts",
    )
    return int(store.scalar("SELECT count(*) FROM account_domains"))


def stage_contact_emails(store: Store, ranks: str = "stage_person_ranks") -> None:
    """Stage the account of each live contact's e-mail address.

    When several contacts share an address, the identity's preferred record
    (see :mod:`abmkpi.matching.identities`) decides the account. ``ranks``
    names the table of ranked live people to read, which may hold only the
    people with some addresses.
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_contact_emails AS
        SELECT {email_key_sql("p")} AS email,
               arg_min(l.live_id, r.rank) AS account_id,
               arg_min(p.id, r.rank) AS contact_id
        FROM people p
        JOIN {ranks} r ON r.id = p.id
        JOIN stage_live_accounts l ON l.id = p.source_account_id
        WHERE p.kind = 'contact' AND {email_key_sql("p")} IS NOT NULL
        GROUP BY 1
        """
    )


def _distinct(store: Store, sql: str) -> list[str]:
    rows = store.fetch_all(
        f"SELECT DISTINCT value FROM ({sql}) AS t(value) WHERE value IS NOT NULL"
    )
    return [row[0] for row in rows]
