"""Canonical tables of the workspace store and the migrations that build them.

Every source is mapped into these tables and every KPI reads only them.
Instants are ``TIMESTAMP`` values in UTC without a zone, so the same tables
work unchanged on engines whose timestamp type has no zone (Spark). Dates that
sources export without a time (close dates, contract dates) stay ``DATE``.

Columns fall into two groups. *Source columns* come from an import and are
compared to decide whether a re-import changed a record. *Derived columns*
(account matches, personas, converted amounts, target flags) are recomputed
from the source columns and the config by :mod:`abmkpi.derive`, so changing
the config never needs a re-import.

Record ids are canonical: ``<source system>:<source id>`` (see
:func:`abmkpi.canonical.canonical_id`). Reference columns named
``source_<thing>_id`` contain the canonical id of the record the source links
to, whether or not that record is live. The derived column of the same name
without the ``source_`` prefix contains the live record it resolves to.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns split into source and derived ones."""

    name: str
    source_columns: dict[str, str]
    derived_columns: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ("id",)

    @property
    def columns(self) -> dict[str, str]:
        return {**self.source_columns, **self.derived_columns}

    def create_sql(self) -> str:
        body = ",\n    ".join(f"{name} {kind}" for name, kind in self.columns.items())
        key = ", ".join(self.key)
        return f"CREATE TABLE {self.name} (\n    {body},\n    PRIMARY KEY ({key})\n)"

    def without(self, *names: str) -> Table:
        """Return this table without some columns, as an older schema had it."""
        return Table(
            self.name,
            {k: v for k, v in self.source_columns.items() if k not in names},
            {k: v for k, v in self.derived_columns.items() if k not in names},
            self.key,
        )


_RECORD = {
    "id": "VARCHAR NOT NULL",
    "source_system": "VARCHAR NOT NULL",
    "source_id": "VARCHAR NOT NULL",
}

ACCOUNTS = Table(
    "accounts",
    {
        **_RECORD,
        "name": "VARCHAR",
        "website": "VARCHAR",
        "industry": "VARCHAR",
        "employees": "BIGINT",
        "annual_revenue": "DOUBLE",
        "country": "VARCHAR",
        "region": "VARCHAR",
        "state": "VARCHAR",
        "source_parent_id": "VARCHAR",
        "owner": "VARCHAR",
        "account_type": "VARCHAR",
        "created_at": "TIMESTAMP",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
        "source_merged_into_id": "VARCHAR",
    },
    {
        "name_key": "VARCHAR",
        "domains": "VARCHAR[]",
        "parent_id": "VARCHAR",
        "merged_into_id": "VARCHAR",
        "fit_score": "DOUBLE",
        "fit_grade": "VARCHAR",
        "is_target": "BOOLEAN NOT NULL DEFAULT false",
        "tier": "INTEGER",
    },
)

PEOPLE = Table(
    "people",
    {
        **_RECORD,
        "kind": "VARCHAR NOT NULL",  # contact | lead
        "source_account_id": "VARCHAR",
        "email": "VARCHAR",
        "first_name": "VARCHAR",
        "last_name": "VARCHAR",
        "name": "VARCHAR",
        "title": "VARCHAR",
        "department": "VARCHAR",
        "lead_status": "VARCHAR",
        "lead_source": "VARCHAR",
        "company_name": "VARCHAR",
        "website": "VARCHAR",
        "state": "VARCHAR",
        "country": "VARCHAR",
        "created_at": "TIMESTAMP",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
        "is_converted": "BOOLEAN NOT NULL DEFAULT false",
        "converted_contact_id": "VARCHAR",
        "source_merged_into_id": "VARCHAR",
    },
    {
        "email_domain": "VARCHAR",
        "persona": "VARCHAR",
        "merged_into_id": "VARCHAR",
        "identity_id": "VARCHAR",
        "account_id": "VARCHAR",
        "match_method": "VARCHAR",
        "match_note": "VARCHAR",
    },
)

ACTIVITIES = Table(
    "activities",
    {
        **_RECORD,
        "occurred_at": "TIMESTAMP NOT NULL",
        "type": "VARCHAR NOT NULL",
        "channel": "VARCHAR",
        "raw_type": "VARCHAR",
        "person_id": "VARCHAR",
        "source_account_id": "VARCHAR",
        "email": "VARCHAR",
        "company_name": "VARCHAR",
        "state": "VARCHAR",
        "campaign_id": "VARCHAR",
        "asset": "VARCHAR",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
        # The company domain an event names without an e-mail address (intent
        # data, identified web visits), added in schema version 3. Matching
        # uses it like an e-mail domain.
        "domain": "VARCHAR",
    },
    {
        "occurred_on": "DATE",
        "identity_id": "VARCHAR",
        "account_id": "VARCHAR",
        "match_method": "VARCHAR",
        "match_note": "VARCHAR",
    },
)

CAMPAIGNS = Table(
    "campaigns",
    {
        **_RECORD,
        "name": "VARCHAR",
        "channel": "VARCHAR",
        "type": "VARCHAR",
        "status": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
        "cost": "DOUBLE",
        "currency": "VARCHAR",
        "source_parent_id": "VARCHAR",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
    },
)

OPPORTUNITIES = Table(
    "opportunities",
    {
        **_RECORD,
        "source_account_id": "VARCHAR",
        "name": "VARCHAR",
        "raw_type": "VARCHAR",
        "amount": "DOUBLE",
        "currency": "VARCHAR",
        "created_at": "TIMESTAMP",
        "close_date": "DATE",
        "stage": "VARCHAR",
        "is_closed": "BOOLEAN",
        "is_won": "BOOLEAN",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
        "probability": "DOUBLE",
        "owner": "VARCHAR",
        "lead_source": "VARCHAR",
        "campaign_id": "VARCHAR",
        "renewed_contract_id": "VARCHAR",
        "stage_sort_order": "INTEGER",
        "product": "VARCHAR",
        # The sales process a deal runs in (HubSpot deal pipelines), added in
        # schema version 2.
        "pipeline": "VARCHAR",
    },
    {
        "type": "VARCHAR",
        "account_id": "VARCHAR",
        "created_on": "DATE",
        "amount_reporting": "DOUBLE",
        "fx_rate_missing": "BOOLEAN NOT NULL DEFAULT false",
        # Added in schema version 3.
        "merged_into_id": "VARCHAR",
    },
)

# Every account an opportunity is linked to; one deal can belong to several
# accounts (group deals, resellers), and totals must count it once.
OPPORTUNITY_ACCOUNTS = Table(
    "opportunity_accounts",
    {
        "opportunity_id": "VARCHAR NOT NULL",
        "source_account_id": "VARCHAR NOT NULL",
        "role": "VARCHAR",
        "source_system": "VARCHAR NOT NULL",
    },
    {"account_id": "VARCHAR", "is_primary": "BOOLEAN NOT NULL DEFAULT false"},
    key=("opportunity_id", "source_account_id"),
)

# People linked to an opportunity (Pardot's opportunity prospects, HubSpot
# deal contacts, CRM contact roles), added in schema version 2. An
# opportunity without an account of its own takes the accounts of its live
# people (see abmkpi.derive).
OPPORTUNITY_PEOPLE = Table(
    "opportunity_people",
    {
        "opportunity_id": "VARCHAR NOT NULL",
        "person_id": "VARCHAR NOT NULL",
        "role": "VARCHAR",
        "source_system": "VARCHAR NOT NULL",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
    },
    key=("opportunity_id", "person_id"),
)

OPPORTUNITY_STAGE_HISTORY = Table(
    "opportunity_stage_history",
    {
        **_RECORD,
        "opportunity_id": "VARCHAR NOT NULL",
        "stage": "VARCHAR",
        "amount": "DOUBLE",
        "close_date": "DATE",
        "is_closed": "BOOLEAN",
        "is_won": "BOOLEAN",
        "changed_at": "TIMESTAMP NOT NULL",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
    },
)

OPPORTUNITY_STAGES = Table(
    "opportunity_stages",
    {
        "source_system": "VARCHAR NOT NULL",
        "stage": "VARCHAR NOT NULL",
        "sort_order": "INTEGER",
        "is_closed": "BOOLEAN",
        "is_won": "BOOLEAN",
        "probability": "DOUBLE",
        "is_active": "BOOLEAN",
    },
    key=("source_system", "stage"),
)

CONTRACTS = Table(
    "contracts",
    {
        **_RECORD,
        "source_account_id": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
        "arr": "DOUBLE",
        "mrr": "DOUBLE",
        "currency": "VARCHAR",
        "status": "VARCHAR",
        "renewed_contract_id": "VARCHAR",
        "renewal_opportunity_id": "VARCHAR",
        "is_deleted": "BOOLEAN NOT NULL DEFAULT false",
    },
    {"account_id": "VARCHAR", "arr_reporting": "DOUBLE"},
)

NPS_RESPONSES = Table(
    "nps_responses",
    {
        **_RECORD,
        "source_account_id": "VARCHAR",
        "person_id": "VARCHAR",
        "email": "VARCHAR",
        "score": "INTEGER NOT NULL",
        "responded_at": "TIMESTAMP NOT NULL",
        "comment": "VARCHAR",
    },
    {"account_id": "VARCHAR"},
)

# Rates as Salesforce stores them: units of the currency per one unit of the
# corporate currency. A row without valid_from is an undated (static) rate.
FX_RATES = Table(
    "fx_rates",
    {
        "id": "VARCHAR NOT NULL",
        "source_system": "VARCHAR NOT NULL",
        "currency": "VARCHAR NOT NULL",
        "rate": "DOUBLE NOT NULL",
        "valid_from": "DATE",
        "valid_to": "DATE",
        "is_corporate": "BOOLEAN NOT NULL DEFAULT false",
    },
)

# Merges reported by a source: the loser record now lives on as the winner.
MERGES = Table(
    "merges",
    {
        "entity": "VARCHAR NOT NULL",  # person | account | opportunity
        "loser_id": "VARCHAR NOT NULL",
        "winner_id": "VARCHAR NOT NULL",
        "source_system": "VARCHAR NOT NULL",
        "merged_at": "TIMESTAMP",
    },
    key=("entity", "loser_id"),
)

CANONICAL_TABLES = (
    ACCOUNTS,
    PEOPLE,
    ACTIVITIES,
    CAMPAIGNS,
    OPPORTUNITIES,
    OPPORTUNITY_ACCOUNTS,
    OPPORTUNITY_PEOPLE,
    OPPORTUNITY_STAGE_HISTORY,
    OPPORTUNITY_STAGES,
    CONTRACTS,
    NPS_RESPONSES,
    FX_RATES,
    MERGES,
)

TABLES_BY_NAME = {table.name: table for table in CANONICAL_TABLES}

_OPERATIONAL_V1 = [
    """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    """CREATE SEQUENCE import_ids START 1""",
    """CREATE TABLE imports (
        id BIGINT PRIMARY KEY,
        source_system VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        rows_read BIGINT NOT NULL DEFAULT 0,
        rows_loaded BIGINT NOT NULL DEFAULT 0,
        rows_updated BIGINT NOT NULL DEFAULT 0,
        rows_unchanged BIGINT NOT NULL DEFAULT 0,
        rows_deleted BIGINT NOT NULL DEFAULT 0,
        rows_skipped BIGINT NOT NULL DEFAULT 0,
        rows_rejected BIGINT NOT NULL DEFAULT 0,
        reject_file VARCHAR,
        message VARCHAR
    )""",
    """CREATE TABLE import_files (
        import_id BIGINT NOT NULL,
        path VARCHAR NOT NULL,
        object VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,
        encoding VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_updated BIGINT NOT NULL,
        rows_unchanged BIGINT NOT NULL,
        rows_deleted BIGINT NOT NULL,
        rows_skipped BIGINT NOT NULL,
        rows_rejected BIGINT NOT NULL,
        PRIMARY KEY (import_id, path, object)
    )""",
    # The target list as the user gave it; re-resolved against accounts after
    # every import, so a target named before its account arrives still counts.
    """CREATE TABLE target_list (
        entry VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        tier INTEGER NOT NULL,
        origin VARCHAR NOT NULL,
        added_at TIMESTAMP NOT NULL,
        PRIMARY KEY (kind, entry)
    )""",
    # Derived: domains that point at an account, from its website and from
    # its contacts' company e-mail addresses.
    """CREATE TABLE account_domains (
        account_id VARCHAR NOT NULL,
        domain VARCHAR NOT NULL,
        origin VARCHAR NOT NULL,
        contact_count BIGINT NOT NULL,
        PRIMARY KEY (account_id, domain)
    )""",
    # Derived: matching problems worth a person's attention.
    """CREATE TABLE match_issues (
        entity VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        detail VARCHAR,
        candidates VARCHAR[],
        PRIMARY KEY (entity, record_id, kind)
    )""",
]


# Columns that later migrations add, by table.
_ADDED_AFTER_V1 = {
    OPPORTUNITIES.name: ("pipeline", "merged_into_id"),
    ACTIVITIES.name: ("domain",),
}


def _migration_v1() -> list[str]:
    # The tables as version 1 created them: later migrations add the rest.
    tables = [
        table.without(*_ADDED_AFTER_V1.get(table.name, ()))
        for table in CANONICAL_TABLES
        if table is not OPPORTUNITY_PEOPLE
    ]
    statements = list(_OPERATIONAL_V1)
    statements += [table.create_sql() for table in tables]
    return statements


# Written out, not generated from the table definitions, so that later changes
# to those definitions cannot change what this released migration does.
_MIGRATION_V2 = [
    "ALTER TABLE opportunities ADD COLUMN pipeline VARCHAR",
    """CREATE TABLE opportunity_people (
        opportunity_id VARCHAR NOT NULL,
        person_id VARCHAR NOT NULL,
        role VARCHAR,
        source_system VARCHAR NOT NULL,
        is_deleted BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (opportunity_id, person_id)
    )""",
]

_MIGRATION_V3 = [
    "ALTER TABLE activities ADD COLUMN domain VARCHAR",
    """CREATE SEQUENCE api_token_ids START 1""",
    # API tokens with roles. Only a salted hash of each token is stored; the
    # token itself is shown once, when it is created.
    """CREATE TABLE api_tokens (
        id BIGINT PRIMARY KEY,
        name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        token_hash VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        last_used_at TIMESTAMP,
        revoked_at TIMESTAMP
    )""",
]

# Opportunity merges (a merges row with entity 'opportunity') are applied.
_MIGRATION_V4 = ["ALTER TABLE opportunities ADD COLUMN merged_into_id VARCHAR"]

# Records the product writes as it runs: KPI targets set per period, MQA
# handoffs and their deliveries, PDCA actions, report runs and usage events.
# Diagnostics read these to tell whether the KPIs are used.
_MIGRATION_V5 = [
    # A target for one KPI (id or id:variant), period and segment. The
    # segment "account:ID" contains the per-account targets of a PDCA plan.
    """CREATE TABLE kpi_targets (
        kpi_key VARCHAR NOT NULL,
        period_id VARCHAR NOT NULL,
        segment VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        set_at TIMESTAMP NOT NULL,
        PRIMARY KEY (kpi_key, period_id, segment)
    )""",
    "CREATE SEQUENCE handoff_ids START 1",
    # One row per crossing of the MQA threshold; evidence is a JSON document
    # (score, top activities, engaged people and personas, owner).
    """CREATE TABLE handoffs (
        id BIGINT PRIMARY KEY,
        account_id VARCHAR NOT NULL,
        crossed_at TIMESTAMP NOT NULL,
        score DOUBLE NOT NULL,
        threshold DOUBLE NOT NULL,
        trigger VARCHAR NOT NULL,
        owner_id VARCHAR,
        evidence JSON NOT NULL,
        created_at TIMESTAMP NOT NULL,
        sla_due_at TIMESTAMP NOT NULL,
        first_sales_activity_at TIMESTAMP,
        acknowledged_at TIMESTAMP,
        acknowledged_by VARCHAR,
        breached_at TIMESTAMP,
        UNIQUE (account_id, crossed_at)
    )""",
    # One row per message to send: a handoff, an SLA breach or a report, on
    # one channel (webhook, email, csv). Failed sends keep their row and are
    # retried from next_attempt_at.
    "CREATE SEQUENCE delivery_ids START 1",
    """CREATE TABLE deliveries (
        id BIGINT PRIMARY KEY,
        subject_kind VARCHAR NOT NULL,
        subject_id VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMP NOT NULL,
        next_attempt_at TIMESTAMP,
        last_attempt_at TIMESTAMP,
        delivered_at TIMESTAMP,
        last_error VARCHAR,
        payload JSON,
        UNIQUE (subject_kind, subject_id, channel)
    )""",
    "CREATE SEQUENCE pdca_action_ids START 1",
    # An action on an account, with the account's engagement score and
    # journey stage when it was logged, so its effect can be measured.
    """CREATE TABLE pdca_actions (
        id BIGINT PRIMARY KEY,
        account_id VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        rule VARCHAR,
        owner VARCHAR,
        due_date DATE,
        status VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        done_at TIMESTAMP,
        reviewed_at TIMESTAMP,
        note VARCHAR,
        score_before DOUBLE,
        stage_before VARCHAR
    )""",
    "CREATE SEQUENCE report_run_ids START 1",
    """CREATE TABLE report_runs (
        id BIGINT PRIMARY KEY,
        cadence VARCHAR NOT NULL,
        period_id VARCHAR NOT NULL,
        language VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        path VARCHAR,
        trigger VARCHAR NOT NULL,
        generated_at TIMESTAMP NOT NULL
    )""",
    # What people did with the product: page views, handoff acknowledgements,
    # PDCA reviews, diagnostics runs. Detail is a small JSON document.
    "CREATE SEQUENCE usage_event_ids START 1",
    """CREATE TABLE usage_events (
        id BIGINT PRIMARY KEY,
        kind VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        actor VARCHAR,
        detail JSON
    )""",
]

# A handoff detected long after its crossing (an import of history) is
# backfilled: it is not notified on its own and has no SLA to breach.
_MIGRATION_V6 = [
    "ALTER TABLE handoffs ADD COLUMN backfilled BOOLEAN NOT NULL DEFAULT false"
]

# Migrations run in order; each brings the store from version i to i + 1.
# Append new migrations, never edit a released one.
MIGRATIONS: list[list[str]] = [
    _migration_v1(),
    _MIGRATION_V2,
    _MIGRATION_V3,
    _MIGRATION_V4,
    _MIGRATION_V5,
    _MIGRATION_V6,
]

SCHEMA_VERSION = len(MIGRATIONS)
