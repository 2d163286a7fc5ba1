"""HubSpot deal pipelines and their stages → opportunity_stages.

Each pipeline stage has an id (``closedwon``, ``appointmentscheduled`` or a
number for custom stages), a label, a display order and a win probability.
Whether a stage closes a deal comes from its definition, never from its label.
The ``is_closed`` column decides when the table has one (``metadata.isClosed``
in newer shapes). Otherwise the probability decides, because HubSpot's CRM
Pipelines API documentation defines 0.0 as Closed Lost and 1.0 as Closed Won.
``closed_won`` marks the won stages.

opportunity_stages has one row per label, but several pipelines can share a
label ("Closed Won" in each). Their rows collapse into one: the lowest display
order, and flags only where every pipeline agrees. Deals take their flags from
their own stage id, so a collapsed row never changes a deal's status.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedRow, parse_table
from abmkpi.sources.hubspot.ids import SOURCE
from abmkpi.sources.values import parse_bool, parse_number
from abmkpi.vocabulary import N_

PIPELINE_FIELDS = (
    Field.of("pipeline_id", "pipeline_id", kind="id", required=True),
    Field.of("label", "label"),
)

STAGE_FIELDS = (
    Field.of("stage_id", "stage_id", kind="id", required=True),
    Field.of("label", "label"),
    Field.of("pipeline_id", "pipeline_id", kind="id"),
    Field.of("display_order", "display_order", kind="int"),
    Field.of("probability", "probability", "metadata_probability", kind="number"),
    Field.of("closed_won", "closed_won", kind="bool"),
    Field.of("is_closed", "is_closed", "metadata_is_closed", kind="bool"),
    Field.of("active", "active", kind="bool"),
    Field.of("deleted", "_fivetran_deleted", kind="bool"),
    Field.of("metadata", "metadata"),
)

_DEFINITION_REASON = N_("pipeline definition, used to name this run's deal pipelines")
_SHARED_LABEL = N_("stage label also defined by another pipeline, stored once")
_REPEATED_ROW = N_("repeated row")


@dataclass(frozen=True)
class StageDefinition:
    """One pipeline stage and what it means for a deal in it."""

    stage_id: str
    label: str
    pipeline_id: str | None
    display_order: int | None
    probability: float | None
    is_closed: bool | None
    is_won: bool | None
    is_live: bool


@dataclass
class StageBook:
    """The run's pipelines and stages, by id, and where each stage was read."""

    stages: dict[str, StageDefinition] = field(default_factory=dict)
    pipelines: dict[str, str] = field(default_factory=dict)
    origins: dict[str, tuple[Path, int, str | None]] = field(default_factory=dict)

    def stage(self, stage_id: str | None) -> StageDefinition | None:
        return None if stage_id is None else self.stages.get(stage_id)

    def pipeline_label(self, pipeline_id: str | None) -> str | None:
        if pipeline_id is None:
            return None
        return self.pipelines.get(pipeline_id, pipeline_id)

    def by_label(self, label: str | None) -> StageDefinition | None:
        """Return the definition of a stage label, if every pipeline agrees on it.

        UI exports name a deal's stage by its label only.
        """
        if label is None:
            return None
        wanted = label.strip().lower()
        matches = [s for s in self.stages.values() if s.label.lower() == wanted]
        outcomes = {(stage.is_closed, stage.is_won) for stage in matches}
        return matches[0] if len(outcomes) == 1 else None


def read_pipelines(
    csv_file: CsvFile, context: ParseContext, book: StageBook, object_name: str
) -> FileReport:
    """Read pipeline labels into the book, without storing the rows."""
    table = parse_table(csv_file, PIPELINE_FIELDS, context)
    for row in table.rows:
        label = row.values.get("label")
        book.pipelines[row.values["pipeline_id"]] = label or row.values["pipeline_id"]
    report = FileReport.of(table, object_name, "")
    if table.rows:
        report.skipped[_DEFINITION_REASON] = len(table.rows)
    return report


def read_stages(
    csv_file: CsvFile, context: ParseContext, book: StageBook, object_name: str
) -> FileReport:
    """Read stage definitions into the book and return the file's report."""
    table = parse_table(csv_file, STAGE_FIELDS, context)
    report = FileReport.of(table, object_name, "opportunity_stages")
    key_header = table.header_of("stage_id")
    for row in table.rows:
        try:
            definition = _definition(row)
        except ValueError as error:
            header = table.header_of("metadata")
            value = row.values.get("metadata")
            report.rejects.append(
                InputProblem(csv_file.path, row.line, header, value, str(error))
            )
            continue
        known = book.stages.get(definition.stage_id)
        if known == definition:
            report.skipped[_REPEATED_ROW] += 1
            continue
        if known is not None:
            report.rejects.append(
                InputProblem(
                    csv_file.path,
                    row.line,
                    key_header,
                    definition.stage_id,
                    "stage id defined twice with different values",
                )
            )
            continue
        book.stages[definition.stage_id] = definition
        book.origins[definition.stage_id] = (csv_file.path, row.line, key_header)
    return report


def _definition(row: ParsedRow) -> StageDefinition:
    values = row.values
    metadata = _metadata(values.get("metadata"))
    probability = values.get("probability")
    if probability is None:
        probability = parse_number(_text(metadata.get("probability")))
    is_closed = values.get("is_closed")
    if is_closed is None:
        is_closed = parse_bool(_text(metadata.get("isClosed")))
    if is_closed is None and probability is not None:
        # NOTE: an open stage set to 0% reads as closed lost here. Tables with
        # an is_closed column are not affected.
        is_closed = probability in (0.0, 1.0)
    closed_won = values.get("closed_won")
    if closed_won:
        is_closed = True
    if closed_won is not None:
        is_won: bool | None = closed_won
    else:
        is_won = None if is_closed is None else is_closed and probability == 1.0
    return StageDefinition(
        stage_id=values["stage_id"],
        label=values.get("label") or values["stage_id"],
        pipeline_id=values.get("pipeline_id"),
        display_order=values.get("display_order"),
        probability=probability,
        is_closed=is_closed,
        is_won=is_won,
        is_live=not values.get("deleted") and values.get("active") is not False,
    )


def _metadata(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg}") from error
    if not isinstance(data, dict):
        raise ValueError('expected a JSON object such as {"isClosed": "true"}')
    return data


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def add_stage_records(
    book: StageBook, batch: ImportBatch, reports: dict[Path, FileReport]
) -> None:
    """Add one opportunity_stages record per stage label in the book."""
    by_label: dict[str, list[StageDefinition]] = defaultdict(list)
    for definition in book.stages.values():
        by_label[definition.label].append(definition)
    for label, definitions in by_label.items():
        path, line, key_header = book.origins[definitions[0].stage_id]
        for other in definitions[1:]:
            reports[book.origins[other.stage_id][0]].skipped[_SHARED_LABEL] += 1
        values = _stage_values(label, definitions)
        batch.add("opportunity_stages", values, path, line, key_header)


def _stage_values(label: str, definitions: list[StageDefinition]) -> dict[str, Any]:
    live = [d for d in definitions if d.is_live] or definitions
    orders = [d.display_order for d in live if d.display_order is not None]
    return {
        "source_system": SOURCE,
        "stage": label,
        "sort_order": min(orders) if orders else None,
        "is_closed": _agreed(d.is_closed for d in live),
        "is_won": _agreed(d.is_won for d in live),
        "probability": _agreed(d.probability for d in live),
        "is_active": any(d.is_live for d in definitions),
    }


def _agreed(values: Any) -> Any:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
