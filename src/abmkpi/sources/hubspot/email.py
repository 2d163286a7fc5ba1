"""HubSpot marketing e-mail events → activities, and e-mail campaigns → campaigns.

Fivetran's email_event table contains every event with its type, time, campaign
and recipient address, and one table per type adds details by event id (the
clicked URL, the subscription change). Events name their recipient by address
only, so the address goes into the activity's ``email`` column and account
matching resolves it. Joining events to contacts on the address here would
repeat every event once per contact record that shares the address.

Opens, clicks, sends, deliveries, bounces and unsubscribes by the recipient
become activities. Forwards and prints are the recipient's own actions and
become "other". Events HubSpot filtered out of its reports
(``filtered_event``), steps before sending (processed, dropped, deferred) and
spam reports are skipped.
"""

from __future__ import annotations

import json
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.hubspot.files import FileShape
from abmkpi.sources.hubspot.ids import (
    SOURCE,
    hubspot_id,
    optional_id,
    prefixed_source_id,
)
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.sources.values import normalize_email
from abmkpi.vocabulary import N_

EVENT_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("type", "type", required=True),
    Field.of("recipient", "recipient"),
    Field.of("created", "created", kind="datetime", required=True),
    Field.of("campaign_id", "email_campaign_id", kind="id"),
    Field.of("filtered", "filtered_event", kind="bool"),
)

DETAIL_FIELDS = (Field.of("id", "id", kind="id", required=True),)

CAMPAIGN_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("name", "name"),
    Field.of("subject", "subject"),
    Field.of("app_name", "app_name"),
    Field.of("type", "type"),
    Field.of("sub_type", "sub_type"),
)

_ACTIVITY_TYPES = {
    "OPEN": ActivityType.EMAIL_OPEN,
    "CLICK": ActivityType.EMAIL_CLICK,
    "SENT": ActivityType.EMAIL_SEND,
    "DELIVERED": ActivityType.EMAIL_DELIVERED,
    "BOUNCE": ActivityType.EMAIL_BOUNCE,
    "FORWARD": ActivityType.OTHER,
    "PRINT": ActivityType.OTHER,
}

_SKIP_REASONS = {
    "PROCESSED": "processing step before sending, not a touch",
    "DROPPED": "message dropped before sending, not a touch",
    "DEFERRED": "delivery deferred and retried, not a touch",
    "SPAMREPORT": "spam report, a negative signal and not engagement",
    "SUGGESTION": "sending suggestion, not a touch",
}

# Detail columns used per event type; other detail tables are only counted.
_DETAIL_COLUMNS = {
    "click": ("url",),
    "sent": ("subject",),
    "status_change": ("portal_subscription_status", "source", "subscriptions"),
}

_FILTERED = "filtered out of HubSpot's reports (filtered_event = true)"
_DETAIL_REASON = N_("email event details, applied to this run's email_event rows")
_NO_STATUS_DETAIL = N_("subscription change without its email_event_status_change row")
_NOT_UNSUBSCRIBE = N_("subscription change other than an unsubscribe by the recipient")


def read_event_details(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Keep the used detail columns by event id, without storing the rows."""
    table = parse_table(csv_file, DETAIL_FIELDS, context)
    used_columns = _DETAIL_COLUMNS.get(shape.detail or "", ())
    if used_columns:
        raw_by_line = {row.line: row.values for row in csv_file.rows}
        details = run.email_details[shape.detail or ""]
        for row in table.rows:
            raw = raw_by_line[row.line]
            columns = {name.lower(): value for name, value in raw.items()}
            details[row.values["id"]] = {
                name: columns.get(name) for name in used_columns
            }
    report = FileReport.of(table, shape.object_name, "")
    if table.rows:
        report.skipped[_DETAIL_REASON] = len(table.rows)
    run.add_report(report)


def read_email_events(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one activity per e-mail event that is a touch or a delivery step."""
    table = parse_table(csv_file, EVENT_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "activities")
    key_header = table.header_of("id")
    invalid_recipients = 0
    for row in table.rows:
        values = row.values
        event_type = values["type"].strip().upper()
        activity_type, reason = _activity_type(values, event_type, run)
        if activity_type is None:
            report.skipped[reason] += 1
            continue
        activity = _activity(values, event_type, activity_type, run)
        if values.get("recipient") and activity["email"] is None:
            invalid_recipients += 1
        run.batch.add("activities", activity, csv_file.path, row.line, key_header)
    if invalid_recipients:
        report.notes.append(
            f"{table.header_of('recipient')}: {invalid_recipients} values are not "
            "e-mail addresses, so those events are stored without one"
        )
    run.add_report(report)


def _activity_type(
    values: dict[str, Any], event_type: str, run: ImportRun
) -> tuple[ActivityType | None, str]:
    """Return the activity type of an event, or the reason to skip it."""
    if values.get("filtered"):
        return None, _FILTERED
    if event_type == "STATUSCHANGE":
        return _status_change_type(values["id"], run)
    activity_type = _ACTIVITY_TYPES.get(event_type)
    if activity_type is None:
        reason = _SKIP_REASONS.get(event_type, f"email event type {event_type}")
        return None, reason
    return activity_type, ""


def _status_change_type(
    event_id: str, run: ImportRun
) -> tuple[ActivityType | None, str]:
    detail = run.email_details.get("status_change", {}).get(event_id)
    if detail is None:
        return None, _NO_STATUS_DETAIL
    statuses = {(detail.get("portal_subscription_status") or "").upper()}
    statuses |= _subscription_statuses(detail.get("subscriptions"))
    source = (detail.get("source") or "").upper()
    if "UNSUBSCRIBED" in statuses and source in {"", "SOURCE_RECIPIENT"}:
        return ActivityType.EMAIL_UNSUBSCRIBE, ""
    return None, _NOT_UNSUBSCRIBE


def _subscription_statuses(text: str | None) -> set[str]:
    """Return the statuses in a subscriptions list: [{"id": 1, "status": …}]."""
    try:
        items = json.loads(text or "[]")
    except json.JSONDecodeError:
        return set()
    if not isinstance(items, list):
        return set()
    return {
        str(item.get("status", "")).upper() for item in items if isinstance(item, dict)
    }


def _activity(
    values: dict[str, Any],
    event_type: str,
    activity_type: ActivityType,
    run: ImportRun,
) -> dict[str, Any]:
    source_id = prefixed_source_id("email-event", values["id"])
    return {
        "id": hubspot_id(source_id),
        "source_system": SOURCE,
        "source_id": source_id,
        "occurred_at": values["created"],
        "type": activity_type.value,
        "channel": "email",
        "raw_type": event_type,
        "email": normalize_email(values.get("recipient")),
        "campaign_id": optional_id(values.get("campaign_id")),
        "asset": _asset(values["id"], event_type, run),
        "is_deleted": False,
    }


def _asset(event_id: str, event_type: str, run: ImportRun) -> str | None:
    """Return the clicked URL of a click, or the subject of a sent e-mail."""
    if event_type == "CLICK":
        detail = run.email_details.get("click", {}).get(event_id, {})
        return detail.get("url") or None
    if event_type == "SENT":
        detail = run.email_details.get("sent", {}).get(event_id, {})
        return detail.get("subject") or None
    return None


def read_email_campaigns(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    """Add one campaigns record per HubSpot marketing e-mail campaign."""
    table = parse_table(csv_file, CAMPAIGN_FIELDS, context)
    report = FileReport.of(table, shape.object_name, "campaigns")
    key_header = table.header_of("id")
    for row in table.rows:
        values = row.values
        campaign_type = values.get("type") or values.get("sub_type")
        record = {
            "id": hubspot_id(values["id"]),
            "source_system": SOURCE,
            "source_id": values["id"],
            "name": values.get("name")
            or values.get("subject")
            or values.get("app_name"),
            "channel": "email",
            "type": campaign_type.lower() if campaign_type else None,
        }
        run.batch.add("campaigns", record, csv_file.path, row.line, key_header)
    run.add_report(report)
