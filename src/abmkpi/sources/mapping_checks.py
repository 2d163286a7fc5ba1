"""Checking a parsed mapping file against the canonical tables.

The pydantic model validates the shape of a mapping file (keys and types).
These checks need the store schema: known tables and columns, columns that
are derived rather than imported, the columns every record needs, and
constants that fit their column's kind and vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from abmkpi.sources.canonical_columns import (
    AUTO_COLUMNS,
    check_value,
    column_kind,
    is_reference,
    parse_constant,
    required_columns,
)
from abmkpi.store.schema import TABLES_BY_NAME, Table

if TYPE_CHECKING:
    from abmkpi.sources.mapping import (
        ColumnMapping,
        Mapping,
        StageMapping,
        TableMapping,
    )

_NUMERIC_KINDS = ("number", "int")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_DATE_KINDS = ("date", "datetime")


@dataclass(frozen=True)
class MappingProblem:
    """One invalid key of a mapping file."""

    key: str
    message: str


def check_mapping(mapping: Mapping) -> list[MappingProblem]:
    """Return every problem of the mapping's tables, in file order."""
    problems: list[MappingProblem] = []
    for index, table_mapping in enumerate(mapping.tables):
        problems += _check_table(f"tables[{index}]", table_mapping)
    problems += _check_stage_agreement(mapping)
    return problems


def _check_table(key: str, spec: TableMapping) -> list[MappingProblem]:
    table = TABLES_BY_NAME.get(spec.target)
    if table is None:
        return [
            MappingProblem(
                f"{key}.target",
                f"unknown table {spec.target!r}; choose one of "
                + ", ".join(sorted(TABLES_BY_NAME)),
            )
        ]
    problems: list[MappingProblem] = []
    for name, column in spec.columns.items():
        column_key = f"{key}.columns.{quote_key(name)}"
        problems += [
            MappingProblem(column_key, message)
            for message in _column_problems(table, name, column)
        ]
    if spec.deleted is not None and "is_deleted" in spec.columns:
        problems.append(
            MappingProblem(
                f"{key}.deleted", "give either deleted or columns.is_deleted, not both"
            )
        )
    problems += _required_problems(key, table, spec)
    problems += _stage_problems(key, table, spec)
    problems += _lookup_problems(key, table, spec)
    for header, allowed in spec.where.items():
        if not allowed:
            problems.append(
                MappingProblem(
                    f"{key}.where.{quote_key(header)}", "list at least one value"
                )
            )
    return problems


def _column_problems(table: Table, name: str, spec: ColumnMapping) -> list[str]:
    if name in AUTO_COLUMNS:
        return [f"{name} is filled from the mapping's source and the id; remove it"]
    if name in table.derived_columns:
        return [_derived_message(table, name)]
    if name not in table.source_columns:
        known = [c for c in table.source_columns if c not in AUTO_COLUMNS]
        return [
            f"unknown column of table {table.name}; its columns are " + ", ".join(known)
        ]
    kind = column_kind(table, name)
    problems = []
    if spec.multiply is not None and kind not in _NUMERIC_KINDS:
        problems.append(f"multiply applies only to number columns, not {kind}")
    if kind in _DATE_KINDS and (spec.values is not None or spec.template):
        problems.append(
            f"a {kind} column reads one CSV column as it is, so its format can "
            "be decided for the whole column; value maps and templates are "
            "not allowed"
        )
    if spec.ref_source is not None and not is_reference(name):
        problems.append("ref_source applies only to columns that reference a record")
    for label, value in _written_values(spec):
        reason = _constant_problem(table, name, value)
        if reason:
            problems.append(f"{label} {value!r}: {reason}")
    return problems


def _derived_message(table: Table, name: str) -> str:
    message = f"{name} is computed after every import, so it cannot be mapped"
    if f"source_{name}" in table.source_columns:
        return message + f"; map source_{name} instead"
    if name == "type" and "raw_type" in table.source_columns:
        return message + "; map raw_type (the source's own type) instead"
    return message


def _written_values(spec: ColumnMapping) -> list[tuple[str, Any]]:
    """Return the values the mapping file itself writes for a column."""
    written: list[tuple[str, Any]] = []
    if spec.value is not None:
        written.append(("value", spec.value))
    if spec.default is not None:
        written.append(("default", spec.default))
    for source_value, stored in (spec.values or {}).items():
        written.append((f"values.{quote_key(source_value)}", stored))
    return written


def _constant_problem(table: Table, name: str, value: Any) -> str | None:
    kind = column_kind(table, name)
    try:
        parsed = parse_constant(kind, value)
    except ValueError as error:
        if kind == "date":
            return f"{error}; write a date constant as YYYY-MM-DD"
        if kind == "datetime":
            return (
                f"{error}; write a datetime constant as YYYY-MM-DD or YYYY-MM-DD HH:MM"
            )
        return str(error)
    if parsed is None:
        return None
    return check_value(table, name, parsed)


def _required_problems(
    key: str, table: Table, spec: TableMapping
) -> list[MappingProblem]:
    filled = set(spec.columns) | {lookup.column for lookup in spec.lookups}
    missing = [name for name in required_columns(table) if name not in filled]
    if not missing:
        return []
    return [
        MappingProblem(
            f"{key}.columns",
            f"table {table.name} needs {', '.join(missing)}; map each to a "
            "column, template or value, or fill it with a lookup",
        )
    ]


def _stage_problems(key: str, table: Table, spec: TableMapping) -> list[MappingProblem]:
    problems = []
    if spec.stages and "stage" not in table.source_columns:
        problems.append(
            MappingProblem(f"{key}.stages", f"table {table.name} has no stage column")
        )
    elif spec.stages and "stage" not in spec.columns:
        problems.append(
            MappingProblem(f"{key}.stages", "stages need columns.stage to be mapped")
        )
    return problems


def _lookup_problems(
    key: str, table: Table, spec: TableMapping
) -> list[MappingProblem]:
    problems = []
    for index, lookup in enumerate(spec.lookups):
        lookup_key = f"{key}.lookups[{index}].column"
        if lookup.column not in table.source_columns or lookup.column in AUTO_COLUMNS:
            problems.append(
                MappingProblem(
                    lookup_key,
                    f"{lookup.column!r} is not a column that table {table.name} "
                    "imports",
                )
            )
            continue
        kind = column_kind(table, lookup.column)
        if lookup.when == "empty_or_zero" and kind not in _NUMERIC_KINDS:
            problems.append(
                MappingProblem(
                    f"{key}.lookups[{index}].when",
                    f"empty_or_zero applies only to number columns, not {kind}",
                )
            )
    return problems


def _check_stage_agreement(mapping: Mapping) -> list[MappingProblem]:
    """Stage definitions are stored per source, so tables must agree on them."""
    seen: dict[str, tuple[int, StageMapping]] = {}
    problems = []
    for index, spec in enumerate(mapping.tables):
        for label, stage in spec.stages.items():
            first = seen.setdefault(label, (index, stage))
            if first[1] != stage:
                problems.append(
                    MappingProblem(
                        f"tables[{index}].stages.{quote_key(label)}",
                        f"differs from tables[{first[0]}].stages.{quote_key(label)}; "
                        "a stage means the same in every table of a source",
                    )
                )
    return problems


def quote_key(key: str) -> str:
    """Write a key as TOML does: bare when it is plain ASCII, else quoted."""
    return key if _BARE_KEY.match(key) else f'"{key}"'
