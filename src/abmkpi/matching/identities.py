"""People identities: one canonical person for every set of records that are
the same human.

Records are one person when a merge links them (the loser follows the winner),
when they share a normalised e-mail address, or when a converted lead points
at its contact. The canonical record of a group is a CRM contact if there is
one, then the earliest created, then the smallest id. Deleted records, and
merged records whose winner is not live, have no identity.
"""

from __future__ import annotations

import logging

from abmkpi.matching.accounts import email_domain_sql, email_key_sql
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

# The order of preference among a person's records: CRM contacts first, then
# the earliest created, then the smallest id.
PERSON_RANK_ORDER_SQL = "p.kind = 'contact' DESC, p.created_at ASC NULLS LAST, p.id"

# Label propagation needs one round per link in the longest chain of e-mail
# and conversion links. Typical data settles in two or three rounds.
_MAX_ROUNDS = 100


def resolve_identities(store: Store) -> dict[str, int]:
    """Set people.email_domain and people.identity_id, and record a
    'duplicate_person' match issue per identity with several live records."""
    _stage_ranks(store)
    rounds = _propagate_labels(store)
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_identities AS
        SELECT l.id, r.id AS identity_id
        FROM stage_identity_labels l JOIN stage_person_ranks r ON r.rank = l.label
        """
    )
    store.execute(
        f"""
        UPDATE people AS p SET
            email_domain = i.email_domain,
            identity_id = i.identity_id
        FROM (
            SELECT q.id, {email_domain_sql("q")} AS email_domain, s.identity_id
            FROM people q
            LEFT JOIN stage_identities s ON s.id = coalesce(q.merged_into_id, q.id)
            WHERE q.email_domain IS DISTINCT FROM {email_domain_sql("q")}
               OR q.identity_id IS DISTINCT FROM s.identity_id
        ) AS i
        WHERE i.id = p.id
        """,
        table="people",
    )
    groups = _record_duplicates(store)
    identities = int(store.scalar("SELECT count(DISTINCT identity_id) FROM people"))
    logger.debug("resolved %d identities in %d rounds", identities, rounds)
    return {"identities": identities, "duplicate_person_groups": groups}


def _stage_ranks(store: Store) -> None:
    """Rank the live people by preference and stage their linking keys."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_person_ranks AS
        SELECT p.id,
               row_number() OVER (ORDER BY {PERSON_RANK_ORDER_SQL}) AS rank,
               {email_key_sql("p")} AS email,
               t.id AS converted_to
        FROM people p
        LEFT JOIN people c ON c.id = p.converted_contact_id
        LEFT JOIN people t ON t.id = coalesce(c.merged_into_id, c.id)
            AND NOT t.is_deleted AND t.merged_into_id IS NULL AND t.id <> p.id
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
        """
    )


def _propagate_labels(store: Store) -> int:
    """Give every record the best rank reachable over e-mail and conversion
    links, and return the number of rounds it took."""
    store.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_identity_labels AS
        SELECT id, rank AS label FROM stage_person_ranks
        """
    )
    for round_number in range(1, _MAX_ROUNDS + 1):
        store.execute(_next_labels_sql())
        changed = store.scalar(
            """
            SELECT count(*) FROM stage_identity_next n
            JOIN stage_identity_labels l ON l.id = n.id WHERE n.label < l.label
            """
        )
        store.execute("DROP TABLE stage_identity_labels")
        store.execute("ALTER TABLE stage_identity_next RENAME TO stage_identity_labels")
        if changed == 0:
            return round_number
    logger.warning(
        "people identities did not settle after %d rounds; some records linked "
        "by long e-mail and conversion chains may remain separate people",
        _MAX_ROUNDS,
    )
    return _MAX_ROUNDS


def _next_labels_sql() -> str:
    return """
        CREATE OR REPLACE TEMP TABLE stage_identity_next AS
        WITH by_email AS (
            SELECT r.email, min(l.label) AS label
            FROM stage_person_ranks r JOIN stage_identity_labels l ON l.id = r.id
            WHERE r.email IS NOT NULL
            GROUP BY r.email
        ), links AS (
            SELECT r.id, l.label
            FROM stage_person_ranks r
            JOIN stage_identity_labels l ON l.id = r.converted_to
            UNION ALL
            SELECT r.converted_to, l.label
            FROM stage_person_ranks r JOIN stage_identity_labels l ON l.id = r.id
            WHERE r.converted_to IS NOT NULL
        ), by_link AS (
            SELECT id, min(label) AS label FROM links GROUP BY id
        )
        SELECT l.id,
               least(l.label, coalesce(e.label, l.label), coalesce(k.label, l.label))
                   AS label
        FROM stage_identity_labels l
        JOIN stage_person_ranks r ON r.id = l.id
        LEFT JOIN by_email e ON e.email = r.email
        LEFT JOIN by_link k ON k.id = l.id
    """


def _record_duplicates(store: Store) -> int:
    store.execute(
        """
        INSERT INTO match_issues (entity, record_id, kind, detail, candidates)
        SELECT 'person', identity_id, 'duplicate_person',
               count(*) || ' records of one person: '
                   || string_agg(id, ', ' ORDER BY id),
               list(id ORDER BY id)
        FROM stage_identities
        GROUP BY identity_id
        HAVING count(*) > 1
        """,
        table="match_issues",
    )
    return int(
        store.scalar(
            "SELECT count(*) FROM match_issues WHERE kind = 'duplicate_person'"
        )
    )
