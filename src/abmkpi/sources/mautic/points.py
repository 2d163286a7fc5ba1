"""Mautic's points log → activities.

Mautic logs a row whenever a point action changes a contact's points: its
``type`` and ``action_name`` are the two halves of the point action key
(``form.submit``, ``page.hit``, ``url.hit``, ``asset.download``,
``email.open``, ``email.send``) and ``event_name`` names the point action or
the form. The key decides the canonical type; adjustments through the API
are skipped, and any other key is kept as "other" with its raw type.
"""

from __future__ import annotations

from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.mautic.files import LEAD_ID_HEADERS
from abmkpi.sources.mautic.ids import SOURCE, mautic_id, points_source_id

POINTS_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("lead_id", *LEAD_ID_HEADERS, kind="id", required=True),
    Field.of("type", "type"),
    Field.of("event_name", "event_name", "eventName"),
    Field.of("action_name", "action_name", "actionName"),
    Field.of("occurred_at", "date_added", "dateAdded", kind="datetime", required=True),
)

_TOUCHES: dict[str, tuple[ActivityType, str]] = {
    "form.submit": (ActivityType.FORM_FILL, "web"),
    "page.hit": (ActivityType.WEB_VISIT, "web"),
    "url.hit": (ActivityType.WEB_VISIT, "web"),
    "asset.download": (ActivityType.CONTENT_DOWNLOAD, "web"),
    "email.open": (ActivityType.EMAIL_OPEN, "email"),
    "email.read": (ActivityType.EMAIL_OPEN, "email"),
    "email.click": (ActivityType.EMAIL_CLICK, "email"),
    "email.send": (ActivityType.EMAIL_SEND, "email"),
    "email.sent": (ActivityType.EMAIL_SEND, "email"),
}

# Point-change types that record no action of the contact.
_ADJUSTMENTS = {"api": "points adjusted through the API, not a touch"}


def read_points_log(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one activity per points-log row that records a touch."""
    table = parse_table(csv_file, POINTS_FIELDS, context)
    report = FileReport.of(table, "mautic points log", "activities")
    key_header = table.header_of("id")
    for row in table.rows:
        key = action_key(row.values.get("type"), row.values.get("action_name"))
        reason = _ADJUSTMENTS.get(key.split(".", 1)[0])
        if reason is not None:
            report.skipped[reason] += 1
            continue
        activity = _activity(row.values, key)
        batch.add("activities", activity, csv_file.path, row.line, key_header)
    batch.files.append(report)


def action_key(point_type: str | None, action: str | None) -> str:
    """Return the point action key, such as ``form.submit``, in lower case."""
    kind = (point_type or "").strip().lower()
    name = (action or "").strip().lower()
    if not kind and "." in name:
        return name
    return f"{kind}.{name}" if name else kind


def _activity(values: dict[str, Any], key: str) -> dict[str, Any]:
    activity_type, channel = _TOUCHES.get(key, (ActivityType.OTHER, None))
    source_id = points_source_id(values["id"])
    return {
        "id": mautic_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "occurred_at": values["occurred_at"],
        "type": activity_type.value,
        "channel": channel,
        "raw_type": key or None,
        "person_id": mautic_id(values["lead_id"]),
        "asset": values.get("event_name"),
    }
