"""The instant and dates a PDCA check looks at, as the KPIs define them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from abmkpi.config import Settings
from abmkpi.periods import Period, business_date
from abmkpi.usage import utc_now


def as_of_instant(settings: Settings, period: Period, now: datetime | None) -> datetime:
    """Return the period's last instant, or ``now`` when that is earlier (naive UTC)."""
    _, end = period.utc_bounds(settings.workspace.time_zone)
    return min(end - timedelta(microseconds=1), now or utc_now())


def period_days(
    settings: Settings, period: Period, as_of: datetime
) -> tuple[date, date]:
    """Return the first and last business date of the period counted so far."""
    today = business_date(as_of, settings.workspace.time_zone)
    return period.start, min(period.end, today)
