"""The window of dates a plan may name: PDCA due dates and KPI target periods.

A plan date lies from 2000-01-01 to ten years after today (the workspace's
business date). Earlier dates predate the CRM and marketing-automation
exports this product reads, and a year such as 9999 is a typing slip. Both
would be stored and then reach reports, where an XLSX date before 1900 has
no serial number.
"""

from __future__ import annotations

from datetime import date

from abmkpi.errors import FieldError

EARLIEST_PLAN_DATE = date(2000, 1, 1)
PLAN_YEARS_AHEAD = 10


def latest_plan_date(today: date) -> date:
    """Return the last date a plan may name: ten years after ``today``."""
    year = today.year + PLAN_YEARS_AHEAD
    if today.month == 2 and today.day == 29:
        return date(year, 2, 28)
    return today.replace(year=year)


def plan_date_problem(day: date, today: date) -> str | None:
    """Return why ``day`` is outside the plan window, or None."""
    latest = latest_plan_date(today)
    if EARLIEST_PLAN_DATE <= day <= latest:
        return None
    return (
        f"{day.isoformat()}, outside the dates a plan may name, "
        f"{EARLIEST_PLAN_DATE.isoformat()} to {latest.isoformat()} (ten years "
        "from today); give a date in that range"
    )


def check_plan_date(day: date, today: date, field: str) -> date:
    """Return ``day``, or raise FieldError naming the field and the window."""
    problem = plan_date_problem(day, today)
    if problem is not None:
        raise FieldError(field, f"the {field.replace('_', ' ')} is {problem}")
    return day


def check_plan_period(period_id: str, start: date, today: date) -> None:
    """Raise FieldError when a period a plan names starts outside the window."""
    problem = plan_date_problem(start, today)
    if problem is not None:
        raise FieldError("period", f"period {period_id} starts on {problem}")
