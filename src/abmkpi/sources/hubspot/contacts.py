"""HubSpot contacts → people, and contact merges → merges.

Reads Fivetran's contact table, HubSpot's contact export and Fivetran's
contact_merge_audit table. A contact names the contacts merged into it in
``hs_merged_object_ids``, and the merge audit has one row per merge, with
its time. Both become merges rows (loser → winner).
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.hubspot.files import EXPORT_ID_HEADERS, FileShape
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id, optional_id
from abmkpi.sources.hubspot.merges import AUDIT, MERGED_IDS, MergeEdge
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.sources.values import full_name, normalize_email
from abmkpi.vocabulary import N_

CONTACT_FIELDS = (
    Field.of("id", "id", *EXPORT_ID_HEADERS, kind="id", required=True),
    Field.of("email", "property_email", "Email"),
    Field.of("first_name", "property_firstname", "First Name"),
    Field.of("last_name", "property_lastname", "Last Name"),
    Field.of("title", "property_jobtitle", "Job Title"),
    Field.of("company_name", "property_company", "Company Name"),
    Field.of(
        "company_id",
        "property_associatedcompanyid",
        "Associated Company ID",
        "Primary Associated Company ID",
        kind="id",
    ),
    Field.of("lead_status", "property_lifecyclestage", "Lifecycle Stage"),
    Field.of("lead_source", "property_hs_analytics_source", "Original Source"),
    Field.of("website", "property_website", "Website URL"),
    Field.of("state", "property_state", "State/Region"),
    Field.of("country", "property_country", "Country/Region"),
    Field.of("created_at", "property_createdate", "Create Date", kind="datetime"),
    Field.of("is_deleted", "is_deleted", kind="bool"),
    Field.of("fivetran_deleted", "_fivetran_deleted", kind="bool"),
    Field.of("merged_ids", "property_hs_merged_object_ids", "merged_vids"),
)

MERGE_AUDIT_FIELDS = (
    Field.of("winner", "canonical_vid", kind="id", required=True),
    Field.of("loser", "vid_to_merge", kind="id", required=True),
    Field.of("merged_at", "timestamp", kind="datetime"),
)

_COPIED = (
    "title",
    "company_name",
    "lead_status",
    "lead_source",
    "website",
    "state",
    "country",
    "created_at",
)


def read_contacts(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one people record (kind 'contact') per contact row, and its merges."""
    table = parse_table(csv_file, CONTACT_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "people")
    key_header = table.header_of("id")
    merged_header = table.header_of("merged_ids")
    invalid_emails = 0
    for row in table.rows:
        values = row.values
        losers = run.read_id_list(
            report, row.line, merged_header, values.get("merged_ids")
        )
        if losers is None:
            continue
        person = _person(values)
        if values.get("email") and person.get("email") is None:
            invalid_emails += 1
        run.batch.add("people", person, csv_file.path, row.line, key_header)
        for loser in losers:
            edge = MergeEdge(
                loser,
                values["id"],
                None,
                MERGED_IDS,
                csv_file.path,
                row.line,
                merged_header,
                counted=False,
            )
            run.person_merges.add(edge)
    if invalid_emails:
        report.notes.append(
            f"{table.header_of('email')}: {invalid_emails} values are not e-mail "
            "addresses, so those contacts are stored without one"
        )
    run.add_report(report)


def _person(values: dict[str, Any]) -> dict[str, Any]:
    contact_id = values["id"]
    person: dict[str, Any] = {
        "id": hubspot_id(contact_id),
        "source_system": SOURCE,
        "source_id": contact_id,
        "kind": "contact",
    }
    person.update({name: values[name] for name in _COPIED if name in values})
    if "email" in values:
        person["email"] = normalize_email(values["email"])
    for part in ("first_name", "last_name"):
        if part in values:
            person[part] = values[part]
    if "first_name" in values and "last_name" in values:
        person["name"] = full_name(values["first_name"], values["last_name"])
    if "company_id" in values:
        person["source_account_id"] = optional_id(values["company_id"])
    if "is_deleted" in values or "fivetran_deleted" in values:
        person["is_deleted"] = bool(
            values.get("is_deleted") or values.get("fivetran_deleted")
        )
    return person


def read_merge_audit(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Record one person merge per row of the contact merge audit."""
    table = parse_table(csv_file, MERGE_AUDIT_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "merges")
    key_header = table.header_of("loser")
    for row in table.rows:
        values = row.values
        if values["loser"] == values["winner"]:
            report.skipped[N_("merge of a contact into itself")] += 1
            continue
        edge = MergeEdge(
            values["loser"],
            values["winner"],
            values.get("merged_at"),
            AUDIT,
            csv_file.path,
            row.line,
            key_header,
            counted=True,
        )
        run.person_merges.add(edge)
    run.add_report(report)
