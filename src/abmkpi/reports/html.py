"""The HTML pack: one self-contained file with inline CSS and SVG charts.

The file loads nothing from elsewhere, so it opens offline, survives being
mailed, and prints to PDF as it shows on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from abmkpi.errors import render
from abmkpi.i18n import translate, workspace_name
from abmkpi.metrics.accounts import JOURNEY_STAGES
from abmkpi.metrics.results import KpiResult
from abmkpi.periods import Calendar, Period
from abmkpi.reports import svg, texts
from abmkpi.reports.agenda import build_agenda
from abmkpi.reports.cadence import FOCUS, TITLES
from abmkpi.reports.pack import KpiLine, ReportPack
from abmkpi.reports.sections import ColumnKind, ReportSection
from abmkpi.web.pages.formats import Formatter


@dataclass(frozen=True)
class LineView:
    """A KPI line as the pack prints it."""

    key: str
    department: str
    label: str
    segment: str
    status: str
    status_text: str
    value_text: str
    target_text: str
    interval_text: str
    prior_text: str
    change_text: str
    comparison_text: str
    chart: Markup


def formatter(pack: ReportPack, calendar: Calendar, language: str) -> Formatter:
    return Formatter(language, pack.currency, calendar)


def render_html(pack: ReportPack, calendar: Calendar, language: str) -> str:
    """Return the pack as one HTML document in ``language``."""
    fmt = formatter(pack, calendar, language)

    def _(message: str) -> str:
        return translate(message, language)

    template = _environment().get_template("pack.html")
    return template.render(
        _=_,
        lang=language,
        pack=pack,
        workspace_name=workspace_name(pack.workspace_name, language),
        title=_(TITLES[pack.cadence]),
        focus=_(FOCUS[pack.cadence]),
        period_text=fmt.period(pack.period),
        span_text=fmt.span(pack.period),
        as_of_text=fmt.datetime(pack.as_of),
        generated_text=fmt.datetime(pack.generated_at),
        lines=[line_view(line, pack, fmt) for line in pack.lines],
        departments={key: _(name) for key, name in texts.DEPARTMENTS.items()},
        funnel_chart=Markup(funnel_chart(pack, fmt)),
        funnel_total=sum(pack.funnel.values()),
        sections=[section_view(section, fmt) for section in pack.sections],
        agenda=build_agenda(pack, fmt),
        timing_note=texts.timing_note(pack, fmt),
        notes=[render(note, language) for note in pack.report.notes],
    )


def line_view(line: KpiLine, pack: ReportPack, fmt: Formatter) -> LineView:
    result = line.result
    history_texts = [
        texts.value(_with_value(result, value), fmt) for value in line.history
    ]
    chart = svg.trend_chart(
        [axis_label(period, fmt) for period in pack.periods],
        line.history,
        history_texts,
        result.target,
    )
    comparison = line.comparison
    return LineView(
        key=line.key,
        department=line.department,
        label=texts.label(result, fmt.language),
        segment=fmt.term("segment", result.segment),
        status=result.status.value,
        status_text=texts.status(result.status.value, fmt.language),
        value_text=texts.value(result, fmt),
        target_text=texts.target(result, fmt),
        interval_text=fmt.interval(result),
        prior_text=texts.prior(line, fmt),
        change_text=texts.change(line, fmt),
        comparison_text=texts.value(comparison, fmt) if comparison else "",
        chart=Markup(chart),
    )


def _with_value(result: KpiResult, value: float | None) -> KpiResult:
    return replace(result, value=value)


def axis_label(period: Period, fmt: Formatter) -> str:
    """Return a short period name for a chart axis: W18, 5月 / May, FY24 Q1."""
    if period.kind == "week":
        return "W" + period.id.split("-W")[1]
    if period.kind == "month":
        return format_date(period.start, "MMM", locale=fmt.locale)
    if period.kind == "fiscal_quarter":
        return f"FY{period.id[4:6]} {period.id[-2:]}"
    return fmt.calendar.label(period, fmt.language)


def funnel_chart(pack: ReportPack, fmt: Formatter) -> str:
    total = sum(pack.funnel.values()) or 1
    bars = [
        svg.Bar(
            fmt.term("journey", stage),
            pack.funnel.get(stage, 0),
            f"{fmt.number(pack.funnel.get(stage, 0))} "
            f"({fmt.percent(pack.funnel.get(stage, 0) / total, 0)})",
            svg.STAGE_COLOURS[stage],
        )
        for stage in JOURNEY_STAGES[::-1]
    ]
    return svg.bar_chart(bars)


def section_view(section: ReportSection, fmt: Formatter) -> dict[str, Any]:
    """Return a section's title, header and text cells, and its chart."""
    rows = [
        [texts.cell(column, row.get(column.key), fmt) for column in section.columns]
        for row in section.rows
    ]
    chart = ""
    if section.chart_column and section.rows:
        column = next(c for c in section.columns if c.key == section.chart_column)
        chart = svg.bar_chart(
            [
                svg.Bar(
                    str(row.get("name") or ""),
                    float(row.get(column.key) or 0),
                    texts.cell(column, row.get(column.key), fmt),
                )
                for row in section.rows
            ]
        )
    return {
        "id": section.id,
        "title": translate(section.title, fmt.language),
        "description": translate(section.description, fmt.language),
        "header": [translate(column.label, fmt.language) for column in section.columns],
        "numeric": [
            column.kind not in (ColumnKind.TEXT, ColumnKind.LOCALIZED)
            and column.term is None
            for column in section.columns
        ],
        "rows": rows,
        "chart": Markup(chart),
    }


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("abmkpi.reports", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
