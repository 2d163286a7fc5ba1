"""HubSpot companies → accounts, and merged companies → merges.

Reads Fivetran's company table (``property_<name>`` columns) and HubSpot's
company export (display labels). Only the columns a file has are written, so a
narrow export never blanks fields that a wider one stored.
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.hubspot.files import EXPORT_ID_HEADERS, FileShape
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id, optional_id
from abmkpi.sources.hubspot.merges import MERGED_IDS, MergeEdge
from abmkpi.sources.hubspot.run import ImportRun

COMPANY_FIELDS = (
    Field.of("id", "id", *EXPORT_ID_HEADERS, kind="id", required=True),
    Field.of("name", "property_name", "Company name"),
    Field.of("domain", "property_domain", "Company Domain Name"),
    Field.of("website", "property_website", "Website URL"),
    Field.of("industry", "property_industry", "Industry"),
    Field.of(
        "employees", "property_numberofemployees", "Number of Employees", kind="int"
    ),
    Field.of(
        "annual_revenue", "property_annualrevenue", "Annual Revenue", kind="number"
    ),
    Field.of("country", "property_country", "Country/Region"),
    Field.of("state", "property_state", "State/Region"),
    Field.of("parent_id", "property_hs_parent_company_id", kind="id"),
    Field.of("owner", "property_hubspot_owner_id", "Company owner"),
    Field.of("account_type", "property_type", "Type"),
    Field.of("created_at", "property_createdate", "Create Date", kind="datetime"),
    Field.of("is_deleted", "is_deleted", kind="bool"),
    Field.of("fivetran_deleted", "_fivetran_deleted", kind="bool"),
    Field.of("merged_ids", "property_hs_merged_object_ids"),
)

_COPIED = (
    "name",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "owner",
    "account_type",
    "created_at",
)


def read_companies(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one accounts record per company row, and its merges."""
    table = parse_table(csv_file, COMPANY_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "accounts")
    key_header = table.header_of("id")
    merged_header = table.header_of("merged_ids")
    for row in table.rows:
        values = row.values
        losers = run.read_id_list(
            report, row.line, merged_header, values.get("merged_ids")
        )
        if losers is None:
            continue
        run.batch.add("accounts", _account(values), csv_file.path, row.line, key_header)
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
            run.account_merges.add(edge)
    run.add_report(report)


def _account(values: dict[str, Any]) -> dict[str, Any]:
    company_id = values["id"]
    account: dict[str, Any] = {
        "id": hubspot_id(company_id),
        "source_system": SOURCE,
        "source_id": company_id,
    }
    account.update({name: values[name] for name in _COPIED if name in values})
    if "domain" in values or "website" in values:
        # HubSpot matches companies on their domain, so the domain comes before
        # the website URL.
        account["website"] = values.get("domain") or values.get("website")
    if "parent_id" in values:
        account["source_parent_id"] = optional_id(values["parent_id"])
    if "is_deleted" in values or "fivetran_deleted" in values:
        account["is_deleted"] = bool(
            values.get("is_deleted") or values.get("fivetran_deleted")
        )
    return account
