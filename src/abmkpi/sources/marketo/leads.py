"""Marketo leads → people.

Reads the REST and bulk extract lead CSV (camelCase API field names, any
subset of them) and Fivetran's ``lead`` table (snake_case). Only the columns
a file has are written, so a narrow export never blanks fields that a wider
one stored.
"""

from __future__ import annotations

from typing import Any

from abmkpi.canonical import SourceSystem, canonical_id
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.marketo.ids import SOURCE, marketo_id
from abmkpi.sources.values import full_name

LEAD_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("email", "email", "Email Address", kind="email"),
    Field.of("first_name", "firstName", "first_name", "First Name"),
    Field.of("last_name", "lastName", "last_name", "Last Name"),
    Field.of("company_name", "company", "Company Name"),
    Field.of("title", "title", "Job Title"),
    Field.of("department", "department"),
    Field.of("lead_status", "leadStatus", "lead_status", "Lead Status"),
    Field.of("lead_source", "leadSource", "lead_source", "Lead Source"),
    Field.of("website", "website"),
    Field.of("state", "state"),
    Field.of("country", "country"),
    Field.of("created_at", "createdAt", "created_at", "Created At", kind="datetime"),
    Field.of("sfdc_account_id", "sfdcAccountId", "sfdc_account_id", kind="id"),
    Field.of("sfdc_contact_id", "sfdcContactId", "sfdc_contact_id", kind="id"),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)

# Parsed fields stored under the same name in the people table.
_COPIED = (
    "email",
    "first_name",
    "last_name",
    "company_name",
    "title",
    "department",
    "lead_status",
    "lead_source",
    "website",
    "state",
    "country",
    "created_at",
    "is_deleted",
)


def read_leads(csv_file: CsvFile, context: ParseContext, batch: ImportBatch) -> None:
    """Add one people record (kind 'lead') per row of a lead file."""
    table = parse_table(csv_file, LEAD_FIELDS, context)
    report = FileReport.of(table, "marketo leads", "people")
    key_header = table.header_of("id")
    for row in table.rows:
        batch.add("people", _person(row.values), csv_file.path, row.line, key_header)
    batch.files.append(report)


def _person(values: dict[str, Any]) -> dict[str, Any]:
    lead_id = values["id"]
    person: dict[str, Any] = {
        "id": marketo_id(lead_id),
        "source_system": SOURCE,
        "source_id": lead_id,
        "kind": "lead",
    }
    person.update({name: values[name] for name in _COPIED if name in values})
    if "first_name" in values or "last_name" in values:
        person["name"] = full_name(values.get("first_name"), values.get("last_name"))
    if "sfdc_account_id" in values:
        person["source_account_id"] = _salesforce_id(values["sfdc_account_id"])
    if "sfdc_contact_id" in values:
        # Marketo syncs this lead with that Salesforce contact, so the two
        # records are one person.
        person["converted_contact_id"] = _salesforce_id(values["sfdc_contact_id"])
    return person


def _salesforce_id(value: str | None) -> str | None:
    return None if value is None else canonical_id(SourceSystem.SALESFORCE, value)
