"""HubSpot form submissions → form_fill activities of the submitting contact.

Fivetran's contact_form_submission table has one row per submission, with the
contact, the form and the page it was on. The form table names the forms.
A submission's id is its conversion id, or the contact and time when the
conversion id is empty.
"""

from __future__ import annotations

from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.hubspot.files import FileShape
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id, prefixed_source_id
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.vocabulary import N_

FORM_FIELDS = (
    Field.of("id", "guid", kind="id", required=True),
    Field.of("name", "name"),
)

SUBMISSION_FIELDS = (
    Field.of("contact_id", "contact_id", kind="id", required=True),
    Field.of("submitted_at", "timestamp", kind="datetime", required=True),
    Field.of("form_id", "form_id", kind="id"),
    Field.of("conversion_id", "conversion_id", kind="id"),
    Field.of("page_url", "page_url"),
    Field.of("title", "title"),
)

_FORM_REASON = N_("form definition, used to name this run's form submissions")


def read_forms(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Read form names by form id, without storing the rows."""
    table = parse_table(csv_file, FORM_FIELDS, context)
    for row in table.rows:
        if row.values.get("name"):
            run.form_names[row.values["id"]] = row.values["name"]
    report = FileReport.of(table, shape.object_name, "")
    if table.rows:
        report.skipped[_FORM_REASON] = len(table.rows)
    run.add_report(report)


def read_form_submissions(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one form_fill activity per form submission."""
    table = parse_table(csv_file, SUBMISSION_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "activities")
    key_header = table.header_of("conversion_id") or table.header_of("contact_id")
    for row in table.rows:
        values = _activity(row.values, run)
        run.batch.add("activities", values, csv_file.path, row.line, key_header)
    run.add_report(report)


def _activity(values: dict[str, Any], run: ImportRun) -> dict[str, Any]:
    submitted_at = values["submitted_at"]
    key = values.get("conversion_id") or (
        f"{values['contact_id']}:{submitted_at.isoformat()}"
    )
    source_id = prefixed_source_id("form-submission", key)
    form_name = run.form_names.get(values.get("form_id") or "")
    return {
        "id": hubspot_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "occurred_at": submitted_at,
        "type": ActivityType.FORM_FILL.value,
        "channel": "web",
        "raw_type": "FORM_SUBMISSION",
        "person_id": hubspot_id(values["contact_id"]),
        "asset": form_name or values.get("title") or values.get("page_url"),
        "is_deleted": False,
    }
