"""Campaign and CampaignMember: campaigns, and responses as marketing activities.

A campaign member becomes an activity only once it has responded
(HasResponded), and the activity type follows the campaign's Type. The
campaign comes from a Campaign file of the same run, because the importer
reads Campaign files before CampaignMember files. Otherwise the loader looks
it up in the campaigns table, and a campaign found in neither gives
``form_fill``.
The member's person is its contact when it has one: a converted lead's
membership carries both ids, and the contact is the live record.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources.base import StoreLookup
from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    FileContext,
    SalesforceObject,
    business_midnight,
    first_value,
    present,
    record_base,
    references,
    sf_id,
)
from abmkpi.vocabulary import N_

# Campaign Type (case-folded, NFKC) to the activity type of a response.
_TYPE_BY_CAMPAIGN_TYPE: dict[str, ActivityType] = {
    **dict.fromkeys(
        ("webinar", "conference", "trade show", "seminar", "event"),
        ActivityType.EVENT_ATTENDED,
    ),
    "email": ActivityType.EMAIL_CLICK,
    **dict.fromkeys(
        ("content", "whitepaper", "white paper", "ebook"),
        ActivityType.CONTENT_DOWNLOAD,
    ),
    **dict.fromkeys(
        ("advertisement", "banner ads", "ads", "ad"), ActivityType.AD_CLICK
    ),
    **dict.fromkeys(("web", "website"), ActivityType.WEB_VISIT),
}

# Japanese campaign types are free text ("展示会出展", "Webセミナー"), so they
# match by keyword, in this order.
_TYPE_BY_KEYWORD: tuple[tuple[str, ActivityType], ...] = (
    ("セミナー", ActivityType.EVENT_ATTENDED),
    ("ウェビナー", ActivityType.EVENT_ATTENDED),
    ("展示会", ActivityType.EVENT_ATTENDED),
    ("イベント", ActivityType.EVENT_ATTENDED),
    ("カンファレンス", ActivityType.EVENT_ATTENDED),
    ("メール", ActivityType.EMAIL_CLICK),
    ("資料", ActivityType.CONTENT_DOWNLOAD),
    ("ホワイトペーパー", ActivityType.CONTENT_DOWNLOAD),
    ("広告", ActivityType.AD_CLICK),
)


def activity_type_of(campaign_type: str | None) -> ActivityType:
    """Return the activity type of a response to a campaign of this Type."""
    if not campaign_type:
        return ActivityType.FORM_FILL
    key = unicodedata.normalize("NFKC", campaign_type).casefold().strip()
    if key in _TYPE_BY_CAMPAIGN_TYPE:
        return _TYPE_BY_CAMPAIGN_TYPE[key]
    for keyword, activity_type in _TYPE_BY_KEYWORD:
        if keyword in key:
            return activity_type
    return ActivityType.FORM_FILL


def convert_campaign(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        **present(
            values,
            {
                "name": "Name",
                "type": "Type",
                "channel": "Type",
                "status": "Status",
                "start_date": "StartDate",
                "end_date": "EndDate",
                "currency": "CurrencyIsoCode",
            },
        ),
        **references(values, {"source_parent_id": "ParentId"}),
    }
    if ctx.has("ActualCost", "BudgetedCost"):
        record["cost"] = first_value(values, "ActualCost", "BudgetedCost")
    ctx.state.campaign_types[record["id"]] = values.get("Type")
    ctx.add("campaigns", record, row.line)


def convert_member(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    if not values["HasResponded"]:
        ctx.skip(N_("not responded"))
        return
    occurred_at = _response_time(values, ctx)
    if occurred_at is None:
        ctx.reject(
            row.line, "CreatedDate", None, "no FirstRespondedDate and no CreatedDate"
        )
        return
    campaign_id = sf_id(values["CampaignId"])
    record = {
        **record_base(values),
        "occurred_at": occurred_at,
        "person_id": sf_id(first_value(values, "ContactId", "LeadId")),
        "campaign_id": campaign_id,
        "raw_type": values.get("Status") or "CampaignMember",
        **present(
            values,
            {"email": "Email", "company_name": "CompanyOrAccount", "state": "State"},
        ),
    }
    lookups = []
    if campaign_id in ctx.state.campaign_types:
        record.update(_campaign_values(ctx.state.campaign_types[campaign_id]))
    else:
        record.update(_campaign_values(None))
        lookups.append(
            StoreLookup("campaigns", (("id", campaign_id),), _stored_campaign)
        )
    ctx.add("activities", record, row.line, lookups)


def _response_time(values: dict[str, Any], ctx: FileContext) -> Any:
    # FirstRespondedDate is a date; a response on that date counts from
    # midnight of the business day.
    responded = values.get("FirstRespondedDate")
    if responded is not None:
        return business_midnight(responded, ctx.settings)
    return values.get("CreatedDate")


def _campaign_values(campaign_type: str | None) -> dict[str, Any]:
    return {"type": activity_type_of(campaign_type).value, "channel": campaign_type}


def _stored_campaign(row: dict[str, Any] | None) -> dict[str, Any]:
    return {} if row is None else _campaign_values(row["type"])


CAMPAIGN = SalesforceObject(
    name="Campaign",
    table="campaigns",
    id_prefix="701",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("Name"),
        Field.of("Type"),
        Field.of("Status"),
        Field.of("StartDate", kind="date"),
        Field.of("EndDate", kind="date"),
        Field.of("ActualCost", kind="number"),
        Field.of("BudgetedCost", kind="number"),
        Field.of("CurrencyIsoCode"),
        Field.of("ParentId", kind="id"),
    ),
    convert=convert_campaign,
)

CAMPAIGN_MEMBER = SalesforceObject(
    name="CampaignMember",
    table="activities",
    id_prefix="00v",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("CampaignId", kind="id", required=True),
        Field.of("LeadId", kind="id"),
        Field.of("ContactId", kind="id"),
        Field.of("HasResponded", kind="bool", required=True),
        Field.of("FirstRespondedDate", kind="date"),
        Field.of("CreatedDate", kind="datetime"),
        Field.of("Status"),
        Field.of("Email", kind="email"),
        Field.of("CompanyOrAccount"),
        Field.of("State"),
    ),
    convert=convert_member,
)
