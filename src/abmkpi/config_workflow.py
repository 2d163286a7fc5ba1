"""Config sections of the workflow: handoff, notifications, PDCA, reports,
diagnostics.

These sit apart from :mod:`abmkpi.config` (the data and KPI settings) and are
fields of its ``Settings``, so a workspace config validates in one pass.
"""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from abmkpi.canonical import SALES_ACTIVITY_TYPES, ActivityType
from abmkpi.kpi_ids import target_key_problem


class WorkflowSection(BaseModel):
    # TOML can write inf and nan, and no setting is meaningful with either.
    model_config = ConfigDict(
        extra="forbid", validate_default=True, allow_inf_nan=False
    )


def _check_http_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url


DEFAULT_SENDER = "abmkpi@localhost"


def _check_address(address: str, text: str | None = None) -> str:
    """Return ``text`` (default: the address), or raise ValueError naming it.

    The check is syntax only (no DNS lookup) and accepts host names without
    a dot, for mail servers inside a company network. The default sender is
    accepted although email-validator rejects the reserved name localhost.
    """
    text = address if text is None else text
    if address == DEFAULT_SENDER:
        return text
    try:
        validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as error:
        raise ValueError(f"invalid e-mail address {text!r}: {error}") from error
    return text


def _check_recipient(address: str) -> str:
    # SMTP's RCPT TO takes a bare address, so a display name is an error here.
    if "<" in address:
        raise ValueError(
            f"invalid e-mail address {address!r}: write the address alone, "
            "without a display name or angle brackets"
        )
    return _check_address(address)


def _check_sender(text: str) -> str:
    """Check a From address, bare or as 'Display Name <address>'. The display
    name may be in any script; the mail library encodes it for the header."""
    stripped = text.strip()
    if stripped.endswith(">") and "<" in stripped:
        return _check_address(stripped[stripped.rindex("<") + 1 : -1], text)
    return _check_address(stripped, text)


Recipient = Annotated[str, AfterValidator(_check_recipient)]


class WebhookSettings(WorkflowSection):
    url: str | None = Field(
        None,
        description="URL that receives a Slack-compatible JSON message per handoff, "
        "SLA breach and scheduled report; unset sends none.",
    )
    timeout_seconds: float = Field(
        10, gt=0, le=120, description="Seconds to wait for the webhook response."
    )

    _url = field_validator("url")(_check_http_url)


class EmailSettings(WorkflowSection):
    smtp_host: str | None = Field(
        None, description="SMTP server for notification mail; unset sends none."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    starttls: bool = Field(
        True, description="Upgrade the SMTP connection with STARTTLS before login."
    )
    username: str | None = Field(None, description="SMTP login name, if any.")
    password_env: str | None = Field(
        None,
        description="Name of the environment variable that contains the SMTP "
        "password, so the password is not written to the config.",
    )
    sender: Annotated[str, AfterValidator(_check_sender)] = Field(
        DEFAULT_SENDER,
        description="From address of notification mail, with or without a "
        "display name ('ABM <abm@example.com>').",
    )
    recipients: list[Recipient] = Field(
        default_factory=list,
        description="Addresses that receive every notification, without display "
        "names; the account owner's address is added when it is known.",
    )
    timeout_seconds: float = Field(
        10, gt=0, le=120, description="Seconds to wait for the SMTP server."
    )


class NotifySettings(WorkflowSection):
    dashboard_url: str | None = Field(
        None,
        description="Address of the dashboard as people open it (such as "
        "http://abm.example.com:8000), for links in notifications; unset "
        "sends no links.",
    )
    webhook: WebhookSettings = Field(
        default_factory=WebhookSettings, description="Webhook channel."
    )
    email: EmailSettings = Field(
        default_factory=EmailSettings, description="E-mail channel (SMTP)."
    )
    csv_queue: str | None = Field(
        "handoffs/queue.csv",
        description="CSV file that collects handoffs as Salesforce Task rows for "
        "import into the CRM; empty turns it off. A relative path is relative to "
        "the workspace; an absolute path (such as a folder Data Loader reads) is "
        "used as written.",
    )
    max_attempts: int = Field(
        8, ge=1, le=50, description="Sends tried per message before it is failed."
    )
    retry_base_seconds: float = Field(
        30,
        gt=0,
        le=86_400,
        description="Seconds before the first retry. Each later retry waits twice "
        "as long as the one before.",
    )
    retry_max_seconds: float = Field(
        3600,
        gt=0,
        le=604_800,
        description="Maximum wait between two retries, in seconds.",
    )

    _dashboard_url = field_validator("dashboard_url")(_check_http_url)


class HandoffSettings(WorkflowSection):
    enabled: bool = Field(
        True,
        description="Record a handoff when an account's engagement score crosses "
        "engagement.mqa_threshold.",
    )
    targets_only: bool = Field(False, description="Hand off only target accounts.")
    sla_hours: float = Field(
        48,
        gt=0,
        le=8760,
        description="Hours from handoff to the first sales activity on the account "
        "before the handoff is an SLA breach.",
    )
    sales_activity_types: list[ActivityType] = Field(
        default_factory=lambda: sorted(SALES_ACTIVITY_TYPES),
        description="Activity types that count as sales following up a handoff.",
    )
    evidence_activities: int = Field(
        5, ge=1, le=50, description="Top scoring activities listed as evidence."
    )
    renotify_on_breach: bool = Field(
        True, description="Notify again when a handoff breaches its SLA."
    )
    backfill_days: int = Field(
        3,
        ge=1,
        le=3650,
        description="Days after which a crossing is history: a handoff detected "
        "more than this many days after its crossing (an import of old data) is "
        "recorded as backfilled, gets no notification of its own and no SLA, and "
        "one summary notification per detection run counts them. Raise it when "
        "imports run less often than this.",
    )


class PdcaSettings(WorkflowSection):
    no_engagement_days: int = Field(
        30,
        ge=1,
        description="A target account with no activity for this many days is a "
        "low performer.",
    )
    engaged_without_opportunity_days: int = Field(
        60,
        ge=1,
        description="An account engaged for this many days without a new "
        "opportunity is a low performer.",
    )
    stall_factor: float = Field(
        2.0,
        gt=1,
        description="A deal in a stage longer than this multiple of the stage's "
        "median stay is stalled.",
    )
    pattern_window_days: int = Field(
        90,
        ge=1,
        description="Days before a reference instant in which activities count "
        "for patterns: an account's first new-business opportunity of the period, "
        "or for an account without one, the opportunity instant of a reached "
        "account assigned to it (time-matched comparison).",
    )
    pattern_min_accounts: int = Field(
        3,
        ge=1,
        description="Minimum number of accounts with an activity type, campaign "
        "or asset before it is listed as a pattern.",
    )
    significance_level: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Holm-adjusted p-value (Fisher's exact test) below which a "
        "pattern counts as significant; others are shown as weak evidence.",
    )


class ReportSettings(WorkflowSection):
    output_dir: str = Field(
        "reports",
        description="Folder for report packs. A relative path is relative to the "
        "workspace; an absolute path is used as written.",
    )
    weekly: str = Field(
        "0 8 * * 1",
        description="Cron line (minute hour day month weekday, workspace time "
        "zone) of the weekly pack.",
    )
    monthly: str = Field("0 8 1 * *", description="Cron line of the monthly pack.")
    quarterly: str = Field(
        "0 8 1 1,4,7,10 *", description="Cron line of the quarterly pack."
    )
    formats: list[str] = Field(
        default_factory=lambda: ["html", "xlsx", "pdf"],
        description="Formats a scheduled run writes: html, xlsx, pdf.",
    )
    send: bool = Field(
        False,
        description="Send scheduled packs through the notification channels "
        "(webhook link and e-mail attachment).",
    )
    languages: list[Literal["ja", "en"]] = Field(
        default_factory=list,
        description="Languages of scheduled packs (ja, en); empty means the "
        "workspace language.",
    )
    run_in_serve: bool = Field(
        False,
        description="Have 'abmkpi serve' write the scheduled packs when they "
        "are due, instead of cron.",
    )

    @field_validator("weekly", "monthly", "quarterly")
    @classmethod
    def _valid_cron(cls, line: str) -> str:
        from datetime import datetime

        from croniter import croniter

        if not croniter.is_valid(line):
            raise ValueError(
                f"{line!r} is not a cron line; write minute hour day month "
                "weekday, such as '0 8 * * 1' for Mondays at 08:00"
            )
        try:
            croniter(line, datetime(2000, 1, 1)).get_next(datetime)
        except (ValueError, KeyError, ArithmeticError) as error:
            # croniter raises CroniterBadDateError (a ValueError) for a line
            # such as '0 8 31 2 *' that names no real date.
            raise ValueError(
                f"cron line {line!r} never fires (no date matches it); check the "
                "day and month fields"
            ) from error
        return line

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, formats: list[str]) -> list[str]:
        if not formats:
            raise ValueError("list at least one report format: html, xlsx or pdf")
        unknown = [name for name in formats if name not in ("html", "xlsx", "pdf")]
        if unknown:
            raise ValueError(
                f"unknown report format {unknown[0]!r}; use html, xlsx or pdf"
            )
        return formats


class DiagnoseSettings(WorkflowSection):
    min_target_accounts: int = Field(
        10, ge=1, description="Minimum number of target accounts to start with."
    )
    max_target_accounts: int = Field(
        20, ge=1, description="Maximum number of target accounts to start with."
    )
    min_match_rate: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Share of a source's activities matched to an account below "
        "which the linkage is a warning; half of it is a failure.",
    )
    max_data_age_days: int = Field(
        7,
        ge=1,
        description="Age in days of a source's newest activity or CRM record "
        "before its data is stale (when it was imported does not count).",
    )
    review_days: int = Field(
        14,
        ge=1,
        description="Days without a report run or dashboard view before the KPIs "
        "count as unused.",
    )
    kgi_kpi: str | None = Field(
        None,
        description="KPI id (or id:variant) that measures the KGI, the final goal "
        "such as revenue from target accounts; it needs a target in kpi.targets "
        "or a period target. Unset, a target on any currency KPI only warns.",
    )
    key_kpis: list[str] = Field(
        default_factory=lambda: [
            "engagement_score",
            "contact_rate",
            "opportunity_rate",
            "marketing_influenced_pipeline",
            "win_rate",
            "average_deal_size",
        ],
        description="KPIs the weekly, monthly and quarterly reviews share across "
        "departments; each needs a target.",
    )
    min_field_coverage: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Share of live opportunities that need an amount, a close "
        "date and stage history; below it is a warning, below half of it a "
        "failure.",
    )
    max_listed: int = Field(
        20,
        ge=1,
        le=1000,
        description="Maximum number of offending record ids an item lists as evidence.",
    )

    @field_validator("kgi_kpi")
    @classmethod
    def _known_kgi(cls, key: str | None) -> str | None:
        problem = None if key is None else target_key_problem(key)
        if problem is not None:
            raise ValueError(str(problem))
        return key

    @field_validator("key_kpis")
    @classmethod
    def _known_key_kpis(cls, keys: list[str]) -> list[str]:
        problems = [
            f"{key!r}: {problem}"
            for key in keys
            if (problem := target_key_problem(key)) is not None
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return keys

    @model_validator(mode="after")
    def _target_range(self) -> DiagnoseSettings:
        if self.min_target_accounts > self.max_target_accounts:
            raise ValueError(
                f"min_target_accounts ({self.min_target_accounts}) is above "
                f"max_target_accounts ({self.max_target_accounts})"
            )
        return self
