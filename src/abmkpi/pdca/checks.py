"""Check: target accounts that break a low-performer rule, with an action.

Rules, with thresholds from ``settings.pdca`` (see :mod:`abmkpi.pdca.signals`
for what counts as engagement):

- ``no_engagement``: no engagement for more than ``no_engagement_days``
  whole days;
- ``engaged_without_opportunity``: engaged for more than
  ``engaged_without_opportunity_days`` whole days without a new-business
  opportunity;
- ``mqa_without_follow_up``: crossed the MQA threshold, and no sales
  activity (``handoff.sales_activity_types``) followed within
  ``handoff.sla_hours``. The crossing is the latest recorded handoff when
  the workspace records handoffs, else the first instant in the period at
  which the engagement score reached ``engagement.mqa_threshold``;
- ``stalled_deal``: an open deal past ``stall_factor`` × its stage's median
  stay (see :mod:`abmkpi.pdca.stalls`).

An account appears once per rule it breaks (once per stalled deal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from abmkpi.config import Settings
from abmkpi.pdca import signals
from abmkpi.pdca.messages import REASONS, in_languages
from abmkpi.pdca.patterns import Pattern
from abmkpi.pdca.rules import Rule, pattern_rule
from abmkpi.pdca.stalls import StalledDeal, stalled_deals
from abmkpi.pdca.states import account_states
from abmkpi.pdca.suggestions import Suggestion, choose_suggestion, top_pattern
from abmkpi.pdca.window import as_of_instant
from abmkpi.periods import Period, business_date
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400


@dataclass
class LowPerformer:
    """A target account that breaks one rule: why, and what to do."""

    account_id: str
    account_name: str | None
    tier: int | None
    owner: str | None
    rule: Rule
    facts: dict[str, Any]
    reason: dict[str, str]
    suggestion: Suggestion
    score: float
    journey_stage: str
    opportunity_id: str | None = None

    @property
    def action_rule(self) -> str:
        """The rule to log the suggested action with: the pattern it reuses
        (``pattern:KIND:KEY``), else the rule broken."""
        pattern = self.suggestion.pattern
        if pattern is None:
            return str(self.rule)
        return pattern_rule(pattern["kind"], pattern["key"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "tier": self.tier,
            "owner": self.owner,
            "rule": str(self.rule),
            "opportunity_id": self.opportunity_id,
            "score": self.score,
            "journey_stage": self.journey_stage,
            "facts": self.facts,
            "reason": self.reason,
            "suggestion": self.suggestion.to_dict(),
            "action_rule": self.action_rule,
        }


@dataclass
class _Account:
    """The signals and period facts of one target account."""

    signals: signals.TargetSignals
    facts: dict[str, Any]
    found: list[LowPerformer] = field(default_factory=list)


def low_performers(
    store: Store,
    settings: Settings,
    period: Period,
    now: datetime | None = None,
) -> list[LowPerformer]:
    """Return every rule break of the target accounts as of the period's end
    (or ``now``, when earlier), ordered by tier, account and rule."""
    as_of = as_of_instant(settings, period, now)
    accounts = _target_accounts(store, settings, period, as_of)
    suggestion = _suggester(store, settings, period, as_of)
    found: list[LowPerformer] = []
    for account in accounts.values():
        found += _engagement_rules(account, settings, as_of, suggestion)
    found += _mqa_rule(store, settings, period, as_of, accounts, suggestion)
    for deal in stalled_deals(store, settings, period, as_of):
        found += _stall_entries(deal, accounts, settings, suggestion)
    found.sort(key=_order)
    logger.info(
        "found %d low-performer entries among %d target accounts for %s",
        len(found),
        len(accounts),
        period.id,
    )
    return found


def _order(entry: LowPerformer) -> tuple[int, str, int, str]:
    rules = list(Rule)
    return (
        entry.tier or 99,
        entry.account_id,
        rules.index(entry.rule),
        entry.opportunity_id or "",
    )


def _target_accounts(
    store: Store, settings: Settings, period: Period, as_of: datetime
) -> dict[str, _Account]:
    targets = signals.target_signals(store, settings, as_of)
    ids = [item.account_id for item in targets]
    facts = account_states(store, settings, period, ids, as_of)
    return {
        item.account_id: _Account(item, facts[item.account_id])
        for item in targets
        if item.account_id in facts
    }


SuggestionFor = Callable[[Rule, _Account, dict[str, Any]], Suggestion]


def _suggester(
    store: Store, settings: Settings, period: Period, as_of: datetime
) -> SuggestionFor:
    """Return a function that suggests an action, finding the pattern to
    reuse once, on the first rule break that needs it."""
    found: list[Pattern | None] = []

    def make(rule: Rule, account: _Account, values: dict[str, Any]) -> Suggestion:
        decision_maker = bool(account.facts.get("engaged_decision_maker"))
        needs_pattern = rule in (Rule.NO_ENGAGEMENT, Rule.ENGAGED_WITHOUT_OPPORTUNITY)
        if needs_pattern and not found:
            found.append(top_pattern(store, settings, period, as_of))
        pattern = found[0] if found else None
        return choose_suggestion(rule, decision_maker, settings, pattern)

    return make


def _entry(
    account: _Account,
    rule: Rule,
    reason_key: str,
    values: dict[str, Any],
    suggestion: SuggestionFor,
    opportunity_id: str | None = None,
) -> LowPerformer:
    item = account.signals
    return LowPerformer(
        account_id=item.account_id,
        account_name=item.name,
        tier=item.tier,
        owner=item.owner,
        rule=rule,
        facts=values,
        reason=in_languages(REASONS[reason_key], values),
        suggestion=suggestion(rule, account, values),
        score=float(account.facts["score"]),
        journey_stage=account.facts["journey_stage"],
        opportunity_id=opportunity_id,
    )


def _days(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds() // SECONDS_PER_DAY)


def _engagement_rules(
    account: _Account,
    settings: Settings,
    as_of: datetime,
    suggestion: SuggestionFor,
) -> list[LowPerformer]:
    pdca = settings.pdca
    zone = settings.workspace.time_zone
    item = account.signals
    found = []
    values: dict[str, Any]
    last = item.last_engaged_at
    if last is None:
        values = {"limit": pdca.no_engagement_days, "days": None, "last": None}
        found.append(
            _entry(
                account, Rule.NO_ENGAGEMENT, "no_engagement_ever", values, suggestion
            )
        )
    elif _days(as_of, last) > pdca.no_engagement_days:
        values = {
            "limit": pdca.no_engagement_days,
            "days": _days(as_of, last),
            "last": business_date(last, zone).isoformat(),
        }
        found.append(
            _entry(account, Rule.NO_ENGAGEMENT, "no_engagement", values, suggestion)
        )
    since = item.engaged_since
    if (
        since is not None
        and _days(as_of, since) > pdca.engaged_without_opportunity_days
    ):
        values = {
            "limit": pdca.engaged_without_opportunity_days,
            "days": _days(as_of, since),
            "since": business_date(since, zone).isoformat(),
            "decision_maker_engaged": bool(account.facts.get("engaged_decision_maker")),
        }
        rule = Rule.ENGAGED_WITHOUT_OPPORTUNITY
        found.append(_entry(account, rule, rule.value, values, suggestion))
    return found


def _mqa_crossings(
    store: Store,
    settings: Settings,
    period: Period,
    as_of: datetime,
    accounts: dict[str, _Account],
) -> dict[str, datetime]:
    """Return when each target account crossed the MQA threshold: its latest
    handoff, else its first crossing in the period."""
    handoffs = signals.handoff_crossings(store, as_of)
    if handoffs is not None:
        return {
            account_id: row["crossed_at"]
            for account_id, row in handoffs.items()
            if account_id in accounts
        }
    start, _ = period.utc_bounds(settings.workspace.time_zone)
    threshold = settings.engagement.mqa_threshold
    crossings = {}
    for account_id, account in accounts.items():
        if account.facts.get("mqa_at") is not None:
            crossings[account_id] = account.facts["mqa_at"]
        elif account.facts.get("start_score", 0.0) >= threshold:
            crossings[account_id] = start
    return crossings


def _mqa_rule(
    store: Store,
    settings: Settings,
    period: Period,
    as_of: datetime,
    accounts: dict[str, _Account],
    suggestion: SuggestionFor,
) -> list[LowPerformer]:
    crossings = _mqa_crossings(store, settings, period, as_of, accounts)
    followed = signals.first_sales_activity(store, settings, crossings, as_of)
    sla = timedelta(hours=settings.handoff.sla_hours)
    zone = settings.workspace.time_zone
    found = []
    for account_id, crossed_at in sorted(crossings.items()):
        if account_id in followed or as_of - crossed_at <= sla:
            continue
        values = {
            "since": business_date(crossed_at, zone).isoformat(),
            "hours": int((as_of - crossed_at).total_seconds() // 3600),
            "sla": _number(settings.handoff.sla_hours),
        }
        rule = Rule.MQA_WITHOUT_FOLLOW_UP
        found.append(_entry(accounts[account_id], rule, rule.value, values, suggestion))
    return found


def _stall_entries(
    deal: StalledDeal,
    accounts: dict[str, _Account],
    settings: Settings,
    suggestion: SuggestionFor,
) -> list[LowPerformer]:
    factor = settings.pdca.stall_factor
    values = {
        "deal": deal.opportunity_name or deal.opportunity_id,
        "stage": deal.stage,
        "days": int(deal.days_in_stage),
        "median": round(deal.median_days, 1),
        "ratio": round(deal.days_in_stage / deal.median_days, 1),
        "factor": _number(factor),
    }
    rule = Rule.STALLED_DEAL
    return [
        _entry(
            accounts[account_id],
            rule,
            rule.value,
            values,
            suggestion,
            deal.opportunity_id,
        )
        for account_id in deal.account_ids
        if account_id in accounts
    ]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
