"""The workspace config file (``abmkpi.toml``): one validated settings model.

Every setting has a default and help text. Loading validates the whole file at
once and reports each invalid key with its value, so a user fixes all mistakes
in one pass.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from abmkpi.canonical import ActivityType, Persona
from abmkpi.config_workflow import (
    DiagnoseSettings,
    HandoffSettings,
    NotifySettings,
    PdcaSettings,
    ReportSettings,
)
from abmkpi.errors import ConfigError, UserMessage
from abmkpi.free_text import checked_text
from abmkpi.i18n import DEFAULT_WORKSPACE_NAME
from abmkpi.kpi_ids import target_key_problem

CONFIG_FILE_NAME = "abmkpi.toml"
# Highest tier a target account may have; tiers start at 1, and ABM programs
# use two or three.
MAX_TIER = 99


class Section(BaseModel):
    # TOML can write inf and nan; no setting is meaningful with either.
    model_config = ConfigDict(
        extra="forbid", validate_default=True, allow_inf_nan=False
    )


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Tokyo"
        ) from error
    return name


class WorkspaceSettings(Section):
    name: str = Field(
        DEFAULT_WORKSPACE_NAME,
        min_length=1,
        max_length=200,
        description="Name shown in reports and pages (at most 200 characters); "
        "the default name is shown translated.",
    )
    time_zone: str = Field(
        "Asia/Tokyo",
        description="Business time zone (IANA name) in which instants are "
        "bucketed into days, weeks, months and fiscal periods.",
    )
    reporting_currency: str = Field(
        "JPY",
        description="ISO 4217 code that every amount is converted to.",
        pattern=r"^[A-Z]{3}$",
    )
    language: Literal["ja", "en"] = Field(
        "ja", description="Default language of labels, tables and reports."
    )

    _time_zone = field_validator("time_zone")(_check_time_zone)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        return str(checked_text(name, "name", 200, required=True, label="name"))


class FiscalSettings(Section):
    start_month: int = Field(
        4, ge=1, le=12, description="Month (1-12) in which the fiscal year starts."
    )
    naming: Literal["start_year", "end_year"] = Field(
        "start_year",
        description="Name a fiscal year by the calendar year it starts in "
        "(FY2024 = 2024-04..2025-03) or the year it ends in.",
    )
    week_start: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field("monday", description="First day of a week for weekly periods.")


class SourceSettings(Section):
    time_zone: str = Field(
        "UTC",
        description="Zone of timestamps without an offset in this source's "
        "native exports (Salesforce Data Export and Marketo write UTC).",
    )
    currency: str | None = Field(
        None,
        description="ISO 4217 currency of amounts this source exports without a "
        "currency column (the org's corporate currency); when unset, its "
        "corporate rate row decides, else the reporting currency is assumed and "
        "the import says so.",
        pattern=r"^[A-Z]{3}$",
    )
    report_time_zone: str | None = Field(
        None,
        description="Zone of timestamps in report-style exports (Salesforce "
        "reports are in the exporting user's zone); defaults to the business "
        "time zone.",
    )

    _time_zone = field_validator("time_zone")(_check_time_zone)

    @field_validator("report_time_zone")
    @classmethod
    def _report_zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_time_zone(value)


class AccountLinkObject(Section):
    object_name: str = Field(
        description="API name of a custom Salesforce object that links an "
        "opportunity to a further account (e.g. OpportunityAccount__c). A CSV "
        "file named after it, or with both id columns below, is read as links.",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
    )
    opportunity_column: str = Field(
        description="Column of the file with the opportunity id."
    )
    account_column: str = Field(description="Column of the file with the account id.")
    role_column: str | None = Field(
        None, description="Column with the account's role on the opportunity."
    )
    role: str = Field(
        "linked account",
        description="Role stored when the file has no role column or the value "
        "is empty.",
    )


class SalesforceSettings(Section):
    account_links: list[AccountLinkObject] = Field(
        default_factory=list,
        description="Custom objects (junction objects) that link an opportunity "
        "to further accounts, besides its account and OpportunityPartner rows. "
        "A deal becomes a target deal when any linked account is a target.",
    )


def _default_sources() -> dict[str, SourceSettings]:
    return {
        "salesforce": SourceSettings(),
        "marketo": SourceSettings(),
        "hubspot": SourceSettings(),
        "pardot": SourceSettings(),
        "mautic": SourceSettings(),
        "csv": SourceSettings(time_zone="Asia/Tokyo"),
    }


IcpField = Literal[
    "employees",
    "annual_revenue",
    "industry",
    "country",
    "region",
    "state",
    "name",
]
NUMERIC_ICP_FIELDS = frozenset({"employees", "annual_revenue"})
_ORDER_OPS = frozenset({">=", ">", "<=", "<"})
_LIST_OPS = frozenset({"in", "not in"})


class IcpRule(Section):
    field: IcpField = Field(description="Account field the rule tests.")
    op: Literal[">=", ">", "<=", "<", "==", "!=", "in", "not in", "contains"] = Field(
        description="Comparison between the field and the value: >=, >, <=, < "
        "and contains need one value, in and not in a list."
    )
    value: bool | float | str | list[bool | float | str] = Field(
        description="Value, or list of values for 'in' and 'not in'; numbers "
        "for employees and annual_revenue, text for the other fields."
    )
    points: float = Field(
        100, ge=0, le=100, description="Fit points an account earns when it matches."
    )

    @model_validator(mode="after")
    def _value_fits(self) -> IcpRule:
        problem = _icp_value_problem(self.field, self.op, self.value)
        if problem is not None:
            raise ValueError(problem)
        return self


def _icp_value_problem(field: str, op: str, value: Any) -> str | None:
    """Return why a rule's value does not fit its field and op, or None."""
    numeric = field in NUMERIC_ICP_FIELDS
    kind = "a number" if numeric else "text"
    if op in _LIST_OPS:
        if not isinstance(value, list) or not value:
            return f"op {op!r} needs a list of values, such as [1, 2]"
        items = value
    elif isinstance(value, list):
        return f"op {op!r} takes one value, not a list; use 'in' for a list"
    else:
        items = [value]
    if not numeric and op in _ORDER_OPS:
        return (
            f"op {op!r} compares numbers, and {field} is text; use ==, in or contains"
        )
    if numeric and op == "contains":
        return f"op 'contains' needs a text field, and {field} is a number"
    for item in items:
        is_number = isinstance(item, int | float) and not isinstance(item, bool)
        if isinstance(item, bool) or is_number != numeric:
            return f"value {item!r} for {field} must be {kind}"
    return None


class IcpSettings(Section):
    rules: list[IcpRule] = Field(
        default_factory=list,
        description="Rules that add up to an account's fit score (capped at 100).",
        json_schema_extra={
            "example": [
                {"field": "employees", "op": ">=", "value": 8000, "points": 100}
            ]
        },
    )
    grades: dict[str, float] = Field(
        default_factory=lambda: {"A": 80.0, "B": 50.0, "C": 20.0},
        description="Fit grade per minimum fit score; an account gets the best "
        "grade whose minimum it reaches, else 'D'.",
    )


class TargetSettings(Section):
    icp_min_fit_score: float = Field(
        100,
        ge=0,
        le=100,
        description="Fit score an account needs to become a target when targets "
        "come from ICP rules (abmkpi targets icp).",
    )
    icp_tier_thresholds: list[float] = Field(
        default_factory=lambda: [100.0],
        max_length=MAX_TIER - 1,
        description="Fit score needed for tier 1, tier 2, …; targets below the "
        "last threshold get the next tier.",
    )
    min_count: int = Field(
        10, ge=1, description="Warn when fewer target accounts are set."
    )
    max_count: int = Field(20, ge=1, description="Warn when more are set.")


def _default_weights() -> dict[ActivityType, float]:
    weights = {
        ActivityType.WEB_VISIT: 1.0,
        ActivityType.CONTENT_DOWNLOAD: 5.0,
        ActivityType.EMAIL_OPEN: 0.5,
        ActivityType.EMAIL_CLICK: 3.0,
        ActivityType.FORM_FILL: 10.0,
        ActivityType.EVENT_ATTENDED: 15.0,
        ActivityType.AD_CLICK: 2.0,
        ActivityType.INTENT_SIGNAL: 5.0,
        ActivityType.SALES_MEETING: 20.0,
        ActivityType.SALES_CALL: 8.0,
        ActivityType.SALES_EMAIL: 2.0,
    }
    return {activity: weights.get(activity, 0.0) for activity in ActivityType}


def _default_qualifying_types() -> list[ActivityType]:
    not_qualifying = {
        ActivityType.EMAIL_OPEN,
        ActivityType.EMAIL_SEND,
        ActivityType.EMAIL_DELIVERED,
        ActivityType.EMAIL_BOUNCE,
        ActivityType.EMAIL_UNSUBSCRIBE,
        ActivityType.OTHER,
    }
    return [activity for activity in ActivityType if activity not in not_qualifying]


class EngagementSettings(Section):
    weights: dict[ActivityType, float] = Field(
        default_factory=_default_weights,
        description="Score points per activity type before decay. Email opens "
        "default low because mail privacy proxies open every message.",
    )
    half_life_days: float = Field(
        30, gt=0, description="Days after which an activity counts half."
    )
    daily_caps: dict[ActivityType, int] = Field(
        default_factory=lambda: {
            ActivityType.WEB_VISIT: 10,
            ActivityType.EMAIL_OPEN: 3,
        },
        description="Most activities of a type that score per account and "
        "business day; types not listed are not capped.",
    )
    persona_multipliers: dict[Persona, float] = Field(
        default_factory=lambda: {
            Persona.DECISION_MAKER: 1.5,
            Persona.INFLUENCER: 1.2,
            Persona.USER: 1.0,
            Persona.UNKNOWN: 1.0,
        },
        description="Score multiplier by the acting person's persona.",
    )
    tier_multipliers: dict[str, float] = Field(
        default_factory=lambda: {"1": 1.5, "2": 1.2, "3": 1.0},
        description="Score multiplier by the account's target tier; accounts "
        "that are not targets, and tiers not listed, use 1.0.",
    )
    qualifying_types: list[ActivityType] = Field(
        default_factory=_default_qualifying_types,
        description="Activity types that make an account 'engaged' (接点構築済み). "
        "Any activity makes it 'aware'.",
    )
    mqa_threshold: float = Field(
        60, gt=0, description="Engagement score at which an account becomes an MQA."
    )
    influence_window_days: int = Field(
        90,
        ge=1,
        description="Days before an opportunity's creation in which marketing "
        "engagement makes it marketing-influenced.",
    )
    journey_lookback_days: int = Field(
        90,
        ge=1,
        le=3660,
        description="Days up to and including a date whose activities make an "
        "account aware or engaged in its journey stage as of that date "
        "('abmkpi journey'); a period's own stages use the period.",
    )

    @field_validator("tier_multipliers")
    @classmethod
    def _tier_keys(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if not key.isdigit() or not 1 <= int(key) <= MAX_TIER:
                raise ValueError(
                    f"tier key {key!r} must be a tier number from 1 to {MAX_TIER}, "
                    "such as '1'"
                )
        return value


class PersonaRule(Section):
    persona: Persona = Field(description="Persona assigned when a pattern matches.")
    title_patterns: list[str] = Field(
        description="Case-insensitive regular expressions tested against the title."
    )

    @field_validator("title_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as error:
                raise ValueError(
                    f"pattern {index} ({pattern!r}) is not a valid regular "
                    f"expression: {error}; escape ( ) [ ] . * + ? with a backslash "
                    "to match them literally"
                ) from error
        return patterns


def _default_persona_rules() -> list[PersonaRule]:
    return [
        PersonaRule(
            persona=Persona.DECISION_MAKER,
            title_patterns=[
                r"\bc[a-z]o\b",
                r"chief",
                r"president",
                r"\bvp\b",
                r"vice president",
                r"director",
                r"head of",
                r"owner",
                r"founder",
                r"社長",
                r"取締役",
                r"役員",
                r"執行役",
                r"本部長",
                r"事業部長",
                r"部長",
                r"理事",
            ],
        ),
        PersonaRule(
            persona=Persona.INFLUENCER,
            title_patterns=[
                r"manager",
                r"\blead\b",
                r"architect",
                r"principal",
                r"supervisor",
                r"課長",
                r"室長",
                r"マネージャ",
                r"リーダー",
                r"主任",
                r"係長",
            ],
        ),
        PersonaRule(
            persona=Persona.USER,
            title_patterns=[
                r"engineer",
                r"analyst",
                r"specialist",
                r"associate",
                r"administrator",
                r"coordinator",
                r"representative",
                r"staff",
                r"担当",
                r"エンジニア",
                r"スタッフ",
                r"社員",
            ],
        ),
    ]


class PersonaSettings(Section):
    rules: list[PersonaRule] = Field(
        default_factory=_default_persona_rules,
        description="Title rules tried in order; the first match sets the persona, "
        "and a title matching none is 'unknown'.",
    )


OpportunityKind = Literal["new_business", "expansion", "renewal"]
StageOutcome = Literal["won", "lost", "open"]


def _default_type_map() -> dict[str, OpportunityKind]:
    return {
        "new business": "new_business",
        "new customer": "new_business",
        "new": "new_business",
        "新規": "new_business",
        "新規案件": "new_business",
        "新規顧客": "new_business",
        "existing customer - upgrade": "expansion",
        "existing business": "expansion",
        # HubSpot's internal deal type values.
        "newbusiness": "new_business",
        "existingbusiness": "expansion",
        "upsell": "expansion",
        "upgrade": "expansion",
        "expansion": "expansion",
        "cross-sell": "expansion",
        "アップセル": "expansion",
        "クロスセル": "expansion",
        "追加": "expansion",
        "既存顧客 - アップグレード": "expansion",
        "existing customer - replacement": "renewal",
        "existing customer - downgrade": "renewal",
        "renewal": "renewal",
        "更新": "renewal",
        "契約更新": "renewal",
    }


def _default_stage_outcomes() -> dict[str, StageOutcome]:
    return {
        "closed won": "won",
        "closedwon": "won",
        "won": "won",
        "受注": "won",
        "成約": "won",
        "closed lost": "lost",
        "closedlost": "lost",
        "lost": "lost",
        "失注": "lost",
    }


class OpportunitySettings(Section):
    type_map: dict[str, OpportunityKind] = Field(
        default_factory=_default_type_map,
        description="Source opportunity type (compared case-insensitively) to "
        "canonical type.",
    )
    default_type: Literal["new_business", "expansion", "renewal"] = Field(
        "new_business",
        description="Type of an opportunity whose source type is empty or unmapped.",
    )
    stage_outcomes: dict[str, StageOutcome] = Field(
        default_factory=_default_stage_outcomes,
        description="Stage label to outcome, used only for sources that export "
        "no closed/won flags; flags always win when present.",
    )
    stage_order: list[str] = Field(
        default_factory=list,
        description="Open stages in sales order; when empty the order comes from "
        "the source's stage definitions or sort-order fields.",
    )


class MatchingSettings(Section):
    fuzzy_threshold: float = Field(
        0,
        ge=0,
        le=100,
        description="Minimum rapidfuzz similarity (0-100) for a fuzzy company-"
        "name match; 0 turns fuzzy matching off.",
    )
    free_mail_files: list[Path] = Field(
        default_factory=list,
        description="Extra free-mail domain lists (JSON array or one domain per "
        "line), relative to the workspace.",
    )
    free_mail_domains: list[str] = Field(
        default_factory=list,
        description="Extra free-mail domains; a leading dot also covers sub-domains.",
    )
    not_free_mail_domains: list[str] = Field(
        default_factory=list,
        description="Domains to remove from the free-mail list (for example a "
        "provider that is also a customer).",
    )


def _default_kpi_targets() -> dict[str, float]:
    return {
        "contact_rate": 0.6,
        "opportunity_rate:per_engaged_account": 0.4,
        "deal_size_uplift": 1.6,
        "renewal_rate": 0.9,
    }


class KpiSettings(Section):
    targets: dict[str, float] = Field(
        default_factory=_default_kpi_targets,
        description="Target per KPI id, or per 'id:variant'; rates are fractions "
        "(0.6 = 60%).",
    )

    @field_validator("targets")
    @classmethod
    def _known_kpis(cls, targets: dict[str, float]) -> dict[str, float]:
        problems = [
            f"{key!r}: {problem}"
            for key in targets
            if (problem := target_key_problem(key)) is not None
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return targets

    at_risk_ratio: float = Field(
        0.8,
        gt=0,
        lt=1,
        description="A KPI below its (paced) target but at or above this share "
        "of it is 'at_risk'; lower is 'off_track'.",
    )
    min_sample: int = Field(
        3,
        ge=1,
        description="Fewest accounts or deals behind a rate or mean before it is "
        "judged against its target; smaller samples get insufficient_data.",
    )
    renewal_grace_days: int = Field(
        30,
        ge=0,
        description="Days after a contract's end date that it stays pending "
        "renewal; a contract with neither a renewal nor a churn by then has lapsed.",
    )
    bootstrap_samples: int = Field(
        2000, ge=100, description="Resamples for bootstrap intervals."
    )
    seed: int = Field(
        20240401,
        ge=0,
        description="Seed (0 or more) that makes bootstrap intervals repeatable.",
    )


class WebSettings(Section):
    require_login: bool = Field(
        False,
        description="Ask for a viewer token on every page and read API call, even "
        "when the server binds to localhost; it is always asked for otherwise.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body the API accepts, in bytes.",
    )
    rate_limit_per_minute: int = Field(
        600,
        ge=1,
        description="Requests per minute one token (or one client address without "
        "a token) may make before the API answers 429.",
    )
    max_batch_events: int = Field(
        5000,
        ge=1,
        description="Most activity events one ingest request may carry.",
    )


class Settings(Section):
    """The whole workspace config."""

    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    fiscal: FiscalSettings = Field(default_factory=FiscalSettings)
    sources: dict[str, SourceSettings] = Field(default_factory=_default_sources)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    icp: IcpSettings = Field(default_factory=IcpSettings)
    targets: TargetSettings = Field(default_factory=TargetSettings)
    engagement: EngagementSettings = Field(default_factory=EngagementSettings)
    personas: PersonaSettings = Field(default_factory=PersonaSettings)
    opportunities: OpportunitySettings = Field(default_factory=OpportunitySettings)
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    kpi: KpiSettings = Field(default_factory=KpiSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    pdca: PdcaSettings = Field(default_factory=PdcaSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    diagnose: DiagnoseSettings = Field(default_factory=DiagnoseSettings)

    def source(self, name: str) -> SourceSettings:
        """Return the settings of one source, with defaults for unlisted ones."""
        return (
            self.sources.get(name) or _default_sources().get(name) or SourceSettings()
        )

    def report_time_zone(self, source: str) -> str:
        """Return the zone of naive timestamps in a source's report exports."""
        return self.source(source).report_time_zone or self.workspace.time_zone


ConfigValue = Annotated[Any, "a TOML value"]


def load_settings(path: Path) -> Settings:
    """Read and validate a config file; raise ConfigError listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(
            UserMessage("config file not found: %(path)s", path=path)
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            UserMessage("%(path)s: invalid TOML: %(reason)s", path=path, reason=error)
        ) from error
    return settings_from_dict(raw, path)


def settings_from_dict(raw: dict[str, Any], path: Path | None = None) -> Settings:
    """Validate a parsed config; raise ConfigError naming each bad key and value."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe_validation(error, path)) from error


def _describe_validation(error: ValidationError, path: Path | None) -> str:
    lines = [f"{path or 'config'}: {error.error_count()} invalid setting(s)"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        value = item.get("input")
        # A whole table or list is too long to repeat; messages name the item.
        value_text = "" if isinstance(value, dict | list) else f" (value {value!r})"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {message}{value_text}")
    return "\n".join(lines)
