"""Deciding what each HubSpot file of an import contains.

Two shapes reach abmkpi. The Fivetran connector lands one table per object or
association, named like ``deal.csv`` or ``deal_data.csv`` (an optional
``hubspot_`` schema prefix and ``_data`` suffix), with properties flattened to
``property_<internal name>`` columns. HubSpot's own export from the record
views writes display labels (``Record ID``, ``Deal Name``) and dates in the
exporting user's locale, and its object is decided from the header alone.

Warehouse-specific copies of a table (``company_data_snowflake.csv``) differ
only in how one odd header is quoted. They are skipped when the plain file is
in the same run, and read in its place otherwise.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from abmkpi.sources.base import FileReport, SourceShapes
from abmkpi.sources.csvfile import CsvFile
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)


class FileKind(StrEnum):
    COMPANIES = "companies"
    CONTACTS = "contacts"
    DEALS = "deals"
    DEAL_COMPANIES = "deal companies"
    DEAL_CONTACTS = "deal contacts"
    MERGED_DEALS = "merged deals"
    CONTACT_MERGES = "contact merge audit"
    PIPELINES = "deal pipelines"
    PIPELINE_STAGES = "deal pipeline stages"
    DEAL_STAGES = "deal stage history"
    DEAL_PROPERTY_HISTORY = "deal property history"
    ENGAGEMENT_INDEX = "engagements"
    ENGAGEMENTS = "engagement details"
    ENGAGEMENT_LINKS = "engagement associations"
    EMAIL_EVENTS = "email events"
    EMAIL_EVENT_DETAILS = "email event details"
    EMAIL_CAMPAIGNS = "email campaigns"
    FORM_SUBMISSIONS = "form submissions"
    FORMS = "forms"
    NOT_IMPORTED = "not imported"
    OTHER = "other"


@dataclass(frozen=True)
class FileShape:
    """The kind of data in a file and how to read it.

    ``export`` marks HubSpot's own UI export (display labels, naive times in
    the exporting user's zone). ``detail`` is the part of a table name that
    varies: the engagement type of ``engagement_meeting``, the associated
    object of ``engagement_company``, the event type of ``email_event_click``.
    ``reason`` explains why a file is skipped.
    """

    kind: FileKind
    table: str
    export: bool = False
    detail: str | None = None
    reason: str | None = None

    @property
    def object_name(self) -> str:
        origin = "export" if self.export else "table"
        return f"hubspot {self.table} {origin}" if self.table else "unrecognized file"


_TABLE_NAME = re.compile(r"^(?:hubspot_)?(?P<table>.+?)(?:_data)?$", re.IGNORECASE)
_VARIANT = re.compile(r"^(?P<plain>.+)_(?:databricks|postgres|snowflake|bigquery)$")

# Tables read for records, by name, with the columns that identify them.
_TABLES: dict[str, tuple[FileKind, tuple[str, ...]]] = {
    "company": (FileKind.COMPANIES, ("id",)),
    "contact": (FileKind.CONTACTS, ("id",)),
    "deal": (FileKind.DEALS, ("deal_id",)),
    "deal_company": (FileKind.DEAL_COMPANIES, ("deal_id", "company_id")),
    "deal_contact": (FileKind.DEAL_CONTACTS, ("deal_id", "contact_id")),
    "merged_deal": (FileKind.MERGED_DEALS, ("deal_id", "merged_deal_id")),
    "contact_merge_audit": (
        FileKind.CONTACT_MERGES,
        ("canonical_vid", "vid_to_merge"),
    ),
    "deal_pipeline": (FileKind.PIPELINES, ("pipeline_id", "label")),
    "deal_pipeline_stage": (FileKind.PIPELINE_STAGES, ("stage_id", "label")),
    "deal_stage": (FileKind.DEAL_STAGES, ("deal_id", "value")),
    "deal_property_history": (
        FileKind.DEAL_PROPERTY_HISTORY,
        ("deal_id", "name", "value"),
    ),
    "engagement": (FileKind.ENGAGEMENT_INDEX, ("id", "type")),
    "email_event": (FileKind.EMAIL_EVENTS, ("id", "type", "recipient")),
    "email_campaign": (FileKind.EMAIL_CAMPAIGNS, ("id",)),
    "contact_form_submission": (
        FileKind.FORM_SUBMISSIONS,
        ("contact_id", "timestamp"),
    ),
    "form": (FileKind.FORMS, ("guid",)),
}

# Other vendors' tables also have a plain "id" column, but only HubSpot's
# company and contact tables have property_* columns beside it.
_NEEDS_PROPERTIES = {"company", "contact"}

_ENGAGEMENT_TYPES = {"call", "communication", "email", "meeting", "note", "task"}
_ENGAGEMENT_LINKS = {"company", "contact", "deal"}
_ENGAGEMENT_TABLE = re.compile(r"^engagement_(?P<detail>[a-z_]+)$")
_EMAIL_EVENT_TABLE = re.compile(r"^email_event_(?P<detail>[a-z_]+)$")

_LISTS = "contact lists are not imported, so keep ABM lists as the target list"
_HISTORY = "property change history, while the object tables hold current values"
_USERS = "HubSpot users and teams, not imported because owner columns keep ids"
_PROPERTIES = "property definitions, not records"
_TICKETS = N_("service tickets are not used by ABM KPIs")

# HubSpot tables that are recognized and skipped, with the reason.
_SKIPPED_TABLES: dict[str, str] = {
    "contact_list": _LISTS,
    "contact_list_member": _LISTS,
    "company_property_history": _HISTORY,
    "contact_property_history": _HISTORY,
    "owner": _USERS,
    "owner_team": _USERS,
    "team": _USERS,
    "team_user": _USERS,
    "users": _USERS,
    "role": _USERS,
    "property": _PROPERTIES,
    "property_option": _PROPERTIES,
}

# Columns of HubSpot's UI export. "Record ID" is the record id of every object.
EXPORT_ID_HEADERS = ("Record ID", "Deal ID", "Company ID", "Contact ID")
_EXPORT_OBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deal", ("Deal Name", "Deal Stage")),
    ("contact", ("Email", "First Name", "Last Name")),
    ("company", ("Company name", "Company Domain Name", "Website URL")),
)
_EXPORT_KINDS = {
    "deal": FileKind.DEALS,
    "contact": FileKind.CONTACTS,
    "company": FileKind.COMPANIES,
}

EXPECTED_HEADERS = (
    "HubSpot exports have a 'Record ID' column with 'Deal Name', 'Email' or "
    "'Company name', and Fivetran tables are named like deal.csv or "
    "contact_data.csv "
    "and have columns such as deal_id, or id with property_* columns"
)


def table_name(path: Path) -> str:
    """Return a file's table name without the schema prefix and "_data" suffix."""
    match = _TABLE_NAME.match(path.stem)
    assert match is not None
    return match["table"].lower()


def classify(csv_file: CsvFile, run_stems: set[str]) -> FileShape:
    """Decide what a file contains from its header and its name.

    ``run_stems`` are the lower-case file names (without extension) of every
    file in the run, to recognize warehouse copies of a file that is present.
    """
    export = _export_object(csv_file)
    if export is not None:
        return FileShape(_EXPORT_KINDS[export], export, export=True)
    stem = csv_file.path.stem.lower()
    variant = _VARIANT.match(stem)
    if variant and variant["plain"] in run_stems:
        plain = csv_file.path.with_name(variant["plain"] + csv_file.path.suffix)
        shape = classify_table(csv_file, table_name(plain))
        if shape.kind is FileKind.OTHER:
            return shape
        reason = f"warehouse variant of {plain.name}"
        return FileShape(FileKind.NOT_IMPORTED, shape.table, reason=reason)
    name = table_name(Path(variant["plain"])) if variant else table_name(csv_file.path)
    return classify_table(csv_file, name)


def classify_table(csv_file: CsvFile, name: str) -> FileShape:
    """Classify a file as the Fivetran table ``name``."""
    known = _TABLES.get(name)
    if known is not None:
        kind, columns = known
        if not csv_file.has_columns(*columns):
            return FileShape(FileKind.OTHER, "")
        if name in _NEEDS_PROPERTIES and not _has_properties(csv_file):
            return FileShape(FileKind.OTHER, "")
        return FileShape(kind, name)
    if name in _SKIPPED_TABLES:
        return FileShape(FileKind.NOT_IMPORTED, name, reason=_SKIPPED_TABLES[name])
    if name.startswith("ticket"):
        return FileShape(FileKind.NOT_IMPORTED, name, reason=_TICKETS)
    return _classify_typed_table(csv_file, name)


def _classify_typed_table(csv_file: CsvFile, name: str) -> FileShape:
    engagement = _ENGAGEMENT_TABLE.match(name)
    if engagement and csv_file.has_columns("engagement_id"):
        detail = engagement["detail"]
        if detail in _ENGAGEMENT_LINKS and csv_file.has_columns(f"{detail}_id"):
            return FileShape(FileKind.ENGAGEMENT_LINKS, name, detail=detail)
        if detail in _ENGAGEMENT_TYPES:
            return FileShape(FileKind.ENGAGEMENTS, name, detail=detail)
    event = _EMAIL_EVENT_TABLE.match(name)
    if event and csv_file.has_columns("id"):
        return FileShape(FileKind.EMAIL_EVENT_DETAILS, name, detail=event["detail"])
    return FileShape(FileKind.OTHER, "")


def recognize(csv_file: CsvFile) -> str | None:
    """Return what a file is as HubSpot data, or None if it is none of its shapes.

    A table that is skipped by its name alone (owners, tickets, lists) counts
    only when it has Fivetran's ``_fivetran_synced`` column, so that another
    vendor's ``users.csv`` is not taken for HubSpot's.
    """
    shape = classify(csv_file, set())
    if shape.kind is FileKind.OTHER:
        return None
    if shape.kind is FileKind.NOT_IMPORTED:
        if not csv_file.has_columns("_fivetran_synced"):
            return None
        return f"{shape.object_name}, not imported"
    return shape.object_name


def _export_object(csv_file: CsvFile) -> str | None:
    if csv_file.column(*EXPORT_ID_HEADERS) is None:
        return None
    for name, headers in _EXPORT_OBJECTS:
        if csv_file.column(*headers) is not None:
            return name
    return None


def _has_properties(csv_file: CsvFile) -> bool:
    return any(name.lower().startswith("property_") for name in csv_file.header)


def skipped_file(csv_file: CsvFile, shape: FileShape, reason: str) -> FileReport:
    """Report a file whose rows are all skipped for one reason."""
    report = FileReport(
        path=csv_file.path,
        object=shape.object_name,
        table="",
        encoding=csv_file.encoding,
        checksum=csv_file.checksum,
        rows_read=len(csv_file.rows),
    )
    if csv_file.rows:
        report.skipped[reason] = len(csv_file.rows)
    logger.info("%s: skipped %d rows (%s)", csv_file.path, len(csv_file.rows), reason)
    return report


SHAPES = SourceShapes("hubspot", "HubSpot", recognize, EXPECTED_HEADERS)
