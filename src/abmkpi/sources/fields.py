"""Typed reading of a CSV file's columns, collecting every bad value.

Importers describe the columns they read as :class:`Field` values; this
module finds them in the header, decides each date column's format from the
whole column, and parses every value. A row with a bad value is left out and
described as an :class:`~abmkpi.errors.InputProblem` (file, line, column,
value, reason), so the caller can reject it or stop the import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from abmkpi.errors import InputError, InputProblem, MessageText, UserMessage
from abmkpi.sources import dates
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.values import (
    check_no_nul,
    clean_text,
    normalize_email,
    parse_bool,
    parse_id,
    parse_int,
    parse_number,
)

FieldKind = Literal["text", "id", "bool", "number", "int", "date", "datetime", "email"]

_PARSERS: dict[str, Callable[[str | None], Any]] = {
    "text": clean_text,
    "id": parse_id,
    "bool": parse_bool,
    "number": parse_number,
    "int": parse_int,
}


@dataclass(frozen=True)
class Field:
    """A column an importer reads: output name, header names it may have, kind."""

    name: str
    headers: tuple[str, ...]
    kind: FieldKind = "text"
    required: bool = False

    @classmethod
    def of(
        cls, name: str, *headers: str, kind: FieldKind = "text", required: bool = False
    ) -> Field:
        return cls(name, headers or (name,), kind, required)


@dataclass
class DateFormatUse:
    """Which declared date formats the files of one import used.

    The parse contexts of one run share one instance, so that a format that
    names no date column of any file can be reported after reading.
    """

    used: set[str] = field(default_factory=set)  # lower-cased column names
    date_columns: set[str] = field(default_factory=set)


@dataclass
class ParseContext:
    """Time zones and declared date formats that apply to one import."""

    naive_time_zone: str = "UTC"
    business_time_zone: str = "Asia/Tokyo"
    date_formats: dict[str, str] = field(default_factory=dict)
    date_format_use: DateFormatUse = field(default_factory=DateFormatUse)

    def declared_format(self, header: str) -> str | None:
        for name, value in self.date_formats.items():
            if name.lower() == header.lower():
                self.date_format_use.used.add(name.lower())
                return value
        return None


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]


@dataclass
class ParsedTable:
    """A file's rows with typed values, and the problems found on the way."""

    file: CsvFile
    rows: list[ParsedRow]
    problems: list[InputProblem]
    headers: dict[str, str]
    notes: list[MessageText] = field(default_factory=list)

    def header_of(self, name: str) -> str | None:
        return self.headers.get(name)


def parse_table(
    csv_file: CsvFile, fields: Sequence[Field], context: ParseContext
) -> ParsedTable:
    """Parse every field of every row; rows with a bad value become problems."""
    headers = _resolve_headers(csv_file, fields)
    _check_declared_formats(csv_file, fields, headers, context)
    notes: list[MessageText] = []
    orders = _decide_date_orders(csv_file, fields, headers, context, notes)
    # Spreadsheets that save with ';' between fields write ',' as the decimal
    # separator, so 1,500 there may be 1.5 and not 1500.
    decimal_comma_risk = csv_file.delimiter == ";"
    rows: list[ParsedRow] = []
    problems: list[InputProblem] = []
    for row in csv_file.rows:
        values: dict[str, Any] = {}
        row_problems: list[InputProblem] = []
        for spec in fields:
            header = headers.get(spec.name)
            if header is None:
                continue
            raw = row.values.get(header)
            try:
                if decimal_comma_risk and spec.kind in ("number", "int"):
                    _check_no_comma(raw)
                values[spec.name] = _parse(spec, raw, orders.get(spec.name), context)
            except ValueError as error:
                row_problems.append(
                    InputProblem(csv_file.path, row.line, header, raw, str(error))
                )
                continue
            if spec.required and values[spec.name] is None:
                row_problems.append(
                    InputProblem(
                        csv_file.path,
                        row.line,
                        header,
                        raw or "",
                        "required value is empty",
                    )
                )
        if row_problems:
            problems.extend(row_problems)
        else:
            rows.append(ParsedRow(row.line, values))
    return ParsedTable(csv_file, rows, problems, headers, notes)


def _resolve_headers(csv_file: CsvFile, fields: Sequence[Field]) -> dict[str, str]:
    headers: dict[str, str] = {}
    missing: list[Field] = []
    for spec in fields:
        header = csv_file.column(*spec.headers)
        if header is not None:
            headers[spec.name] = header
        elif spec.required:
            missing.append(spec)
    if missing:
        problems = [
            InputProblem(
                csv_file.path,
                1,
                spec.headers[0],
                None,
                "required column is missing"
                + (
                    f" (also accepted: {', '.join(spec.headers[1:])})"
                    if len(spec.headers) > 1
                    else ""
                ),
            )
            for spec in missing
        ]
        raise InputError(problems, hint=f"columns found: {', '.join(csv_file.header)}")
    return headers


def _check_declared_formats(
    csv_file: CsvFile,
    fields: Sequence[Field],
    headers: dict[str, str],
    context: ParseContext,
) -> None:
    """Raise InputError when a declared date format names a non-date column."""
    date_headers = {
        headers[f.name].lower()
        for f in fields
        if f.kind in ("date", "datetime") and f.name in headers
    }
    context.date_format_use.date_columns.update(
        headers[f.name]
        for f in fields
        if f.kind in ("date", "datetime") and f.name in headers
    )
    read_headers = {header.lower(): header for header in headers.values()}
    for name, declared in context.date_formats.items():
        header = read_headers.get(name.lower())
        if header is not None and header.lower() not in date_headers:
            raise InputError(
                InputProblem(
                    csv_file.path,
                    1,
                    header,
                    declared,
                    "a date format is declared for a column that is not a date",
                ),
                hint="declare formats only for date columns: "
                + (", ".join(sorted(context.date_format_use.date_columns)) or "none"),
            )


def _decide_date_orders(
    csv_file: CsvFile,
    fields: Sequence[Field],
    headers: dict[str, str],
    context: ParseContext,
    notes: list[MessageText],
) -> dict[str, dates.Order]:
    date_fields = [
        f for f in fields if f.kind in ("date", "datetime") and f.name in headers
    ]
    decided: dict[str, dates.Order] = {}
    pending: list[Field] = []
    for spec in date_fields:
        header = headers[spec.name]
        column_values = [
            (row.line, row.values.get(header) or "") for row in csv_file.rows
        ]
        column_values = [(line, text) for line, text in column_values if text.strip()]
        declared = context.declared_format(header)
        allowed, count = dates.column_evidence([text for _, text in column_values])
        if declared or count == 0 or len(allowed) <= 1:
            result = dates.decide_order(csv_file.path, header, column_values, declared)
            decided[spec.name] = result.order
        else:
            pending.append(spec)
    siblings = {
        headers[name]: order for name, order in decided.items() if order != "ymd"
    }
    for spec in pending:
        header = headers[spec.name]
        column_values = [
            (row.line, row.values.get(header) or "")
            for row in csv_file.rows
            if (row.values.get(header) or "").strip()
        ]
        result = dates.decide_order(
            csv_file.path, header, column_values, None, siblings
        )
        decided[spec.name] = result.order
        if result.source not in {"declared", "detected"}:
            notes.append(
                UserMessage(
                    "%(column)s: day/month order taken from column %(source)s, "
                    "whose values decide it",
                    column=header,
                    source=result.source,
                )
            )
    return decided


def parse_plain_value(kind: FieldKind, raw: str | None) -> Any:
    """Parse a value of any kind except dates, which need their column's format."""
    check_no_nul(raw)
    if kind in _PARSERS:
        return _PARSERS[kind](raw)
    if kind == "email":
        text = clean_text(raw)
        if text is None:
            return None
        email = normalize_email(text)
        if email is None:
            raise ValueError("not an e-mail address")
        return email
    raise ValueError(f"{kind} values need the column's date format")


def _check_no_comma(raw: str | None) -> None:
    if raw is not None and "," in raw:
        raise ValueError(
            "ambiguous number: in a file separated by ';' a comma may be a decimal "
            "comma (1,5 is 1.5) or a thousands separator; export numbers with a "
            "decimal point and no thousands separator"
        )


def _parse(
    spec: Field, raw: str | None, order: dates.Order | None, context: ParseContext
) -> Any:
    if spec.kind not in ("date", "datetime"):
        return parse_plain_value(spec.kind, raw)
    check_no_nul(raw)
    text = clean_text(raw)
    if text is None:
        return None
    parsed = dates.parse_value(text, order or "ymd")
    if spec.kind == "date":
        return _as_date(parsed)
    return _as_instant(parsed, context)


def _as_date(parsed: dates.ParsedValue) -> date:
    return parsed.day


def _as_instant(parsed: dates.ParsedValue, context: ParseContext) -> datetime:
    return parsed.to_utc(context.naive_time_zone, context.business_time_zone)
