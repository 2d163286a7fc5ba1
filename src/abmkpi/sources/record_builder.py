"""Building one canonical record from one CSV row, following a mapping entry.

The values of a record come from CSV columns (through value maps), templates
or constants, then defaults, unit multipliers and lookups apply. Reference
columns and the record id become canonical ids (``<source>:<id>``), and
opportunities without closed/won flags get them from their stage label.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from abmkpi.canonical import canonical_id
from abmkpi.errors import InputProblem, MessageText, UserMessage
from abmkpi.sources.canonical_columns import (
    check_value,
    column_default,
    column_kind,
    constant_text,
    is_reference,
    parse_constant,
    required_columns,
)
from abmkpi.sources.fields import FieldKind, ParseContext, ParsedRow, parse_plain_value
from abmkpi.sources.lookups import LookupTable
from abmkpi.sources.mapping import (
    ColumnMapping,
    Mapping,
    StageOutcome,
    fill_template,
    template_headers,
)
from abmkpi.sources.values import clean_text
from abmkpi.store.schema import TABLES_BY_NAME

# Name of the parsed field that contains a row's deleted flag.
DELETED_FIELD = "deleted"


class RowSkipped(Exception):
    """A row left out on purpose; the message is the reason."""


class RowRejected(Exception):
    """A row with invalid values."""

    def __init__(self, problems: list[InputProblem]):
        super().__init__(problems[0].reason)
        self.problems = problems


class RecordBuilder:
    """Builds the records of one [[tables]] entry from parsed rows of one file."""

    def __init__(
        self,
        mapping: Mapping,
        index: int,
        path: Path,
        headers: dict[str, str],
        context: ParseContext,
        lookups: list[LookupTable],
        stage_outcomes: dict[str, StageOutcome],
    ):
        self.source = mapping.source
        self.spec = mapping.tables[index]
        self.table = TABLES_BY_NAME[self.spec.target]
        self.path = path
        self.headers = headers
        self.context = context
        self.lookups = lookups
        self.stage_outcomes = stage_outcomes
        self.kinds = {name: column_kind(self.table, name) for name in self.spec.columns}
        self.constants = self._written_values("value")
        self.defaults = self._written_values("default")
        self.stages = {
            label.casefold(): stage for label, stage in self.spec.stages.items()
        }
        self.origins = self._origins()
        self.lookup_filled: Counter[int] = Counter()
        self.lookup_missing: dict[int, Counter[str]] = {}

    def _written_values(self, attribute: str) -> dict[str, Any]:
        values = {}
        for name, spec in self.spec.columns.items():
            written = getattr(spec, attribute)
            if written is not None:
                values[name] = parse_constant(
                    self.kinds[name],
                    written,
                    self.context.naive_time_zone,
                    self.context.business_time_zone,
                )
        return values

    def build(self, parsed: ParsedRow, raw: dict[str, str]) -> dict[str, Any]:
        """Build one record's values; raise RowSkipped or RowRejected."""
        deleted = bool(parsed.values.get(DELETED_FIELD))
        if deleted and "is_deleted" not in self.table.source_columns:
            raise RowSkipped("deleted in the source")
        values: dict[str, Any] = {}
        problems: list[InputProblem] = []
        for name, spec in self.spec.columns.items():
            try:
                values[name] = self._column_value(name, spec, parsed.values, raw)
            except ValueError as error:
                problems.append(self._problem(parsed.line, name, raw, str(error)))
        self._apply_lookups(values, raw)
        if self.spec.deleted is not None:
            values["is_deleted"] = deleted
        problems += self._check_values(parsed.line, values, raw)
        if problems:
            raise RowRejected(problems)
        self._add_outcome(values)
        self._add_raw_type(values, raw)
        return self._with_ids(values)

    def _column_value(
        self,
        name: str,
        spec: ColumnMapping,
        parsed: dict[str, Any],
        raw: dict[str, str],
    ) -> Any:
        kind = self.kinds[name]
        if spec.value is not None:
            value = self.constants[name]
        elif spec.template is not None:
            fields = {
                h: raw.get(self.headers[h]) for h in template_headers(spec.template)
            }
            value = parse_plain_value(kind, fill_template(spec.template, fields))
        else:
            value = parsed[name]
            if spec.values is not None:
                value = self._mapped_value(kind, spec.values, value)
        if value is None and name in self.defaults:
            value = self.defaults[name]
        if value is not None and spec.multiply is not None:
            value = _multiply(value, spec.multiply, kind)
        return value

    def _mapped_value(
        self, kind: FieldKind, value_map: dict[str, Any], text: str | None
    ) -> Any:
        if text is None:
            return None
        stored = value_map.get(text)
        if stored is None:
            folded = {source.casefold(): value for source, value in value_map.items()}
            stored = folded.get(text.casefold(), text)
        stored = constant_text(stored)
        try:
            return parse_plain_value(kind, stored)
        except ValueError as error:
            raise ValueError(f"{error} (value map gave {stored!r})") from error

    def _apply_lookups(self, values: dict[str, Any], raw: dict[str, str]) -> None:
        for number, (lookup, table) in enumerate(
            zip(self.spec.lookups, self.lookups, strict=True)
        ):
            current = values.get(lookup.column)
            empty = current is None or (lookup.when == "empty_or_zero" and current == 0)
            if not empty:
                continue
            key = raw.get(self.headers[lookup.match])
            found, value = table.get(key)
            if found:
                values[lookup.column] = value
                self.lookup_filled[number] += 1
            else:
                values.setdefault(lookup.column, None)
                missing = self.lookup_missing.setdefault(number, Counter())
                missing[(key or "").strip() or "(empty)"] += 1

    def _check_values(
        self, line: int, values: dict[str, Any], raw: dict[str, str]
    ) -> list[InputProblem]:
        problems = []
        required = set(required_columns(self.table))
        for name in self.origins:
            value = values.get(name)
            if value is None:
                default = column_default(self.table, name)
                if default is not None:
                    values[name] = default
                elif name in required:
                    problems.append(
                        self._problem(line, name, raw, "required value is empty")
                    )
                continue
            reason = check_value(self.table, name, value)
            if reason:
                problems.append(
                    self._problem(line, name, raw, f"{value!r} is {reason}")
                )
        return problems

    def _origins(self) -> dict[str, tuple[str, str | None]]:
        """Return, per filled column, the name and header a problem cites."""
        origins: dict[str, tuple[str, str | None]] = {}
        for name, spec in self.spec.columns.items():
            header = self.headers[spec.column] if spec.column is not None else None
            origins[name] = (header or spec.origin, header)
        for lookup in self.spec.lookups:
            match = self.headers[lookup.match]
            origins.setdefault(lookup.column, (match, match))
        return origins

    def _problem(
        self, line: int, name: str, raw: dict[str, str], reason: str
    ) -> InputProblem:
        cited, header = self.origins[name]
        value = raw.get(header) if header is not None else None
        return InputProblem(self.path, line, cited, value, reason)

    # Derived values ---------------------------------------------------------

    def _add_outcome(self, values: dict[str, Any]) -> None:
        """Set is_closed/is_won from the stage unless the mapping reads them."""
        if "stage" not in self.spec.columns:
            return
        stage = values.get("stage")
        outcome, order = self._stage_outcome(stage)
        for flag, flag_value in (
            ("is_closed", outcome != "open"),
            ("is_won", outcome == "won"),
        ):
            if flag in self.table.source_columns and flag not in self.spec.columns:
                values[flag] = None if stage is None else flag_value
        if (
            self.spec.stages
            and "stage_sort_order" in self.table.source_columns
            and "stage_sort_order" not in self.spec.columns
        ):
            values["stage_sort_order"] = order

    def _stage_outcome(self, stage: str | None) -> tuple[StageOutcome, int | None]:
        if stage is None:
            return "open", None
        defined = self.stages.get(stage.casefold())
        if defined is not None:
            return defined.outcome, defined.order
        return self.stage_outcomes.get(stage.strip().lower(), "open"), None

    def _add_raw_type(self, values: dict[str, Any], raw: dict[str, str]) -> None:
        """Keep an activity's source type when a value map translates it."""
        spec = self.spec.columns.get("type")
        if (
            self.table.name != "activities"
            or spec is None
            or spec.column is None
            or "raw_type" in self.spec.columns
        ):
            return
        values["raw_type"] = clean_text(raw.get(self.headers[spec.column]))

    def _with_ids(self, values: dict[str, Any]) -> dict[str, Any]:
        for name, value in values.items():
            if is_reference(name) and value is not None:
                spec = self.spec.columns.get(name)
                source = spec.ref_source if spec and spec.ref_source else self.source
                values[name] = canonical_id(source, str(value))
        ids: dict[str, Any] = {}
        if "source_system" in self.table.source_columns:
            ids["source_system"] = self.source
        if "id" in values:
            if "source_id" in self.table.source_columns:
                ids["source_id"] = str(values["id"])
            ids["id"] = canonical_id(self.source, str(values["id"]))
        return {**values, **ids}

    def lookup_notes(self) -> list[MessageText]:
        notes: list[MessageText] = []
        for number, lookup in enumerate(self.spec.lookups):
            table = self.lookups[number]
            filled = format(self.lookup_filled[number], ",")
            missing = self.lookup_missing.get(number)
            if not missing:
                notes.append(
                    UserMessage(
                        "%(column)s: %(filled)s values from %(file)s",
                        column=lookup.column,
                        filled=filled,
                        file=table.path.name,
                    )
                )
                continue
            notes.append(
                UserMessage(
                    "%(column)s: %(filled)s values from %(file)s; %(count)s "
                    "without a %(key)s match (%(keys)s)",
                    column=lookup.column,
                    filled=filled,
                    file=table.path.name,
                    count=format(sum(missing.values()), ","),
                    key=lookup.key,
                    keys=", ".join(repr(key) for key, _ in missing.most_common(5)),
                )
            )
        return notes


def _multiply(value: Any, factor: float, kind: FieldKind) -> Any:
    """Multiply in decimal, so 1100.04 × 1,000,000 is exactly 1,100,040,000."""
    product = Decimal(repr(value)) * Decimal(repr(factor))
    if kind == "int":
        if product != product.to_integral_value():
            raise ValueError(f"not a whole number after multiplying by {factor:g}")
        return int(product)
    result = float(product)
    if not math.isfinite(result):
        raise ValueError(f"out of range after multiplying by {factor:g}")
    return result
