"""Finding the Marketo files of an import and deciding what each one contains.

A file's kind is decided from its name and its header together: the REST and
bulk extract API writes camelCase headers (``leadId``, ``activityTypeId``),
the Fivetran connector lands one snake_case table per object
(``marketo_activity_click_email_data.csv``). Files of other Marketo tables
(email template history, the lead field catalogue) are reported and skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from abmkpi.sources.base import SourceShapes
from abmkpi.sources.csvfile import CsvFile


class FileKind(StrEnum):
    LEADS = "leads"
    ACTIVITIES = "activities"
    ACTIVITY_TABLE = "activity table"
    ACTIVITY_TYPES = "activity types"
    CAMPAIGNS = "smart campaigns"
    PROGRAMS = "programs"
    OTHER = "other"


@dataclass(frozen=True)
class FileShape:
    """The kind of a file, and the type slug in a Fivetran activity table's name."""

    kind: FileKind
    table_slug: str | None = None


# Fivetran table names as files: an optional "marketo_" prefix (the schema)
# and an optional "_data" suffix around the table name.
_TABLE_NAME = re.compile(r"^(?:marketo_)?(?P<table>.+?)(?:_data)?$", re.IGNORECASE)
_ACTIVITY_TABLE = re.compile(r"^activity_(?P<slug>.+)$")

_LEAD_COLUMNS = ("email", "firstName", "first_name", "lastName", "last_name")
_SCHEMA_PREFIX = "marketo_"

EXPECTED_HEADERS = (
    "Marketo lead exports have the columns id and email; activity exports "
    "leadId, activityDate and activityTypeId; Fivetran tables are named like "
    "marketo_lead_data.csv or marketo_activity_open_email_data.csv"
)


def table_name(path: Path) -> str:
    """Return a file's table name without the schema prefix and "_data" suffix."""
    match = _TABLE_NAME.match(path.stem)
    assert match is not None
    return match["table"].lower()


def classify(csv_file: CsvFile) -> FileShape:
    """Decide what a file contains from its header and its name."""
    name = table_name(csv_file.path)
    if csv_file.has_columns("leadId", "activityTypeId"):
        return FileShape(FileKind.ACTIVITIES)
    if csv_file.has_columns("lead_id", "activity_type_id"):
        match = _ACTIVITY_TABLE.match(name)
        return FileShape(FileKind.ACTIVITY_TABLE, match["slug"] if match else None)
    if not csv_file.has_columns("id") or not _has_integer_ids(csv_file):
        return FileShape(FileKind.OTHER)
    if "type" in name and csv_file.has_columns("name"):
        return FileShape(FileKind.ACTIVITY_TYPES)
    if name in {"program", "programs"} and csv_file.has_columns("name"):
        return FileShape(FileKind.PROGRAMS)
    if name in {"campaign", "campaigns"} and csv_file.has_columns("name"):
        return FileShape(FileKind.CAMPAIGNS)
    if "lead" in name and csv_file.column(*_LEAD_COLUMNS) is not None:
        return FileShape(FileKind.LEADS)
    return FileShape(FileKind.OTHER)


def recognize(csv_file: CsvFile) -> str | None:
    """Return what a file is as Marketo data, or None if it is none of its shapes.

    Fivetran tables that abmkpi does not read (email template history, the
    lead field catalogue) count as Marketo's by their ``marketo_`` schema
    prefix and Fivetran's ``_fivetran_synced`` column.
    """
    shape = classify(csv_file)
    name = table_name(csv_file.path)
    if shape.kind is not FileKind.OTHER:
        table = f" {shape.table_slug}" if shape.table_slug else ""
        return f"marketo {shape.kind}{table}"
    landed = csv_file.path.stem.lower().startswith(_SCHEMA_PREFIX)
    if landed and csv_file.has_columns("_fivetran_synced"):
        return f"marketo {name} table, not imported"
    return None


def _has_integer_ids(csv_file: CsvFile, sample: int = 20) -> bool:
    """Return whether the ids are integers, as Marketo's are and Salesforce's not."""
    header = csv_file.column("id")
    assert header is not None
    values = [row.values.get(header, "").strip() for row in csv_file.rows[:sample]]
    return all(value.isdigit() for value in values if value)


SHAPES = SourceShapes("marketo", "Marketo", recognize, EXPECTED_HEADERS)
