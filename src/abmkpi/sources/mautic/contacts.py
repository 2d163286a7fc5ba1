"""Mautic contacts → people (kind 'lead') and companies → accounts.

A contact's ``title`` is its salutation (Mr., Ms.); the job title is
``position``. ``company`` is the free-text company name that account
matching uses, together with ``state``, when the e-mail domain cannot decide
(free-mail addresses). Files without an ``id`` column are identified by
e-mail address and company name (see :mod:`abmkpi.sources.mautic.ids`), so a
contact with neither id nor e-mail address is skipped: nothing identifies it
across imports.
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.mautic.ids import (
    SOURCE,
    email_source_id,
    mautic_id,
    name_source_id,
)
from abmkpi.sources.values import full_name
from abmkpi.vocabulary import N_

CONTACT_FIELDS = (
    Field.of("id", "id", kind="id"),
    Field.of("email", "email", kind="email"),
    Field.of("first_name", "firstname"),
    Field.of("last_name", "lastname"),
    Field.of("company_name", "company"),
    Field.of("title", "position"),
    Field.of("website", "website"),
    Field.of("state", "state"),
    Field.of("country", "country"),
    Field.of("lead_status", "stage"),
    Field.of("created_at", "date_added", kind="datetime"),
)

COMPANY_FIELDS = (
    Field.of("id", "id", kind="id"),
    Field.of("name", "companyname"),
    Field.of("website", "companywebsite"),
    Field.of("industry", "companyindustry"),
    Field.of("employees", "companynumber_of_employees", kind="int"),
    Field.of("annual_revenue", "companyannual_revenue", kind="number"),
    Field.of("state", "companystate"),
    Field.of("country", "companycountry"),
    Field.of("created_at", "date_added", kind="datetime"),
)

_CONTACT_COPIED = (
    "email",
    "first_name",
    "last_name",
    "company_name",
    "title",
    "website",
    "state",
    "country",
    "lead_status",
    "created_at",
)
_COMPANY_COPIED = (
    "name",
    "website",
    "industry",
    "employees",
    "annual_revenue",
    "state",
    "country",
    "created_at",
)

_ANONYMOUS_CONTACT = N_(
    "anonymous contact: no id or e-mail address identifies it across imports"
)
_UNNAMED_COMPANY = N_("company without id or name")


def read_contacts(csv_file: CsvFile, context: ParseContext, batch: ImportBatch) -> None:
    """Add one people record per contact that has an id or an e-mail address."""
    table = parse_table(csv_file, CONTACT_FIELDS, context)
    report = FileReport.of(table, "mautic contacts", "people")
    key_header = table.header_of("id") or table.header_of("email")
    for row in table.rows:
        values = row.values
        source_id = _contact_source_id(values)
        if source_id is None:
            report.skipped[_ANONYMOUS_CONTACT] += 1
            continue
        person: dict[str, Any] = {
            "id": mautic_id(source_id),
            "source_system": SOURCE,
            "source_id": source_id,
            "kind": "lead",
        }
        person.update(
            {name: values[name] for name in _CONTACT_COPIED if name in values}
        )
        if "first_name" in values or "last_name" in values:
            person["name"] = full_name(
                values.get("first_name"), values.get("last_name")
            )
        batch.add("people", person, csv_file.path, row.line, key_header)
    batch.files.append(report)


def _contact_source_id(values: dict[str, Any]) -> str | None:
    if values.get("id"):
        return str(values["id"])
    if values.get("email"):
        return email_source_id(values["email"])
    return None


def read_companies(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one accounts record per company that has an id or a name."""
    table = parse_table(csv_file, COMPANY_FIELDS, context)
    report = FileReport.of(table, "mautic companies", "accounts")
    key_header = table.header_of("id") or table.header_of("name")
    for row in table.rows:
        values = row.values
        if values.get("id"):
            source_id = str(values["id"])
        elif values.get("name"):
            source_id = name_source_id(values["name"])
        else:
            report.skipped[_UNNAMED_COMPANY] += 1
            continue
        account: dict[str, Any] = {
            "id": mautic_id(source_id),
            "source_system": SOURCE,
            "source_id": source_id,
        }
        account.update(
            {name: values[name] for name in _COMPANY_COPIED if name in values}
        )
        batch.add("accounts", account, csv_file.path, row.line, key_header)
    batch.files.append(report)
