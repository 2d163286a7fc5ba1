"""Pardot prospects → people (kind 'lead').

A prospect synced with Salesforce names its CRM contact and account. The
contact becomes ``converted_contact_id`` (the prospect and the contact
are one person) and the account ``source_account_id``. Connectors can hash
these ids and the e-mail column. A hashed CRM id is not used, but the record
URL (``crm_url``) still names the contact. An e-mail column in which no
value is an address is left out with a note, not rejected row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedTable, parse_table
from abmkpi.sources.pardot.ids import (
    CONTACT_PREFIX,
    SOURCE,
    pardot_id,
    salesforce_id,
    salesforce_id_in_url,
    salesforce_record_id,
)
from abmkpi.sources.values import full_name, normalize_email

PROSPECT_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("email", "email"),
    Field.of("first_name", "first_name", "firstName"),
    Field.of("last_name", "last_name", "lastName"),
    Field.of("company_name", "company"),
    Field.of("website", "website"),
    Field.of("title", "job_title", "jobTitle"),
    Field.of("department", "department"),
    Field.of("lead_source", "source"),
    Field.of("state", "state"),
    Field.of("country", "country"),
    Field.of("created_at", "created_at", "createdAt", kind="datetime"),
    Field.of("crm_contact_fid", "crm_contact_fid", "salesforceContactId"),
    Field.of("crm_account_fid", "crm_account_fid", "salesforceAccountId"),
    Field.of("crm_url", "crm_url", "salesforceUrl"),
    Field.of("is_deleted", "_fivetran_deleted", "is_deleted", "isDeleted", kind="bool"),
)

_COPIED = (
    "email",
    "first_name",
    "last_name",
    "company_name",
    "website",
    "title",
    "department",
    "lead_source",
    "state",
    "country",
    "created_at",
)


def read_prospects(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one people record per prospect."""
    table = parse_table(csv_file, PROSPECT_FIELDS, context)
    report = FileReport.of(table, "pardot prospects", "people")
    emails = _EmailColumn.for_table(table, report)
    links = _CrmLinks.for_table(table)
    key_header = table.header_of("id")
    for row in table.rows:
        problem = emails.apply(row.values, row.line)
        if problem is not None:
            report.rejects.append(problem)
            continue
        person = _person(row.values)
        person.update(links.links_of(row.values))
        batch.add("people", person, csv_file.path, row.line, key_header)
    report.notes.extend(links.notes())
    batch.files.append(report)


def _person(values: dict[str, Any]) -> dict[str, Any]:
    prospect_id = values["id"]
    person: dict[str, Any] = {
        "id": pardot_id(prospect_id),
        "source_system": SOURCE,
        "source_id": prospect_id,
        "kind": "lead",
    }
    person.update({name: values[name] for name in _COPIED if name in values})
    if "is_deleted" in values:
        person["is_deleted"] = bool(values["is_deleted"])
    if "first_name" in values or "last_name" in values:
        person["name"] = full_name(values.get("first_name"), values.get("last_name"))
    return person


@dataclass
class _EmailColumn:
    """The e-mail column: checked per row, or left out when no value is an address."""

    path: Path
    header: str | None
    anonymised: bool

    @classmethod
    def for_table(cls, table: ParsedTable, report: FileReport) -> _EmailColumn:
        header = table.header_of("email")
        present = [row.values["email"] for row in table.rows if row.values.get("email")]
        anonymised = bool(present) and all(
            normalize_email(value) is None for value in present
        )
        if anonymised:
            report.notes.append(
                f"{header}: none of the {len(present)} values is an e-mail address "
                "(the export hashes or masks them), so prospects are stored "
                "without e-mail"
            )
        return cls(table.file.path, header, anonymised)

    def apply(self, values: dict[str, Any], line: int) -> InputProblem | None:
        """Normalize the row's e-mail in place; return a problem if it is invalid."""
        if self.header is None:
            return None
        raw = values.pop("email", None)
        if self.anonymised:
            return None
        email = normalize_email(raw)
        if raw is not None and email is None:
            return InputProblem(
                self.path, line, self.header, raw, "not an e-mail address"
            )
        values["email"] = email
        return None


@dataclass
class _CrmLinks:
    """Salesforce contact and account of each prospect, with counts for notes."""

    contact_header: str | None
    account_header: str | None
    url_header: str | None
    unusable_contact_ids: int = 0
    unusable_account_ids: int = 0
    contacts_from_url: int = 0

    @classmethod
    def for_table(cls, table: ParsedTable) -> _CrmLinks:
        return cls(
            table.header_of("crm_contact_fid"),
            table.header_of("crm_account_fid"),
            table.header_of("crm_url"),
        )

    def links_of(self, values: dict[str, Any]) -> dict[str, Any]:
        links: dict[str, Any] = {}
        if self.contact_header or self.url_header:
            contact = self._contact_id(values)
            links["converted_contact_id"] = (
                salesforce_record_id(contact) if contact else None
            )
        if self.account_header:
            raw = values.get("crm_account_fid")
            account = salesforce_id(raw)
            if raw is not None and account is None:
                self.unusable_account_ids += 1
            links["source_account_id"] = (
                salesforce_record_id(account) if account else None
            )
        return links

    def _contact_id(self, values: dict[str, Any]) -> str | None:
        raw = values.get("crm_contact_fid")
        contact = salesforce_id(raw)
        if raw is not None and contact is None:
            self.unusable_contact_ids += 1
        if contact is not None:
            return contact
        in_url = salesforce_id_in_url(values.get("crm_url"))
        if in_url is not None and in_url.startswith(CONTACT_PREFIX):
            self.contacts_from_url += 1
            return in_url
        return None

    def notes(self) -> list[str]:
        notes: list[str] = []
        if self.unusable_contact_ids:
            notes.append(
                f"{self.contact_header}: {self.unusable_contact_ids} values are not "
                "Salesforce ids (hashed by the export?) and link no contact; "
                f"{self.contacts_from_url} prospects are linked to their contact "
                f"through {self.url_header or 'crm_url'} instead"
            )
        if self.unusable_account_ids:
            notes.append(
                f"{self.account_header}: {self.unusable_account_ids} values are "
                "not Salesforce ids and link no account"
            )
        return notes
