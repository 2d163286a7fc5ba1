"""English labels of identifiers: stages, personas, types, statuses, reasons.

The labels are message ids of the translation catalog; ``N_`` only marks
them for extraction. The dashboard's ``Formatter.term`` and the CLI's
``Labels.term`` translate them when a page or table is shown. An identifier
without a label (a CRM stage name, a new source) is shown as it is.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


TERMS: dict[str, dict[str, str]] = {
    "journey": {
        "unengaged": N_("Unengaged"),
        "aware": N_("Aware"),
        "engaged": N_("Engaged"),
        "mqa": N_("MQA"),
        "opportunity": N_("Opportunity"),
        "customer": N_("Customer"),
    },
    "status": {
        "on_track": N_("On track"),
        "at_risk": N_("At risk"),
        "off_track": N_("Off track"),
        "no_target": N_("No target"),
        "no_data": N_("No data"),
        "insufficient_data": N_("Sample too small"),
    },
    "segment": {
        "all": N_("All accounts"),
        "target": N_("Target accounts"),
        "non_target": N_("Non-target accounts"),
    },
    "persona": {
        "decision_maker": N_("Decision maker"),
        "influencer": N_("Influencer"),
        "user": N_("User"),
        "unknown": N_("Unknown persona"),
        "buying_group": N_("Buying group"),
    },
    "activity_type": {
        "web_visit": N_("Web visit"),
        "content_download": N_("Content download"),
        "email_open": N_("Email open"),
        "email_click": N_("Email click"),
        "form_fill": N_("Form fill"),
        "event_attended": N_("Event attended"),
        "ad_click": N_("Ad click"),
        "intent_signal": N_("Intent signal"),
        "sales_meeting": N_("Sales meeting"),
        "sales_call": N_("Sales call"),
        "sales_email": N_("Sales email"),
        "email_send": N_("Email sent"),
        "email_delivered": N_("Email delivered"),
        "email_bounce": N_("Email bounce"),
        "email_unsubscribe": N_("Unsubscribe"),
        "other": N_("Other activity"),
    },
    "opportunity_type": {
        "new_business": N_("New business"),
        "expansion": N_("Expansion"),
        "renewal": N_("Renewal"),
    },
    "person_kind": {"contact": N_("Contact"), "lead": N_("Lead")},
    "match_method": {
        "source_link": N_("Source's account link"),
        "email_exact": N_("Exact e-mail"),
        "email_domain": N_("E-mail domain"),
        "company_name": N_("Company name"),
        "company_name_state": N_("Company name and state"),
        "fuzzy_name": N_("Similar company name"),
        "unmatched": N_("Unmatched"),
    },
    "unmatched_reason": {
        "ambiguous_domain": N_("Domain on several accounts"),
        "ambiguous_name": N_("Name fits several accounts"),
        "free_mail_domain": N_("Free-mail address"),
        "domain_not_found": N_("Domain of no account"),
        "name_not_found": N_("Company name of no account"),
        "no_email_or_company": N_("No e-mail or company"),
        "person_not_found": N_("Person not found"),
        "merged_or_deleted": N_("Merged or deleted"),
        "deleted": N_("Deleted"),
        "not_matched_yet": N_("Not matched yet"),
    },
    "entity": {"person": N_("Person"), "activity": N_("Activity")},
    "handoff_status": {
        "open": N_("Open"),
        "acknowledged": N_("Acknowledged"),
        "breached": N_("SLA breached"),
        "followed_up": N_("Followed up"),
        "backfilled": N_("Backfilled"),
        "all": N_("All"),
    },
    "delivery_status": {
        "pending": N_("Pending"),
        "delivered": N_("Delivered"),
        "failed": N_("Failed"),
    },
    "channel": {
        "webhook": N_("Webhook"),
        "email": N_("E-mail"),
        "csv": N_("CSV queue"),
    },
    "cadence": {
        "weekly": N_("weekly"),
        "monthly": N_("monthly"),
        "quarterly": N_("quarterly"),
    },
    "role": {"admin": N_("Admin"), "editor": N_("Editor"), "viewer": N_("Viewer")},
    "pattern_scope": {"target": N_("Target accounts"), "all": N_("All accounts")},
    "pattern_kind": {
        "activity_type": N_("Activity type"),
        "campaign": N_("Campaign"),
        "asset": N_("Asset"),
    },
    "action_status": {
        "open": N_("Open"),
        "done": N_("Done"),
        "cancelled": N_("Cancelled"),
    },
    "source_system": {
        "salesforce": "Salesforce",
        "marketo": "Marketo",
        "hubspot": "HubSpot",
        "pardot": "Account Engagement (Pardot)",
        "mautic": "Mautic",
        "csv": N_("CSV import"),
        "demo": N_("Demo data"),
        "live": N_("Live events"),
    },
}


TIER_LABEL = N_("Tier %(tier)s")


def term_label(group: str, value: str) -> str:
    """Return the English label of ``value`` in ``group``, or the value itself."""
    return TERMS.get(group, {}).get(value, value)
