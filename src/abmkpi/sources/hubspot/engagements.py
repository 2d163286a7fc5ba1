"""HubSpot engagements (sales activities) → activities.

Fivetran lands an engagement index (id and type), one detail table per type
(``engagement_meeting``, ``engagement_call``, …) and association tables to
contacts, companies and deals. Meetings, calls and e-mails are sales touches.
Notes, tasks and logged messages are not, except a completed task of type
call or e-mail, which records that call or e-mail. An engagement counts for
its first associated contact and company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedRow, parse_table
from abmkpi.sources.hubspot.files import FileShape
from abmkpi.sources.hubspot.ids import (
    SOURCE,
    hubspot_id,
    optional_id,
    prefixed_source_id,
)
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.vocabulary import N_

INDEX_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("type", "type"),
)

LINK_FIELDS = (
    Field.of("engagement_id", "engagement_id", kind="id", required=True),
    Field.of("company", "company_id", kind="id"),
    Field.of("contact", "contact_id", kind="id"),
    Field.of("deal", "deal_id", kind="id"),
    Field.of("deleted", "_fivetran_deleted", kind="bool"),
)

ENGAGEMENT_FIELDS = (
    Field.of("id", "engagement_id", kind="id", required=True),
    Field.of("type", "type"),
    Field.of(
        "start_time", "start_time", "property_hs_meeting_start_time", kind="datetime"
    ),
    Field.of("timestamp", "property_hs_timestamp", "timestamp", kind="datetime"),
    Field.of("created_at", "property_hs_createdate", "created_at", kind="datetime"),
    Field.of("outcome", "meeting_outcome", "property_hs_meeting_outcome"),
    Field.of("call_status", "property_hs_call_status"),
    Field.of("task_status", "property_hs_task_status"),
    Field.of("task_type", "property_hs_task_type", "task_type"),
    Field.of(
        "subject",
        "property_hs_email_subject",
        "property_hs_meeting_title",
        "property_hs_call_title",
        "title",
        "subject",
    ),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)


@dataclass(frozen=True)
class _Touch:
    activity_type: ActivityType
    channel: str


_TOUCHES = {
    "MEETING": _Touch(ActivityType.SALES_MEETING, "meeting"),
    "CALL": _Touch(ActivityType.SALES_CALL, "phone"),
    "EMAIL": _Touch(ActivityType.SALES_EMAIL, "email"),
    "INCOMING_EMAIL": _Touch(ActivityType.SALES_EMAIL, "email"),
    "FORWARDED_EMAIL": _Touch(ActivityType.SALES_EMAIL, "email"),
}

_SKIPPED_TYPES = {
    "NOTE": "note, not a touch",
    "TASK": "task other than a completed call or e-mail",
    "COMMUNICATION": "logged message (SMS, WhatsApp, LinkedIn), not a sales "
    "meeting, call or e-mail",
}

_NOT_HELD = {"CANCELED", "CANCELLED", "NO_SHOW"}
_NOT_CONNECTED = {"CANCELED", "FAILED"}

_INDEX_REASON = N_("engagement index, used to type this run's engagement rows")
_LINK_REASON = N_("engagement association, applied to this run's engagements")
_DEAL_LINK_REASON = N_(
    "engagement-deal association, not used because activities link to people "
    "and accounts"
)


def read_engagement_index(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Read the type of every engagement id, without storing the rows."""
    table = parse_table(csv_file, INDEX_FIELDS, context)
    for row in table.rows:
        if row.values.get("type"):
            run.engagement_types[row.values["id"]] = row.values["type"].upper()
    report = FileReport.of(table, shape.object_name, "")
    if table.rows:
        report.skipped[_INDEX_REASON] = len(table.rows)
    run.add_report(report)


def read_engagement_links(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Read one engagement association table into the run."""
    table = parse_table(csv_file, LINK_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "")
    linked_object = shape.detail or ""
    for row in table.rows:
        object_id = row.values.get(linked_object)
        if row.values.get("deleted"):
            report.skipped[N_("association removed in HubSpot")] += 1
        elif linked_object == "deal":
            report.skipped[_DEAL_LINK_REASON] += 1
        elif object_id is None:
            report.skipped[f"association without a {linked_object} id"] += 1
        else:
            run.engagement_links.add(
                linked_object, row.values["engagement_id"], object_id
            )
            report.skipped[_LINK_REASON] += 1
    run.add_report(report)


def read_engagements(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one activity per sales touch in an engagement detail table."""
    table = parse_table(csv_file, ENGAGEMENT_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "activities")
    shared = 0
    for row in table.rows:
        engagement_type = _type_of(row, shape, run)
        touch, reason = _touch_of(row.values, engagement_type)
        if touch is None:
            report.skipped[reason] += 1
            continue
        occurred_at = _time_of(row.values, engagement_type)
        if occurred_at is None:
            header = table.header_of("timestamp") or table.header_of("start_time")
            reason = N_("missing engagement time (no timestamp, start or create date)")
            report.rejects.append(
                InputProblem(csv_file.path, row.line, header, "", reason)
            )
            continue
        values = _activity(row.values, engagement_type, touch, occurred_at, run)
        if run.engagement_links.count("company", row.values["id"]) > 1:
            shared += 1
        run.batch.add(
            "activities", values, csv_file.path, row.line, table.header_of("id")
        )
    if shared:
        report.notes.append(
            f"{shared} engagements are associated with several companies, and "
            "each counts for its first company"
        )
    run.add_report(report)


def _type_of(row: ParsedRow, shape: FileShape, run: ImportRun) -> str:
    written = row.values.get("type")
    if written:
        return str(written).upper()
    indexed = run.engagement_types.get(row.values["id"])
    return indexed or (shape.detail or "").upper()


def _touch_of(
    values: dict[str, Any], engagement_type: str
) -> tuple[_Touch | None, str]:
    """Return the touch an engagement row records, or the reason to skip it."""
    if engagement_type == "TASK":
        return _task_touch(values), _SKIPPED_TYPES["TASK"]
    touch = _TOUCHES.get(engagement_type)
    if touch is None:
        reason = _SKIPPED_TYPES.get(engagement_type)
        return None, reason or f"engagement type {engagement_type}, not a touch"
    if engagement_type == "MEETING" and _upper(values.get("outcome")) in _NOT_HELD:
        return None, "meeting canceled or not attended"
    if (
        engagement_type == "CALL"
        and _upper(values.get("call_status")) in _NOT_CONNECTED
    ):
        return None, "call canceled or failed"
    return touch, ""


def _task_touch(values: dict[str, Any]) -> _Touch | None:
    if _upper(values.get("task_status")) != "COMPLETED":
        return None
    return _TOUCHES.get(_upper(values.get("task_type")) or "")


def _upper(value: Any) -> str | None:
    return None if value is None else str(value).strip().upper()


def _time_of(values: dict[str, Any], engagement_type: str) -> datetime | None:
    if engagement_type == "MEETING" and values.get("start_time"):
        return values["start_time"]
    return (
        values.get("timestamp") or values.get("start_time") or values.get("created_at")
    )


def _activity(
    values: dict[str, Any],
    engagement_type: str,
    touch: _Touch,
    occurred_at: datetime,
    run: ImportRun,
) -> dict[str, Any]:
    source_id = prefixed_source_id("engagement", values["id"])
    links = run.engagement_links
    return {
        "id": hubspot_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "occurred_at": occurred_at,
        "type": touch.activity_type.value,
        "channel": touch.channel,
        "raw_type": engagement_type,
        "person_id": optional_id(links.first("contact", values["id"])),
        "source_account_id": optional_id(links.first("company", values["id"])),
        "asset": values.get("subject"),
        "is_deleted": bool(values.get("is_deleted")),
    }
