"""The Marketo importer: lead, activity, program and smart campaign files.

One run may mix the REST or bulk extract shape and Fivetran-landed tables,
given as files or folders. Activity type lists are read first, so they name
the activity types of every activity file in the run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import (
    FileReport,
    ImportBatch,
    ImportOptions,
    Record,
    skipped_file,
)
from abmkpi.sources.csvfile import CsvFile, expand_paths, read_csv
from abmkpi.sources.detection import check_source_fits
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.marketo.activities import read_activity_file
from abmkpi.sources.marketo.activity_types import ActivityTypeNames
from abmkpi.sources.marketo.campaigns import read_programs, read_smart_campaigns
from abmkpi.sources.marketo.files import (
    EXPECTED_HEADERS,
    FileKind,
    FileShape,
    classify,
    table_name,
)
from abmkpi.sources.marketo.ids import SOURCE
from abmkpi.sources.marketo.leads import read_leads
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

ACTIVITY_TYPE_FIELDS = (
    Field.of("id", "id", kind="int", required=True),
    Field.of("name", "name", required=True),
)

_TYPE_LIST_REASON = N_("activity type definition, used to name this run's activities")
_NOT_IMPORTED = N_("not lead, activity, campaign or program data")
_DELETION_ON_LEAD = N_(
    "lead deletion applied to the lead's row in a lead file of this run"
)


class MarketoImporter:
    """Reads Marketo exports: REST/bulk extract CSVs and Fivetran tables."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        files = [read_csv(path, options.encoding) for path in expand_paths(paths)]
        check_source_fits(SOURCE, files)
        shapes = [(csv_file, classify(csv_file)) for csv_file in files]
        _require_marketo_data(shapes)
        context = options.parse_context(settings, SOURCE)
        batch = ImportBatch(SOURCE)
        names = ActivityTypeNames()
        for csv_file, shape in shapes:
            if shape.kind is FileKind.ACTIVITY_TYPES:
                _read_type_list(csv_file, context, names, batch)
        for csv_file, shape in shapes:
            _read_file(csv_file, shape, context, names, batch)
        _apply_deletions_to_leads(batch)
        logger.info(
            "read %d Marketo files: %d rows, %d records",
            len(files),
            batch.rows_read,
            len(batch.records),
        )
        return batch


def _read_file(
    csv_file: CsvFile,
    shape: FileShape,
    context: ParseContext,
    names: ActivityTypeNames,
    batch: ImportBatch,
) -> None:
    match shape.kind:
        case FileKind.LEADS:
            read_leads(csv_file, context, batch)
        case FileKind.ACTIVITIES | FileKind.ACTIVITY_TABLE:
            read_activity_file(csv_file, shape, context, names, batch)
        case FileKind.PROGRAMS:
            read_programs(csv_file, context, batch)
        case FileKind.CAMPAIGNS:
            read_smart_campaigns(csv_file, context, batch)
        case FileKind.OTHER:
            object_name = table_name(csv_file.path)
            batch.files.append(skipped_file(csv_file, object_name, _NOT_IMPORTED))
        case FileKind.ACTIVITY_TYPES:
            pass  # read before every other file


def _read_type_list(
    csv_file: CsvFile,
    context: ParseContext,
    names: ActivityTypeNames,
    batch: ImportBatch,
) -> None:
    table = parse_table(csv_file, ACTIVITY_TYPE_FIELDS, context)
    for row in table.rows:
        names.defined[row.values["id"]] = row.values["name"]
    report = FileReport.of(table, "marketo activity types", "")
    if table.rows:
        report.skipped[_TYPE_LIST_REASON] = len(table.rows)
    batch.files.append(report)


def _require_marketo_data(shapes: list[tuple[CsvFile, FileShape]]) -> None:
    """Raise an InputError if no file of the run is Marketo data."""
    if any(shape.kind is not FileKind.OTHER for _, shape in shapes):
        return
    problems = [
        InputProblem(
            csv_file.path,
            1,
            None,
            ", ".join(csv_file.header[:8]),
            "not a Marketo lead, activity, program or smart campaign file",
        )
        for csv_file, _ in shapes
    ]
    raise InputError(problems, hint=EXPECTED_HEADERS)


def _apply_deletions_to_leads(batch: ImportBatch) -> None:
    """Fold Delete Lead rows into the run's lead rows for the same lead.

    Without this the loader would see one person twice with different values.
    """
    lead_files = {
        report.path for report in batch.files if report.object == "marketo leads"
    }
    leads: dict[str, Record] = {
        record.values["id"]: record
        for record in batch.records
        if record.table == "people" and record.file in lead_files
    }
    reports = {report.path: report for report in batch.files}
    kept: list[Record] = []
    for record in batch.records:
        lead = leads.get(record.values.get("id", ""))
        is_deletion = record.table == "people" and record.file not in lead_files
        if lead is None or not is_deletion:
            kept.append(record)
            continue
        lead.values["is_deleted"] = True
        reports[record.file].skipped[_DELETION_ON_LEAD] += 1
    batch.records = kept
