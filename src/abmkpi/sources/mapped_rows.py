"""Turning one CSV file's rows into records of one canonical table.

A :class:`TableReader` follows one ``[[tables]]`` entry of a mapping file:
it checks that the file has every header the entry names, skips rows the
``where`` filter leaves out, parses the mapped columns with
:func:`~abmkpi.sources.fields.parse_table` (one date format per column), and
hands each row to a :class:`~abmkpi.sources.record_builder.RecordBuilder`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from abmkpi.errors import (
    DateFormatError,
    InputError,
    InputProblem,
    MessageText,
    UserMessage,
)
from abmkpi.sources.base import Record
from abmkpi.sources.csvfile import CsvFile, CsvRow
from abmkpi.sources.fields import (
    Field,
    FieldKind,
    ParseContext,
    ParsedTable,
    parse_table,
)
from abmkpi.sources.lookups import LookupTable
from abmkpi.sources.mapping import Mapping, StageOutcome, template_headers
from abmkpi.sources.record_builder import (
    DELETED_FIELD,
    RecordBuilder,
    RowRejected,
    RowSkipped,
)


@dataclass
class TableResult:
    """The records one table entry produced from a file, and what it left out."""

    records: list[Record] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    skipped: Counter[MessageText] = field(default_factory=Counter)
    notes: list[MessageText] = field(default_factory=list)


class TableReader:
    """Reads a CSV file into records of one table, following one [[tables]] entry."""

    def __init__(
        self,
        mapping: Mapping,
        index: int,
        csv_file: CsvFile,
        context: ParseContext,
        lookups: list[LookupTable],
        stage_outcomes: dict[str, StageOutcome],
    ):
        self.mapping = mapping
        self.spec = mapping.tables[index]
        self.key = f"tables[{index}]"
        self.csv_file = csv_file
        self.context = context
        self.headers = self._resolve_headers()
        self.builder = RecordBuilder(
            mapping,
            index,
            csv_file.path,
            self.headers,
            context,
            lookups,
            stage_outcomes,
        )

    # Setup ------------------------------------------------------------------

    def _resolve_headers(self) -> dict[str, str]:
        """Map every header the entry names to the file's spelling of it."""
        named: list[tuple[str, str]] = []
        for name, spec in self.spec.columns.items():
            if spec.column is not None:
                named.append((spec.column, f"columns.{name}"))
            if spec.template is not None:
                named += [
                    (h, f"columns.{name}") for h in template_headers(spec.template)
                ]
        named += [(header, "where") for header in self.spec.where]
        if self.spec.deleted is not None:
            named.append((self.spec.deleted, "deleted"))
        for number, lookup in enumerate(self.spec.lookups):
            named.append((lookup.match, f"lookups[{number}].match"))
        headers: dict[str, str] = {}
        problems: list[InputProblem] = []
        for header, key in named:
            found = self.csv_file.column(header)
            if found is None:
                reason = (
                    f"column named by {self.key}.{key} in {self.mapping.path.name} "
                    "is missing"
                )
                problems.append(
                    InputProblem(self.csv_file.path, 1, header, None, reason)
                )
            else:
                headers[header] = found
        if problems:
            raise InputError(
                list(dict.fromkeys(problems)),
                hint=f"columns found: {', '.join(self.csv_file.header)}",
            )
        return headers

    def _fields(self) -> list[Field]:
        fields = []
        for name, spec in self.spec.columns.items():
            if spec.column is None:
                continue
            kind: FieldKind = (
                "text" if spec.values is not None else self.builder.kinds[name]
            )
            fields.append(Field.of(name, self.headers[spec.column], kind=kind))
        if self.spec.deleted is not None:
            fields.append(
                Field.of(DELETED_FIELD, self.headers[self.spec.deleted], kind="bool")
            )
        return fields

    # Reading ----------------------------------------------------------------

    def read(self) -> TableResult:
        """Read every row of the file into records, problems and skip reasons."""
        result = TableResult()
        kept = [row for row in self.csv_file.rows if self._passes_where(row, result)]
        parsed = self._parse(replace(self.csv_file, rows=kept))
        result.problems += parsed.problems
        result.notes += parsed.notes
        raw_rows = {row.line: row.values for row in kept}
        key_header = (
            self.spec.columns["id"].origin if "id" in self.spec.columns else None
        )
        for row in parsed.rows:
            try:
                values = self.builder.build(row, raw_rows[row.line])
            except RowSkipped as skip:
                result.skipped[str(skip)] += 1
                continue
            except RowRejected as rejected:
                result.problems += rejected.problems
                continue
            record = Record(
                self.spec.target, values, self.csv_file.path, row.line, key_header
            )
            result.records.append(record)
        result.notes += self.builder.lookup_notes()
        return result

    def _passes_where(self, row: CsvRow, result: TableResult) -> bool:
        for header, allowed in self.spec.where.items():
            value = (row.values.get(self.headers[header]) or "").strip()
            if value not in allowed:
                reason = UserMessage(
                    "%(column)s not in %(allowed)s",
                    column=header,
                    allowed=", ".join(allowed),
                )
                result.skipped[reason] += 1
                return False
        return True

    def _parse(self, csv_file: CsvFile) -> ParsedTable:
        try:
            return parse_table(csv_file, self._fields(), self.context)
        except DateFormatError as error:
            column = error.problems[0].column if error.problems else "Column"
            hint = (
                f'{error.hint}; or add "{column}" = "MM/DD/YYYY" (or "DD/MM/YYYY") '
                f"under [date_formats] in {self.mapping.path.name}"
            )
            raise DateFormatError(error.problems, hint=hint) from error
