"""The live ingest route: POST /api/v1/activities.

Every field of every event is validated; a batch with any bad event is
rejected whole, with one detail per bad event field
(``body.events.3.occurred_at``). Batches commit one at a time; each logs
its counts, never an address.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from abmkpi.canonical import ActivityType
from abmkpi.ingest import (
    LIVE_SOURCE,
    SOURCE_PATTERN,
    LiveEvent,
    domain_key,
    email_key,
    ingest_events,
)
from abmkpi.tokens import Role, TokenInfo
from abmkpi.web.api_models import ERROR_RESPONSES, IngestResponse
from abmkpi.web.auth import require_role
from abmkpi.web.live import Change
from abmkpi.web.params import DocumentResponse, invalid, web_state

logger = logging.getLogger(__name__)

# How far in the future an event may be, for clocks that run ahead.
MAX_CLOCK_SKEW = timedelta(minutes=5)

router = APIRouter(prefix="/api/v1", tags=["live ingest"], responses=ERROR_RESPONSES)

_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


def _instant(value: object) -> datetime:
    """Parse an ISO 8601 date-time that carries a UTC offset."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(
            "must be an ISO 8601 date-time such as 2025-04-01T09:30:00+09:00"
        ) from error
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("needs a UTC offset such as +09:00 or Z")
    latest = datetime.now(UTC) + MAX_CLOCK_SKEW
    if parsed > latest:
        minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
        raise ValueError(f"is more than {minutes} minutes in the future")
    return parsed


Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_PRINTABLE)]


class ActivityEvent(BaseModel):
    """One activity: who (email, account_id or domain), what and when."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: Text = Field(
        description="The source's id of the event; repeats add nothing."
    )
    occurred_at: Annotated[datetime, BeforeValidator(_instant)] = Field(
        description="When it happened: ISO 8601 with an offset, not in the future."
    )
    type: ActivityType
    email: Annotated[str, Field(max_length=320), AfterValidator(email_key)] | None = (
        None
    )
    account_id: Text | None = Field(
        None, description="Canonical account id, as /api/v1/accounts lists it."
    )
    domain: Annotated[str, Field(max_length=253), AfterValidator(domain_key)] | None = (
        Field(None, description="Company domain, for events without an address.")
    )
    company: Text | None = None
    person_name: Text | None = None
    title: Text | None = None
    asset: (
        Annotated[str, Field(min_length=1, max_length=500, pattern=_PRINTABLE)] | None
    ) = None
    campaign_id: Text | None = None
    source: Annotated[str, Field(pattern=SOURCE_PATTERN)] | None = Field(
        None, description="Source system name; default 'live'."
    )

    @model_validator(mode="after")
    def _names_someone(self) -> ActivityEvent:
        if self.email is None and self.account_id is None and self.domain is None:
            raise ValueError("an event needs an email, account_id or domain")
        return self

    def to_event(self) -> LiveEvent:
        return LiveEvent(
            event_id=self.event_id,
            occurred_at=self.occurred_at.astimezone(UTC).replace(tzinfo=None),
            type=self.type,
            email=self.email,
            account_id=self.account_id,
            domain=self.domain,
            company=self.company,
            person_name=self.person_name,
            title=self.title,
            asset=self.asset,
            campaign_id=self.campaign_id,
            source=self.source or LIVE_SOURCE,
        )


class ActivityBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEvent] = Field(min_length=1)


@router.post("/activities", response_model=IngestResponse)
def post_activities(
    request: Request,
    batch: ActivityBatch,
    token: Annotated[TokenInfo | None, Depends(require_role(Role.EDITOR))],
) -> DocumentResponse:
    """Store activity events and match them to accounts; needs an editor token.

    Idempotent on the source and event id: a replayed batch inserts nothing
    and counts its events as duplicates.
    """
    state = web_state(request)
    limit = state.workspace.settings.web.max_batch_events
    if len(batch.events) > limit:
        raise invalid(
            "body.events", f"{len(batch.events):,} events; send at most {limit:,}"
        )
    events = [item.to_event() for item in batch.events]
    with state.writer() as store:
        change = Change(state.data_version + 1)
        try:
            result = ingest_events(
                store, state.workspace.settings, state.free_mail, events
            )
            change = Change(
                change.version,
                frozenset(result.account_ids),
                result.people_created > 0,
                result.inserted,
            )
        finally:
            state.changes.record(change)
        version = change.version
    state.latest_ingest_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if result.inserted:
        state.refresher.notify(change)
    if result.handoff_ids:
        request.app.state.notifier.wake()
    logger.info("token %d: %s", token.id if token else 0, result.describe())
    return DocumentResponse(
        {
            "received": result.received,
            "inserted": result.inserted,
            "duplicates": result.duplicates,
            "unmatched": result.unmatched,
            "people_created": result.people_created,
            "data_version": version,
        }
    )
