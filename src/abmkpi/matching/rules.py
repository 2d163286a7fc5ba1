"""The e-mail and company-name rules that people and activities share.

A *subjects* table lists what to match, one row per ``subject_id`` with the
columns ``email``, ``email_domain``, ``name_key`` and ``state_key``. The
rules run in order and the first that finds exactly one live account wins:

1. exact e-mail: a live contact with that address and an account;
2. e-mail domain in ``account_domains`` (free-mail domains never are); of
   several accounts, the only one already holding contacts on the domain;
3. company-name key equal to an account's name key; of several accounts,
   the only one in the same state or prefecture;
4. optionally, the most similar account name key (rapidfuzz ratio at or
   above the threshold), with the same state rule.

A rule that finds several accounts and cannot choose passes the subject on
to the next rule. The subject is flagged as ambiguous only when no later
rule matches.

The results table has one row per subject: ``account_id``, ``method``,
``note`` (the evidence, or the reason it stayed unmatched), ``issue``
('ambiguous_domain' or 'ambiguous_name'), ``detail`` and ``candidates``.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from abmkpi.canonical import MatchMethod
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

# Methods from the strongest evidence to the weakest. An identity takes the
# account that its strongest record found.
METHOD_ORDER = (
    MatchMethod.SOURCE_LINK,
    MatchMethod.EMAIL_EXACT,
    MatchMethod.EMAIL_DOMAIN,
    MatchMethod.COMPANY_NAME,
    MatchMethod.COMPANY_NAME_STATE,
    MatchMethod.FUZZY_NAME,
)

# Names compared per rapidfuzz call: 256 names × 100,000 account names of
# float32 scores take 100 MB.
_FUZZY_BLOCK = 256

METHOD_RANK_SQL = (
    "CASE {column} "
    + " ".join(
        f"WHEN '{method}' THEN {rank}" for rank, method in enumerate(METHOD_ORDER)
    )
    + f" ELSE {len(METHOD_ORDER)} END"
)


def method_rank_sql(column: str) -> str:
    return METHOD_RANK_SQL.format(column=column)


def apply_rules(
    store: Store, subjects: str, results: str, fuzzy_threshold: float
) -> None:
    """Match every subject and write the results table (replacing it)."""
    store.execute(rules_sql(subjects, results))
    if fuzzy_threshold > 0:
        apply_fuzzy_names(store, subjects, results, fuzzy_threshold)


def _name_candidates_sql(subjects: str) -> str:
    """Return CTEs ``name_hits`` and ``by_name``: live accounts whose name key
    equals the subject's, counted overall and within the subject's state."""
    return f"""
        name_hits AS (
            SELECT DISTINCT s.subject_id, n.account_id,
                   coalesce(n.state_key = s.state_key, false) AS same_state
            FROM {subjects} s JOIN stage_account_names n ON n.name_key = s.name_key
        ), by_name AS (
            SELECT subject_id,
                   count(*) AS accounts,
                   count(*) FILTER (WHERE same_state) AS same_state,
                   min(account_id) AS only_account,
                   min(account_id) FILTER (WHERE same_state) AS state_account,
                   list(account_id ORDER BY account_id) AS candidates,
                   list(account_id ORDER BY account_id) FILTER (WHERE same_state)
                       AS state_candidates
            FROM name_hits GROUP BY subject_id
        )"""


def _name_outcome_sql(prefix: str) -> str:
    """Return the account the name rule picks from ``by_name`` row ``n``."""
    return f"""CASE WHEN {prefix}.accounts = 1 THEN {prefix}.only_account
                    WHEN {prefix}.same_state = 1 THEN {prefix}.state_account END"""


def _name_candidates_list_sql(prefix: str) -> str:
    return f"""CASE WHEN {prefix}.same_state > 1 THEN {prefix}.state_candidates
                    ELSE {prefix}.candidates END"""


def rules_sql(subjects: str, results: str) -> str:
    """Return the statement that writes ``results`` from ``subjects``."""
    exact, domain, name = (
        MatchMethod.EMAIL_EXACT,
        MatchMethod.EMAIL_DOMAIN,
        MatchMethod.COMPANY_NAME,
    )
    by_state, unmatched = MatchMethod.COMPANY_NAME_STATE, MatchMethod.UNMATCHED
    return f"""
        CREATE OR REPLACE TEMP TABLE {results} AS
        WITH exact AS (
            SELECT s.subject_id, c.account_id, c.contact_id
            FROM {subjects} s JOIN stage_contact_emails c ON c.email = s.email
        ), by_domain AS (
            SELECT s.subject_id,
                   count(*) AS accounts,
                   count(*) FILTER (WHERE d.contact_count > 0) AS with_contacts,
                   min(d.account_id) AS only_account,
                   min(d.account_id) FILTER (WHERE d.contact_count > 0)
                       AS contact_account,
                   list(d.account_id ORDER BY d.account_id) AS candidates
            FROM {subjects} s JOIN account_domains d ON d.domain = s.email_domain
            GROUP BY s.subject_id
        ), {_name_candidates_sql(subjects)},
        outcome AS (
            SELECT s.*, e.account_id AS exact_account, e.contact_id,
                   d.accounts AS domain_accounts, d.with_contacts,
                   d.candidates AS domain_candidates,
                   CASE WHEN d.accounts = 1 THEN d.only_account
                        WHEN d.with_contacts = 1 THEN d.contact_account
                   END AS domain_account,
                   n.accounts AS name_accounts,
                   {_name_candidates_list_sql("n")} AS name_candidates,
                   {_name_outcome_sql("n")} AS name_account,
                   n.accounts = 1 AS name_unique,
                   f.domain IS NOT NULL AS free_mail
            FROM {subjects} s
            LEFT JOIN exact e ON e.subject_id = s.subject_id
            LEFT JOIN by_domain d ON d.subject_id = s.subject_id
            LEFT JOIN by_name n ON n.subject_id = s.subject_id
            LEFT JOIN stage_free_domains f ON f.domain = s.email_domain
        )
        SELECT subject_id,
            coalesce(exact_account, domain_account, name_account) AS account_id,
            CASE WHEN exact_account IS NOT NULL THEN '{exact}'
                 WHEN domain_account IS NOT NULL THEN '{domain}'
                 WHEN name_unique THEN '{name}'
                 WHEN name_account IS NOT NULL THEN '{by_state}'
                 ELSE '{unmatched}' END AS method,
            CASE WHEN exact_account IS NOT NULL THEN 'contact ' || contact_id
                 WHEN domain_account IS NOT NULL THEN 'domain ' || email_domain
                 WHEN name_unique THEN 'name ' || name_key
                 WHEN name_account IS NOT NULL
                     THEN 'name ' || name_key || ', state ' || state_key
                 WHEN domain_accounts > 1 THEN 'ambiguous_domain'
                 WHEN name_accounts > 1 THEN 'ambiguous_name'
                 WHEN free_mail THEN 'free_mail_domain'
                 WHEN email_domain IS NOT NULL THEN 'domain_not_found'
                 WHEN name_key IS NOT NULL THEN 'name_not_found'
                 ELSE 'no_email_or_company' END AS note,
            CASE WHEN coalesce(exact_account, domain_account, name_account)
                     IS NOT NULL THEN NULL
                 WHEN domain_accounts > 1 THEN 'ambiguous_domain'
                 WHEN name_accounts > 1 THEN 'ambiguous_name' END AS issue,
            CASE WHEN domain_accounts > 1
                     THEN 'domain ' || email_domain || ' is on ' || domain_accounts
                         || ' accounts, ' || with_contacts || ' with contacts on it'
                 WHEN name_accounts > 1
                     THEN 'name ' || name_key || ' matches ' || name_accounts
                         || ' accounts, state ' || coalesce(state_key, 'not given')
            END AS detail,
            CASE WHEN domain_accounts > 1 THEN domain_candidates
                 WHEN name_accounts > 1 THEN name_candidates END AS candidates,
            name_accounts IS NOT NULL AS name_found
        FROM outcome
    """


def apply_fuzzy_names(
    store: Store, subjects: str, results: str, threshold: float
) -> int:
    """Match still-unmatched subjects whose name key equals no account's to
    the most similar account name key, and return the number matched."""
    names = _unmatched_names(store, subjects, results)
    choices = [
        row[0]
        for row in store.fetch_all("SELECT DISTINCT name_key FROM stage_account_names")
    ]
    if not names or not choices:
        return 0

    _stage_fuzzy_names(store, _closest_names(names, choices, threshold))
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_fuzzy_subjects AS
        SELECT s.subject_id, f.matched_key AS name_key, s.state_key, f.score
        FROM {subjects} s
        JOIN {results} r ON r.subject_id = s.subject_id
        JOIN stage_fuzzy_names f ON f.name_key = s.name_key
        WHERE r.account_id IS NULL AND NOT r.name_found
        """
    )
    store.execute(_fuzzy_update_sql(results))
    store.execute("DROP TABLE stage_fuzzy_names")
    store.execute("DROP TABLE stage_fuzzy_subjects")

    matched = int(
        store.scalar(
            f"SELECT count(*) FROM {results} WHERE method = ?",
            [MatchMethod.FUZZY_NAME.value],
        )
    )
    logger.debug(
        "fuzzy name matching matched %d records; compared %d distinct names "
        "with %d account names",
        matched,
        len(names),
        len(choices),
    )
    return matched


def _unmatched_names(store: Store, subjects: str, results: str) -> list[str]:
    rows = store.fetch_all(
        f"""
        SELECT DISTINCT s.name_key FROM {subjects} s
        JOIN {results} r ON r.subject_id = s.subject_id
        WHERE r.account_id IS NULL AND s.name_key IS NOT NULL AND NOT r.name_found
        """
    )
    return [row[0] for row in rows]


def _stage_fuzzy_names(store: Store, pairs: list[tuple[str, str, float]]) -> None:
    store.stage(
        "fuzzy_names",
        pa.table(
            {
                "name_key": [pair[0] for pair in pairs],
                "matched_key": [pair[1] for pair in pairs],
                "score": [pair[2] for pair in pairs],
            }
        ),
        {"name_key": "VARCHAR", "matched_key": "VARCHAR", "score": "DOUBLE"},
    )


def _closest_names(
    names: list[str], choices: list[str], threshold: float
) -> list[tuple[str, str, float]]:
    """Return (name, choice, score) for every choice that ties for the best
    fuzz.ratio score at or above the threshold.

    Every name is compared with every choice, on all cores, a block of names
    at a time to bound memory. NOTE: the cost grows with names × choices
    (about 0.35 ms per name against 100,000 account names on 2 cores).
    """
    pairs: list[tuple[str, str, float]] = []
    for start in range(0, len(names), _FUZZY_BLOCK):
        block = names[start : start + _FUZZY_BLOCK]
        scores = process.cdist(
            block,
            choices,
            scorer=fuzz.ratio,
            score_cutoff=threshold,
            workers=-1,
            dtype=np.float32,
        )
        best = scores.max(axis=1)
        for row, name in enumerate(block):
            if best[row] <= 0:
                continue
            for column in np.flatnonzero(scores[row] == best[row]):
                pairs.append((name, choices[column], float(best[row])))
    return pairs


def _fuzzy_update_sql(results: str) -> str:
    """Return the statement that applies ``stage_fuzzy_subjects`` to ``results``.

    The state decides only between accounts that share the one closest name.
    When different names tie for the closest, the name does not point at one
    company, so the subject stays unmatched and is flagged.
    """
    fuzzy, unmatched = MatchMethod.FUZZY_NAME, MatchMethod.UNMATCHED
    return f"""
        UPDATE {results} AS r SET
            account_id = m.account_id,
            method = CASE WHEN m.account_id IS NULL THEN '{unmatched}'
                          ELSE '{fuzzy}' END,
            note = CASE WHEN m.account_id IS NOT NULL
                            THEN 'score ' || round(m.score, 1) || ', name ' || m.keys
                        ELSE 'ambiguous_name' END,
            issue = CASE WHEN m.account_id IS NULL THEN 'ambiguous_name' END,
            detail = CASE WHEN m.account_id IS NULL
                THEN 'similar names ' || m.keys || ' (score ' || round(m.score, 1)
                    || ') match ' || m.accounts || ' accounts' END,
            candidates = CASE WHEN m.account_id IS NULL THEN m.candidates END
        FROM (
            WITH {_name_candidates_sql("stage_fuzzy_subjects")}
            SELECT n.subject_id, n.accounts,
                   CASE WHEN k.key_count = 1 THEN {_name_outcome_sql("n")} END
                       AS account_id,
                   CASE WHEN k.key_count = 1 THEN {_name_candidates_list_sql("n")}
                        ELSE n.candidates END AS candidates,
                   k.score, k.keys
            FROM by_name n
            JOIN (
                SELECT subject_id, max(score) AS score,
                       count(DISTINCT name_key) AS key_count,
                       string_agg(DISTINCT name_key, ' | ' ORDER BY name_key) AS keys
                FROM stage_fuzzy_subjects GROUP BY subject_id
            ) k ON k.subject_id = n.subject_id
        ) AS m
        WHERE r.subject_id = m.subject_id
          AND (m.account_id IS NOT NULL OR r.issue IS NULL)
    """
