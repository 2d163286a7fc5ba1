"""The XLSX pack: one sheet per section, real values with number formats.

Cells contain numbers, not formulas, so the workbook reads the same in any
spreadsheet program. Text is always written as a string, so a value that
starts with '=' never becomes a formula.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from babel.numbers import get_currency_symbol
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from abmkpi.formatting import locale_of
from abmkpi.i18n import N_, translate, workspace_name
from abmkpi.metrics.accounts import JOURNEY_STAGES
from abmkpi.metrics.results import KpiResult, Unit
from abmkpi.periods import Calendar
from abmkpi.reports import texts
from abmkpi.reports.agenda import build_agenda
from abmkpi.reports.cadence import TITLES
from abmkpi.reports.html import formatter
from abmkpi.reports.pack import KpiLine, ReportPack
from abmkpi.reports.sections import ColumnKind, ReportSection
from abmkpi.web.pages.formats import Formatter

KPI_HEADER = [
    N_("KPI key"),
    N_("Segment id"),
    N_("KPI"),
    N_("Department"),
    N_("Segment"),
    N_("Value"),
    N_("Target"),
    N_("Paced target"),
    N_("Status"),
    N_("95% interval, low"),
    N_("95% interval, high"),
    N_("Prior period"),
    N_("Change from prior period"),
    N_("Numerator"),
    N_("Denominator"),
]
# Columns of the KPI sheet that carry the KPI's unit, and its plain numbers.
UNIT_COLUMNS = (5, 6, 7, 9, 10, 11, 12)
PLAIN_COLUMNS = (13, 14)
MAX_WIDTH = 60
# The dates an Excel date cell can show.
EXCEL_FIRST_DATE = date(1900, 1, 1)
EXCEL_LAST_DATE = date(9999, 12, 31)
TEXT_KINDS = (ColumnKind.TEXT, ColumnKind.LOCALIZED)


class Styles:
    """The workbook's cell formats, created once per kind."""

    def __init__(self, workbook: Workbook, currency: str, language: str):
        symbol = get_currency_symbol(currency, locale=locale_of(language))
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#E5E7EB", "border": 1, "text_wrap": True}
        )
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.plain = workbook.add_format({"num_format": "#,##0.##"})
        self.probability = workbook.add_format({"num_format": "0.0000"})
        self.units = {
            Unit.RATIO: workbook.add_format({"num_format": "0.0%"}),
            Unit.CURRENCY: workbook.add_format({"num_format": f'"{symbol}"#,##0'}),
            Unit.COUNT: workbook.add_format({"num_format": "#,##0"}),
            Unit.DAYS: workbook.add_format({"num_format": "#,##0.0"}),
            Unit.SCORE: workbook.add_format({"num_format": "#,##0.0"}),
            Unit.MULTIPLE: workbook.add_format({"num_format": '0.00"×"'}),
            Unit.PEOPLE: workbook.add_format({"num_format": "#,##0.0"}),
        }

    def unit(self, unit: Unit) -> Format:
        return self.units.get(unit, self.units[Unit.SCORE])

    def column(self, kind: ColumnKind) -> Format:
        kinds = {
            ColumnKind.COUNT: Unit.COUNT,
            ColumnKind.SCORE: Unit.SCORE,
            ColumnKind.PERCENT: Unit.RATIO,
            ColumnKind.CURRENCY: Unit.CURRENCY,
            ColumnKind.DAYS: Unit.DAYS,
            ColumnKind.MULTIPLE: Unit.MULTIPLE,
        }
        if kind == ColumnKind.DATE:
            return self.date
        if kind == ColumnKind.PROBABILITY:
            return self.probability
        return self.unit(kinds.get(kind, Unit.SCORE))


def write_xlsx(pack: ReportPack, calendar: Calendar, language: str, path: Path) -> None:
    """Write the pack as an XLSX workbook in ``language`` to ``path``."""
    fmt = formatter(pack, calendar, language)
    workbook = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    workbook.set_properties(
        {"title": f"{translate(TITLES[pack.cadence], language)} {pack.period.id}"}
    )
    styles = Styles(workbook, pack.currency, language)
    _summary_sheet(workbook, pack, fmt, styles)
    _kpi_sheet(workbook, pack, fmt, styles)
    _trend_sheet(workbook, pack, fmt, styles)
    _funnel_sheet(workbook, pack, fmt, styles)
    for section in pack.sections:
        _section_sheet(workbook, section, fmt, styles)
    _agenda_sheet(workbook, pack, fmt, styles)
    workbook.close()


def sheet_name(message: str, language: str) -> str:
    """Return a translated sheet name without the characters Excel rejects."""
    name = translate(message, language)
    for character in "[]:*?/\\":
        name = name.replace(character, " ")
    return name[:31]


def _summary_sheet(
    workbook: Workbook, pack: ReportPack, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(sheet_name(N_("Summary"), fmt.language))
    language = fmt.language
    sheet.write_string(0, 0, translate(TITLES[pack.cadence], language), styles.title)
    rows = [
        (N_("Workspace"), workspace_name(pack.workspace_name, language)),
        (N_("Period"), f"{fmt.period(pack.period)} ({pack.period.id})"),
        (N_("Dates"), fmt.span(pack.period)),
        (N_("as of"), fmt.datetime(pack.as_of)),
        (N_("generated"), fmt.datetime(pack.generated_at)),
        (N_("Reporting currency"), pack.currency),
    ]
    note = texts.timing_note(pack, fmt)
    if note is not None:
        rows.append((N_("Note"), note))
    for index, (label, value) in enumerate(rows, start=2):
        sheet.write_string(index, 0, translate(label, language), styles.header)
        sheet.write_string(index, 1, value)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 50)


def _kpi_sheet(
    workbook: Workbook, pack: ReportPack, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(sheet_name(N_("KPIs"), fmt.language))
    header = [translate(name, fmt.language) for name in KPI_HEADER]
    rows: list[list[Any]] = []
    for line in pack.lines:
        results = [line.result, *([line.comparison] if line.comparison else [])]
        for result in results:
            is_main = result is line.result
            rows.append(
                _kpi_row(result, line, fmt, prior=line.prior if is_main else None)
            )
    _table(sheet, header, rows, styles)
    for index, row in enumerate(rows, start=1):
        unit_format = styles.unit(Unit(row[-1]))
        for column in UNIT_COLUMNS:
            _write_number(sheet, index, column, row[column], unit_format)
        for column in PLAIN_COLUMNS:
            _write_number(sheet, index, column, row[column], styles.plain)


def _kpi_row(
    result: KpiResult, line: KpiLine, fmt: Formatter, prior: float | None
) -> list[Any]:
    interval = result.ci95 or (None, None)
    change = line.change if prior is not None else None
    return [
        result.key,
        result.segment,
        texts.label(result, fmt.language),
        translate(texts.DEPARTMENTS[line.department], fmt.language),
        fmt.term("segment", result.segment),
        result.value,
        result.target,
        result.paced_target,
        texts.status(result.status.value, fmt.language),
        interval[0],
        interval[1],
        prior,
        change,
        result.numerator,
        result.denominator,
        result.unit.value,
    ]


def _trend_sheet(
    workbook: Workbook, pack: ReportPack, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(sheet_name(N_("Trend"), fmt.language))
    header = [
        translate(N_("KPI"), fmt.language),
        *[fmt.period(period) for period in pack.periods],
    ]
    rows = [
        [texts.label(line.result, fmt.language), *line.history] for line in pack.lines
    ]
    _table(sheet, header, rows, styles)
    for index, line in enumerate(pack.lines, start=1):
        for column, value in enumerate(line.history, start=1):
            _write_number(sheet, index, column, value, styles.unit(line.result.unit))
    name = sheet.get_name()
    for index, line in enumerate(pack.lines):
        chart = workbook.add_chart({"type": "line"})
        chart.add_series(
            {
                "name": [name, index + 1, 0],
                "categories": [name, 0, 1, 0, len(pack.periods)],
                "values": [name, index + 1, 1, index + 1, len(pack.periods)],
                "marker": {"type": "circle"},
            }
        )
        chart.set_title({"name": texts.label(line.result, fmt.language)})
        chart.set_legend({"none": True})
        chart.set_size({"width": 420, "height": 220})
        row = len(pack.lines) + 3 + (index // 2) * 12
        sheet.insert_chart(row, 1 + (index % 2) * 4, chart)


def _funnel_sheet(
    workbook: Workbook, pack: ReportPack, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(sheet_name(N_("Journey"), fmt.language))
    total = sum(pack.funnel.values())
    header = [
        translate(N_("Journey stage"), fmt.language),
        translate(N_("Target accounts"), fmt.language),
        translate(N_("Share"), fmt.language),
    ]
    stages = list(JOURNEY_STAGES[::-1])
    rows = [
        [
            fmt.term("journey", stage),
            pack.funnel.get(stage, 0),
            pack.funnel.get(stage, 0) / total if total else None,
        ]
        for stage in stages
    ]
    _table(sheet, header, rows, styles)
    for index, row in enumerate(rows, start=1):
        _write_number(sheet, index, 1, row[1], styles.unit(Unit.COUNT))
        _write_number(sheet, index, 2, row[2], styles.unit(Unit.RATIO))
    _bar_chart(workbook, sheet, header[1], len(rows), 1, (1, 4))


def _section_sheet(
    workbook: Workbook, section: ReportSection, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(sheet_name(section.title, fmt.language))
    header = [translate(column.label, fmt.language) for column in section.columns]
    rows = [
        [_raw_cell(column, row, fmt) for column in section.columns]
        for row in section.rows
    ]
    _table(sheet, header, rows, styles)
    for index, row in enumerate(rows, start=1):
        for number, column in enumerate(section.columns):
            if column.kind in TEXT_KINDS or column.term is not None:
                continue
            value = row[number]
            if column.kind == ColumnKind.DATE and value is not None:
                _write_date(sheet, index, number, value, styles.date)
            else:
                _write_number(sheet, index, number, value, styles.column(column.kind))
    if section.chart_column and rows:
        chart_at = [c.key for c in section.columns].index(section.chart_column)
        _bar_chart(
            workbook, sheet, header[chart_at], len(rows), chart_at, (len(rows) + 3, 0)
        )


def _write_date(
    sheet: Worksheet, row: int, column: int, value: date | datetime, style: Format
) -> None:
    """Write a date as a date cell, or as ISO text outside Excel's date range
    (1900-01-01 to 9999-12-31), where a serial number would be negative."""
    day = value.date() if isinstance(value, datetime) else value
    if EXCEL_FIRST_DATE <= day <= EXCEL_LAST_DATE:
        sheet.write_datetime(row, column, value, style)
    else:
        sheet.write_string(row, column, value.isoformat())


def _raw_cell(column: Any, row: dict[str, Any], fmt: Formatter) -> Any:
    value = row.get(column.key)
    if column.term is not None:
        return fmt.term(column.term, value)
    if column.kind == ColumnKind.LOCALIZED:
        return texts.localized(value, fmt.language) if value is not None else None
    return value


def _agenda_sheet(
    workbook: Workbook, pack: ReportPack, fmt: Formatter, styles: Styles
) -> None:
    sheet = workbook.add_worksheet(
        sheet_name(N_("Review meeting agenda"), fmt.language)
    )
    header = [
        translate(N_("Department"), fmt.language),
        translate(N_("Topic"), fmt.language),
    ]
    rows = [
        [translate(texts.DEPARTMENTS[item.department], fmt.language), item.topic]
        for item in build_agenda(pack, fmt)
    ]
    _table(sheet, header, rows, styles)


def _table(
    sheet: Worksheet, header: list[str], rows: list[list[Any]], styles: Styles
) -> None:
    """Write a header row and rows, freeze the header and size the columns."""
    for column, name in enumerate(header):
        sheet.write_string(0, column, name, styles.header)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row[: len(header)]):
            if isinstance(value, str):
                sheet.write_string(index, column, value)
    sheet.freeze_panes(1, 0)
    for column, name in enumerate(header):
        cells = [name, *(_shown(row[column]) for row in rows if column < len(row))]
        width = max(text_width(cell) for cell in cells) + 2
        sheet.set_column(column, column, min(max(width, 8), MAX_WIDTH))


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return "" if value is None else str(value)


def text_width(text: str) -> int:
    """Return the width of text in character cells; CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _write_number(
    sheet: Worksheet, row: int, column: int, value: Any, style: Format
) -> None:
    if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
        sheet.write_number(row, column, value, style)


def _bar_chart(
    workbook: Workbook,
    sheet: Worksheet,
    title: str,
    count: int,
    column: int,
    where: tuple[int, int],
) -> None:
    name = sheet.get_name()
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series(
        {
            "categories": [name, 1, 0, count, 0],
            "values": [name, 1, column, count, column],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 560, "height": 60 + 24 * count})
    sheet.insert_chart(*where, chart)
