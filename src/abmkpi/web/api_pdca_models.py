"""Request and response models of the PDCA routes of the JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from abmkpi.pdca.actions import MAX_NOTE_LENGTH, MAX_OWNER_LENGTH, MAX_TITLE_LENGTH
from abmkpi.pdca.rules import MAX_RULE_LENGTH, checked_action_rule

Number = int | float
RuleName = Literal[
    "no_engagement",
    "engaged_without_opportunity",
    "mqa_without_follow_up",
    "stalled_deal",
]
StatusName = Literal["open", "done", "cancelled"]


class SuggestionModel(BaseModel):
    code: str = Field(
        description="executive_briefing, sales_call, next_step_meeting, "
        "reuse_pattern or retarget."
    )
    text: dict[str, str] = Field(description="The action by language (en, ja).")
    pattern: dict[str, Any] | None = Field(
        description="The campaign or asset to reuse (reuse_pattern only)."
    )


class LowPerformerModel(BaseModel):
    account_id: str
    account_name: str | None
    tier: int | None
    owner: str | None
    rule: RuleName
    opportunity_id: str | None = Field(description="The stalled deal, if any.")
    score: Number
    journey_stage: str
    facts: dict[str, Any] = Field(description="The numbers behind the rule.")
    reason: dict[str, str] = Field(description="Why, by language (en, ja).")
    suggestion: SuggestionModel
    action_rule: str = Field(
        description="The rule to log the suggested action with: "
        "pattern:KIND:KEY for reuse_pattern, else the rule broken."
    )


class LowPerformerList(BaseModel):
    period: str
    low_performers: list[LowPerformerModel]


class PatternModel(BaseModel):
    kind: Literal["activity_type", "campaign", "asset"]
    key: str
    label: str
    reached_with: int = Field(description="Accounts with it that reached an opp.")
    accounts_with: int
    reached_without: int
    accounts_without: int
    rate_with: Number
    rate_without: Number | None
    lift: Number | None = Field(description="null when no account without it reached.")
    lift_low: Number | None
    lift_high: Number | None
    p_value: Number = Field(
        description="p (raw): Fisher's exact test, two-sided, before adjustment."
    )
    p_adjusted: Number = Field(
        description="p (Holm): the p-value adjusted with Holm's method within "
        "the kind. The CLI, the /pdca page and the report packs show this "
        "figure, and it decides significance."
    )
    significant: bool
    weak: bool
    candidate: bool


class PatternList(BaseModel):
    period: str
    scope: Literal["target", "all"]
    window_days: int
    accounts: int
    reached: int
    patterns: list[PatternModel]


class PlanLineModel(BaseModel):
    account_id: str
    account_name: str | None
    kpi_key: str
    target: Number
    actual: Number | None
    unit: str | None


class PlanList(BaseModel):
    period: str
    plans: list[PlanLineModel]


class ActionModel(BaseModel):
    id: int
    account_id: str
    account_name: str | None
    title: str
    rule: str | None
    owner: str | None
    due_date: date | None
    status: StatusName
    created_at: datetime
    done_at: datetime | None = Field(description="When it was done or cancelled.")
    reviewed_at: datetime | None
    note: str | None
    score_before: Number | None
    stage_before: str | None
    overdue: bool
    measured: bool = Field(description="Whether the effect below is measured.")
    score_now: Number | None
    stage_now: str | None
    score_change: Number | None
    stage_change: int | None = Field(
        description="Journey steps moved up since the action was added."
    )


class ActionList(BaseModel):
    actions: list[ActionModel]


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account: str = Field(
        min_length=1, max_length=200, description="Account id, source id or name."
    )
    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    owner: str | None = Field(None, max_length=MAX_OWNER_LENGTH)
    due_date: date | None = None
    rule: str | None = Field(
        None,
        max_length=MAX_RULE_LENGTH,
        description="A low-performer rule, 'pattern', or pattern:KIND:KEY for "
        "an action that reuses a winning pattern (KIND activity_type, campaign "
        "or asset). KEY is the pattern's key, or its name: a campaign name, an "
        "asset or an activity type label, compared ignoring case and full/half "
        "width. A name is stored as the key it resolves to; a campaign name "
        "shared by several campaigns is rejected with 422 listing their ids.",
    )

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str | None) -> str | None:
        return checked_action_rule(value)


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(None, max_length=MAX_NOTE_LENGTH)


class ReviewResult(BaseModel):
    reviewed: int = Field(description="Open actions marked reviewed.")
