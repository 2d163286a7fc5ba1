"""The generic CSV importer: any canonical table, described by a mapping file.

``abmkpi import csv --mapping FILE PATHS…`` reads exports that no native
importer reads (a flat CRM report, an event attendee list, a warehouse dump).
The mapping file (see docs/mapping.md and :mod:`abmkpi.sources.mapping`)
names the source system, which gives every record its id
``<source>:<id>``, and says for each file pattern which table its rows feed.
One file may feed several tables, such as people and their event attendance.
"""

from __future__ import annotations

import fnmatch
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from abmkpi.canonical import SourceSystem
from abmkpi.config import Settings, StageOutcome
from abmkpi.errors import (
    InputError,
    InputProblem,
    MappingError,
    MessageText,
    UserMessage,
)
from abmkpi.sources.base import FileReport, ImportBatch, ImportOptions, Record
from abmkpi.sources.canonical_columns import column_kind
from abmkpi.sources.csvfile import CsvFile, read_csv
from abmkpi.sources.fields import ParseContext
from abmkpi.sources.lookups import LookupTable, load_lookup
from abmkpi.sources.mapped_rows import TableReader
from abmkpi.sources.mapping import LookupMapping, Mapping, load_mapping
from abmkpi.store.schema import TABLES_BY_NAME
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

_LOOKUP_ONLY = N_("lookup rows, used to fill columns of other files")


@dataclass
class _Inputs:
    """The files of one import run, sorted into data files and lookup-only files."""

    data: list[tuple[Path, list[int]]] = field(default_factory=list)
    lookup_only: list[Path] = field(default_factory=list)
    all_files: list[Path] = field(default_factory=list)


class GenericCsvImporter:
    """Imports CSV files into canonical tables as a mapping file describes."""

    source_system: str = SourceSystem.CSV.value

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        """Read the files into canonical records; never write to the store."""
        if options.mapping is None:
            raise MappingError(
                "the csv importer needs a mapping file: pass --mapping FILE "
                "(the format is described in docs/mapping.md)"
            )
        mapping = load_mapping(options.mapping)
        self.source_system = mapping.source
        context = _parse_context(mapping, settings, options)
        encoding = options.encoding or mapping.encoding
        inputs = _sort_inputs(mapping, paths)
        run = _ImportRun(mapping, context, encoding, settings, inputs)
        batch = ImportBatch(mapping.source)
        for path, indexes in inputs.data:
            report, records = run.read_file(path, indexes)
            batch.files.append(report)
            batch.records += records
        for path in inputs.lookup_only:
            batch.files.append(run.lookup_report(path))
        batch.records += stage_records(mapping)
        logger.info(
            "read %d files with mapping %s: %d records, %d rejected rows",
            len(batch.files),
            mapping.path.name,
            len(batch.records),
            len({(p.file, p.line) for p in batch.rejects}),
        )
        return batch


def _parse_context(
    mapping: Mapping, settings: Settings, options: ImportOptions
) -> ParseContext:
    """Return the zones and date formats of one run.

    Naive timestamps are in the mapping's time_zone, else the zone of the
    config's [sources.<source>] section, else that of [sources.csv].
    """
    if mapping.time_zone:
        zone = mapping.time_zone
    elif mapping.source in settings.sources:
        zone = settings.sources[mapping.source].time_zone
    else:
        zone = settings.source(SourceSystem.CSV).time_zone
    given = {header.lower() for header in options.date_formats}
    formats = dict(options.date_formats)
    for header, name in mapping.date_formats.items():
        if header.lower() not in given:
            formats[header] = name
    return ParseContext(
        zone, settings.workspace.time_zone, formats, options.date_format_use
    )


def _sort_inputs(mapping: Mapping, paths: list[Path]) -> _Inputs:
    """Match the given files, and the files in given folders, to the mapping."""
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise InputError(
            [InputProblem(path, None, None, None, "file not found") for path in missing]
        )
    explicit = [path for path in paths if not path.is_dir()]
    in_folders = [
        child
        for path in paths
        if path.is_dir()
        for child in sorted(path.iterdir())
        if child.is_file()
    ]
    lookup_patterns = [
        lookup.file for spec in mapping.tables for lookup in spec.lookups
    ]
    inputs = _Inputs()
    seen: set[Path] = set()
    for path in explicit + in_folders:
        # A file given both by name and through its folder is read once.
        if path.resolve() not in seen:
            seen.add(path.resolve())
            inputs.all_files.append(path)
    unmatched = []
    for path in inputs.all_files:
        indexes = [
            index
            for index, spec in enumerate(mapping.tables)
            if _matches(spec.file, path)
        ]
        if indexes:
            inputs.data.append((path, indexes))
        elif any(_matches(pattern, path) for pattern in lookup_patterns):
            inputs.lookup_only.append(path)
        elif path in explicit:
            unmatched.append(path)
    if unmatched or not inputs.data:
        patterns = ", ".join(spec.file for spec in mapping.tables)
        names = ", ".join(path.name for path in unmatched) or "none of the files"
        raise MappingError(
            f"{names}: no [[tables]] entry of {mapping.path} matches; its file "
            f"patterns are {patterns}"
        )
    return inputs


def _matches(pattern: str, path: Path) -> bool:
    return fnmatch.fnmatchcase(path.name.lower(), pattern.lower())


class _ImportRun:
    """State shared by the files of one run: settings and loaded lookup files."""

    def __init__(
        self,
        mapping: Mapping,
        context: ParseContext,
        encoding: str | None,
        settings: Settings,
        inputs: _Inputs,
    ):
        self.mapping = mapping
        self.context = context
        self.encoding = encoding
        self.inputs = inputs
        self.stage_outcomes: dict[str, StageOutcome] = {
            label.strip().lower(): outcome
            for label, outcome in settings.opportunities.stage_outcomes.items()
        }
        self._lookups: dict[tuple[Path, str, str, str, bool], LookupTable] = {}

    def read_file(
        self, path: Path, indexes: list[int]
    ) -> tuple[FileReport, list[Record]]:
        """Read one data file through every table entry that matches it."""
        csv_file = read_csv(path, self.encoding)
        targets = [self.mapping.tables[index].target for index in indexes]
        # NOTE: only the first table's records count as the file's rows in the
        # summary; records of the other tables (a file = "*" entry that also
        # feeds accounts) are stored but appear only in their skip notes.
        report = _report_of(csv_file, ", ".join(dict.fromkeys(targets)), targets[0])

        records: list[Record] = []
        problems: list[InputProblem] = []
        for position, index in enumerate(indexes):
            lookups = self._lookup_tables(index, path)
            reader = TableReader(
                self.mapping,
                index,
                csv_file,
                self.context,
                lookups,
                self.stage_outcomes,
            )
            result = reader.read()
            records += result.records
            problems += result.problems
            report.notes += result.notes
            if position == 0:
                report.skipped.update(result.skipped)
            else:
                report.notes += _skip_notes(targets[position], result.skipped)

        # A rejected row loses every record it produced, in every table.
        rejected_lines = {problem.line for problem in problems}
        records = [record for record in records if record.line not in rejected_lines]
        report.rejects = list(dict.fromkeys(problems))

        logger.info(
            "%s → %s: %d records, %d rows skipped, %d rejected",
            path.name,
            report.object,
            len(records),
            sum(report.skipped.values()),
            len(rejected_lines),
        )
        return report, records

    def lookup_report(self, path: Path) -> FileReport:
        """Report a file given only as a lookup: every row counts as skipped."""
        csv_file = read_csv(path, self.encoding)
        report = _report_of(csv_file, "lookup", "")
        report.skipped[_LOOKUP_ONLY] = len(csv_file.rows)
        return report

    def _lookup_tables(self, index: int, data_file: Path) -> list[LookupTable]:
        spec = self.mapping.tables[index]
        tables = []
        for number, lookup in enumerate(spec.lookups):
            named_by = f"tables[{index}].lookups[{number}] in {self.mapping.path.name}"
            path = self._find_lookup_file(lookup, data_file, named_by)
            kind = column_kind(TABLES_BY_NAME[spec.target], lookup.column)
            cache_key = (path, lookup.key, lookup.value, kind, lookup.normalize)
            if cache_key not in self._lookups:
                self._lookups[cache_key] = load_lookup(
                    path,
                    lookup.key,
                    lookup.value,
                    kind,
                    lookup.normalize,
                    self.context,
                    self.encoding,
                    named_by,
                )
            tables.append(self._lookups[cache_key])
        return tables

    def _find_lookup_file(
        self, lookup: LookupMapping, data_file: Path, named_by: str
    ) -> Path:
        """Find a lookup file among the given files, else beside the data file."""
        found = [path for path in self.inputs.all_files if _matches(lookup.file, path)]
        if not found:
            found = sorted(
                path
                for path in data_file.parent.iterdir()
                if path.is_file() and _matches(lookup.file, path)
            )
        if len(found) == 1:
            return found[0]
        reason = (
            f"lookup file {lookup.file!r} named by {named_by} is not among the "
            f"given files or in {data_file.parent}"
            if not found
            else f"lookup file pattern {lookup.file!r} named by {named_by} matches "
            f"{len(found)} files: {', '.join(path.name for path in found)}"
        )
        raise InputError(InputProblem(data_file, None, None, lookup.file, reason))


def _report_of(csv_file: CsvFile, object_name: str, table: str) -> FileReport:
    report = FileReport(
        path=csv_file.path,
        object=object_name,
        table=table,
        encoding=csv_file.encoding,
        checksum=csv_file.checksum,
        rows_read=len(csv_file.rows),
    )
    if csv_file.footer:
        report.notes.append(
            UserMessage(
                "dropped a report footer of %(count)s lines",
                count=len(csv_file.footer),
            )
        )
    return report


def _skip_notes(target: str, skipped: Counter[MessageText]) -> list[MessageText]:
    return [
        UserMessage(
            "%(table)s: %(count)s rows skipped (%(reason)s)",
            table=target,
            count=format(count, ","),
            reason=reason,
        )
        for reason, count in skipped.items()
    ]


def stage_records(mapping: Mapping) -> list[Record]:
    """Return the opportunity_stages rows that the mapping's [tables.stages] define."""
    records: list[Record] = []
    seen: set[str] = set()
    for spec in mapping.tables:
        for label, stage in spec.stages.items():
            if label in seen:
                continue
            seen.add(label)
            values = {
                "source_system": mapping.source,
                "stage": label,
                "sort_order": stage.order,
                "is_closed": stage.outcome != "open",
                "is_won": stage.outcome == "won",
            }
            records.append(Record("opportunity_stages", values, mapping.path, 0))
    return records
