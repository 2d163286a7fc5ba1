"""Every Salesforce file shape behind the one source name ``salesforce``.

Data Export, Data Loader and report exports (API names or labels as headers)
are read by :mod:`abmkpi.sources.salesforce`; tables that Fivetran lands in a
warehouse (snake_case headers, ``_fivetran_synced``) by
:mod:`abmkpi.sources.fivetran_salesforce`. Each file of a run goes to the
reader of its shape, and both readers give records the same ids.
"""

from __future__ import annotations

import logging
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.sources.base import ImportBatch, ImportOptions, SourceShapes
from abmkpi.sources.csvfile import CsvFile, peek_csv, read_csv
from abmkpi.sources.detection import check_source_fits
from abmkpi.sources.fivetran_salesforce import describe, fivetran_table, read_tables
from abmkpi.sources.salesforce import SalesforceImporter, csv_paths
from abmkpi.sources.salesforce.common import SOURCE
from abmkpi.sources.salesforce.identify import identify

logger = logging.getLogger(__name__)

EXPECTED_HEADERS = (
    "Salesforce exports are named after their object (Account.csv, "
    "Opportunity.csv) or have API-name columns such as Id, AccountId, "
    "StageName and CloseDate; Fivetran tables are named like "
    "sf_opportunity_data.csv and have snake_case columns with _fivetran_synced"
)


class SalesforceFilesImporter:
    """Reads Salesforce exports and Fivetran-landed Salesforce tables."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        """Read each file with the reader of its shape; never write to the store."""
        files = csv_paths(paths)
        peeks = [peek_csv(path, options.encoding) for path in files]
        check_source_fits(SOURCE, peeks)
        landed = [peek.path for peek in peeks if fivetran_table(peek) is not None]
        exports = [path for path in files if path not in landed]
        batch = ImportBatch(SOURCE)
        if exports:
            batch.extend(SalesforceImporter().read(exports, settings, options))
        if landed:
            tables = [read_csv(path, options.encoding) for path in landed]
            batch.extend(read_tables(tables, settings, options))
        logger.debug("%d export files, %d Fivetran tables", len(exports), len(landed))
        return batch


def recognize(csv_file: CsvFile) -> str | None:
    """Return what a file is as Salesforce data, or None if it is none of its shapes.

    A file named after an object, or with one object's columns, counts only
    when at least two of its headers are that object's API names in their
    own case: Pardot's and Marketo's lower-case ``email`` and ``company`` are
    not Salesforce's ``Email`` and ``Company``. Report exports count by their
    field labels.
    """
    table = fivetran_table(csv_file)
    if table is not None:
        return describe(table)
    found = identify(csv_file)
    if not found.evidence:
        return None
    if found.spec is None:
        return f"salesforce {found.name}, not imported"
    if found.evidence not in ("record ids", "report columns"):
        api_names = {h for field in found.spec.all_fields for h in field.headers}
        if len(api_names.intersection(csv_file.header)) < 2:
            return None
    return f"salesforce {found.name} export"


SHAPES = SourceShapes(SOURCE, "Salesforce", recognize, EXPECTED_HEADERS)
