"""Suggested actions for low performers, drawn from what the account lacks.

- MQA not followed up → a sales call within the SLA;
- deal stalled → a next-step meeting with the buying group;
- engaged without an opportunity and no decision maker engaged → invite a
  decision maker to an executive briefing;
- no engagement, or engaged without an opportunity while a decision maker
  is engaged → re-target with the strongest pattern to reuse, a campaign or
  asset that preceded opportunities. Without a significant pattern, the
  suggestion is an event invitation or a case study.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from abmkpi.config import Settings
from abmkpi.pdca.messages import SUGGESTIONS, in_languages
from abmkpi.pdca.patterns import Pattern, PatternKind, PatternScope, patterns
from abmkpi.pdca.rules import Rule
from abmkpi.periods import Period
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


@dataclass
class Suggestion:
    """A suggested action: a stable code, its text per language, and the
    pattern it reuses, if any."""

    code: str
    text: dict[str, str]
    pattern: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "pattern": self.pattern}


def choose_suggestion(
    rule: Rule,
    decision_maker_engaged: bool,
    settings: Settings,
    top_pattern: Pattern | None,
) -> Suggestion:
    """Return the suggested action for a rule break."""
    if rule is Rule.MQA_WITHOUT_FOLLOW_UP:
        hours = settings.handoff.sla_hours
        sla = int(hours) if float(hours).is_integer() else hours
        return _suggestion("sales_call", {"sla": sla})
    if rule is Rule.STALLED_DEAL:
        return _suggestion("next_step_meeting", {})
    if rule is Rule.ENGAGED_WITHOUT_OPPORTUNITY and not decision_maker_engaged:
        return _suggestion("executive_briefing", {})
    if top_pattern is None:
        return _suggestion("retarget", {})
    lift = top_pattern.lift
    values = {
        "pattern": top_pattern.label,
        "lift": "∞" if lift is None else f"{lift:.1f}",
    }
    suggestion = _suggestion("reuse_pattern", values)
    suggestion.pattern = {
        "kind": str(top_pattern.kind),
        "key": top_pattern.key,
        "label": top_pattern.label,
        "lift": lift,
    }
    return suggestion


def _suggestion(code: str, values: dict[str, Any]) -> Suggestion:
    return Suggestion(code, in_languages(SUGGESTIONS[code], values))


def top_pattern(
    store: Store, settings: Settings, period: Period, as_of: datetime
) -> Pattern | None:
    """Return the strongest campaign (else asset) to reuse, or None.

    Campaigns come first because marketing can run them again; an asset may
    also be a sales meeting's subject. Target accounts are compared first.
    When none is a candidate among them (a short target list rarely has the
    power), all accounts are.
    """
    for scope in (PatternScope.TARGET, PatternScope.ALL):
        found = patterns(store, settings, period, as_of, scope)
        for kind in (PatternKind.CAMPAIGN, PatternKind.ASSET):
            for pattern in found:
                if pattern.is_candidate and pattern.kind == kind:
                    return pattern
    logger.info("no campaign or asset is a pattern to reuse in %s", period.id)
    return None
