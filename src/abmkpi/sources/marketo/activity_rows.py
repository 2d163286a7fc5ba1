"""Reading Marketo activity rows, with their type-specific attributes.

Both shapes share the core columns (activity id, lead id, date, type id,
campaign, primary attribute). Type-specific attributes come as one JSON
column in a REST or bulk extract (``{"Link": "https://…"}``) and as extra
columns in a Fivetran table (``link``). Both are keyed here by their
snake_case name, so ``New Status`` and ``new_status`` are one key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from abmkpi.errors import InputProblem
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedTable, parse_table
from abmkpi.sources.marketo.activity_types import snake_case

ACTIVITY_FIELDS = (
    Field.of("activity_id", "marketoGUID", "id", kind="id", required=True),
    Field.of("lead_id", "leadId", "lead_id", kind="id", required=True),
    Field.of(
        "occurred_at", "activityDate", "activity_date", kind="datetime", required=True
    ),
    Field.of("type_id", "activityTypeId", "activity_type_id", kind="int"),
    Field.of("campaign_id", "campaignId", "campaign_id", kind="id"),
    Field.of(
        "primary_value_id",
        "primaryAttributeValueId",
        "primary_attribute_value_id",
        kind="id",
    ),
    Field.of("primary_value", "primaryAttributeValue", "primary_attribute_value"),
    Field.of("attributes", "attributes"),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)


@dataclass
class ActivityRow:
    """One parsed activity row and where its values came from."""

    line: int
    values: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)
    attributes_header: str | None = None

    def attribute(self, name: str) -> Any:
        value = self.attributes.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        return value


class AttributeValueError(ValueError):
    """An attribute value that cannot be read, with the column it came from."""

    def __init__(self, column: str, value: str | None, reason: str):
        super().__init__(reason)
        self.column = column
        self.value = value


def parse_activities(
    csv_file: CsvFile, context: ParseContext
) -> tuple[ParsedTable, list[ActivityRow]]:
    """Parse the core columns, then collect each row's attributes."""
    table = parse_table(csv_file, ACTIVITY_FIELDS, context)
    core_headers = set(table.headers.values())
    raw_by_line = {row.line: row.values for row in csv_file.rows}
    json_header = table.header_of("attributes")
    rows: list[ActivityRow] = []
    for parsed in table.rows:
        row = ActivityRow(parsed.line, parsed.values, attributes_header=json_header)
        if json_header is not None:
            try:
                row.attributes = _json_attributes(parsed.values.get("attributes"))
            except AttributeValueError as error:
                table.problems.append(
                    InputProblem(
                        csv_file.path, row.line, json_header, error.value, str(error)
                    )
                )
                continue
        else:
            raw = raw_by_line[parsed.line]
            row.attributes = {
                snake_case(name): value
                for name, value in raw.items()
                if name not in core_headers
            }
        rows.append(row)
    return table, rows


def _json_attributes(text: str | None) -> dict[str, Any]:
    """Read the bulk extract's attribute object or the REST name/value list."""
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AttributeValueError(
            "attributes", text, f"invalid JSON: {error.msg}"
        ) from error
    if isinstance(data, dict):
        return {snake_case(str(name)): value for name, value in data.items()}
    if isinstance(data, list) and all(
        isinstance(item, dict) and "name" in item for item in data
    ):
        return {snake_case(str(item["name"])): item.get("value") for item in data}
    raise AttributeValueError(
        "attributes", text, "expected a JSON object of attribute names and values"
    )


def merge_loser_ids(row: ActivityRow) -> list[str]:
    """Return the ids of the leads merged into the row's lead, if it names any.

    Marketo writes them as a list: ``[1286861]`` in Fivetran tables, a JSON
    array or a string of that form in the REST attributes.
    """
    value = row.attributes.get("merge_ids")
    column = "merge_ids" if row.attributes_header is None else row.attributes_header
    if value is None:
        return []
    if isinstance(value, list):
        items = [str(item) for item in value]
    elif isinstance(value, int | str):
        items = str(value).strip().strip("[]").split(",")
    else:
        raise AttributeValueError(column, str(value), "merge ids are not a list")
    ids = [item.strip().strip('"') for item in items if item.strip()]
    if not all(item.isdigit() for item in ids):
        raise AttributeValueError(
            column, str(value), "merge ids are not a list of lead ids"
        )
    return ids
