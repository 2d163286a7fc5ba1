"""Pardot visitor activity types and the canonical activity type of each.

A visitor activity carries a numeric ``type`` and a ``type_name`` naming the
kind of object involved (Email, File, Form, Landing Page, …). Most codes
decide the canonical type alone. Click (1) and View (2) need the object too:
a click on an e-mail link is an e-mail click, a click on a file is a
download. Opportunity events are skipped, because opportunities are read
from the opportunity table. Unknown codes are kept as "other".
"""

from __future__ import annotations

from dataclasses import dataclass

from abmkpi.canonical import ActivityType

# The type values listed in the "Visitor Activity" section of the Pardot API
# version 4 object field reference (version 3 lists codes 1 to 34).
VISITOR_ACTIVITY_TYPES: dict[int, str] = {
    1: "Click",
    2: "View",
    3: "Error",
    4: "Success",
    5: "Session",
    6: "Sent",
    7: "Search",
    8: "New Opportunity",
    9: "Opportunity Won",
    10: "Opportunity Lost",
    11: "Open",
    12: "Unsubscribe Page",
    13: "Bounced",
    14: "Spam Complaint",
    15: "Email Preference Page",
    16: "Resubscribed",
    17: "Click (Third Party)",
    18: "Opportunity Reopened",
    19: "Opportunity Linked",
    20: "Visit",
    21: "Custom URL click",
    22: "Olark Chat",
    23: "Invited to Webinar",
    24: "Attended Webinar",
    25: "Registered for Webinar",
    26: "Social Post Click",
    27: "Video View",
    28: "Event Registered",
    29: "Event Checked In",
    30: "Video Conversion",
    31: "UserVoice Suggestion",
    32: "UserVoice Comment",
    33: "UserVoice Ticket",
    34: "Video Watched (≥ 75% watched)",
    35: "Indirect Unsubscribe Open",
    36: "Indirect Bounce",
    37: "Indirect Resubscribed",
    38: "Opportunity Unlinked",
}

CLICK = 1
VIEW = 2


@dataclass(frozen=True)
class TypeRule:
    """The outcome for one visitor activity: a canonical type or a skip."""

    activity_type: ActivityType | None = None
    channel: str | None = None
    skip_reason: str | None = None


def _touch(activity_type: ActivityType, channel: str | None) -> TypeRule:
    return TypeRule(activity_type=activity_type, channel=channel)


_OPPORTUNITY = TypeRule(
    skip_reason="opportunity event; opportunities come from the opportunity table"
)
_OTHER_EMAIL = _touch(ActivityType.OTHER, "email")

_RULES: dict[int, TypeRule] = {
    3: _touch(ActivityType.OTHER, "web"),  # a form submission that failed
    4: _touch(ActivityType.FORM_FILL, "web"),
    5: _touch(ActivityType.WEB_VISIT, "web"),
    6: _touch(ActivityType.EMAIL_SEND, "email"),
    7: _touch(ActivityType.WEB_VISIT, "web"),  # a site search
    8: _OPPORTUNITY,
    9: _OPPORTUNITY,
    10: _OPPORTUNITY,
    11: _touch(ActivityType.EMAIL_OPEN, "email"),
    12: _touch(ActivityType.EMAIL_UNSUBSCRIBE, "email"),
    13: _touch(ActivityType.EMAIL_BOUNCE, "email"),
    # Pardot opts out a prospect who reports an e-mail as spam.
    14: _touch(ActivityType.EMAIL_UNSUBSCRIBE, "email"),
    15: _OTHER_EMAIL,
    16: _OTHER_EMAIL,
    17: _touch(ActivityType.EMAIL_CLICK, "email"),
    18: _OPPORTUNITY,
    19: _OPPORTUNITY,
    20: _touch(ActivityType.WEB_VISIT, "web"),
    21: _touch(ActivityType.WEB_VISIT, "web"),
    22: _touch(ActivityType.OTHER, "web"),
    # An invitation is sent to the prospect, like an e-mail send.
    23: _touch(ActivityType.EMAIL_SEND, "webinar"),
    24: _touch(ActivityType.EVENT_ATTENDED, "webinar"),
    25: _touch(ActivityType.FORM_FILL, "webinar"),
    26: _touch(ActivityType.WEB_VISIT, "social"),
    27: _touch(ActivityType.WEB_VISIT, "web"),
    28: _touch(ActivityType.FORM_FILL, "event"),
    29: _touch(ActivityType.EVENT_ATTENDED, "event"),
    30: _touch(ActivityType.FORM_FILL, "web"),
    31: _touch(ActivityType.OTHER, "web"),
    32: _touch(ActivityType.OTHER, "web"),
    33: _touch(ActivityType.OTHER, "web"),
    # Watching most of a video is consuming the content, like a download.
    34: _touch(ActivityType.CONTENT_DOWNLOAD, "web"),
    35: _touch(ActivityType.EMAIL_UNSUBSCRIBE, "email"),
    36: _touch(ActivityType.EMAIL_BOUNCE, "email"),
    37: _OTHER_EMAIL,
    38: _OPPORTUNITY,
}

_OTHER = _touch(ActivityType.OTHER, None)


def rule_for(code: int, type_name: str | None) -> TypeRule:
    """Return the rule for a type code and the object named by ``type_name``."""
    if code in (CLICK, VIEW):
        return _object_rule(code, (type_name or "").lower())
    return _RULES.get(code, _OTHER)


def _object_rule(code: int, object_name: str) -> TypeRule:
    if "file" in object_name:
        return _touch(ActivityType.CONTENT_DOWNLOAD, "web")
    if code == CLICK and "email" in object_name:
        return _touch(ActivityType.EMAIL_CLICK, "email")
    if code == CLICK and "paid search" in object_name:
        return _touch(ActivityType.AD_CLICK, "advertising")
    if "social" in object_name:
        return _touch(ActivityType.WEB_VISIT, "social")
    return _touch(ActivityType.WEB_VISIT, "web")


def raw_type_of(code: int, type_name: str | None) -> str:
    """Return the type as the activity stores it: "Click (File)", "Open"."""
    name = VISITOR_ACTIVITY_TYPES.get(code, f"visitor activity type {code}")
    object_name = (type_name or "").strip()
    if object_name and object_name.lower() != name.lower():
        return f"{name} ({object_name})"
    return name
