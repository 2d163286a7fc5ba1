"""Low performers for the diagnostics: the PDCA check of the current fiscal
quarter (every rule of :mod:`abmkpi.pdca.checks`), and whether an action
covers each finding.

A finding is covered when its account has an open PDCA action, or one logged
in the ``pdca.no_engagement_days`` before now (closed since or not: someone
acted). Coverage is per account: an action covers every rule its account
breaks, whatever rule it was logged with, so re-targeting a quiet account
with a winning pattern (rule ``pattern:KIND:KEY``) covers it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from abmkpi.config import Settings
from abmkpi.pdca.actions import ActionStatus, current_quarter
from abmkpi.pdca.checks import LowPerformer, low_performers
from abmkpi.periods import Period
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


@dataclass
class Finding:
    """One rule break of a target account, and whether an action covers it."""

    entry: LowPerformer
    has_action: bool


def covered_low_performers(
    store: Store, settings: Settings, now: datetime
) -> tuple[Period, list[Finding]]:
    """Return the current quarter and its low-performer findings as of ``now``
    (naive UTC), each with whether an open or recent action covers it."""
    period = current_quarter(settings, now)
    found = low_performers(store, settings, period, now)
    since = now - timedelta(days=settings.pdca.no_engagement_days)
    acted = _accounts_with_action(store, {entry.account_id for entry in found}, since)
    logger.info(
        "%d of %d low-performer findings in %s have an action",
        sum(entry.account_id in acted for entry in found),
        len(found),
        period.id,
    )
    return period, [Finding(entry, entry.account_id in acted) for entry in found]


def _accounts_with_action(
    store: Store, account_ids: set[str], since: datetime
) -> set[str]:
    if not account_ids:
        return set()
    rows = store.fetch_all(
        "SELECT DISTINCT account_id FROM pdca_actions "
        "WHERE list_contains(?, account_id) AND (status = ? OR created_at >= ?)",
        [sorted(account_ids), str(ActionStatus.OPEN), since],
    )
    return {row[0] for row in rows}
