"""Canonical vocabularies shared by every source, the store and the KPIs."""

from __future__ import annotations

from enum import StrEnum


class ActivityType(StrEnum):
    """One kind of touch, whatever system recorded it."""

    WEB_VISIT = "web_visit"
    CONTENT_DOWNLOAD = "content_download"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    FORM_FILL = "form_fill"
    EVENT_ATTENDED = "event_attended"
    AD_CLICK = "ad_click"
    INTENT_SIGNAL = "intent_signal"
    SALES_MEETING = "sales_meeting"
    SALES_CALL = "sales_call"
    SALES_EMAIL = "sales_email"
    # Delivery events: stored so email reports add up, but not touches by the
    # account, so their default weight is 0 and they never make it "aware".
    EMAIL_SEND = "email_send"
    EMAIL_DELIVERED = "email_delivered"
    EMAIL_BOUNCE = "email_bounce"
    EMAIL_UNSUBSCRIBE = "email_unsubscribe"
    OTHER = "other"


SALES_ACTIVITY_TYPES = frozenset(
    {ActivityType.SALES_MEETING, ActivityType.SALES_CALL, ActivityType.SALES_EMAIL}
)

# Activity types that are sent to a person rather than done by them.
DELIVERY_ACTIVITY_TYPES = frozenset(
    {
        ActivityType.EMAIL_SEND,
        ActivityType.EMAIL_DELIVERED,
        ActivityType.EMAIL_BOUNCE,
    }
)

MARKETING_ACTIVITY_TYPES = frozenset(
    set(ActivityType) - SALES_ACTIVITY_TYPES - DELIVERY_ACTIVITY_TYPES
)


class Persona(StrEnum):
    """Buying-group role derived from a person's job title."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    USER = "user"
    UNKNOWN = "unknown"


class OpportunityType(StrEnum):
    """Kind of deal; KPIs never mix kinds unless their label says so."""

    NEW_BUSINESS = "new_business"
    EXPANSION = "expansion"
    RENEWAL = "renewal"


class MatchMethod(StrEnum):
    """How a person or activity was attributed to an account."""

    SOURCE_LINK = "source_link"
    EMAIL_EXACT = "email_exact"
    EMAIL_DOMAIN = "email_domain"
    COMPANY_NAME = "company_name"
    COMPANY_NAME_STATE = "company_name_state"
    FUZZY_NAME = "fuzzy_name"
    UNMATCHED = "unmatched"


class SourceSystem(StrEnum):
    """Systems whose native export shapes abmkpi reads."""

    SALESFORCE = "salesforce"
    MARKETO = "marketo"
    HUBSPOT = "hubspot"
    PARDOT = "pardot"
    MAUTIC = "mautic"
    CSV = "csv"
    DEMO = "demo"
    LIVE = "live"


def canonical_id(source_system: str, source_id: str) -> str:
    """Return the store id of a source record: ``<source>:<source id>``."""
    return f"{source_system}:{source_id}"


def source_id_of(record_id: str) -> str:
    """Return the source id part of a canonical id."""
    return record_id.split(":", 1)[1] if ":" in record_id else record_id
