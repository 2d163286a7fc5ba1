"""The Pardot importer: prospects, visitor activities, opportunities, campaigns.

One run may mix Fivetran tables and API exports, given as files or folders.
Visitor files are read first, so they can name the prospect of activities
that name only a visitor. Lists and list memberships are reported and
skipped: a list membership is neither a touch nor an account link.
"""

from __future__ import annotations

import logging
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import ImportBatch, ImportOptions, skipped_file
from abmkpi.sources.csvfile import CsvFile, expand_paths, read_csv
from abmkpi.sources.detection import check_source_fits
from abmkpi.sources.fields import ParseContext
from abmkpi.sources.pardot.activities import read_visitor_activities, read_visitors
from abmkpi.sources.pardot.files import EXPECTED_COLUMNS, FileKind, classify
from abmkpi.sources.pardot.ids import SOURCE
from abmkpi.sources.pardot.opportunities import (
    read_campaigns,
    read_opportunities,
    read_opportunity_prospects,
)
from abmkpi.sources.pardot.prospects import read_prospects

logger = logging.getLogger(__name__)

_SKIPPED_KINDS = {
    FileKind.LISTS: ("pardot lists", "list definition, not imported"),
    FileKind.LIST_MEMBERSHIPS: (
        "pardot list memberships",
        "list membership, neither a touch nor an account link",
    ),
    FileKind.OTHER: (
        "other",
        "not prospect, visitor activity, visitor, opportunity or campaign data",
    ),
}


class PardotImporter:
    """Reads Account Engagement (Pardot) exports and Fivetran tables."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        files = [read_csv(path, options.encoding) for path in expand_paths(paths)]
        check_source_fits(SOURCE, files)
        kinds = [(csv_file, classify(csv_file)) for csv_file in files]
        _require_pardot_data(kinds)
        context = options.parse_context(settings, SOURCE)
        batch = ImportBatch(SOURCE)
        visitor_prospects: dict[str, str] = {}
        for csv_file, kind in kinds:
            if kind is FileKind.VISITORS:
                read_visitors(csv_file, context, visitor_prospects, batch)
        for csv_file, kind in kinds:
            _read_file(csv_file, kind, context, visitor_prospects, batch)
        logger.info(
            "read %d Pardot files: %d rows, %d records",
            len(files),
            batch.rows_read,
            len(batch.records),
        )
        return batch


def _read_file(
    csv_file: CsvFile,
    kind: FileKind,
    context: ParseContext,
    visitor_prospects: dict[str, str],
    batch: ImportBatch,
) -> None:
    match kind:
        case FileKind.PROSPECTS:
            read_prospects(csv_file, context, batch)
        case FileKind.VISITOR_ACTIVITIES:
            read_visitor_activities(csv_file, context, visitor_prospects, batch)
        case FileKind.OPPORTUNITIES:
            read_opportunities(csv_file, context, batch)
        case FileKind.OPPORTUNITY_PROSPECTS:
            read_opportunity_prospects(csv_file, context, batch)
        case FileKind.CAMPAIGNS:
            read_campaigns(csv_file, context, batch)
        case FileKind.VISITORS:
            pass  # read before every other file
        case _:
            object_name, reason = _SKIPPED_KINDS[kind]
            batch.files.append(skipped_file(csv_file, object_name, reason))


def _require_pardot_data(kinds: list[tuple[CsvFile, FileKind]]) -> None:
    """Raise an InputError if no file of the run is Pardot data."""
    if any(kind is not FileKind.OTHER for _, kind in kinds):
        return
    problems = [
        InputProblem(
            csv_file.path,
            1,
            None,
            None,
            "not a Pardot prospect, visitor activity, visitor, opportunity or "
            f"campaign file; columns found: {', '.join(csv_file.header)}",
        )
        for csv_file, _ in kinds
    ]
    raise InputError(
        problems, hint="Pardot files need these columns: " + "; ".join(EXPECTED_COLUMNS)
    )
