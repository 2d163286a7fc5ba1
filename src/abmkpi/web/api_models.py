"""Response models of the JSON API, for the OpenAPI schema and for tests.

Numbers are ``int | float`` so a count stays an integer, as in
``abmkpi kpi --format json``. Instants are UTC, ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Number = int | float


class ErrorBody(BaseModel):
    status: int
    code: str = Field(description="Stable machine-readable word, e.g. rate_limited.")
    message: str
    details: list[dict[str, Any]] = Field(
        description="Field-level problems: {field, problem}."
    )


class ErrorEnvelope(BaseModel):
    """The shape of every error response."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        401: "No valid token where one is needed.",
        403: "The token's role is too low.",
        404: "Not found.",
        413: "Request body too large.",
        422: "Invalid parameter or body field.",
        429: "Rate limit reached; see Retry-After.",
        503: "Another process (such as an import) has the workspace open; "
        "see Retry-After.",
    }.items()
}


class PeriodLabel(BaseModel):
    en: str
    ja: str


class PeriodInfo(BaseModel):
    id: str
    start: date
    end: date
    label: PeriodLabel


class KpiResultModel(BaseModel):
    id: str
    variant: str | None = None
    segment: str
    label: PeriodLabel
    value: Number | None
    numerator: Number | None
    denominator: Number | None
    ci95: list[Number | None] | None
    target: Number | None
    paced_target: Number | None
    status: str
    unit: str
    details: dict[str, Any] | None = None


class KpiReportModel(BaseModel):
    """Every KPI result of a period, as ``abmkpi kpi --format json`` prints it."""

    period: PeriodInfo
    as_of: str = Field(description="The instant computed for, UTC with a Z.")
    currency: str
    segments: list[str]
    results: list[KpiResultModel]


class FunnelModel(BaseModel):
    """Accounts per journey stage, from unengaged to customer."""

    period: str
    stages: list[str]
    target: dict[str, int]
    all: dict[str, int]


class JourneyMover(BaseModel):
    account_id: str
    name: str | None
    tier: int | None
    from_stage: str
    to_stage: str
    direction: str = Field(description="up, down or stayed.")


class JourneyModel(BaseModel):
    """Journey stages of a segment's accounts on two dates, and who moved."""

    model_config = ConfigDict(populate_by_name=True)

    segment: str
    from_date: date = Field(alias="from", description="The first business date.")
    to_date: date = Field(alias="to", description="The second business date.")
    stages: list[str] = Field(description="Stages from unengaged to customer.")
    counts_from: dict[str, int]
    counts_to: dict[str, int]
    accounts: int
    moved_up: int
    moved_down: int
    stayed: int
    movers: list[JourneyMover] = Field(
        description="Accounts that changed stage: up first, then down."
    )


class AccountRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    source_id: str | None
    name: str | None
    owner: str | None
    industry: str | None
    fit_grade: str | None
    seg: str = Field(description="target or non_target.")
    tier: int | None
    journey_stage: str
    journey_rank: int = Field(description="0 for customer up to 5 for unengaged.")
    score: float
    peak_score: float
    aware: bool
    engaged: bool
    engaged_people: int
    engaged_decision_maker: bool
    engaged_influencer: bool
    engaged_user: bool
    mqa_at: datetime | None
    new_opportunity: bool
    open_deals: int | None = Field(description="Open deals of every type.")
    open_pipeline: float | None = Field(
        description="Open new-business pipeline at the period end, in the "
        "reporting currency: the account's share of the KPI pipeline_open."
    )
    open_pipeline_expansion_renewal: float | None = Field(
        description="Open expansion and renewal pipeline at the period end, "
        "which no new-business KPI counts."
    )
    won_deals: int | None
    won_amount: float | None


class AccountPage(BaseModel):
    period: str
    total: int = Field(description="Accounts matching the filters.")
    page: int
    page_size: int
    pages: int
    sort: str
    order: str
    accounts: list[AccountRow]


class AccountDetailModel(BaseModel):
    """One account with its score explained (``abmkpi account --format json``)."""

    model_config = ConfigDict(extra="allow")

    account: dict[str, Any]
    score: float
    top_activities: list[dict[str, Any]]
    score_history: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    people: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]


class ImportFile(BaseModel):
    path: str
    object: str
    encoding: str | None
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_deleted: int
    rows_skipped: int
    rows_rejected: int


class ImportEntry(BaseModel):
    id: int
    source_system: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_deleted: int
    rows_skipped: int
    rows_rejected: int
    reject_file: str | None
    message: str | None
    files: list[ImportFile]


class ImportLog(BaseModel):
    imports: list[ImportEntry]
    total: int


class Health(BaseModel):
    """Data freshness."""

    status: str
    workspace: str
    schema_version: int
    data_version: int
    activities: int
    latest_activity_at: datetime | None
    latest_import_id: int | None
    latest_import_at: datetime | None
    latest_ingest_at: datetime | None
    server_time: datetime


class MatchCountsModel(BaseModel):
    total: int
    matched: int
    match_rate: float | None
    by_method: dict[str, int]
    unmatched: dict[str, int]


class SourceMatchModel(BaseModel):
    source_system: str
    people: MatchCountsModel
    activities: MatchCountsModel
    ambiguous: list[dict[str, Any]]
    ambiguous_total: int
    duplicate_groups: list[dict[str, Any]]
    duplicate_groups_total: int
    free_mail_domains: list[dict[str, Any]]
    free_mail_domains_total: int


class MatchReportModel(BaseModel):
    max_items: int
    sources: list[SourceMatchModel]


class IngestResponse(BaseModel):
    """The counts of one ingest batch; a replayed batch inserts nothing."""

    received: int
    inserted: int
    duplicates: int = Field(description="Events stored before or repeated.")
    unmatched: int = Field(description="Inserted events matched to no account.")
    people_created: int
    data_version: int


class TokenModel(BaseModel):
    id: int
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenList(BaseModel):
    tokens: list[TokenModel]


class TokenCreated(TokenModel):
    token: str = Field(description="The token; shown once, only its hash is kept.")


class LocalizedText(BaseModel):
    en: str
    ja: str


class DiagnosticsPart(BaseModel):
    id: str = Field(description="diagnosis, setting, implementation or operation.")
    title: LocalizedText


class DiagnosticsItem(BaseModel):
    id: str = Field(description="Stable item id, such as diagnosis.match_rate.")
    part: str
    title: LocalizedText
    status: str = Field(description="pass, warn, fail or not_applicable.")
    summary: LocalizedText = Field(description="The finding, with its numbers.")
    evidence: dict[str, Any] = Field(
        description="Counts, rates and the offending records behind the status."
    )
    fix: LocalizedText | None = Field(
        description="The command or config key that changes the status; null on a pass."
    )


class DiagnosticsModel(BaseModel):
    """The KPI-setup checklist, as ``abmkpi diagnose --format json`` prints it."""

    checked_at: str = Field(description="The instant checked, UTC with a Z.")
    status: str = Field(description="The worst status of any item.")
    counts: dict[str, int]
    parts: list[DiagnosticsPart]
    items: list[DiagnosticsItem]


class DeliveryModel(BaseModel):
    """One notification of a handoff (or of its SLA breach) on one channel."""

    id: int
    subject_kind: str = Field(description="handoff or handoff_breach.")
    subject_id: str
    channel: str = Field(description="webhook, email or csv.")
    status: str = Field(description="pending, delivered or failed.")
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


class HandoffModel(BaseModel):
    """An MQA handoff with its evidence, SLA and notification states."""

    id: int
    account_id: str
    account_name: str | None
    status: str = Field(
        description="open, acknowledged, breached, followed_up or backfilled."
    )
    crossed_at: datetime = Field(
        description="When the activity that pushed the score over the threshold "
        "happened."
    )
    score: float
    threshold: float
    trigger: str = Field(description="What detected it: import, ingest, run or demo.")
    owner_id: str | None
    created_at: datetime
    sla_due_at: datetime
    first_sales_activity_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    breached_at: datetime | None
    backfilled: bool = Field(
        description="Detected more than handoff.backfill_days after its crossing: "
        "no notification of its own and no SLA, so sla_due_at is never enforced."
    )
    evidence: dict[str, Any] = Field(
        description="score, score_at_crossing, threshold, account, owner, "
        "top_activities, engaged_people, personas."
    )
    deliveries: list[DeliveryModel]


class AcknowledgedHandoffModel(HandoffModel):
    """A handoff after an acknowledgement request."""

    already_acknowledged: bool = Field(
        description="True when the handoff had been acknowledged before this "
        "request: acknowledged_at and acknowledged_by are still the first ones."
    )


class HandoffList(BaseModel):
    status: str
    total: int = Field(description="Handoffs with the status, on all pages.")
    page: int
    page_size: int
    pages: int
    handoffs: list[HandoffModel]
