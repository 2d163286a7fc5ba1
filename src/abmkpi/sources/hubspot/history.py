"""HubSpot deal stage changes → opportunity_stage_history.

Fivetran lands them twice: the deal_stage table (one row per stage a deal
entered, with ``date_entered``) and the ``dealstage`` rows of
deal_property_history. Both give a stage id, which the run's stage
definitions turn into the stage label and its closed/won flags. A change read
from both tables has one id, so it is stored once.

Every deal_stage row is kept, current or not: ``_fivetran_active`` marks the
stage a deal is in now, and the earlier rows are its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.hubspot.files import FileShape
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.vocabulary import N_

DEAL_STAGE_FIELDS = (
    Field.of("deal_id", "deal_id", kind="id", required=True),
    Field.of("stage_id", "value", kind="id", required=True),
    Field.of("date_entered", "date_entered", kind="datetime"),
    Field.of("started_at", "_fivetran_start", kind="datetime"),
)

PROPERTY_HISTORY_FIELDS = (
    Field.of("deal_id", "deal_id", kind="id", required=True),
    Field.of("name", "name", required=True),
    Field.of("value", "value", kind="id"),
    Field.of("changed_at", "timestamp", kind="datetime", required=True),
)

STAGE_PROPERTY = "dealstage"
_OTHER_PROPERTY = N_("change of a deal property other than the stage")
_NO_TIME = N_("stage row without date_entered or _fivetran_start")
_EMPTY_STAGE = N_("stage change to an empty stage")


def read_deal_stages(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one opportunity_stage_history record per deal_stage row."""
    table = parse_table(csv_file, DEAL_STAGE_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "opportunity_stage_history")
    key_header = table.header_of("stage_id")
    for row in table.rows:
        values = row.values
        changed_at = values.get("date_entered") or values.get("started_at")
        if changed_at is None:
            report.skipped[_NO_TIME] += 1
            continue
        record = _history(run, values["deal_id"], values["stage_id"], changed_at)
        run.batch.add(
            "opportunity_stage_history", record, csv_file.path, row.line, key_header
        )
    run.add_report(report)


def read_deal_property_history(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add the deal stage changes of a deal_property_history file."""
    table = parse_table(csv_file, PROPERTY_HISTORY_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "opportunity_stage_history")
    key_header = table.header_of("value")
    for row in table.rows:
        values = row.values
        if values["name"].lower() != STAGE_PROPERTY:
            report.skipped[_OTHER_PROPERTY] += 1
            continue
        if values.get("value") is None:
            report.skipped[_EMPTY_STAGE] += 1
            continue
        record = _history(run, values["deal_id"], values["value"], values["changed_at"])
        run.batch.add(
            "opportunity_stage_history", record, csv_file.path, row.line, key_header
        )
    run.add_report(report)


def _history(
    run: ImportRun, deal_id: str, stage_id: str, changed_at: datetime
) -> dict[str, Any]:
    definition = run.stages.stage(stage_id)
    source_id = f"{deal_id}:dealstage:{stage_id}:{changed_at.isoformat()}"
    return {
        "id": hubspot_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "opportunity_id": hubspot_id(deal_id),
        "stage": definition.label if definition else stage_id,
        "is_closed": definition.is_closed if definition else None,
        "is_won": definition.is_won if definition else None,
        "changed_at": changed_at,
    }
