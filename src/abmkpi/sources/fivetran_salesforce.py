"""Salesforce tables as the Fivetran connector lands them in a warehouse.

Fivetran writes one table per Salesforce object, named by the object in
snake_case (``opportunity``, ``opportunity_stage``; files often carry a
``sf_`` or ``salesforce_`` prefix and a ``_data`` suffix), with every API
field name in snake_case (``StageName`` → ``stage_name``, ``Foo__c`` →
``foo_c``) and Fivetran's own columns (``_fivetran_synced``,
``_fivetran_deleted``, ``_fivetran_active``). Headers are translated back to
API names here, and the rows are read by the Salesforce object readers.

Two table shapes share a name. A history-mode table (``account_history``
with ``_fivetran_start``) contains one row per version of the object's
records. Without ``_fivetran_start``, ``opportunity_history`` is the
OpportunityHistory object (stage changes). In a table without
``_fivetran_start``, ``_fivetran_active = false`` marks a row that is no
longer live, so it is stored as deleted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from abmkpi.config import Settings
from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch, ImportOptions, skipped_file
from abmkpi.sources.csvfile import CsvFile, CsvRow
from abmkpi.sources.fields import parse_table
from abmkpi.sources.salesforce.common import (
    SOURCE,
    FileContext,
    RunState,
    SalesforceObject,
)
from abmkpi.sources.salesforce.identify import OBJECTS
from abmkpi.sources.salesforce.opportunities import (
    OPPORTUNITY,
    OPPORTUNITY_HISTORY,
    convert_opportunity_version,
)
from abmkpi.sources.salesforce.reader import NOT_IMPORTED, read_object_file
from abmkpi.sources.salesforce.stages import StageBook
from abmkpi.sources.values import parse_bool

logger = logging.getLogger(__name__)

_PREFIXES = ("sf_", "salesforce_")
_TABLE_NAME = re.compile(
    r"^(?:sf_|salesforce_)?(?P<table>[a-z0-9_]+?)(?:_data)?$", re.IGNORECASE
)
_BY_KEY = {spec.name.casefold(): spec for spec in OBJECTS}
_HISTORY_SUFFIX = "_history"
_PLAIN_TABLE_READ = "history-mode copy of {name}, which is read instead"


@dataclass(frozen=True)
class FivetranTable:
    """A landed table: its name, the object it contains, and its shape.

    ``spec`` is None for objects abmkpi does not import (User, Order, …).
    ``history_mode`` marks a table of record versions.
    """

    name: str
    object_name: str
    spec: SalesforceObject | None
    history_mode: bool


def table_name(path: Path) -> str:
    """Return a file's table name without the schema prefix and "_data" suffix."""
    match = _TABLE_NAME.match(path.stem)
    return match["table"].lower() if match else path.stem.lower()


def fivetran_table(csv_file: CsvFile) -> FivetranTable | None:
    """Return the landed table a file contains, or None for another shape.

    A landed table has a lower-case ``id`` column and ``_fivetran_synced``
    (Salesforce's own exports write ``Id``), and either a ``sf_`` or
    ``salesforce_`` file name prefix or Salesforce record ids: 15 to 18
    letters and digits (some exports lose a character), where HubSpot,
    Marketo and Pardot tables have numbers.
    """
    if "id" not in csv_file.header or not csv_file.has_columns("_fivetran_synced"):
        return None
    prefixed = csv_file.path.stem.lower().startswith(_PREFIXES)
    if not prefixed and not _has_salesforce_ids(csv_file):
        return None
    name = table_name(csv_file.path)
    history_mode = csv_file.has_columns("_fivetran_start")
    base = name.removesuffix(_HISTORY_SUFFIX) if history_mode else name
    spec = _BY_KEY.get(base.replace("_", ""))
    if spec is None and not history_mode and name == "opportunity_history":
        spec = OPPORTUNITY_HISTORY
    object_name = spec.name if spec else _object_name(base)
    return FivetranTable(name, object_name, spec, history_mode)


def _has_salesforce_ids(csv_file: CsvFile, sample: int = 20) -> bool:
    for row in csv_file.rows[:sample]:
        value = (row.values.get("id") or "").replace(" ", "")
        if value:
            return 15 <= len(value) <= 18 and value.isalnum() and not value.isdigit()
    return False


def _object_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def describe(table: FivetranTable) -> str:
    """Return what the table is, for listings: "salesforce Account table"."""
    shape = "history-mode table" if table.history_mode else "table"
    text = f"salesforce {table.object_name} Fivetran {shape}"
    return text if table.spec else f"{text}, not imported"


def read_tables(
    files: list[CsvFile], settings: Settings, options: ImportOptions
) -> ImportBatch:
    """Read landed Salesforce tables into canonical records."""
    batch = ImportBatch(SOURCE)
    state = RunState(StageBook())
    tables = [(csv_file, fivetran_table(csv_file)) for csv_file in files]
    plain = {
        table.object_name: csv_file.path.name
        for csv_file, table in tables
        if table is not None and not table.history_mode
    }
    readable: list[tuple[CsvFile, FivetranTable]] = []
    for csv_file, table in tables:
        assert table is not None, csv_file.path
        if table.spec is None:
            batch.files.append(skipped_file(csv_file, table.object_name, NOT_IMPORTED))
        elif table.history_mode and table.object_name in plain:
            if table.spec is OPPORTUNITY:
                _read_versions(csv_file, state, batch, settings, options)
            else:
                reason = _PLAIN_TABLE_READ.format(name=plain[table.object_name])
                batch.files.append(skipped_file(csv_file, table.object_name, reason))
        else:
            readable.append((csv_file, table))
    readable.sort(key=lambda item: OBJECTS.index(_spec(item[1])))
    for csv_file, table in readable:
        _read_table(csv_file, _spec(table), state, batch, settings, options)
    state.stages.finish(batch)
    logger.info(
        "read %d Fivetran Salesforce tables: %d rows, %d records",
        len(files),
        batch.rows_read,
        len(batch.records),
    )
    return batch


def _spec(table: FivetranTable) -> SalesforceObject:
    assert table.spec is not None
    return table.spec


def _read_table(
    csv_file: CsvFile,
    spec: SalesforceObject,
    state: RunState,
    batch: ImportBatch,
    settings: Settings,
    options: ImportOptions,
) -> None:
    """Read one table with the Salesforce reader, under its API-name headers."""
    problems: list[InputProblem] = []
    translated, original = _translate(_fold_active_flag(csv_file, problems), spec)
    first_record = len(batch.records)
    read_object_file(translated, spec, state, batch, settings, options)
    report = batch.files[-1]
    report.rows_read = len(csv_file.rows)
    report.rejects = [_original_column(p, original) for p in problems + report.rejects]
    for record in batch.records[first_record:]:
        if record.key_header is not None:
            record.key_header = original.get(record.key_header, record.key_header)


def _read_versions(
    csv_file: CsvFile,
    state: RunState,
    batch: ImportBatch,
    settings: Settings,
    options: ImportOptions,
) -> None:
    """Read an opportunity history-mode table as stage history only.

    The run's plain opportunity table gives the records themselves.
    """
    translated, original = _translate(csv_file, OPPORTUNITY)
    context = options.parse_context(settings, SOURCE)
    table = parse_table(translated, OPPORTUNITY.all_fields, context)
    report = FileReport.of(table, "Opportunity versions", "opportunity_stage_history")
    batch.files.append(report)
    ctx = FileContext(batch, report, state, settings, table.headers, "Id")
    for row in table.rows:
        if row.values.get("_fivetran_start") is None:
            ctx.reject(row.line, "_fivetran_start", "", "empty in a history-mode file")
            continue
        convert_opportunity_version(row, ctx)
    report.rejects = [_original_column(p, original) for p in report.rejects]


def _translate(
    csv_file: CsvFile, spec: SalesforceObject
) -> tuple[CsvFile, dict[str, str]]:
    """Rename snake_case headers to the object's API names.

    Returns the renamed file and a map from each new header to the file's own.
    A header matches an API name when both agree ignoring case and
    underscores (``number_of_employees`` = ``NumberOfEmployees``, ``arr_c`` =
    ``ARR__c``). Headers that match no field keep their name.
    """
    api_names: dict[str, str] = {}
    for field in spec.all_fields:
        for header in field.headers:
            api_names.setdefault(_key(header), header)
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for header in csv_file.header:
        api = api_names.get(_key(header))
        if header.startswith("_fivetran") or api is None or api in taken:
            renamed[header] = header
        else:
            renamed[header] = api
        taken.add(renamed[header])
    rows = [
        CsvRow(row.line, {renamed[k]: v for k, v in row.values.items()})
        for row in csv_file.rows
    ]
    new_header = [renamed[name] for name in csv_file.header]
    original = {new: old for old, new in renamed.items()}
    return replace(csv_file, header=new_header, rows=rows), original


def _key(header: str) -> str:
    return header.replace("_", "").casefold()


def _fold_active_flag(csv_file: CsvFile, problems: list[InputProblem]) -> CsvFile:
    """Turn ``_fivetran_active = false`` of a table without versions into a deletion.

    Rows whose flag is not a boolean are left out and added to ``problems``.
    """
    active = csv_file.column("_fivetran_active")
    if active is None or csv_file.has_columns("_fivetran_start"):
        return csv_file
    deleted = csv_file.column("_fivetran_deleted") or "_fivetran_deleted"
    rows: list[CsvRow] = []
    for row in csv_file.rows:
        raw = row.values.get(active)
        try:
            is_active = parse_bool(raw)
        except ValueError as error:
            problems.append(
                InputProblem(csv_file.path, row.line, active, raw, str(error))
            )
            continue
        values = {name: value for name, value in row.values.items() if name != active}
        if is_active is False:
            values[deleted] = "true"
        rows.append(CsvRow(row.line, values))
    header = [name for name in csv_file.header if name != active]
    if deleted not in header:
        header.append(deleted)
    return replace(csv_file, header=header, rows=rows)


def _original_column(problem: InputProblem, original: dict[str, str]) -> InputProblem:
    if problem.column is None or problem.column not in original:
        return problem
    return replace(problem, column=original[problem.column])
