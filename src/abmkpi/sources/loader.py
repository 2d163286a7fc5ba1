"""Writing an import batch into the store: validated, atomic and idempotent.

The loader checks the whole batch before it writes anything: values that
break a column's rule, duplicate ids and unreadable rows are counted against
``max_rejects`` (0 by default, so any bad row stops the import with the file,
line, column and value). A row that repeats an earlier one exactly is
counted as skipped. Then it
upserts every table, records the import and recomputes derived columns in
one transaction: only those of the changed records when the import cannot
change other matches (see :mod:`abmkpi.derive_import`). A failure, or a
killed process, leaves the store as it was; importing the same files again
changes no record.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from abmkpi.derive_import import (
    CHANGES_TABLE,
    MATCHED_TABLES,
    ImportChanges,
    refresh_after_import,
    start_recording,
)
from abmkpi.errors import (
    InputError,
    InputProblem,
    MessageText,
    RejectLimitError,
    StoreError,
    UserMessage,
    WorkspaceError,
)
from abmkpi.progress import notify
from abmkpi.sources.base import (
    FileReport,
    ImportBatch,
    ImportOptions,
    Record,
    StoreLookup,
)
from abmkpi.sources.record_checks import check_records
from abmkpi.spreadsheet import safe_cell
from abmkpi.staged_files import staged_file
from abmkpi.store.database import Store, UpsertCounts
from abmkpi.store.schema import TABLES_BY_NAME
from abmkpi.vocabulary import N_
from abmkpi.workspace import Workspace

IDENTICAL_DUPLICATE = N_("identical duplicate of an earlier row")
# Rows of a file whose repeated lines are named in a note.
_DUPLICATE_NOTES = 3

logger = logging.getLogger(__name__)


@dataclass
class FileSummary:
    """Counts for one input file, as the import summary shows them."""

    path: Path
    object: str
    encoding: str
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: dict[MessageText, int] = field(default_factory=dict)
    rejected: int = 0
    notes: list[MessageText] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass
class ImportSummary:
    """The result of one import run."""

    import_id: int | None
    source_system: str
    files: list[FileSummary]
    reject_file: Path | None = None
    dry_run: bool = False
    derived: dict[str, Any] = field(default_factory=dict)

    def total(self, name: str) -> int:
        if name == "skipped":
            return sum(item.skipped_total for item in self.files)
        return sum(getattr(item, name) for item in self.files)

    def describe(self) -> str:
        read = self.total("rows_read")
        stored = self.total("loaded") + self.total("updated") + self.total("unchanged")
        text = (
            f"read {read:,} rows: {self.total('loaded'):,} new, "
            f"{self.total('updated'):,} updated, "
            f"{self.total('unchanged'):,} unchanged, "
            f"{self.total('deleted'):,} deleted, {self.total('skipped'):,} skipped, "
            f"{self.total('rejected'):,} rejected"
        )
        if self.reject_file:
            text += f"; see {self.reject_file}"
        if self.dry_run:
            text += " (dry run: nothing was stored)"
        logger.debug("import summary: %d of %d rows stored", stored, read)
        return text


class _DryRunRollback(Exception):
    """Raised inside the transaction to undo a dry run."""


def load_batch(
    workspace: Workspace, store: Store, batch: ImportBatch, options: ImportOptions
) -> ImportSummary:
    """Validate the batch, then write it and recompute derived data atomically."""
    _resolve_lookups(store, batch.records)
    _require_imported_files(batch)
    invalid = check_records(batch.records)
    _attach_problems(batch.files, invalid)
    records = _without_rows(batch.records, invalid)
    records, duplicates, identical = _drop_duplicates(records)
    _attach_problems(batch.files, duplicates)
    _count_identical_rows(batch.files, records, identical)
    rejects = batch.rejects
    _check_reject_limit(workspace, rejects, options)

    summaries = {id(report): _summary_of(report) for report in batch.files}
    by_file = {report.path: report for report in batch.files}
    summary = ImportSummary(None, batch.source_system, list(summaries.values()))
    summary.dry_run = options.dry_run
    try:
        with store.transaction():
            summary.import_id = _next_import_id(store)
            start_recording(store)
            changes = _write_records(store, records, by_file, summaries)
            summary.derived = refresh_after_import(
                store, workspace.settings, workspace.root, changes
            )
            if rejects:
                summary.reject_file = write_reject_file(
                    workspace,
                    rejects,
                    f"import-{summary.import_id}",
                    _dry_run_folder() if options.dry_run else None,
                )
            _record_import(store, summary, batch.files, summaries)
            if options.dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        summary.import_id = None

    logger.info(
        "import %s (%s): %s", summary.import_id, batch.source_system, summary.describe()
    )
    return summary


def _require_imported_files(batch: ImportBatch) -> None:
    """Raise when rows were read but no file contains data the importer reads.

    Every file skipped as unrecognised means the wrong source was named or
    the wrong folder given; an exit code of 0 would hide that nothing was
    imported.
    """
    if batch.records or batch.rejects:
        return
    with_rows = [report for report in batch.files if report.rows_read]
    if not with_rows or any(report.table for report in with_rows):
        return
    problems = [
        InputProblem(report.path, None, None, None, _why_skipped(report))
        for report in with_rows
    ]
    raise InputError(
        problems,
        hint=f"nothing was imported: no file contains data that the "
        f"{batch.source_system} importer reads. Check the source name, or leave "
        "it out to detect it from the files.",
    )


def _why_skipped(report: FileReport) -> str:
    reasons = ", ".join(
        f"{count:,} {'row' if count == 1 else 'rows'} skipped ({reason})"
        for reason, count in report.skipped.items()
    )
    return "; ".join([f"read as {report.object}: {reasons}", *map(str, report.notes)])


def _dry_run_folder() -> Path:
    """Return a new temporary folder for a dry run's reject file."""
    return Path(tempfile.mkdtemp(prefix="abmkpi-dry-run-"))


def _check_reject_limit(
    workspace: Workspace, rejects: list[InputProblem], options: ImportOptions
) -> None:
    """Raise, with every problem in a reject file, when too many rows are bad."""
    rows = len({(problem.file, problem.line) for problem in rejects})
    max_rejects = options.max_rejects
    if rows <= max_rejects:
        return
    folder = _dry_run_folder() if options.dry_run else None
    reject_file = write_reject_file(workspace, rejects, "failed", folder)
    raise RejectLimitError(
        rejects,
        hint=(
            f"nothing was imported: {rows} invalid rows, and --max-rejects "
            f"allows {max_rejects}. Every problem is listed in {reject_file}. "
            f"Fix the rows, or rerun with --max-rejects {rows} to import the "
            "valid rows."
        ),
    )


def _resolve_lookups(store: Store, records: list[Record]) -> None:
    """Set the record values that depend on rows stored by earlier imports."""
    rows: dict[tuple[str, tuple[tuple[str, Any], ...]], dict[str, Any] | None] = {}
    for record in records:
        for lookup in record.lookups:
            key = (lookup.table, lookup.key)
            if key not in rows:
                rows[key] = _fetch_lookup_row(store, lookup)
            record.values.update(lookup.apply(rows[key]))


def _fetch_lookup_row(store: Store, lookup: StoreLookup) -> dict[str, Any] | None:
    table = TABLES_BY_NAME.get(lookup.table)
    if table is None:
        raise StoreError("lookup names an unknown table", table=lookup.table)
    unknown = [name for name, _ in lookup.key if name not in table.columns]
    if unknown:
        raise StoreError(f"lookup key has unknown columns {unknown}", table=table.name)
    where = " AND ".join(f'"{name}" = ?' for name, _ in lookup.key)
    found = store.fetch_dicts(
        f"SELECT * FROM {table.name} WHERE {where} LIMIT 1",
        [value for _, value in lookup.key],
    )
    return found[0] if found else None


def _without_rows(records: list[Record], problems: list[InputProblem]) -> list[Record]:
    """Drop every record of the rows with a problem, not only the bad record."""
    rejected = {(problem.file, problem.line) for problem in problems}
    if not rejected:
        return records
    return [record for record in records if (record.file, record.line) not in rejected]


def _drop_duplicates(
    records: list[Record],
) -> tuple[list[Record], list[InputProblem], list[tuple[Record, Record]]]:
    """Keep the first record per key; a later different one is a problem.

    Returns the kept records, the problems, and each dropped record that
    equals an earlier one, paired with that earlier record.
    """
    seen: dict[tuple[str, tuple[Any, ...]], Record] = {}
    unique_records: list[Record] = []
    problems: list[InputProblem] = []
    identical: list[tuple[Record, Record]] = []
    for record in records:
        table = TABLES_BY_NAME[record.table]
        key = (record.table, tuple(record.values.get(k) for k in table.key))
        first = seen.get(key)
        if first is None:
            seen[key] = record
            unique_records.append(record)
            continue
        if first.values == record.values:
            identical.append((record, first))
            continue
        problems.append(
            InputProblem(
                record.file,
                record.line,
                record.key_header,
                _value_in_file(record, key[1]),
                f"duplicate id with different values; first seen on "
                f"{_where(first, record)}",
            )
        )
    return _without_rows(unique_records, problems), problems, identical


def _value_in_file(record: Record, key: tuple[Any, ...]) -> str:
    """Return a record's key as the file writes it, without the source prefix."""
    source_id = record.values.get("source_id")
    if source_id is not None:
        return str(source_id)
    if len(key) != 1:
        return str(key)
    prefix = f"{record.values.get('source_system')}:"
    return str(key[0]).removeprefix(prefix)


def _where(first: Record, record: Record) -> str:
    """Return where the first record came from, as seen from a later one."""
    return f"line {first.line}" + (
        "" if first.file == record.file else f" of {first.file.name}"
    )


def _repeat_note(first: Record, duplicate: Record) -> UserMessage:
    """Return the note that a row repeats an earlier one, as :func:`_where`
    locates it."""
    if first.file == duplicate.file:
        return UserMessage(
            "line %(line)s repeats line %(first)s",
            line=duplicate.line,
            first=first.line,
        )
    return UserMessage(
        "line %(line)s repeats line %(first)s of %(file)s",
        line=duplicate.line,
        first=first.line,
        file=first.file.name,
    )


def _attach_problems(files: list[FileReport], problems: list[InputProblem]) -> None:
    by_path = {report.path: report for report in files}
    unattached = []
    for problem in problems:
        report = by_path.get(problem.file)
        if report is None:
            unattached.append(problem)
        else:
            report.rejects.append(problem)
    if unattached:
        # Records come from files with a report; a record without one has a
        # value the importer wrote itself, so no reject limit applies.
        raise InputError(unattached)


def _count_identical_rows(
    files: list[FileReport],
    kept: list[Record],
    identical: list[tuple[Record, Record]],
) -> None:
    """Count rows whose records all repeat earlier ones as skipped rows.

    Without this a repeated row would appear in ``rows read`` but in no other
    count of the summary.
    """
    kept_rows = {(record.file, record.line) for record in kept}
    by_path = {report.path: report for report in files}
    counted: set[tuple[Path, int]] = set()
    for duplicate, first in identical:
        row = (duplicate.file, duplicate.line)
        report = by_path.get(duplicate.file)
        if (
            row in kept_rows
            or row in counted
            or report is None
            or not _counts_rows(report, duplicate.table)
        ):
            continue
        counted.add(row)
        report.skipped[IDENTICAL_DUPLICATE] += 1
        if report.skipped[IDENTICAL_DUPLICATE] <= _DUPLICATE_NOTES:
            report.notes.append(_repeat_note(first, duplicate))


def _summary_of(report: FileReport) -> FileSummary:
    return FileSummary(
        path=report.path,
        object=report.object,
        encoding=report.encoding,
        rows_read=report.rows_read,
        skipped=dict(report.skipped),
        rejected=len({(p.file, p.line) for p in report.rejects}),
        notes=list(report.notes),
    )


def _next_import_id(store: Store) -> int:
    return int(store.scalar("SELECT nextval('import_ids')"))


def _write_records(
    store: Store,
    records: list[Record],
    by_file: dict[Path, FileReport],
    summaries: dict[int, FileSummary],
) -> ImportChanges:
    """Upsert every record and return the rows written per table."""
    changes = ImportChanges()
    groups: dict[tuple[str, Path, bool, frozenset[str]], list[dict[str, Any]]] = (
        defaultdict(list)
    )
    for record in records:
        deleted = bool(record.values.get("is_deleted"))
        columns = frozenset(record.values)
        groups[(record.table, record.file, deleted, columns)].append(record.values)
    for (table_name, path, deleted, _), rows in groups.items():
        table = TABLES_BY_NAME[table_name]
        recorded = CHANGES_TABLE if table_name in MATCHED_TABLES else None
        counts = store.upsert(table, _arrow(rows), changes=recorded)
        changes.add(table_name, counts.loaded + counts.updated)
        notify("write", table_name)
        report = by_file.get(path)
        if report is None or not _counts_rows(report, table_name):
            continue
        _add_counts(summaries[id(report)], counts, deleted)
    return changes


def _counts_rows(report: FileReport, table_name: str) -> bool:
    """Return whether records of this table count as the file's summary rows."""
    return report.table == table_name or table_name in report.extra_row_tables


def _add_counts(summary: FileSummary, counts: UpsertCounts, deleted: bool) -> None:
    if deleted:
        # A record already stored as deleted is unchanged, not deleted again.
        summary.deleted += counts.loaded + counts.updated
        summary.unchanged += counts.unchanged
        return
    summary.loaded += counts.loaded
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged


def _arrow(rows: list[dict[str, Any]]) -> pa.Table:
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Columns that mix types (an id that is a number in one row and text in
        # the next) are stored as text and cast by the stage table.
        columns = {name: [row.get(name) for row in rows] for name in rows[0]}
        arrays = {}
        for name, values in columns.items():
            try:
                arrays[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays[name] = pa.array([None if v is None else str(v) for v in values])
        return pa.table(arrays)


def _record_import(
    store: Store,
    summary: ImportSummary,
    reports: list[FileReport],
    summaries: dict[int, FileSummary],
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    store.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            summary.import_id,
            summary.source_system,
            now,
            now,
            summary.total("rows_read"),
            summary.total("loaded"),
            summary.total("updated"),
            summary.total("unchanged"),
            summary.total("deleted"),
            summary.total("skipped"),
            summary.total("rejected"),
            str(summary.reject_file) if summary.reject_file else None,
            summary.describe(),
        ],
        table="imports",
    )
    for report in reports:
        item = summaries[id(report)]
        store.execute(
            "INSERT OR REPLACE INTO import_files VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                summary.import_id,
                str(report.path),
                report.object,
                report.checksum,
                report.encoding,
                item.rows_read,
                item.loaded,
                item.updated,
                item.unchanged,
                item.deleted,
                item.skipped_total,
                item.rejected,
            ],
            table="import_files",
        )


def write_reject_file(
    workspace: Workspace,
    problems: list[InputProblem],
    stem: str,
    folder: Path | None = None,
) -> Path:
    """Write every problem to a CSV that opens cleanly in Excel (UTF-8 with BOM).

    The file goes to the workspace's rejects folder unless ``folder`` is given,
    whole or not at all. Text that a spreadsheet would run as a formula is
    written quoted.
    """
    folder = folder or workspace.rejects_dir
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stem}-{stamp}.csv"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with (
            staged_file(path) as written,
            written.open("w", encoding="utf-8-sig", newline="") as handle,
        ):
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "column", "value", "reason"])
            for problem in problems:
                cells = [
                    str(problem.file),
                    problem.line,
                    problem.column,
                    problem.value,
                    problem.reason,
                ]
                writer.writerow([safe_cell(cell) for cell in cells])
    except OSError as error:
        raise WorkspaceError(
            f"cannot write the reject file {path}: {error.strerror or error}; "
            f"{folder} must be a folder you can write to"
        ) from error
    return path
