"""Pack values as text in the reader's language, as the dashboard shows them.

Values go through the dashboard's :class:`Formatter` (Babel, the
language's locale), so a pack and a dashboard card show the same text.
"""

from __future__ import annotations

from typing import Any

from abmkpi.i18n import N_, translate
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import KpiResult, Unit
from abmkpi.reports.pack import KpiLine, PeriodTiming, ReportPack
from abmkpi.reports.sections import Column, ColumnKind
from abmkpi.web.pages.cards import PACED_TARGET, kpi_label
from abmkpi.web.pages.formats import MISSING, Formatter

STATUS_LABELS = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
    "no_target": N_("No target"),
    "no_data": N_("No data"),
    "insufficient_data": N_("Too few to judge"),
}

DEPARTMENTS = {
    "all": N_("All departments"),
    "marketing": N_("Marketing"),
    "sales": N_("Sales"),
    "customer_success": N_("Customer success"),
}

POINTS = N_("%(points)s pt")


def label(result: KpiResult, language: str) -> str:
    """Return a KPI's label with its variant; KPIs outside the catalogue use
    the label their result carries."""
    if result.id in DEFINITIONS:
        return kpi_label(result, language)
    return result.label.get(language) or result.label.get("en") or result.key


def status(value: str, language: str) -> str:
    return translate(STATUS_LABELS.get(value, value), language)


def value(result: KpiResult, fmt: Formatter) -> str:
    """Return the value as a card shows it (amounts compact)."""
    return fmt.kpi(result)


def target(result: KpiResult, fmt: Formatter) -> str:
    if result.target is None:
        return ""
    text = fmt.unit_value(result.target, result.unit)
    if result.paced_target is None:
        return text
    paced = fmt.unit_value(result.paced_target, result.unit)
    return translate(PACED_TARGET, fmt.language) % {"target": text, "paced": paced}


def prior(line: KpiLine, fmt: Formatter) -> str:
    return _unit_text(line.prior, line.result.unit, fmt)


def change(line: KpiLine, fmt: Formatter) -> str:
    """Return the change from the prior period: '+5.0 pt' for rates."""
    delta = line.change
    if delta is None:
        return ""
    sign = "±"
    if delta > 0:
        sign = "+"
    elif delta < 0:
        sign = "−"
    if line.result.unit == Unit.RATIO:
        points = fmt.number(abs(delta) * 100, 1)
        return sign + translate(POINTS, fmt.language) % {"points": points}
    return sign + _unit_text(abs(delta), line.result.unit, fmt)


def _unit_text(number: float | None, unit: Unit, fmt: Formatter) -> str:
    if number is None:
        return MISSING
    if unit == Unit.CURRENCY:
        return fmt.money_compact(number)
    return fmt.unit_value(number, unit)


def cell(column: Column, raw: Any, fmt: Formatter) -> str:
    """Return one section cell as text."""
    if raw is None or raw == "":
        return "" if column.kind == ColumnKind.TEXT else MISSING
    if column.kind == ColumnKind.LOCALIZED:
        return localized(raw, fmt.language)
    if column.term is not None:
        return fmt.term(column.term, raw)
    kind = column.kind
    if kind == ColumnKind.COUNT:
        return fmt.number(raw)
    if kind == ColumnKind.SCORE:
        return fmt.number(raw, 1)
    if kind == ColumnKind.PERCENT:
        return fmt.percent(raw)
    if kind == ColumnKind.CURRENCY:
        return fmt.money(raw)
    if kind == ColumnKind.DAYS:
        return fmt.unit_value(raw, Unit.DAYS)
    if kind == ColumnKind.DATE:
        return fmt.date(raw)
    if kind == ColumnKind.MULTIPLE:
        return fmt.unit_value(raw, Unit.MULTIPLE)
    if kind == ColumnKind.PROBABILITY:
        return f"{raw:.2g}"
    return str(raw)


def localized(raw: Any, language: str) -> str:
    """Return the text of a LOCALIZED cell in ``language`` (English if absent)."""
    if isinstance(raw, dict):
        return str(raw.get(language) or raw.get("en") or "")
    return str(raw)


FUTURE_PERIOD = N_(
    "This period has not started: it starts on %(start)s, so the pack has no "
    "data for it yet."
)
RUNNING_PERIOD = N_(
    "This period is still running: the pack covers it to date, as of %(as_of)s."
)


def timing_note(pack: ReportPack, fmt: Formatter) -> str | None:
    """Return the header note of a pack whose period has not ended, or None."""
    if pack.timing == PeriodTiming.FUTURE:
        return translate(FUTURE_PERIOD, fmt.language) % {
            "start": fmt.date(pack.period.start)
        }
    if pack.timing == PeriodTiming.RUNNING:
        return translate(RUNNING_PERIOD, fmt.language) % {
            "as_of": fmt.datetime(pack.as_of)
        }
    return None
