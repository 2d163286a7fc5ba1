"""What an importer may write into the canonical tables, column by column.

The store schema (:mod:`abmkpi.store.schema`) gives each source column a SQL
type, and this module turns that type into the kind a CSV field is parsed as.
It also names the columns that reference other records, the columns every
record needs, and the closed vocabularies some columns accept.
"""

from __future__ import annotations

import math
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources import dates
from abmkpi.sources.fields import FieldKind, parse_plain_value
from abmkpi.store.schema import Table

# Filled by every importer from its source system and the record's own id.
AUTO_COLUMNS = frozenset({"source_system", "source_id"})

# Columns holding the id of another record; importers store them as canonical
# ids (``<source>:<id>``), like the record ids themselves.
REFERENCE_COLUMNS = frozenset(
    {
        "source_account_id",
        "source_parent_id",
        "source_merged_into_id",
        "person_id",
        "campaign_id",
        "opportunity_id",
        "converted_contact_id",
        "renewed_contract_id",
        "renewal_opportunity_id",
        "loser_id",
        "winner_id",
    }
)

VOCABULARIES: dict[tuple[str, str], frozenset[str]] = {
    ("activities", "type"): frozenset(ActivityType),
    ("people", "kind"): frozenset({"contact", "lead"}),
    ("merges", "entity"): frozenset({"person", "account", "opportunity"}),
}

RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("nps_responses", "score"): (0, 10),
}

# Sizes, amounts and orders that are never below zero. KPIs add amounts up,
# so a negative one (a credit note, a sign error) would silently cancel
# others out.
NON_NEGATIVE: frozenset[tuple[str, str]] = frozenset(
    {
        ("accounts", "employees"),
        ("accounts", "annual_revenue"),
        ("campaigns", "cost"),
        ("opportunities", "amount"),
        ("opportunities", "stage_sort_order"),
        ("opportunity_stage_history", "amount"),
        ("opportunity_stages", "sort_order"),
        ("contracts", "arr"),
        ("contracts", "mrr"),
    }
)

# Values that amounts are divided by.
POSITIVE: frozenset[tuple[str, str]] = frozenset({("fx_rates", "rate")})

# Ranges of the store's integer types.
_INTEGER_RANGES = {
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}

_KINDS: dict[str, FieldKind] = {
    "VARCHAR": "text",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "DOUBLE": "number",
    "BIGINT": "int",
    "INTEGER": "int",
    "BOOLEAN": "bool",
}


def column_kind(table: Table, column: str) -> FieldKind:
    """Return the kind a source value of this column is parsed as."""
    if column == "email":
        return "email"
    if column == "id" or column in REFERENCE_COLUMNS:
        return "id"
    sql_type = table.columns[column].split()[0].upper()
    return _KINDS[sql_type]


def is_reference(column: str) -> bool:
    return column in REFERENCE_COLUMNS


def required_columns(table: Table) -> list[str]:
    """Return the columns a record cannot be stored without (key and NOT NULL)."""
    required = list(table.key)
    for name, definition in table.source_columns.items():
        upper = definition.upper()
        if "NOT NULL" in upper and "DEFAULT" not in upper and name not in required:
            required.append(name)
    return [name for name in required if name not in AUTO_COLUMNS]


def column_default(table: Table, column: str) -> Any:
    """Return the value stored for an empty field of a NOT NULL DEFAULT column."""
    definition = table.columns[column].upper()
    if "NOT NULL DEFAULT FALSE" in definition:
        return False
    if "NOT NULL DEFAULT TRUE" in definition:
        return True
    return None


def check_value(table: Table, column: str, value: Any) -> str | None:
    """Return why a parsed value is not allowed in the column, or None if it is."""
    key = (table.name, column)
    allowed = VOCABULARIES.get(key)
    if allowed is not None and value not in allowed:
        return f"not one of the allowed values: {', '.join(sorted(allowed))}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    bounds = RANGES.get(key)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        return f"outside the allowed range {bounds[0]:g} to {bounds[1]:g}"
    if key in NON_NEGATIVE and value < 0:
        return f"negative; {column} must be 0 or more"
    if key in POSITIVE and value <= 0:
        return f"not above 0; {column} must be above 0, as amounts are divided by it"
    limits = _INTEGER_RANGES.get(table.columns[column].split()[0].upper())
    if limits is not None and not limits[0] <= value <= limits[1]:
        return (
            f"out of range for a whole-number column ({limits[0]:,} to {limits[1]:,})"
        )
    return None


def constant_text(value: str | int | float | bool) -> str:
    """Return a TOML value as the text a CSV field would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_constant(
    kind: FieldKind,
    value: str | int | float | bool,
    naive_time_zone: str = "UTC",
    business_time_zone: str = "UTC",
) -> Any:
    """Parse a value written in a mapping file; dates must be YYYY-MM-DD.

    Timestamps without an offset are in ``naive_time_zone``; a date-only
    value in a timestamp column is midnight in ``business_time_zone``.
    Raise ValueError with the reason when the value does not fit the kind.
    """
    text = constant_text(value)
    if kind not in ("date", "datetime"):
        return parse_plain_value(kind, text)
    parsed = dates.parse_value(text, "ymd")
    if kind == "date":
        return parsed.day
    return parsed.to_utc(naive_time_zone, business_time_zone)
