"""The Mautic importer: contacts, companies and the points log.

Companies are read as accounts and contacts as people; matching then links
contacts to accounts. Mautic's own fixtures and many real contacts use
free-mail addresses, so the company name and state on each contact carry
the match. The contact event log (imports, segment changes) is reported and
skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import ImportBatch, ImportOptions, skipped_file
from abmkpi.sources.csvfile import CsvFile, expand_paths, read_csv
from abmkpi.sources.detection import check_source_fits
from abmkpi.sources.mautic.contacts import read_companies, read_contacts
from abmkpi.sources.mautic.files import EXPECTED_COLUMNS, FileKind, classify
from abmkpi.sources.mautic.ids import SOURCE
from abmkpi.sources.mautic.points import read_points_log
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

_EVENT_LOG_REASON = "contact event log: imports and segment changes, not touches"
_NOT_IMPORTED = N_("not contact, company or points-log data")


class MauticImporter:
    """Reads Mautic contact, company and points-log CSV files."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        files = [read_csv(path, options.encoding) for path in expand_paths(paths)]
        check_source_fits(SOURCE, files)
        kinds = [(csv_file, classify(csv_file)) for csv_file in files]
        _require_mautic_data(kinds)
        context = options.parse_context(settings, SOURCE)
        batch = ImportBatch(SOURCE)
        for csv_file, kind in kinds:
            match kind:
                case FileKind.CONTACTS:
                    read_contacts(csv_file, context, batch)
                case FileKind.COMPANIES:
                    read_companies(csv_file, context, batch)
                case FileKind.POINTS_LOG:
                    read_points_log(csv_file, context, batch)
                case FileKind.EVENT_LOG:
                    report = skipped_file(
                        csv_file, "mautic event log", _EVENT_LOG_REASON
                    )
                    batch.files.append(report)
                case FileKind.OTHER:
                    batch.files.append(skipped_file(csv_file, "other", _NOT_IMPORTED))
        logger.info(
            "read %d Mautic files: %d rows, %d records",
            len(files),
            batch.rows_read,
            len(batch.records),
        )
        return batch


def _require_mautic_data(kinds: list[tuple[CsvFile, FileKind]]) -> None:
    """Raise an InputError if no file of the run is Mautic data."""
    if any(kind is not FileKind.OTHER for _, kind in kinds):
        return
    problems = [
        InputProblem(
            csv_file.path,
            1,
            None,
            None,
            "not a Mautic contact, company or points-log file; columns found: "
            + ", ".join(csv_file.header),
        )
        for csv_file, _ in kinds
    ]
    raise InputError(
        problems, hint="Mautic files need these columns: " + "; ".join(EXPECTED_COLUMNS)
    )
