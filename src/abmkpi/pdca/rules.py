"""The low-performer rules, by name (see :mod:`abmkpi.pdca.checks`), and the
rule values an action may carry.

An action addresses a low-performer rule, or reuses a winning pattern
(横展開): the rule ``pattern``, or ``pattern:KIND:KEY`` naming the activity
type, campaign or asset reused (KIND is a :class:`PatternKind` value, KEY
the pattern's key as the pattern report lists it).
"""

from __future__ import annotations

from enum import StrEnum

from abmkpi.pdca.patterns import PatternKind

PATTERN_RULE = "pattern"
PATTERN_PREFIX = PATTERN_RULE + ":"
MAX_RULE_LENGTH = 300


class Rule(StrEnum):
    NO_ENGAGEMENT = "no_engagement"
    ENGAGED_WITHOUT_OPPORTUNITY = "engaged_without_opportunity"
    MQA_WITHOUT_FOLLOW_UP = "mqa_without_follow_up"
    STALLED_DEAL = "stalled_deal"


def pattern_rule(kind: str, key: str) -> str:
    """Return the rule of an action that reuses one pattern."""
    return f"{PATTERN_PREFIX}{kind}:{key}"


def is_pattern_rule(rule: str | None) -> bool:
    """Return whether an action with this rule reuses a winning pattern."""
    return rule is not None and (
        rule == PATTERN_RULE or rule.startswith(PATTERN_PREFIX)
    )


def allowed_rules() -> str:
    """Describe the rule values an action accepts, for error messages."""
    kinds = ", ".join(kind.value for kind in PatternKind)
    rules = ", ".join([*(rule.value for rule in Rule), PATTERN_RULE])
    return f"{rules}, or {PATTERN_PREFIX}KIND:KEY with KIND one of {kinds}"


def checked_action_rule(rule: str | None) -> str | None:
    """Return the rule an action is logged with (None when blank), or raise
    ValueError naming the value and the allowed ones."""
    text = rule.strip() if rule is not None else ""
    if not text:
        return None
    if text in {item.value for item in Rule} or text == PATTERN_RULE:
        return text
    kind, _, key = text.removeprefix(PATTERN_PREFIX).partition(":")
    if (
        text.startswith(PATTERN_PREFIX)
        and kind in {item.value for item in PatternKind}
        and key.strip()
        and len(text) <= MAX_RULE_LENGTH
    ):
        return text
    raise ValueError(f"unknown rule {text[:80]!r}; use {allowed_rules()}")
