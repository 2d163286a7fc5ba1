"""Pardot visitor activities → activities, with visitors to find the prospect.

An activity names its prospect. When it names only a visitor (one that was
anonymous when the activity was exported), a visitor file of the same run may
link that visitor to a prospect. Activities still without a prospect are
stored without a person, so they count as activity but match no account.
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, ParsedRow, parse_table
from abmkpi.sources.pardot.activity_types import raw_type_of, rule_for
from abmkpi.sources.pardot.ids import SOURCE, optional_pardot_id, pardot_id
from abmkpi.vocabulary import N_

VISITOR_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("prospect_id", "prospect_id", "prospectId", kind="id"),
)

# Columns naming the object an activity touched, in the order they describe
# it best, with the word used for it when the activity has no details.
_OBJECT_COLUMNS = (
    ("form_id", "formId", "form"),
    ("form_handler_id", "formHandlerId", "form handler"),
    ("landing_page_id", "landingPageId", "landing page"),
    ("file_id", "fileId", "file"),
    ("custom_redirect_id", "customRedirectId", "custom redirect"),
    ("email_template_id", "emailTemplateId", "email template"),
    ("list_email_id", "listEmailId", "list email"),
    ("email_id", "emailId", "email"),
    ("paid_search_ad_id", "paidSearchAdId", "paid search ad"),
    ("site_search_query_id", "siteSearchQueryId", "site search query"),
)

VISITOR_ACTIVITY_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("occurred_at", "created_at", "createdAt", kind="datetime", required=True),
    Field.of("type", "type", kind="int", required=True),
    Field.of("type_name", "type_name", "typeName"),
    Field.of("prospect_id", "prospect_id", "prospectId", kind="id"),
    Field.of("visitor_id", "visitor_id", "visitorId", kind="id"),
    Field.of("campaign_id", "campaign_id", "campaignId", kind="id"),
    Field.of("details", "details"),
    *(Field.of(snake, snake, camel, kind="id") for snake, camel, _ in _OBJECT_COLUMNS),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)

_LINKED_VISITOR = N_("visitor of a prospect, used to link this run's activities")
_ANONYMOUS_VISITOR = N_("anonymous visitor, not linked to a prospect")


def read_visitors(
    csv_file: CsvFile,
    context: ParseContext,
    prospects: dict[str, str],
    batch: ImportBatch,
) -> None:
    """Add each visitor's prospect to ``prospects``; visitors are not stored."""
    table = parse_table(csv_file, VISITOR_FIELDS, context)
    report = FileReport.of(table, "pardot visitors", "")
    for row in table.rows:
        prospect_id = row.values.get("prospect_id")
        if prospect_id is None:
            report.skipped[_ANONYMOUS_VISITOR] += 1
            continue
        prospects[row.values["id"]] = prospect_id
        report.skipped[_LINKED_VISITOR] += 1
    batch.files.append(report)


def read_visitor_activities(
    csv_file: CsvFile,
    context: ParseContext,
    prospects: dict[str, str],
    batch: ImportBatch,
) -> None:
    """Add one activity per visitor activity that is a touch."""
    table = parse_table(csv_file, VISITOR_ACTIVITY_FIELDS, context)
    report = FileReport.of(table, "pardot visitor activities", "activities")
    key_header = table.header_of("id")
    anonymous = 0
    for row in table.rows:
        values = row.values
        rule = rule_for(values["type"], values.get("type_name"))
        if rule.skip_reason is not None:
            report.skipped[rule.skip_reason] += 1
            continue
        assert rule.activity_type is not None
        activity = _activity(row, prospects)
        activity["type"] = rule.activity_type.value
        activity["channel"] = rule.channel
        anonymous += activity["person_id"] is None
        batch.add("activities", activity, csv_file.path, row.line, key_header)
    if anonymous:
        report.notes.append(
            f"{anonymous} activities of anonymous visitors are stored without a "
            "person: they name no prospect, and no visitor file of this run links "
            "their visitor to one"
        )
    batch.files.append(report)


def _activity(row: ParsedRow, prospects: dict[str, str]) -> dict[str, Any]:
    values = row.values
    activity_id = values["id"]
    prospect_id = values.get("prospect_id")
    if prospect_id is None and values.get("visitor_id") is not None:
        prospect_id = prospects.get(values["visitor_id"])
    return {
        "id": pardot_id(activity_id),
        "source_system": SOURCE,
        "source_id": activity_id,
        "occurred_at": values["occurred_at"],
        "raw_type": raw_type_of(values["type"], values.get("type_name")),
        "person_id": optional_pardot_id(prospect_id),
        "campaign_id": optional_pardot_id(values.get("campaign_id")),
        "asset": _asset(values),
        "is_deleted": bool(values.get("is_deleted")),
    }


def _asset(values: dict[str, Any]) -> str | None:
    """Return what the activity touched: its details, else the object's id."""
    if values.get("details"):
        return str(values["details"])
    for column, _, word in _OBJECT_COLUMNS:
        if values.get(column):
            return f"{word} {values[column]}"
    return None
