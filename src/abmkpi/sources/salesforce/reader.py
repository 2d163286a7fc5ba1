"""Reading one Salesforce CSV file: its export shape, history mode and rows.

A Data Export or Data Loader file has API-name headers and writes times as
``2024-04-05 01:00:00`` in UTC, or in ISO 8601 with an offset. A report
export has label headers (see :mod:`.report`) and writes ``04/05/24 10:00
AM`` (or ``2024/04/05 10:00``) in the exporting user's time zone. A
spreadsheet export with API-name headers may write dates either way: any
slash date, Japanese date or AM/PM time in its date columns makes it a
report export too.

A Fivetran history-mode table (``_fivetran_active``, ``_fivetran_start``)
contains one row per version of a record. The active version is the record.
A record without an active version was deleted, so its latest version is
stored as deleted. The other versions are skipped.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from enum import Enum

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem, UserMessage
from abmkpi.sources.base import FileReport, ImportBatch, ImportOptions
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import ParsedRow, ParsedTable, parse_table
from abmkpi.sources.salesforce.common import (
    SOURCE,
    FileContext,
    RunState,
    SalesforceObject,
)
from abmkpi.sources.salesforce.report import prepare_report
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

NOT_IMPORTED = N_("not an object abmkpi imports")
INACTIVE_VERSION = N_("inactive history version")

_REPORT_VALUE = re.compile(
    r"^\s*(\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}/\d{1,2}/|\d{4}年)"
    r"|[AaPp]\.?[Mm]\.?\s*$|午前|午後"
)


class _Version(Enum):
    CURRENT = "current"
    DELETED = "deleted"
    INACTIVE = "inactive"


def read_object_file(
    csv_file: CsvFile,
    spec: SalesforceObject,
    state: RunState,
    batch: ImportBatch,
    settings: Settings,
    options: ImportOptions,
) -> None:
    """Convert every row of a file of object ``spec`` into batch records."""
    prepared = prepare_report(csv_file, spec)
    if prepared is not None:
        csv_file, spec = prepared.csv_file, prepared.spec
    report_shape = prepared is not None or is_report_shape(csv_file, spec)

    context = options.parse_context(settings, SOURCE, report=report_shape)
    table = parse_table(csv_file, spec.all_fields, context)
    _check_required_any(table, spec)
    report = FileReport.of(table, spec.name, spec.table)
    if prepared is not None:
        prepared.finish(table, report)
    if report_shape:
        report.notes.append(
            UserMessage(
                "report export: times without an offset are read in %(zone)s",
                zone=context.naive_time_zone,
            )
        )
    batch.files.append(report)

    ctx = FileContext(batch, report, state, settings, table.headers, spec.key_header)
    if "_fivetran_active" in table.headers and spec.key_header in table.headers:
        _convert_versions(table.rows, spec, ctx)
    else:
        for row in table.rows:
            spec.convert(row, ctx)
    logger.info(
        "%s: %s, %d rows, %d rejected",
        csv_file.path,
        spec.name,
        report.rows_read,
        len(report.rejects),
    )


def skip_file(
    csv_file: CsvFile, object_name: str, batch: ImportBatch, recognized: bool
) -> None:
    """Report a file of an object abmkpi does not import, and skip its rows.

    ``recognized`` is true when the file's name or ids named its object, and
    false when nothing identified it.
    """
    report = FileReport(
        path=csv_file.path,
        object=object_name,
        table="",
        encoding=csv_file.encoding,
        checksum=csv_file.checksum,
        rows_read=len(csv_file.rows),
    )
    if csv_file.rows:
        report.skipped[NOT_IMPORTED] = len(csv_file.rows)
    if not recognized:
        report.notes.append(
            UserMessage(
                "neither the file name nor the columns match a Salesforce object "
                "abmkpi imports; name the file after its object (Opportunity.csv) "
                "to import it"
            )
        )
    batch.files.append(report)
    logger.info("%s: skipped, %s is %s", csv_file.path, object_name, NOT_IMPORTED)


def is_report_shape(csv_file: CsvFile, spec: SalesforceObject) -> bool:
    """Return whether the file's dates are written the way report exports write them."""
    headers = [
        csv_file.column(*field.headers)
        for field in spec.all_fields
        if field.kind in ("date", "datetime")
    ]
    present = [header for header in headers if header is not None]
    for row in csv_file.rows:
        for header in present:
            if _REPORT_VALUE.search(row.values.get(header) or ""):
                return True
    return False


def _check_required_any(table: ParsedTable, spec: SalesforceObject) -> None:
    for group in spec.required_any:
        if any(name in table.headers for name in group):
            continue
        raise InputError(
            InputProblem(
                table.file.path,
                1,
                group[0],
                None,
                f"required column is missing (also accepted: {', '.join(group[1:])})",
            ),
            hint=f"columns found: {', '.join(table.file.header)}",
        )


def _convert_versions(
    rows: list[ParsedRow], spec: SalesforceObject, ctx: FileContext
) -> None:
    roles = _version_roles(rows, spec, ctx)
    for row in rows:
        role = roles.get(row.line)
        if role is None:
            continue
        if spec.convert_version is not None:
            spec.convert_version(row, ctx)
        if role is _Version.CURRENT:
            spec.convert(row, ctx)
        elif role is _Version.DELETED:
            spec.convert(ParsedRow(row.line, {**row.values, "IsDeleted": True}), ctx)
        else:
            ctx.skip(INACTIVE_VERSION)


def _version_roles(
    rows: list[ParsedRow], spec: SalesforceObject, ctx: FileContext
) -> dict[int, _Version]:
    """Decide which version of each record is current, deleted or inactive."""
    versions: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        for name in ("_fivetran_active", "_fivetran_start"):
            if row.values.get(name) is None:
                ctx.reject(row.line, name, "", "empty in a history-mode file")
                break
        else:
            versions[row.values[spec.key_header]].append(row)
    roles: dict[int, _Version] = {}
    for group in versions.values():
        active = [row for row in group if row.values["_fivetran_active"]]
        for row in group:
            roles[row.line] = _Version.INACTIVE
        for row in active:
            roles[row.line] = _Version.CURRENT
        if not active:
            latest = max(group, key=lambda row: row.values["_fivetran_start"])
            roles[latest.line] = _Version.DELETED
    return roles
