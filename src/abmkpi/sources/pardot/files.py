"""Deciding what each Pardot file of an import contains.

Files come as Fivetran tables (``pardot_prospect_data.csv``, snake_case
columns with ``_fivetran_*`` bookkeeping) or as Pardot API exports, whose
columns are the object's field names. A file's kind is decided from its
header, with its name settling the few shapes that share columns (a list and
a campaign both have ``id`` and ``name``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from abmkpi.sources.base import SourceShapes
from abmkpi.sources.csvfile import CsvFile


class FileKind(StrEnum):
    PROSPECTS = "prospects"
    VISITOR_ACTIVITIES = "visitor activities"
    VISITORS = "visitors"
    OPPORTUNITIES = "opportunities"
    OPPORTUNITY_PROSPECTS = "opportunity prospects"
    CAMPAIGNS = "campaigns"
    LISTS = "lists"
    LIST_MEMBERSHIPS = "list memberships"
    OTHER = "other"


# Columns only a Pardot prospect has, to tell it from other people exports.
_PROSPECT_MARKS = (
    "crm_contact_fid",
    "crm_lead_fid",
    "crm_account_fid",
    "prospect_account_id",
    "job_title",
    "salesforceContactId",
    "salesforceLeadId",
    "jobTitle",
)

_TABLE_NAME = re.compile(r"^(?:pardot_)?(?P<table>.+?)(?:_data)?$", re.IGNORECASE)

# Columns each kind needs, listed in the error raised when no file is Pardot data.
EXPECTED_COLUMNS = (
    "prospects: id, email and one of " + ", ".join(_PROSPECT_MARKS[:5]),
    "visitor activities: id, type, created_at and prospect_id or visitor_id",
    "visitors: id, prospect_id and page_view_count, hostname or ip_address",
    "opportunities: id, status, stage and value",
    "opportunity prospects: opportunity_id and prospect_id",
    "campaigns (a file named like pardot_campaign_data.csv): id and name",
)


def table_name(path: Path) -> str:
    """Return a file's table name without the "pardot_" prefix and "_data" suffix."""
    match = _TABLE_NAME.match(path.stem)
    assert match is not None
    return match["table"].lower()


def classify(csv_file: CsvFile) -> FileKind:
    """Decide what a file contains from its header and its name."""
    has = csv_file.has_columns
    name = table_name(csv_file.path)
    if has("opportunity_id", "prospect_id") and not has("type"):
        return FileKind.OPPORTUNITY_PROSPECTS
    if has("list_id", "prospect_id"):
        return FileKind.LIST_MEMBERSHIPS
    if not has("id"):
        return FileKind.OTHER
    if _is_visitor_activity(csv_file):
        return FileKind.VISITOR_ACTIVITIES
    if has("email") and (
        csv_file.column(*_PROSPECT_MARKS) is not None or "prospect" in name
    ):
        return FileKind.PROSPECTS
    if has("status", "stage", "value"):
        return FileKind.OPPORTUNITIES
    if csv_file.column("prospect_id", "prospectId") and (
        csv_file.column("page_view_count", "hostname", "ip_address") is not None
        or "visitor" in name
    ):
        return FileKind.VISITORS
    return _named_kind(csv_file, name)


def _is_visitor_activity(csv_file: CsvFile) -> bool:
    person = csv_file.column("prospect_id", "prospectId", "visitor_id", "visitorId")
    created = csv_file.column("created_at", "createdAt")
    return csv_file.has_columns("type") and person is not None and created is not None


def _named_kind(csv_file: CsvFile, name: str) -> FileKind:
    # Pardot ids are integers; a Salesforce Campaign export has 18-character ids.
    if not csv_file.has_columns("name") or not _has_integer_ids(csv_file):
        return FileKind.OTHER
    if name in {"campaign", "campaigns"}:
        return FileKind.CAMPAIGNS
    if name in {"list", "lists"}:
        return FileKind.LISTS
    return FileKind.OTHER


def _has_integer_ids(csv_file: CsvFile, sample: int = 20) -> bool:
    header = csv_file.column("id")
    assert header is not None
    values = [row.values.get(header, "").strip() for row in csv_file.rows[:sample]]
    return all(value.isdigit() for value in values if value)


def recognize(csv_file: CsvFile) -> str | None:
    """Return what a file is as Pardot data, or None if it is none of its shapes."""
    kind = classify(csv_file)
    return None if kind is FileKind.OTHER else f"pardot {kind}"


SHAPES = SourceShapes(
    "pardot",
    "Pardot",
    recognize,
    "Pardot files need these columns: " + "; ".join(EXPECTED_COLUMNS),
)
