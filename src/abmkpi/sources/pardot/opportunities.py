"""Pardot opportunities, their prospects, and campaigns.

Pardot keeps a copy of CRM opportunities without the account: an
opportunity names prospects (the opportunity_prospect table), so its
``source_account_id`` stays empty and :mod:`abmkpi.derive` links it to the
accounts its prospects are matched to. ``status`` is Won, Lost or Open and
decides ``is_closed`` and ``is_won``; the stage label never does.
"""

from __future__ import annotations

from typing import Any

from abmkpi.errors import InputProblem
from abmkpi.periods import business_date
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.pardot.ids import SOURCE, optional_pardot_id, pardot_id

OPPORTUNITY_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("name", "name"),
    Field.of("amount", "value", kind="number"),
    Field.of("probability", "probability", kind="number"),
    Field.of("stage", "stage"),
    Field.of("status", "status"),
    Field.of("raw_type", "type"),
    Field.of("campaign_id", "campaign_id", "campaignId", kind="id"),
    Field.of("created_at", "created_at", "createdAt", kind="datetime"),
    Field.of("closed_at", "closed_at", "closedAt", kind="datetime"),
    Field.of("is_deleted", "_fivetran_deleted", "is_deleted", "isDeleted", kind="bool"),
)

OPPORTUNITY_PROSPECT_FIELDS = (
    Field.of("opportunity_id", "opportunity_id", kind="id", required=True),
    Field.of("prospect_id", "prospect_id", kind="id", required=True),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)

CAMPAIGN_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("name", "name"),
    Field.of("cost", "cost", kind="number"),
    Field.of("is_deleted", "_fivetran_deleted", "is_deleted", "isDeleted", kind="bool"),
)

# Pardot's opportunity statuses and the (is_closed, is_won) pair of each.
_STATUSES = {"won": (True, True), "lost": (True, False), "open": (False, False)}

_COPIED = ("name", "amount", "probability", "stage", "raw_type", "created_at")


def read_opportunities(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one opportunities record per row, without an account."""
    table = parse_table(csv_file, OPPORTUNITY_FIELDS, context)
    report = FileReport.of(table, "pardot opportunities", "opportunities")
    key_header = table.header_of("id")
    status_header = table.header_of("status")
    for row in table.rows:
        status = (row.values.get("status") or "").lower()
        if status and status not in _STATUSES:
            report.rejects.append(
                InputProblem(
                    csv_file.path,
                    row.line,
                    status_header,
                    row.values["status"],
                    "unknown opportunity status; expected Won, Lost or Open",
                )
            )
            continue
        values = _opportunity(row.values, context.business_time_zone)
        batch.add("opportunities", values, csv_file.path, row.line, key_header)
    batch.files.append(report)


def _opportunity(values: dict[str, Any], business_time_zone: str) -> dict[str, Any]:
    opportunity_id = values["id"]
    record: dict[str, Any] = {
        "id": pardot_id(opportunity_id),
        "source_system": SOURCE,
        "source_id": opportunity_id,
        "source_account_id": None,
    }
    record.update({name: values[name] for name in _COPIED if name in values})
    if "is_deleted" in values:
        record["is_deleted"] = bool(values["is_deleted"])
    if "status" in values:
        status = (values["status"] or "").lower()
        record["is_closed"], record["is_won"] = _STATUSES.get(status, (None, None))
    if "closed_at" in values:
        closed_at = values["closed_at"]
        # Pardot stores the CRM close date as an instant; its business date is
        # the close date.
        record["close_date"] = (
            None if closed_at is None else business_date(closed_at, business_time_zone)
        )
    if "campaign_id" in values:
        record["campaign_id"] = optional_pardot_id(values["campaign_id"])
    return record


def read_opportunity_prospects(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one opportunity_people link per opportunity and prospect."""
    table = parse_table(csv_file, OPPORTUNITY_PROSPECT_FIELDS, context)
    report = FileReport.of(table, "pardot opportunity prospects", "opportunity_people")
    key_header = table.header_of("opportunity_id")
    for row in table.rows:
        link = {
            "opportunity_id": pardot_id(row.values["opportunity_id"]),
            "person_id": pardot_id(row.values["prospect_id"]),
            "role": "prospect",
            "source_system": SOURCE,
            "is_deleted": bool(row.values.get("is_deleted")),
        }
        batch.add("opportunity_people", link, csv_file.path, row.line, key_header)
    batch.files.append(report)


def read_campaigns(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one campaigns record per Pardot campaign."""
    table = parse_table(csv_file, CAMPAIGN_FIELDS, context)
    report = FileReport.of(table, "pardot campaigns", "campaigns")
    key_header = table.header_of("id")
    for row in table.rows:
        campaign_id = row.values["id"]
        record: dict[str, Any] = {
            "id": pardot_id(campaign_id),
            "source_system": SOURCE,
            "source_id": campaign_id,
        }
        for name in ("name", "cost"):
            if name in row.values:
                record[name] = row.values[name]
        if "is_deleted" in row.values:
            record["is_deleted"] = bool(row.values["is_deleted"])
        batch.add("campaigns", record, csv_file.path, row.line, key_header)
    batch.files.append(report)
