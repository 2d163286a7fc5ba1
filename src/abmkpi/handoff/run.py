"""One pass of the handoff workflow: detect, check SLAs, send notifications."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import AbmkpiError
from abmkpi.handoff.detection import detect_handoffs
from abmkpi.handoff.records import backfilled_among
from abmkpi.handoff.sla import close_slas, mark_breaches
from abmkpi.notify import DeliveryRun, deliver_due
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)


@dataclass
class HandoffRun:
    """The outcome of one pass: new handoffs (and which of them are backfilled),
    SLAs closed and breached, sends."""

    created: list[int] = field(default_factory=list)
    backfilled: list[int] = field(default_factory=list)
    followed_up: int = 0
    breached: list[int] = field(default_factory=list)
    deliveries: DeliveryRun | None = None

    def describe(self) -> str:
        text = f"{len(self.created):,} new handoffs"
        if self.backfilled:
            text += f" ({len(self.backfilled):,} of them backfilled)"
        text += (
            f", {self.followed_up:,} followed up by sales, "
            f"{len(self.breached):,} newly breached"
        )
        if self.deliveries is not None:
            text += f"; {self.deliveries.describe()}"
        return text


def update_handoffs(
    store: Store,
    settings: Settings,
    now: datetime | None = None,
    account_ids: Collection[str] | None = None,
    trigger: str = "run",
) -> HandoffRun:
    """Detect new handoffs and close SLAs that sales followed up.

    ``account_ids`` limits both to the accounts that changed (None: all).
    """
    when = now or utc_now()
    run = HandoffRun()
    if not settings.handoff.enabled:
        return run
    with store.transaction():
        run.created = detect_handoffs(store, settings, when, account_ids, trigger)
        run.backfilled = backfilled_among(store, run.created)
        run.followed_up = close_slas(store, settings, account_ids)
    return run


def run_handoffs(
    store: Store,
    settings: Settings,
    workspace_root: Path,
    now: datetime | None = None,
    deliver: bool = True,
    trigger: str = "run",
) -> HandoffRun:
    """Detect handoffs, check every SLA, then send what is due (if ``deliver``)."""
    when = now or utc_now()
    run = update_handoffs(store, settings, when, trigger=trigger)
    run.breached = mark_breaches(store, settings, when)
    if deliver:
        run.deliveries = deliver_due(store, settings, workspace_root, when)
    logger.info("handoff run: %s", run.describe())
    return run


def run_after_import(
    store: Store, settings: Settings, workspace_root: Path
) -> HandoffRun | None:
    """Run the handoff workflow after an import has committed.

    A failure is logged and returns None rather than raising, because the
    import is stored and 'abmkpi handoff run' repeats the step.
    """
    if not settings.handoff.enabled:
        return None
    try:
        return run_handoffs(store, settings, workspace_root, trigger="import")
    except AbmkpiError as error:
        logger.warning(
            "handoff detection failed after the import: %s; run 'abmkpi handoff "
            "run' to try again",
            error,
        )
        return None
