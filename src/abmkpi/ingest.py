"""Live activity events: store a batch once and match it to accounts.

An event names who acted by e-mail address, account id or company domain.
Its activity id is ``<source>:<event id>``, so a replayed event is a
duplicate and adds nothing. An e-mail address that no live person has yet
becomes a new lead of the event's source. Matching then runs for the new
records only (:mod:`abmkpi.matching.incremental`), with the same rules as
an import, so a later ``abmkpi match`` changes nothing. Last, the accounts
the batch changed are checked for MQA handoffs and sales follow-ups
(:mod:`abmkpi.handoff`), in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from abmkpi.canonical import ActivityType, SourceSystem, canonical_id
from abmkpi.config import Settings
from abmkpi.handoff.run import update_handoffs
from abmkpi.matching.accounts import email_key_sql
from abmkpi.matching.freemail import FreeMailDomains
from abmkpi.matching.incremental import match_new_records
from abmkpi.sources.values import domain_of_website, normalize_email
from abmkpi.store.database import Store
from abmkpi.store.schema import ACTIVITIES, PEOPLE, Table

logger = logging.getLogger(__name__)

LIVE_SOURCE = SourceSystem.LIVE.value
MAX_EMAIL_LENGTH = 254

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
SOURCE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


def email_key(text: str) -> str:
    """Return an e-mail address as imports store it: NFKC, trimmed, lower case."""
    key = normalize_email(text)
    if key is None or len(key) > MAX_EMAIL_LENGTH or not _EMAIL.match(key):
        raise ValueError("not an e-mail address such as name@example.com")
    return key


def domain_key(text: str) -> str:
    """Return a company domain as account domains store it: the bare host."""
    host = domain_of_website(text)
    if host is None:
        raise ValueError("not a domain such as example.co.jp")
    return host


@dataclass(frozen=True)
class LiveEvent:
    """One validated activity event; ``occurred_at`` is naive UTC."""

    event_id: str
    occurred_at: datetime
    type: ActivityType
    email: str | None = None
    account_id: str | None = None
    domain: str | None = None
    company: str | None = None
    person_name: str | None = None
    title: str | None = None
    asset: str | None = None
    campaign_id: str | None = None
    source: str = LIVE_SOURCE

    @property
    def activity_id(self) -> str:
        return canonical_id(self.source, self.event_id)


@dataclass
class IngestResult:
    """The counts of one batch for the response, and the accounts it changed."""

    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    unmatched: int = 0
    people_created: int = 0
    rematched: int = 0
    account_ids: set[str] = field(default_factory=set)
    handoff_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"ingested {self.inserted:,} of {self.received:,} events "
            f"({self.duplicates:,} duplicates, {self.unmatched:,} unmatched, "
            f"{self.people_created:,} new people, {self.rematched:,} older "
            f"activities rematched, {len(self.account_ids):,} accounts changed, "
            f"{len(self.handoff_ids):,} new handoffs) in {self.seconds * 1000:.0f}ms"
        )


def person_id_for(source: str, email: str) -> str:
    """Return the id of the lead a live source creates for an e-mail address.

    The id is a digest of the address, so ids and logs never show it.
    """
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:24]
    return canonical_id(source, f"email-{digest}")


def ingest_events(
    store: Store,
    settings: Settings,
    free_mail: FreeMailDomains,
    events: list[LiveEvent],
) -> IngestResult:
    """Store new events as activities and match them, in one transaction."""
    started = time.perf_counter()
    result = IngestResult(received=len(events))
    with store.transaction():
        fresh = _new_events(store, events)
        result.duplicates = len(events) - len(fresh)
        if fresh:
            people, person_of = _people_for(store, fresh)
            _insert(store, PEOPLE, people)
            _insert(store, ACTIVITIES, [_activity_row(e, person_of) for e in fresh])
            ids = [event.activity_id for event in fresh]
            match = match_new_records(
                store, settings, free_mail, [row["id"] for row in people], ids
            )
            result.inserted = len(fresh)
            result.people_created = len(people)
            result.rematched = match.rematched
            result.account_ids = match.account_ids
            result.unmatched = _unmatched(store, ids)
            handoffs = update_handoffs(
                store, settings, account_ids=result.account_ids, trigger="ingest"
            )
            result.handoff_ids = handoffs.created
    result.seconds = time.perf_counter() - started
    logger.debug("%s", result.describe())
    return result


def _new_events(store: Store, events: list[LiveEvent]) -> list[LiveEvent]:
    """Drop events stored before and repeats within the batch (first wins)."""
    unique: dict[str, LiveEvent] = {}
    for event in events:
        unique.setdefault(event.activity_id, event)
    stored = store.fetch_all(
        "SELECT id FROM activities WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [list(unique)],
    )
    known = {row[0] for row in stored}
    return [event for key, event in unique.items() if key not in known]


def _people_for(
    store: Store, events: list[LiveEvent]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Return rows of new people and the person id for every e-mail address.

    An address of a live person takes that person's identity. Any other
    address gets the lead its source creates for it: a new row, unless a
    row with that id exists (a lead since merged away or deleted), which
    then carries the activity as it would in an import.
    """
    emails = sorted({event.email for event in events if event.email})
    if not emails:
        return [], {}
    known = _identities_of(store, emails)
    first_event: dict[str, LiveEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.activity_id)):
        if event.email and event.email not in known:
            first_event.setdefault(event.email, event)
    candidate_ids = {
        email: person_id_for(event.source, email)
        for email, event in first_event.items()
    }
    stored = _stored_person_ids(store, list(candidate_ids.values()))
    person_of = dict(known)
    rows = []
    for email, event in first_event.items():
        person_id = candidate_ids[email]
        person_of[email] = person_id
        if person_id not in stored:
            rows.append(_person_row(person_id, email, event))
    return rows, person_of


def _identities_of(store: Store, emails: list[str]) -> dict[str, str]:
    rows = store.fetch_all(
        f"""
        SELECT {email_key_sql("p")} AS email, min(p.identity_id)
        FROM people p
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
          AND p.identity_id IS NOT NULL
          AND {email_key_sql("p")} IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY 1
        """,
        [emails],
    )
    return {email: identity for email, identity in rows}


def _stored_person_ids(store: Store, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = store.fetch_all(
        "SELECT id FROM people WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
    )
    return {row[0] for row in rows}


def _person_row(person_id: str, email: str, event: LiveEvent) -> dict[str, Any]:
    return {
        "id": person_id,
        "source_system": event.source,
        "source_id": person_id.split(":", 1)[1],
        "kind": "lead",
        "source_account_id": event.account_id,
        "email": email,
        "name": event.person_name,
        "title": event.title,
        "company_name": event.company,
        "created_at": event.occurred_at,
        "is_deleted": False,
        "is_converted": False,
    }


def _activity_row(event: LiveEvent, person_of: dict[str, str]) -> dict[str, Any]:
    return {
        "id": event.activity_id,
        "source_system": event.source,
        "source_id": event.event_id,
        "occurred_at": event.occurred_at,
        "type": event.type.value,
        "raw_type": event.type.value,
        "person_id": person_of.get(event.email) if event.email else None,
        "source_account_id": event.account_id,
        "email": event.email,
        "domain": event.domain,
        "company_name": event.company,
        "campaign_id": event.campaign_id,
        "asset": event.asset,
        "is_deleted": False,
    }


def _insert(store: Store, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert new rows (the caller has checked that none of them exists)."""
    if not rows:
        return
    columns = list(rows[0])
    arrays = {
        name: pa.array([row[name] for row in rows], _ARROW_TYPES[name])
        for name in columns
    }
    stage = store.stage(table.name, pa.table(arrays), table.columns)
    names = ", ".join(f'"{name}"' for name in columns)
    store.execute(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage}",
        table=table.name,
    )
    store.execute(f"DROP TABLE {stage}")


_ARROW_TYPES = {
    "occurred_at": pa.timestamp("us"),
    "created_at": pa.timestamp("us"),
    "is_deleted": pa.bool_(),
    "is_converted": pa.bool_(),
} | {
    name: pa.string()
    for name in (
        "id",
        "source_system",
        "source_id",
        "kind",
        "source_account_id",
        "email",
        "name",
        "title",
        "company_name",
        "type",
        "raw_type",
        "person_id",
        "domain",
        "campaign_id",
        "asset",
    )
}


def _unmatched(store: Store, ids: list[str]) -> int:
    count = store.scalar(
        """
        SELECT count(*) FROM activities
        WHERE id IN (SELECT unnest(?::VARCHAR[])) AND account_id IS NULL
        """,
        [ids],
    )
    return int(count)
