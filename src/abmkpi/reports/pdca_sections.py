"""Report sections from the PDCA package: low performers and patterns to reuse.

Reasons, suggested actions and labels come in every language (a
:class:`~abmkpi.reports.sections.ColumnKind` ``LOCALIZED`` cell), because one
pack renders in Japanese and in English.
"""

from __future__ import annotations

import logging
from typing import Any

from abmkpi.i18n import LANGUAGES, N_, translate
from abmkpi.pdca.checks import LowPerformer, low_performers
from abmkpi.pdca.messages import RULE_LABELS, in_languages
from abmkpi.pdca.patterns import Pattern, PatternKind, PatternScope, pattern_report
from abmkpi.reports.sections import (
    CLOSED_ACTION_STATUSES,
    Column,
    ColumnKind,
    ReportSection,
    SectionContext,
)
from abmkpi.vocabulary import term_label

logger = logging.getLogger(__name__)

# Minimum number of target accounts for the patterns to compare target
# accounts only. A shorter list rarely shows a significant difference, so all
# accounts are compared instead.
# NOTE: 30 is an estimate, not derived from a power calculation.
PATTERN_MIN_TARGETS = 30
# Patterns a pack lists, candidates to reuse first.
MAX_PATTERNS = 20

SCOPE_LABELS = {
    PatternScope.TARGET: N_("Target accounts"),
    PatternScope.ALL: N_("All accounts"),
}
SCOPE_DESCRIPTIONS = {
    PatternScope.TARGET: N_(
        "Activity types, campaigns and assets that preceded new-business "
        "opportunities, comparing target accounts with and without an "
        "opportunity in the period."
    ),
    PatternScope.ALL: N_(
        "Activity types, campaigns and assets that preceded new-business "
        "opportunities, comparing all accounts with and without an opportunity "
        "in the period (the target list is too short to compare on its own)."
    ),
}
KIND_LABELS = {
    PatternKind.ACTIVITY_TYPE: N_("Activity type"),
    PatternKind.CAMPAIGN: N_("Campaign"),
    PatternKind.ASSET: N_("Asset"),
}
REUSE = N_("Reuse")
WEAK = N_("Weak evidence")
FEWER = N_("Fewer opportunities")


def localized(message: str) -> dict[str, str]:
    """Return a message id translated into every language."""
    return {language: translate(message, language) for language in LANGUAGES}


def low_performer_section(context: SectionContext) -> ReportSection:
    """List the target accounts that break a low-performer rule, with the
    suggested action and the open PDCA action logged for it, if any."""
    found = low_performers(
        context.store, context.settings, context.period, context.as_of
    )
    logged = _open_action_titles(context)
    rows = [_low_performer_row(entry, logged) for entry in found]
    return ReportSection(
        id="low_performers",
        title=N_("Low performers"),
        description=N_(
            "Target accounts that break a PDCA rule, why, and the suggested "
            "action. Agree on an action for each one without an open action."
        ),
        columns=[
            Column("name", N_("Account")),
            Column("tier", N_("Tier"), ColumnKind.COUNT),
            Column("journey_stage", N_("Journey stage"), term="journey"),
            Column("rule_label", N_("Rule"), ColumnKind.LOCALIZED),
            Column("why", N_("Why"), ColumnKind.LOCALIZED),
            Column("suggestion", N_("Suggested action"), ColumnKind.LOCALIZED),
            Column("action", N_("Open action")),
        ],
        rows=rows,
    )


def _low_performer_row(
    entry: LowPerformer, logged: dict[tuple[str, str | None], str]
) -> dict[str, Any]:
    rule = str(entry.rule)
    action = logged.get((entry.account_id, rule)) or logged.get(
        (entry.account_id, None)
    )
    return {
        "account_id": entry.account_id,
        "name": entry.account_name or entry.account_id,
        "tier": entry.tier,
        "journey_stage": entry.journey_stage,
        "rule": rule,
        "rule_label": in_languages(RULE_LABELS[rule], {}),
        "why": entry.reason,
        "suggestion": entry.suggestion.text,
        "action": action,
        "has_action": action is not None,
    }


def _open_action_titles(context: SectionContext) -> dict[tuple[str, str | None], str]:
    """Return the title of the oldest open action per account and rule.

    An action without a rule counts for every rule of its account.
    """
    closed = ", ".join("?" for _ in CLOSED_ACTION_STATUSES)
    rows = context.store.fetch_all(
        "SELECT account_id, rule, title FROM pdca_actions "
        f"WHERE done_at IS NULL AND lower(status) NOT IN ({closed}) "
        "ORDER BY created_at DESC, id DESC",
        list(CLOSED_ACTION_STATUSES),
    )
    return {(str(account), rule): str(title) for account, rule, title in rows}


def pattern_section(context: SectionContext) -> ReportSection:
    """List the patterns to reuse, comparing target accounts when the list is
    long enough, else all accounts."""
    targets = sum(1 for row in context.accounts if row.get("seg") == "target")
    scope = PatternScope.TARGET if targets >= PATTERN_MIN_TARGETS else PatternScope.ALL
    report = pattern_report(
        context.store, context.settings, context.period, context.as_of, scope
    )
    logger.debug(
        "patterns of %s: %s scope, %d of %d accounts reached",
        context.period.id,
        scope,
        report.reached,
        report.accounts,
    )
    return ReportSection(
        id="patterns",
        title=N_("Patterns to reuse"),
        description=SCOPE_DESCRIPTIONS[scope],
        columns=[
            Column("scope", N_("Compared"), ColumnKind.LOCALIZED),
            Column("kind", N_("Kind"), ColumnKind.LOCALIZED),
            Column("label", N_("Pattern"), ColumnKind.LOCALIZED),
            Column("reached_with", N_("Reached, with"), ColumnKind.COUNT),
            Column("accounts_with", N_("Accounts with"), ColumnKind.COUNT),
            Column("reached_without", N_("Reached, without"), ColumnKind.COUNT),
            Column("accounts_without", N_("Accounts without"), ColumnKind.COUNT),
            Column("lift", N_("Lift"), ColumnKind.MULTIPLE),
            Column("lift_low", N_("95% interval, low"), ColumnKind.MULTIPLE),
            Column("lift_high", N_("95% interval, high"), ColumnKind.MULTIPLE),
            Column("p_adjusted", N_("p (Holm)"), ColumnKind.PROBABILITY),
            Column("p_value", N_("p (raw)"), ColumnKind.PROBABILITY),
            Column("evidence", N_("Evidence"), ColumnKind.LOCALIZED),
        ],
        rows=[_pattern_row(pattern, scope) for pattern in report.patterns][
            :MAX_PATTERNS
        ],
    )


def _pattern_row(pattern: Pattern, scope: PatternScope) -> dict[str, Any]:
    if pattern.kind is PatternKind.ACTIVITY_TYPE:
        label = localized(term_label("activity_type", pattern.key))
    else:
        label = {language: pattern.label for language in LANGUAGES}
    if pattern.is_candidate:
        evidence = REUSE
    elif pattern.weak:
        evidence = WEAK
    else:
        evidence = FEWER
    return {
        "scope": localized(SCOPE_LABELS[scope]),
        "kind": localized(KIND_LABELS[pattern.kind]),
        "key": pattern.key,
        "label": label,
        "reached_with": pattern.reached_with,
        "accounts_with": pattern.accounts_with,
        "reached_without": pattern.reached_without,
        "accounts_without": pattern.accounts_without,
        "lift": pattern.lift,
        "lift_low": pattern.lift_low,
        "lift_high": pattern.lift_high,
        "p_adjusted": pattern.p_adjusted,
        "p_value": pattern.p_value,
        "weak": pattern.weak,
        "evidence": localized(evidence),
    }
