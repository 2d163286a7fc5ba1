"""What every source importer produces: canonical records plus a file report.

An importer reads one vendor's export files and turns them into an
:class:`ImportBatch`: records for the canonical tables (see
:mod:`abmkpi.store.schema`), the rows it skipped on purpose (deleted records,
open tasks, inactive history versions) and the rows it could not read. It
never touches the store; :mod:`abmkpi.sources.loader` validates the batch and
writes it atomically.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from abmkpi.config import Settings
from abmkpi.errors import InputProblem, MessageText, UserMessage
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import DateFormatUse, ParseContext, ParsedTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreLookup:
    """Values of a record that depend on a row stored by an earlier import.

    An importer reads only its own files. When a value depends on a record it
    did not read in this run (the type of a campaign, the flags of a stage),
    it names that row by table and key, and gives a function that turns the
    stored row, or None when there is none, into values to set on the record.
    The loader runs the lookups before it checks the batch for duplicates.
    """

    table: str
    key: tuple[tuple[str, Any], ...]
    apply: Callable[[dict[str, Any] | None], dict[str, Any]]


@dataclass
class Record:
    """One row for a canonical table, with the file line it came from."""

    table: str
    values: dict[str, Any]
    file: Path
    line: int
    key_header: str | None = None
    lookups: tuple[StoreLookup, ...] = ()


@dataclass
class FileReport:
    """What happened to one input file.

    ``object`` names what the file contains (``Opportunity``, ``marketo
    activities``); ``table`` is the canonical table whose records count as the
    file's rows in the summary (a row may also produce records of other
    tables, such as stage history or account links). ``extra_row_tables``
    names further tables whose records also count as rows, for files whose
    rows go to one of several tables (a Marketo activity log contains lead
    merges and deletions besides activities).
    """

    path: Path
    object: str
    table: str
    encoding: str = ""
    checksum: str = ""
    rows_read: int = 0
    skipped: Counter[MessageText] = field(default_factory=Counter)
    rejects: list[InputProblem] = field(default_factory=list)
    notes: list[MessageText] = field(default_factory=list)
    extra_row_tables: tuple[str, ...] = ()

    @classmethod
    def of(cls, table: ParsedTable, object_name: str, table_name: str) -> FileReport:
        """Start the report of a parsed file whose rows go to ``table_name``."""
        report = cls(
            path=table.file.path,
            object=object_name,
            table=table_name,
            encoding=table.file.encoding,
            checksum=table.file.checksum,
            rows_read=len(table.file.rows),
            rejects=list(table.problems),
            notes=list(table.notes),
        )
        if table.file.footer:
            report.notes.append(
                UserMessage(
                    "dropped a report footer of %(count)s lines",
                    count=len(table.file.footer),
                )
            )
        return report


def skipped_file(csv_file: CsvFile, object_name: str, reason: str) -> FileReport:
    """Report a file whose rows are all skipped for one reason."""
    report = FileReport(
        path=csv_file.path,
        object=object_name,
        table="",
        encoding=csv_file.encoding,
        checksum=csv_file.checksum,
        rows_read=len(csv_file.rows),
    )
    if csv_file.rows:
        report.skipped[reason] = len(csv_file.rows)
    logger.info("%s: skipped %d rows (%s)", csv_file.path, len(csv_file.rows), reason)
    return report


@dataclass
class ImportBatch:
    """Everything one import run read, ready for the loader."""

    source_system: str
    records: list[Record] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)

    def add(
        self,
        table: str,
        values: dict[str, Any],
        file: Path,
        line: int,
        key_header: str | None = None,
        lookups: Sequence[StoreLookup] = (),
    ) -> Record:
        record = Record(table, values, file, line, key_header, tuple(lookups))
        self.records.append(record)
        return record

    def extend(self, other: ImportBatch) -> None:
        self.records.extend(other.records)
        self.files.extend(other.files)

    @property
    def rows_read(self) -> int:
        return sum(report.rows_read for report in self.files)

    @property
    def rejects(self) -> list[InputProblem]:
        return [problem for report in self.files for problem in report.rejects]


@dataclass
class ImportOptions:
    """Choices a user makes for one import run."""

    encoding: str | None = None
    date_formats: dict[str, str] = field(default_factory=dict)
    max_rejects: int = 0
    mapping: Path | None = None
    dry_run: bool = False
    date_format_use: DateFormatUse = field(default_factory=DateFormatUse)

    def unused_date_formats(self) -> list[str]:
        """Return the declared date formats whose column no file had."""
        used = self.date_format_use.used
        return [name for name in self.date_formats if name.lower() not in used]

    def parse_context(
        self, settings: Settings, source: str, report: bool = False
    ) -> ParseContext:
        zone = (
            settings.report_time_zone(source)
            if report
            else settings.source(source).time_zone
        )
        return ParseContext(
            naive_time_zone=zone,
            business_time_zone=settings.workspace.time_zone,
            date_formats=dict(self.date_formats),
            date_format_use=self.date_format_use,
        )


class Importer(Protocol):
    """A reader of one vendor's export files."""

    source_system: str

    def read(
        self, paths: list[Path], settings: Settings, options: ImportOptions
    ) -> ImportBatch:
        """Read the files into canonical records; never write to the store."""
        ...


@dataclass(frozen=True)
class SourceShapes:
    """How one source's files look, to tell them from other sources' files.

    ``recognize`` returns what a file is to this source (``hubspot deal
    table``), or None when the file is not one of its shapes. It sees only a
    file's name, header and first rows (see
    :func:`~abmkpi.sources.csvfile.peek_csv`), so it must stay cheap.
    ``expected`` describes the source's headers and file names for error
    messages.
    """

    source: str
    label: str
    recognize: Callable[[CsvFile], str | None]
    expected: str
