"""Marketo activity types: their ids, and what each one means for abmkpi.

Marketo logs nearly every change to a lead as an activity, so most types are
not touches. Each type name maps to one :class:`TypeRule`: a canonical
activity type with its channel, a reason to skip the row, or a special rule
(lead deletion, lead merge, program status change). Names are compared
without regard to case, because instances differ in capitalisation
("Add To List", "Add to List").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from abmkpi.canonical import ActivityType
from abmkpi.vocabulary import N_

# Marketo's standard activity types, as Adobe's Marketo documentation lists
# them. An instance's GET /rest/v1/activities/types.json returns its own list,
# where ids from 100000 up are custom activity types.
STANDARD_ACTIVITY_TYPES: dict[int, str] = {
    1: "Visit Webpage",
    2: "Fill Out Form",
    3: "Click Link",
    6: "Send Email",
    7: "Email Delivered",
    8: "Email Bounced",
    9: "Unsubscribe Email",
    10: "Open Email",
    11: "Click Email",
    12: "New Lead",
    13: "Change Data Value",
    19: "Sync Lead to SFDC",
    21: "Convert Lead",
    22: "Change Score",
    23: "Change Owner",
    24: "Add to List",
    25: "Remove from List",
    26: "SFDC Activity",
    27: "Email Bounced Soft",
    28: "Sync Lead Updates to SFDC",
    29: "Delete Lead from SFDC",
    30: "SFDC Activity Updated",
    31: "SFDC Merge Leads",
    32: "Merge Leads",
    34: "Add to Opportunity",
    35: "Remove from Opportunity",
    36: "Update Opportunity",
    37: "Delete Lead",
    38: "Send Alert",
    39: "Send Sales Email",
    40: "Open Sales Email",
    41: "Click Sales Email",
    42: "Add to SFDC Campaign",
    43: "Remove from SFDC Campaign",
    44: "Change Status in SFDC Campaign",
    45: "Receive Sales Email",
    46: "Interesting Moment",
    47: "Request Campaign",
    48: "Sales Email Bounced",
    100: "Change Lead Partition",
    101: "Change Revenue Stage",
    102: "Change Revenue Stage Manually",
    104: "Change Status in Progression",
    106: "Enrich with Data.com",
    108: "Change Segment",
    110: "Call Webhook",
    111: "Sent Forward to Friend Email",
    112: "Received Forward to Friend Email",
    113: "Add to Nurture",
    114: "Change Nurture Track",
    115: "Change Nurture Cadence",
    123: "Change Program Member Data",
    131: "Fill Out Facebook Lead Ads Form",
    132: "Click RTP Call to Action",
    133: "Click Predictive Content",
    145: "Push Lead to Marketo",
    147: "Fill Out LinkedIn Lead Gen Form",
    300: "Sync Lead to Microsoft",
    400: "Share Content",
    401: "Vote in Poll",
    402: "Sign Up for Referral Offer",
    403: "Achieve Goal in Referral",
    405: "Click Shared Link",
    406: "Win Sweepstakes",
    407: "Enter Sweepstakes",
    408: "Disqualify Sweepstakes",
    409: "Earn Entry in Social App",
    410: "Refer to Social App",
}


class Special(StrEnum):
    """Types that change other tables instead of adding an activity."""

    DELETE_LEAD = "delete_lead"
    MERGE_LEADS = "merge_leads"
    PROGRAM_STATUS = "program_status"


@dataclass(frozen=True)
class TypeRule:
    """The outcome for rows of one type: an activity type, a skip or a special rule."""

    activity_type: ActivityType | None = None
    channel: str | None = None
    skip_reason: str | None = None
    special: Special | None = None


def _touch(activity_type: ActivityType, channel: str | None) -> TypeRule:
    return TypeRule(activity_type=activity_type, channel=channel)


def _skip(reason: str) -> TypeRule:
    return TypeRule(skip_reason=reason)


_CRM_SYNC = N_("CRM sync, not a touch")
_DATA_CHANGE = N_("data change, not a touch")
_LIST_CHANGE = N_("list membership change, not a touch")
_CRM_CAMPAIGN = N_("CRM campaign membership change, not a touch")
_OPPORTUNITY = N_("opportunity change; import opportunities from the CRM")
_NURTURE = N_("nurture membership change, not a touch")
_REVENUE_STAGE = N_("revenue stage change, not a touch")

# Keyed by the lower-cased type name.
_RULES: dict[str, TypeRule] = {
    "visit webpage": _touch(ActivityType.WEB_VISIT, "web"),
    "click link": _touch(ActivityType.WEB_VISIT, "web"),
    "click rtp call to action": _touch(ActivityType.WEB_VISIT, "web"),
    "click predictive content": _touch(ActivityType.CONTENT_DOWNLOAD, "web"),
    "fill out form": _touch(ActivityType.FORM_FILL, "web"),
    "fill out facebook lead ads form": _touch(ActivityType.FORM_FILL, "social"),
    "fill out linkedin lead gen form": _touch(ActivityType.FORM_FILL, "social"),
    "click shared link": _touch(ActivityType.WEB_VISIT, "social"),
    "open email": _touch(ActivityType.EMAIL_OPEN, "email"),
    "click email": _touch(ActivityType.EMAIL_CLICK, "email"),
    "send email": _touch(ActivityType.EMAIL_SEND, "email"),
    "email delivered": _touch(ActivityType.EMAIL_DELIVERED, "email"),
    "email bounced": _touch(ActivityType.EMAIL_BOUNCE, "email"),
    "email bounced soft": _touch(ActivityType.EMAIL_BOUNCE, "email"),
    "unsubscribe email": _touch(ActivityType.EMAIL_UNSUBSCRIBE, "email"),
    "interesting moment": _touch(ActivityType.INTENT_SIGNAL, None),
    "send sales email": _touch(ActivityType.SALES_EMAIL, "email"),
    "open sales email": _touch(ActivityType.SALES_EMAIL, "email"),
    "click sales email": _touch(ActivityType.SALES_EMAIL, "email"),
    "receive sales email": _touch(ActivityType.SALES_EMAIL, "email"),
    "sales email bounced": _touch(ActivityType.EMAIL_BOUNCE, "email"),
    "sent forward to friend email": _touch(ActivityType.OTHER, "email"),
    "received forward to friend email": _touch(ActivityType.OTHER, "email"),
    "delete lead": TypeRule(special=Special.DELETE_LEAD),
    "merge leads": TypeRule(special=Special.MERGE_LEADS),
    "change status in progression": TypeRule(special=Special.PROGRAM_STATUS),
    "new lead": _skip(N_("lead creation, not a touch")),
    "change data value": _skip(N_("data-value change, not a touch")),
    "change score": _skip(N_("score change, not a touch")),
    "change owner": _skip(N_("owner change, not a touch")),
    "convert lead": _skip(N_("lead conversion, not a touch")),
    "add to list": _skip(_LIST_CHANGE),
    "remove from list": _skip(_LIST_CHANGE),
    "sync lead to sfdc": _skip(_CRM_SYNC),
    "sync lead updates to sfdc": _skip(_CRM_SYNC),
    "sync lead to microsoft": _skip(_CRM_SYNC),
    "push lead to marketo": _skip(_CRM_SYNC),
    "delete lead from sfdc": _skip(N_("deletion in the CRM, not of the Marketo lead")),
    "sfdc merge leads": _skip(N_("merge in the CRM; import merges from the CRM")),
    "sfdc activity": _skip(N_("CRM task copied into Marketo; import it from the CRM")),
    "sfdc activity updated": _skip(
        "CRM task copied into Marketo; import it from the CRM"
    ),
    "add to opportunity": _skip(_OPPORTUNITY),
    "remove from opportunity": _skip(_OPPORTUNITY),
    "update opportunity": _skip(_OPPORTUNITY),
    "add to sfdc campaign": _skip(_CRM_CAMPAIGN),
    "remove from sfdc campaign": _skip(_CRM_CAMPAIGN),
    "change status in sfdc campaign": _skip(_CRM_CAMPAIGN),
    "send alert": _skip(N_("internal alert, not a touch")),
    "request campaign": _skip(N_("campaign request, not a touch")),
    "call webhook": _skip(N_("webhook call, not a touch")),
    "change lead partition": _skip(_DATA_CHANGE),
    "change segment": _skip(_DATA_CHANGE),
    "enrich with data.com": _skip(_DATA_CHANGE),
    "change program member data": _skip(_DATA_CHANGE),
    "change revenue stage": _skip(_REVENUE_STAGE),
    "change revenue stage manually": _skip(_REVENUE_STAGE),
    "add to nurture": _skip(_NURTURE),
    "change nurture track": _skip(_NURTURE),
    "change nurture cadence": _skip(_NURTURE),
}

# Custom activity types are named per instance, so words in the name decide
# the canonical type. Any other unknown name becomes "other".
_CUSTOM_KEYWORDS: tuple[tuple[tuple[str, ...], ActivityType, str], ...] = (
    (("attend",), ActivityType.EVENT_ATTENDED, "event"),
    (
        ("download", "content", "whitepaper", "資料"),
        ActivityType.CONTENT_DOWNLOAD,
        "web",
    ),
)

_OTHER = _touch(ActivityType.OTHER, None)

# Program statuses that mean the person was at the event or watched the
# webinar, in Marketo's default channels (Webinar, Live Event, Tradeshow).
# NOTE: instances can rename statuses, and a renamed attendance status is
# skipped as "program status change other than attendance".
ATTENDED_STATUSES = frozenset(
    {"attended", "attended on-demand", "attended on demand", "visited booth"}
)


def rule_for(name: str) -> TypeRule:
    """Return the rule for a type name; unknown names become "other"."""
    rule = _RULES.get(name.strip().lower())
    if rule is not None:
        return rule
    lowered = name.lower()
    for words, activity_type, channel in _CUSTOM_KEYWORDS:
        if any(word in lowered for word in words):
            return _touch(activity_type, channel)
    return _OTHER


def is_attended(status: str | None) -> bool:
    """Tell whether a program status means attendance."""
    return status is not None and status.strip().lower() in ATTENDED_STATUSES


def snake_case(name: str) -> str:
    """Return a type or attribute name as Fivetran writes it in table names."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


_BY_SNAKE_NAME = {snake_case(name): name for name in STANDARD_ACTIVITY_TYPES.values()}


def standard_name_of_table(slug: str) -> str | None:
    """Return the standard type name a Fivetran table slug stands for."""
    return _BY_SNAKE_NAME.get(slug)


def unknown_type_name(type_id: int) -> str:
    return f"activity type {type_id}"


@dataclass
class ActivityTypeNames:
    """Type names by id: the run's own type list over Marketo's standard one.

    An instance's list (an ``activity_types.csv`` in the run) names its custom
    types and may rename standard ones. Ids it leaves out keep their standard
    name.
    """

    defined: dict[int, str] = field(default_factory=dict)

    def name_of(self, type_id: int) -> str | None:
        return self.defined.get(type_id) or STANDARD_ACTIVITY_TYPES.get(type_id)
