"""The low-performer rules, by name (see :mod:`abmkpi.pdca.checks`), and the
rule values an action may carry.

An action addresses a low-performer rule, or reuses a winning pattern
(横展開): the rule ``pattern``, or ``pattern:KIND:KEY`` naming the activity
type, campaign or asset reused (KIND is a :class:`PatternKind` value, KEY
the pattern's key as the pattern report lists it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from abmkpi.canonical import ActivityType
from abmkpi.errors import FieldError
from abmkpi.pdca.patterns import PatternKind

if TYPE_CHECKING:
    from abmkpi.store.database import Store

PATTERN_RULE = "pattern"
PATTERN_PREFIX = PATTERN_RULE + ":"
MAX_RULE_LENGTH = 300
# Valid keys an error message lists when a pattern rule names an unknown one.
LISTED_KEYS = 5


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
    raise FieldError("rule", f"unknown rule {text[:80]!r}; use {allowed_rules()}")


def check_pattern_key(store: Store, rule: str | None) -> None:
    """Raise FieldError when a ``pattern:KIND:KEY`` rule names an activity
    type, campaign or asset that the workspace does not have, listing a few
    that it has. Other rules pass unchanged."""
    if rule is None or not rule.startswith(PATTERN_PREFIX):
        return
    kind, _, key = rule.removeprefix(PATTERN_PREFIX).partition(":")
    key = key.strip()
    if kind == PatternKind.ACTIVITY_TYPE:
        known = key in {item.value for item in ActivityType}
        examples = sorted(item.value for item in ActivityType)[:LISTED_KEYS]
    else:
        column = "campaign_id" if kind == PatternKind.CAMPAIGN else "asset"
        known = _activity_value_exists(store, column, key)
        examples = _common_activity_values(store, column)
    if known:
        return
    known_keys = (
        f"keys in this workspace include {', '.join(examples)}"
        if examples
        else f"no activity in this workspace has a {kind}"
    )
    raise FieldError(
        "rule",
        f"unknown {kind.replace('_', ' ')} {key[:80]!r} in rule {rule[:120]!r}; "
        f"{known_keys} ('abmkpi pdca patterns' lists the patterns)",
    )


def _activity_value_exists(store: Store, column: str, value: str) -> bool:
    found = store.fetch_one(
        f"SELECT 1 FROM activities WHERE {column} = ? AND NOT is_deleted LIMIT 1",
        [value],
    )
    return found is not None


def _common_activity_values(store: Store, column: str) -> list[str]:
    """Return the most frequent values of an activity column, a few of them."""
    rows = store.fetch_all(
        f"""
        SELECT {column} FROM activities
        WHERE {column} IS NOT NULL AND {column} <> '' AND NOT is_deleted
        GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT ?
        """,
        [LISTED_KEYS],
    )
    return [str(row[0]) for row in rows]
