"""The HubSpot importer: Fivetran-landed tables and HubSpot's own CSV exports.

One run may mix both shapes, given as files or folders. Definition and
association tables are read first (see :mod:`abmkpi.sources.hubspot.run`),
then the objects. Naive times in Fivetran tables are in the source time zone
(UTC by default). In HubSpot's exports they are in the exporting user's zone,
the source's report time zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import ImportBatch, ImportOptions
from abmkpi.sources.csvfile import CsvFile, expand_paths, read_csv
from abmkpi.sources.detection import check_source_fits
from abmkpi.sources.fields import ParseContext
from abmkpi.sources.hubspot import (
    companies,
    contacts,
    deals,
    email,
    engagements,
    forms,
    history,
    stages,
)
from abmkpi.sources.hubspot.files import (
    EXPECTED_HEADERS,
    FileKind,
    FileShape,
    classify,
    skipped_file,
)
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id
from abmkpi.sources.hubspot.run import ImportRun
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

Reader = Callable[[CsvFile, FileShape, ParseContext, ImportRun], None]

_READERS: dict[FileKind, Reader] = {
    FileKind.DEAL_COMPANIES: deals.read_deal_companies,
    FileKind.DEAL_CONTACTS: deals.read_deal_contacts,
    FileKind.MERGED_DEALS: deals.read_merged_deals,
    FileKind.CONTACT_MERGES: contacts.read_merge_audit,
    FileKind.ENGAGEMENT_INDEX: engagements.read_engagement_index,
    FileKind.ENGAGEMENT_LINKS: engagements.read_engagement_links,
    FileKind.EMAIL_EVENT_DETAILS: email.read_event_details,
    FileKind.FORMS: forms.read_forms,
    FileKind.COMPANIES: companies.read_companies,
    FileKind.CONTACTS: contacts.read_contacts,
    FileKind.DEALS: deals.read_deals,
    FileKind.DEAL_STAGES: history.read_deal_stages,
    FileKind.DEAL_PROPERTY_HISTORY: history.read_deal_property_history,
    FileKind.ENGAGEMENTS: engagements.read_engagements,
    FileKind.EMAIL_EVENTS: email.read_email_events,
    FileKind.EMAIL_CAMPAIGNS: email.read_email_campaigns,
    FileKind.FORM_SUBMISSIONS: forms.read_form_submissions,
}

# Kinds read before all others, because readers of the rest look them up.
_DEFINITIONS = frozenset(
    {
        FileKind.PIPELINES,
        FileKind.PIPELINE_STAGES,
        FileKind.DEAL_COMPANIES,
        FileKind.DEAL_CONTACTS,
        FileKind.MERGED_DEALS,
        FileKind.CONTACT_MERGES,
        FileKind.ENGAGEMENT_INDEX,
        FileKind.ENGAGEMENT_LINKS,
        FileKind.EMAIL_EVENT_DETAILS,
        FileKind.FORMS,
    }
)

_NOT_HUBSPOT = N_("not a HubSpot table or export")


class HubSpotImporter:
    """Reads HubSpot data: Fivetran tables and CRM record exports."""

    source_system = SOURCE

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        unique_paths = list(dict.fromkeys(expand_paths(paths)))
        files = [read_csv(path, options.encoding) for path in unique_paths]
        check_source_fits(SOURCE, files)
        stems = {csv_file.path.stem.lower() for csv_file in files}
        shapes = [(csv_file, classify(csv_file, stems)) for csv_file in files]
        _require_hubspot_data(shapes)
        table_context = options.parse_context(settings, SOURCE)
        export_context = options.parse_context(settings, SOURCE, report=True)
        run = ImportRun()
        # Stable sort: definitions first, otherwise in the order given.
        for csv_file, shape in sorted(
            shapes, key=lambda s: s[1].kind not in _DEFINITIONS
        ):
            context = export_context if shape.export else table_context
            _read_file(csv_file, shape, context, run)
        _finish(run)
        run.batch.files = [run.reports[csv_file.path] for csv_file in files]
        logger.info(
            "read %d HubSpot files: %d rows, %d records",
            len(files),
            run.batch.rows_read,
            len(run.batch.records),
        )
        return run.batch


def _read_file(
    csv_file: CsvFile, shape: FileShape, context: ParseContext, run: ImportRun
) -> None:
    if shape.kind is FileKind.PIPELINES:
        report = stages.read_pipelines(csv_file, context, run.stages, shape.object_name)
        run.add_report(report)
    elif shape.kind is FileKind.PIPELINE_STAGES:
        report = stages.read_stages(csv_file, context, run.stages, shape.object_name)
        run.add_report(report)
    elif shape.kind is FileKind.NOT_IMPORTED:
        run.add_report(skipped_file(csv_file, shape, shape.reason or _NOT_HUBSPOT))
    elif shape.kind is FileKind.OTHER:
        run.add_report(skipped_file(csv_file, shape, _NOT_HUBSPOT))
    else:
        _READERS[shape.kind](csv_file, shape, context, run)


def _finish(run: ImportRun) -> None:
    """Add the records that need every file of the run: stages and merges."""
    stages.add_stage_records(run.stages, run.batch, run.reports)
    run.person_merges.emit(run.batch, run.reports)
    run.account_merges.emit(run.batch, run.reports)
    run.deal_merges.emit(run.batch, run.reports)
    _delete_merged_deals(run)


def _delete_merged_deals(run: ImportRun) -> None:
    """Mark every merged-away deal deleted.

    A deal read in this run is marked on its own record. Any other one gets a
    record with only its id and the deleted flag, so a deal stored by an
    earlier import is marked too.
    NOTE: a later import of that deal's row without the merge marks it live
    again.
    """
    for loser, edge in run.deal_merges.resolve().items():
        deal = run.deals.get(loser)
        if deal is not None:
            deal["is_deleted"] = True
            continue
        values = {
            "id": hubspot_id(loser),
            "source_system": SOURCE,
            "source_id": loser,
            "is_deleted": True,
        }
        run.batch.add("opportunities", values, edge.path, edge.line, edge.key_header)


def _require_hubspot_data(shapes: list[tuple[CsvFile, FileShape]]) -> None:
    """Raise an InputError if no file of the run is HubSpot data."""
    if any(shape.kind is not FileKind.OTHER for _, shape in shapes):
        return
    problems = [
        InputProblem(
            csv_file.path,
            1,
            None,
            ", ".join(csv_file.header[:12]),
            _NOT_HUBSPOT,
        )
        for csv_file, _ in shapes
    ]
    raise InputError(problems, hint=EXPECTED_HEADERS)
