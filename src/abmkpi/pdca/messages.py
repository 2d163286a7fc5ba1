"""Reasons and suggested actions of low performers, in English and Japanese.

The English texts are message ids of the translation catalog; each is
rendered in every language with its ``%(name)s`` placeholders filled.
"""

from __future__ import annotations

from typing import Any

from abmkpi.i18n import LANGUAGES, translate


def N_(message: str) -> str:
    """Mark a message for translation; it is translated when rendered."""
    return message


REASONS = {
    "no_engagement": N_(
        "No engagement for %(days)s days (last on %(last)s); the limit is "
        "%(limit)s days."
    ),
    "no_engagement_ever": N_(
        "No engagement recorded at all; the limit is %(limit)s days."
    ),
    "engaged_without_opportunity": N_(
        "Engaged since %(since)s, %(days)s days ago, without a new opportunity; "
        "the limit is %(limit)s days."
    ),
    "mqa_without_follow_up": N_(
        "MQA since %(since)s with no sales activity for %(hours)s hours; the "
        "SLA is %(sla)s hours."
    ),
    "stalled_deal": N_(
        "Deal %(deal)s has been in %(stage)s for %(days)s days, %(ratio)s× the "
        "median stay of %(median)s days (limit %(factor)s×)."
    ),
}

SUGGESTIONS = {
    "executive_briefing": N_(
        "No decision maker is engaged: invite one to an executive briefing."
    ),
    "sales_call": N_("Have sales call the account within the SLA of %(sla)s hours."),
    "next_step_meeting": N_(
        "Set a next-step meeting with the buying group to move the deal on."
    ),
    "reuse_pattern": N_(
        "Re-target with %(pattern)s, the strongest pattern before opportunities "
        "(lift %(lift)s)."
    ),
    "retarget": N_("Re-target the account with an event invitation or a case study."),
}

RULE_LABELS = {
    "no_engagement": N_("No engagement"),
    "engaged_without_opportunity": N_("Engaged without opportunity"),
    "mqa_without_follow_up": N_("MQA without follow-up"),
    "stalled_deal": N_("Stalled deal"),
    "pattern": N_("Reuse a winning pattern"),
}


def rule_label(rule: str) -> str:
    """Return the label (a message id) of an action's rule; every
    ``pattern:KIND:KEY`` rule shares the label of ``pattern``."""
    return RULE_LABELS.get(rule.partition(":")[0], rule)


def in_languages(message: str, values: dict[str, Any]) -> dict[str, str]:
    """Return the message in every language, placeholders filled."""
    return {language: translate(message, language) % values for language in LANGUAGES}
