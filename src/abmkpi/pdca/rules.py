"""The low-performer rules, by name (see :mod:`abmkpi.pdca.checks`), and the
rule values an action may carry.

An action addresses a low-performer rule, or reuses a winning pattern
(横展開): the rule ``pattern``, or ``pattern:KIND:KEY`` naming the activity
type, campaign or asset reused (KIND is a :class:`PatternKind` value, KEY
the pattern's key as the pattern report lists it).
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING

from abmkpi.canonical import ActivityType
from abmkpi.errors import FieldError
from abmkpi.i18n import LANGUAGES, translate
from abmkpi.pdca.patterns import PatternKind
from abmkpi.vocabulary import term_label

if TYPE_CHECKING:
    from abmkpi.store.database import Store

PATTERN_RULE = "pattern"
PATTERN_PREFIX = PATTERN_RULE + ":"
MAX_RULE_LENGTH = 300
# Valid keys an error message lists when a pattern rule names an unknown one.
LISTED_KEYS = 5
# Campaign ids an error message lists when a name matches several campaigns.
MAX_AMBIGUOUS = 10


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


def resolve_pattern_rule(store: Store, rule: str | None) -> str | None:
    """Return the rule with the key of a ``pattern:KIND:KEY`` rule resolved,
    other rules unchanged.

    KEY may be the key the pattern report lists, or what its table shows: a
    campaign's name, an asset with other case or width, or an activity
    type's English or Japanese label. Names compare after NFKC and case
    folding. FieldError is raised when KEY names nothing in the workspace
    (listing a few keys it has) or several campaigns (listing their ids).
    """
    if rule is None or not rule.startswith(PATTERN_PREFIX):
        return rule
    kind, _, key = rule.removeprefix(PATTERN_PREFIX).partition(":")
    key = key.strip()
    if kind == PatternKind.ACTIVITY_TYPE:
        candidates = _activity_type_matches(key)
        examples = sorted(item.value for item in ActivityType)[:LISTED_KEYS]
    elif kind == PatternKind.CAMPAIGN:
        candidates = _campaign_matches(store, key)
        examples = _common_activity_values(store, "campaign_id")
    else:
        candidates = _asset_matches(store, key)
        examples = _common_activity_values(store, "asset")
    if len(candidates) == 1:
        return pattern_rule(kind, candidates[0])
    if candidates:
        listed = ", ".join(candidates[:MAX_AMBIGUOUS])
        raise FieldError(
            "rule",
            f"{kind.replace('_', ' ')} name {key[:80]!r} in rule {rule[:120]!r} "
            f"matches {len(candidates)} {_plural(kind)}: {listed}; use "
            f"{PATTERN_PREFIX}{kind}:ID with one of these ids",
        )
    known_keys = (
        f"keys in this workspace include {', '.join(examples)}"
        if examples
        else f"no activity in this workspace has a {kind}"
    )
    raise FieldError(
        "rule",
        f"unknown {kind.replace('_', ' ')} {key[:80]!r} in rule {rule[:120]!r}; "
        f"{known_keys} ('abmkpi pdca patterns' lists the patterns and their keys)",
    )


def _plural(kind: str) -> str:
    return {"activity_type": "activity types", "campaign": "campaigns"}.get(
        kind, "assets"
    )


def name_key(text: str) -> str:
    """Return a name as it is compared: NFKC (full-width and half-width
    alike), case folded, spaces trimmed."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _activity_type_matches(key: str) -> list[str]:
    if key in {item.value for item in ActivityType}:
        return [key]
    expected = name_key(key)
    found = []
    for item in ActivityType:
        label = term_label("activity_type", item.value)
        names = {item.value, label, *(translate(label, lang) for lang in LANGUAGES)}
        if expected in {name_key(name) for name in names}:
            found.append(item.value)
    return found


def _campaign_matches(store: Store, key: str) -> list[str]:
    """Return the campaign ids that ``key`` names: an id with activities, else
    the campaigns whose name equals it."""
    if _activity_value_exists(store, "campaign_id", key):
        return [key]
    rows = store.fetch_all(
        "SELECT id, name FROM campaigns WHERE name IS NOT NULL ORDER BY id"
    )
    expected = name_key(key)
    return [str(row[0]) for row in rows if name_key(str(row[1])) == expected]


def _asset_matches(store: Store, key: str) -> list[str]:
    if _activity_value_exists(store, "asset", key):
        return [key]
    rows = store.fetch_all(
        "SELECT DISTINCT asset FROM activities "
        "WHERE asset IS NOT NULL AND NOT is_deleted ORDER BY asset"
    )
    expected = name_key(key)
    return [str(row[0]) for row in rows if name_key(str(row[0])) == expected]


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
