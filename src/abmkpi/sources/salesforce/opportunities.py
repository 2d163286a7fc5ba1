"""Opportunity, OpportunityHistory and OpportunityStage.

An opportunity's status comes only from IsClosed and IsWon, never from its
stage label; see :mod:`abmkpi.sources.salesforce.stages` for files without
the flags.
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    SOURCE,
    FileContext,
    SalesforceObject,
    present,
    record_base,
    references,
    sf_id,
)
from abmkpi.sources.salesforce.stages import FLAG_COLUMNS, StageFlags

_OPPORTUNITY_COLUMNS = {
    "name": "Name",
    "raw_type": "Type",
    "amount": "Amount",
    "currency": "CurrencyIsoCode",
    "created_at": "CreatedDate",
    "close_date": "CloseDate",
    "stage": "StageName",
    "probability": "Probability",
    "owner": "OwnerId",
    "lead_source": "LeadSource",
    "stage_sort_order": "StageSortOrder",
}
_OPPORTUNITY_REFERENCES = {
    "source_account_id": "AccountId",
    "campaign_id": "CampaignId",
}


def convert_opportunity(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        **references(values, _OPPORTUNITY_REFERENCES),
        **present(values, _OPPORTUNITY_COLUMNS),
    }
    stage = values.get("StageName")
    flags = _row_flags(values)
    if stage is not None:
        ctx.state.stages.observe(stage, flags, ctx.report, row.line)
    record.update(present(values, {"is_closed": "IsClosed", "is_won": "IsWon"}))
    missing = tuple(column for column in FLAG_COLUMNS if record.get(column) is None)
    added = ctx.add("opportunities", record, row.line)
    if stage is not None and missing:
        ctx.state.stages.fill_later(added, stage, missing)


def convert_opportunity_version(row: ParsedRow, ctx: FileContext) -> None:
    """Add one history-mode version of an opportunity as a stage-history row."""
    # NOTE: an OpportunityHistory import for the same opportunities adds its
    # own rows with other ids, so importing both stores each change twice.
    values = row.values
    start = values["_fivetran_start"]
    source_id = f"{values['Id']}@{start.isoformat()}"
    record = {
        "id": sf_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "opportunity_id": sf_id(values["Id"]),
        "changed_at": start,
        "is_deleted": bool(values.get("IsDeleted")),
        **present(
            values,
            {
                "stage": "StageName",
                "amount": "Amount",
                "close_date": "CloseDate",
                "is_closed": "IsClosed",
                "is_won": "IsWon",
            },
        ),
    }
    _add_history(record, values.get("StageName"), row, ctx)


def convert_history(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        "opportunity_id": sf_id(values["OpportunityId"]),
        "changed_at": values["CreatedDate"],
        **present(
            values,
            {"stage": "StageName", "amount": "Amount", "close_date": "CloseDate"},
        ),
    }
    _add_history(record, values.get("StageName"), row, ctx)


def _add_history(
    record: dict[str, Any], stage: str | None, row: ParsedRow, ctx: FileContext
) -> None:
    missing = tuple(column for column in FLAG_COLUMNS if record.get(column) is None)
    added = ctx.add("opportunity_stage_history", record, row.line)
    if stage is not None and missing:
        ctx.state.stages.fill_later(added, stage, missing)


def convert_stage(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    # Opportunity.StageName contains the picklist value's API name; orgs created
    # before API names existed use the master label for both.
    stage = values.get("ApiName") or values["MasterLabel"]
    flags = StageFlags(
        values.get("IsClosed"), values.get("IsWon"), values.get("SortOrder")
    )
    ctx.state.stages.define(stage, flags)
    record = {
        "source_system": SOURCE,
        "stage": stage,
        **present(
            values,
            {
                "sort_order": "SortOrder",
                "is_closed": "IsClosed",
                "is_won": "IsWon",
                "probability": "DefaultProbability",
                "is_active": "IsActive",
            },
        ),
    }
    ctx.add("opportunity_stages", record, row.line)


def _row_flags(values: dict[str, Any]) -> StageFlags:
    return StageFlags(
        values.get("IsClosed"), values.get("IsWon"), values.get("StageSortOrder")
    )


OPPORTUNITY = SalesforceObject(
    name="Opportunity",
    table="opportunities",
    id_prefix="006",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("AccountId", kind="id"),
        Field.of("Name"),
        Field.of("Type"),
        Field.of("Amount", kind="number"),
        Field.of("CurrencyIsoCode"),
        Field.of("CreatedDate", kind="datetime"),
        Field.of("CloseDate", kind="date"),
        Field.of("StageName"),
        Field.of("StageSortOrder", kind="int"),
        Field.of("IsClosed", kind="bool"),
        Field.of("IsWon", kind="bool"),
        Field.of("Probability", kind="number"),
        Field.of("OwnerId", kind="id"),
        Field.of("LeadSource"),
        Field.of("CampaignId", kind="id"),
    ),
    convert=convert_opportunity,
    convert_version=convert_opportunity_version,
)

OPPORTUNITY_HISTORY = SalesforceObject(
    name="OpportunityHistory",
    table="opportunity_stage_history",
    id_prefix="008",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("OpportunityId", kind="id", required=True),
        Field.of("CreatedDate", kind="datetime", required=True),
        Field.of("StageName"),
        Field.of("Amount", kind="number"),
        Field.of("CloseDate", kind="date"),
    ),
    convert=convert_history,
)

OPPORTUNITY_STAGE = SalesforceObject(
    name="OpportunityStage",
    table="opportunity_stages",
    key_header="MasterLabel",
    fields=(
        Field.of("MasterLabel", required=True),
        Field.of("ApiName"),
        Field.of("SortOrder", kind="int"),
        Field.of("IsClosed", kind="bool"),
        Field.of("IsWon", kind="bool"),
        Field.of("DefaultProbability", kind="number"),
        Field.of("IsActive", kind="bool"),
    ),
    convert=convert_stage,
)
