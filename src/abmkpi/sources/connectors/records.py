"""Canonical records from API values: typed, checked and given canonical ids.

APIs return JSON, so values arrive as strings, numbers, booleans or null
rather than CSV text. Each value is parsed by its canonical column's type,
like a constant in a mapping file: timestamps in ISO 8601 (without an offset
they are in the source's time zone), dates as YYYY-MM-DD.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from abmkpi.canonical import canonical_id
from abmkpi.sources.canonical_columns import (
    AUTO_COLUMNS,
    check_value,
    column_kind,
    is_reference,
    parse_constant,
    required_columns,
)
from abmkpi.sources.fields import ParseContext
from abmkpi.store.schema import Table


class RecordError(ValueError):
    """A value that does not fit its column; ``column`` names it."""

    def __init__(self, column: str, value: Any, reason: str):
        super().__init__(reason)
        self.column = column
        self.value = value


def canonical_values(
    table: Table,
    source: str,
    source_id: str | None,
    values: Mapping[str, Any],
    context: ParseContext,
) -> dict[str, Any]:
    """Return a record of ``table`` from API values; raise RecordError if invalid.

    ``source_id`` is the record's id in the source, required for tables with
    an id. Reference columns and the id become ``<source>:<id>``.
    """
    record: dict[str, Any] = {"source_system": source}
    if "id" in table.source_columns:
        if not source_id:
            raise RecordError("id", source_id, "missing record id")
        record["id"] = canonical_id(source, source_id)
        if "source_id" in table.source_columns:
            record["source_id"] = source_id
    for column, value in values.items():
        record[column] = _parse(table, source, column, value, context)
    missing = [
        column
        for column in required_columns(table)
        if record.get(column) is None and column not in ("id", *AUTO_COLUMNS)
    ]
    if missing:
        raise RecordError(missing[0], None, "required value is missing")
    return record


def _parse(
    table: Table, source: str, column: str, value: Any, context: ParseContext
) -> Any:
    if column not in table.source_columns or column in AUTO_COLUMNS | {"id"}:
        raise RecordError(column, value, f"not a source column of {table.name}")
    if value is None:
        return None
    if not isinstance(value, str | int | float | bool):
        raise RecordError(column, value, "must be a string, number or boolean")
    kind = column_kind(table, column)
    try:
        parsed = parse_constant(
            kind, value, context.naive_time_zone, context.business_time_zone
        )
    except ValueError as error:
        raise RecordError(column, value, str(error)) from error
    if parsed is not None and is_reference(column):
        return canonical_id(source, str(parsed))
    reason = None if parsed is None else check_value(table, column, parsed)
    if reason is not None:
        raise RecordError(column, value, reason)
    return parsed
