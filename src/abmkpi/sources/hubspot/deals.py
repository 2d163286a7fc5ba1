"""HubSpot deals → opportunities, with their companies, contacts and merges.

Reads Fivetran's deal table (the stage as a pipeline stage id) and HubSpot's
deal export (the stage as its label, associated company ids in one
';'-separated column). A deal's status comes from its stage's definition in
the same run: Fivetran's deal_pipeline_stage table, or, for an export, the
definition of the stage label when every pipeline agrees on it. Without a
definition the flags stay empty, and the configured stage outcomes decide.

A deal with several companies is one opportunity with one opportunity_accounts
row per company. Its primary company (HubSpot's primary association, else the
first one listed) is the opportunity's own account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedRow, parse_table
from abmkpi.sources.hubspot.files import EXPORT_ID_HEADERS, FileShape
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id
from abmkpi.sources.hubspot.merges import MERGED_IDS, MERGED_TABLE, MergeEdge
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.sources.hubspot.stages import StageDefinition
from abmkpi.vocabulary import N_

DEAL_FIELDS = (
    Field.of("id", "deal_id", *EXPORT_ID_HEADERS, kind="id", required=True),
    Field.of("name", "property_dealname", "Deal Name"),
    Field.of("amount", "property_amount", "Amount", kind="number"),
    Field.of("currency", "property_deal_currency_code", "Currency"),
    Field.of("close_at", "property_closedate", "Close Date", kind="datetime"),
    Field.of("created_at", "property_createdate", "Create Date", kind="datetime"),
    Field.of("stage", "deal_pipeline_stage_id", "property_dealstage", "Deal Stage"),
    Field.of("pipeline", "deal_pipeline_id", "property_pipeline", "Pipeline"),
    Field.of("raw_type", "property_dealtype", "Deal Type"),
    Field.of("owner", "owner_id", "property_hubspot_owner_id", "Deal owner"),
    Field.of("lead_source", "property_hs_analytics_source"),
    Field.of("company_ids", "Associated Company IDs"),
    Field.of("contact_ids", "Associated Contact IDs"),
    Field.of("is_deleted", "is_deleted", kind="bool"),
    Field.of("fivetran_deleted", "_fivetran_deleted", kind="bool"),
    Field.of("merged_ids", "property_hs_merged_object_ids"),
)

DEAL_COMPANY_FIELDS = (
    Field.of("deal_id", "deal_id", kind="id", required=True),
    Field.of("company_id", "company_id", kind="id", required=True),
    Field.of("type_id", "type_id", kind="int"),
    Field.of("category", "category"),
    Field.of("deleted", "_fivetran_deleted", kind="bool"),
)

DEAL_CONTACT_FIELDS = (
    Field.of("deal_id", "deal_id", kind="id", required=True),
    Field.of("contact_id", "contact_id", kind="id", required=True),
    Field.of("deleted", "_fivetran_deleted", kind="bool"),
)

MERGED_DEAL_FIELDS = (
    Field.of("winner", "deal_id", kind="id", required=True),
    Field.of("loser", "merged_deal_id", kind="id", required=True),
)

# HubSpot's association type id for a deal's primary company.
PRIMARY_DEAL_COMPANY_TYPE = 5

_COPIED = (
    "name",
    "amount",
    "currency",
    "created_at",
    "raw_type",
    "owner",
    "lead_source",
)
HeaderOf = Callable[[str], str | None]

_REMOVED = N_("association removed in HubSpot")
_REPEATED = N_("association repeated with another association type")


def read_deals(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one opportunities record per deal row, with its links and merges."""
    table = parse_table(csv_file, DEAL_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "opportunities")
    reader = _DealReader(csv_file, shape, context, run, report)
    for row in table.rows:
        reader.add(row, table.header_of)
    run.add_report(report)


class _DealReader:
    def __init__(
        self,
        csv_file: CsvFile,
        shape: FileShape,
        context: ParseContext,
        run: ImportRun,
        report: FileReport,
    ):
        self.path = csv_file.path
        self.export = shape.export
        self.business_zone = ZoneInfo(context.business_time_zone)
        self.run = run
        self.report = report

    def add(self, row: ParsedRow, header_of: HeaderOf) -> None:
        values = row.values
        lists: dict[str, list[str]] = {}
        for name in ("company_ids", "contact_ids", "merged_ids"):
            ids = self.run.read_id_list(
                self.report, row.line, header_of(name), values.get(name)
            )
            if ids is None:
                return
            lists[name] = ids
        deal = self._opportunity(values, lists["company_ids"])
        self.run.batch.add("opportunities", deal, self.path, row.line, header_of("id"))
        self.run.deals[values["id"]] = deal
        self._add_links(row, lists, header_of)

    def _opportunity(
        self, values: dict[str, Any], company_ids: list[str]
    ) -> dict[str, Any]:
        deal_id = values["id"]
        deal: dict[str, Any] = {
            "id": hubspot_id(deal_id),
            "source_system": SOURCE,
            "source_id": deal_id,
        }
        deal.update({name: values[name] for name in _COPIED if name in values})
        if "close_at" in values:
            deal["close_date"] = close_date_of(values["close_at"], self.business_zone)
        if "stage" in values or "pipeline" in values:
            deal.update(self._stage(values.get("stage"), values.get("pipeline")))
        primary = self._primary_company(deal_id, company_ids)
        if primary is not None:
            deal["source_account_id"] = hubspot_id(primary)
        if "is_deleted" in values or "fivetran_deleted" in values:
            deal["is_deleted"] = bool(
                values.get("is_deleted") or values.get("fivetran_deleted")
            )
        return deal

    def _stage(self, stage: str | None, pipeline: str | None) -> dict[str, Any]:
        book = self.run.stages
        if self.export:
            definition = book.by_label(stage)
            label = stage
        else:
            definition = book.stage(stage)
            label = definition.label if definition else stage
            pipeline_id = definition.pipeline_id if definition else None
            pipeline = book.pipeline_label(pipeline or pipeline_id)
        return {"stage": label, "pipeline": pipeline, **stage_flags(definition)}

    def _primary_company(self, deal_id: str, company_ids: list[str]) -> str | None:
        primary = self.run.primary_companies.get(deal_id)
        if primary is not None:
            return primary
        linked = company_ids or self.run.deal_companies.get(deal_id, [])
        return linked[0] if linked else None

    def _add_links(
        self, row: ParsedRow, lists: dict[str, list[str]], header_of: HeaderOf
    ) -> None:
        deal_id = row.values["id"]
        for company_id in lists["company_ids"]:
            values = account_link(deal_id, company_id)
            header = header_of("company_ids")
            self.run.batch.add(
                "opportunity_accounts", values, self.path, row.line, header
            )
        for contact_id in lists["contact_ids"]:
            values = contact_link(deal_id, contact_id)
            header = header_of("contact_ids")
            self.run.batch.add(
                "opportunity_people", values, self.path, row.line, header
            )
        for loser in lists["merged_ids"]:
            edge = MergeEdge(
                loser,
                deal_id,
                None,
                MERGED_IDS,
                self.path,
                row.line,
                header_of("merged_ids"),
                counted=False,
            )
            self.run.deal_merges.add(edge)


def stage_flags(definition: StageDefinition | None) -> dict[str, Any]:
    """Return a deal's status columns from its stage definition, or empty ones."""
    if definition is None:
        return {
            "is_closed": None,
            "is_won": None,
            "probability": None,
            "stage_sort_order": None,
        }
    return {
        "is_closed": definition.is_closed,
        "is_won": definition.is_won,
        "probability": definition.probability,
        "stage_sort_order": definition.display_order,
    }


def close_date_of(instant: datetime | None, business_zone: ZoneInfo) -> date | None:
    """Return the close date of a deal from its close date-time (naive UTC).

    HubSpot stores date values as midnight UTC of the date (its developer FAQ
    "How should timestamps be formatted for HubSpot's APIs"), so midnight UTC
    keeps its own date. Any other instant is dated in the business time zone.
    """
    if instant is None:
        return None
    if instant.time() == datetime.min.time():
        return instant.date()
    return instant.replace(tzinfo=UTC).astimezone(business_zone).date()


def account_link(deal_id: str, company_id: str) -> dict[str, Any]:
    return {
        "opportunity_id": hubspot_id(deal_id),
        "source_account_id": hubspot_id(company_id),
        "role": "associated",
        "source_system": SOURCE,
    }


def contact_link(deal_id: str, contact_id: str) -> dict[str, Any]:
    return {
        "opportunity_id": hubspot_id(deal_id),
        "person_id": hubspot_id(contact_id),
        "source_system": SOURCE,
    }


def read_deal_companies(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one opportunity_accounts record per deal-company association."""
    table = parse_table(csv_file, DEAL_COMPANY_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "opportunity_accounts")
    key_header = table.header_of("company_id")
    for row in table.rows:
        deal_id, company_id = row.values["deal_id"], row.values["company_id"]
        if row.values.get("deleted"):
            report.skipped[_REMOVED] += 1
            continue
        if row.values.get("type_id") == PRIMARY_DEAL_COMPANY_TYPE:
            run.primary_companies.setdefault(deal_id, company_id)
        linked = run.deal_companies[deal_id]
        if company_id in linked:
            report.skipped[_REPEATED] += 1
            continue
        linked.append(company_id)
        values = account_link(deal_id, company_id)
        run.batch.add(
            "opportunity_accounts", values, csv_file.path, row.line, key_header
        )
    run.add_report(report)


def read_deal_contacts(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one opportunity_people record per deal-contact association."""
    table = parse_table(csv_file, DEAL_CONTACT_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "opportunity_people")
    key_header = table.header_of("contact_id")
    seen: set[tuple[str, str]] = set()
    for row in table.rows:
        pair = (row.values["deal_id"], row.values["contact_id"])
        if row.values.get("deleted"):
            report.skipped[_REMOVED] += 1
            continue
        if pair in seen:
            report.skipped[_REPEATED] += 1
            continue
        seen.add(pair)
        values = contact_link(*pair)
        run.batch.add("opportunity_people", values, csv_file.path, row.line, key_header)
    run.add_report(report)


def read_merged_deals(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Record one opportunity merge per row of Fivetran's merged_deal table."""
    table = parse_table(csv_file, MERGED_DEAL_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "merges")
    key_header = table.header_of("loser")
    for row in table.rows:
        edge = MergeEdge(
            row.values["loser"],
            row.values["winner"],
            None,
            MERGED_TABLE,
            csv_file.path,
            row.line,
            key_header,
            counted=True,
        )
        run.deal_merges.add(edge)
    run.add_report(report)
