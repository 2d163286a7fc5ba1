"""The Salesforce importer: Data Export, Data Loader and report-export CSVs.

Each file contains one object: Account, Contact, Lead, Opportunity,
OpportunityHistory, OpportunityStage, OpportunityPartner (or Partner),
OpportunityContactRole, Campaign, CampaignMember, Task, Event, Contract,
CurrencyType, DatedConversionRate, or a configured custom object that links
opportunities to accounts. Data Export and Data Loader files have API field
names as headers (``Id``, ``AccountId``, ``StageName``). Report exports have
field labels in English or Japanese (商談名, フェーズ) and must contain the
record ID column. Record ids become ``salesforce:<Id>``. See
:mod:`.identify` for how a file's object is found, :mod:`.reader` for export
shapes and history-mode tables, :mod:`.report` for report exports and
:mod:`.links` for deals with several accounts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import ImportBatch, ImportOptions
from abmkpi.sources.csvfile import CsvFile, read_csv
from abmkpi.sources.salesforce.common import SOURCE, RunState, SalesforceObject
from abmkpi.sources.salesforce.identify import identify, reading_position
from abmkpi.sources.salesforce.links import link_objects
from abmkpi.sources.salesforce.reader import read_object_file, skip_file
from abmkpi.sources.salesforce.stages import StageBook

__all__ = ["SalesforceImporter", "csv_paths"]

logger = logging.getLogger(__name__)


class SalesforceImporter:
    """Reads Salesforce CSV exports into canonical records."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        """Read files and directories of CSV files; never write to the store."""
        batch = ImportBatch(self.source_system)
        state = RunState(StageBook())
        links = link_objects(settings)
        to_import: list[tuple[CsvFile, SalesforceObject]] = []
        for path in csv_paths(paths):
            csv_file = read_csv(path, encoding=options.encoding)
            found = identify(csv_file, links)
            logger.debug("%s: %s (by %s)", path, found.name, found.evidence)
            if found.spec is None:
                skip_file(csv_file, found.name, batch, bool(found.evidence))
            else:
                to_import.append((csv_file, found.spec))
        to_import.sort(key=lambda item: reading_position(item[1]))
        for csv_file, spec in to_import:
            read_object_file(csv_file, spec, state, batch, settings, options)
        state.stages.finish(batch)
        return batch


def csv_paths(paths: list[Path]) -> list[Path]:
    """Return the files to read: each file given, and every CSV in a directory.

    A file named twice is read once. Directories are not searched recursively.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.iterdir()
                    if child.is_file() and child.suffix.lower() == ".csv"
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(
                InputProblem(path, None, None, None, "file or directory not found")
            )
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())
