"""The period picker: which period a page shows, and its neighbours.

A page without ``?period=`` opens on the fiscal quarter of the reference
day: today, or the last day with activities when the data ends earlier (a
demo workspace, an export from last month), so a page never opens on an
empty quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from abmkpi.periods import Period, PeriodKind, business_date, today_in
from abmkpi.vocabulary import N_
from abmkpi.web.queries import cache_of
from abmkpi.web.state import WebState

PICKER_KINDS = {
    "fiscal_quarter": N_("Fiscal quarter"),
    "month": N_("Month"),
    "week": N_("Week"),
}

DEFAULT_KIND = "fiscal_quarter"


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page shows, the periods before and after it, and its kind."""

    period: Period
    previous: Period
    next: Period | None
    kind: str


def latest_activity(state: WebState) -> datetime | None:
    """Return the instant of the latest live activity (cached per data version)."""

    def compute() -> datetime | None:
        with state.reader() as store:
            value = store.scalar(
                "SELECT max(occurred_at) FROM activities WHERE NOT is_deleted"
            )
        return value if isinstance(value, datetime) else None

    return cache_of(state).get(("latest_activity", state.data_version), compute)


def reference_day(state: WebState) -> date:
    """Return today, or the business date of the latest activity if earlier."""
    zone = state.workspace.settings.workspace.time_zone
    today = today_in(zone)
    latest = latest_activity(state)
    if latest is None:
        return today
    return min(today, business_date(latest, zone))


def choose_period(
    state: WebState, period_text: str | None, kind: str | None
) -> PeriodChoice:
    """Resolve ``?period=`` and ``?kind=`` into the period a page shows.

    A kind other than the period's own switches to the period of that kind
    holding the period's last day (or the reference day, when earlier).
    Raises PeriodError for period text that does not parse.
    """
    calendar = state.workspace.calendar
    day = reference_day(state)
    if period_text:
        period = calendar.parse(period_text, today=day)
    else:
        period = calendar.period_of(cast(PeriodKind, _kind_or_default(kind)), day)
    if kind in PICKER_KINDS and kind != period.kind:
        period = calendar.period_of(cast(PeriodKind, kind), min(period.end, day))
    following = _following(state, period)
    today = today_in(state.workspace.settings.workspace.time_zone)
    return PeriodChoice(
        period=period,
        previous=calendar.previous(period)[0],
        next=following if following.start <= today else None,
        kind=period.kind,
    )


def _kind_or_default(kind: str | None) -> str:
    return kind if kind in PICKER_KINDS else DEFAULT_KIND


def _following(state: WebState, period: Period) -> Period:
    """Return the period of the same kind and length right after ``period``."""
    if period.kind == "range":
        start = period.end + timedelta(days=1)
        end = start + timedelta(days=period.days - 1)
        return Period(f"{start}..{end}", "range", start, end)
    calendar = state.workspace.calendar
    return calendar.period_of(period.kind, period.end + timedelta(days=1))
