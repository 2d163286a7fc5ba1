"""Deciding what each Mautic file of an import contains.

Mautic names fields by alias: contacts ``firstname``, ``email``,
``company``; companies ``companyname``, ``companycity``. Contact and company
exports add ``id`` and dates; files shaped for Mautic's CSV import have the
aliases only. The points log comes from the ``lead_points_change_log`` table
(the stats API or a database export).
"""

from __future__ import annotations

from enum import StrEnum

from abmkpi.sources.base import SourceShapes
from abmkpi.sources.csvfile import CsvFile


class FileKind(StrEnum):
    CONTACTS = "contacts"
    COMPANIES = "companies"
    POINTS_LOG = "points log"
    EVENT_LOG = "contact event log"
    OTHER = "other"


# Contact aliases that other vendors' people exports do not use.
_CONTACT_MARKS = (
    "firstname",
    "lastname",
    "position",
    "points",
    "last_active",
    "date_identified",
    "address1",
    "zipcode",
)

LEAD_ID_HEADERS = ("lead_id", "contact_id", "leadId", "contactId")

EXPECTED_COLUMNS = (
    "contacts: one of " + ", ".join(_CONTACT_MARKS[:4]) + ", usually with email",
    "companies: companyname",
    "points log: lead_id, delta, date_added and type or action_name",
)


def classify(csv_file: CsvFile) -> FileKind:
    """Decide what a file contains from its header."""
    has = csv_file.has_columns
    lead_id = csv_file.column(*LEAD_ID_HEADERS)
    action = csv_file.column("type", "action_name", "actionName")
    if lead_id and action and has("delta", "date_added"):
        return FileKind.POINTS_LOG
    if lead_id and has("bundle", "object", "action"):
        return FileKind.EVENT_LOG
    if has("companyname"):
        return FileKind.COMPANIES
    # Aliases are lower case; compared exactly, so that Salesforce's FirstName
    # and Marketo's firstName do not pass for Mautic's firstname.
    if any(mark in csv_file.header for mark in _CONTACT_MARKS):
        return FileKind.CONTACTS
    return FileKind.OTHER


def recognize(csv_file: CsvFile) -> str | None:
    """Return what a file is as Mautic data, or None if it is none of its shapes."""
    kind = classify(csv_file)
    return None if kind is FileKind.OTHER else f"mautic {kind}"


SHAPES = SourceShapes(
    "mautic",
    "Mautic",
    recognize,
    "Mautic files need these columns: " + "; ".join(EXPECTED_COLUMNS),
)
