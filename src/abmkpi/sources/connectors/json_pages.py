"""The example connector: pages of canonical records in a local directory.

It stands in for an API that returns changes page by page, and shows what a
real connector does: read the pages after the stored cursor, turn each record
into canonical values, report bad records with their place, and return the
cursor after each page. Each page is one JSON file; files are read in name
order, and the cursor is the name of the last file loaded::

    {"records": [
      {"table": "accounts", "id": "A-1",
       "values": {"name": "Acme", "website": "https://acme.example"}},
      {"table": "activities", "id": "E-9",
       "values": {"occurred_at": "2024-05-01T10:00:00Z", "type": "web_visit",
                  "person_id": "P-1"}}
    ]}

``table`` is a canonical table, ``id`` the record's id in the source, and
``values`` its source columns (see docs/connectors.md). A bad record is
reported with its position in the page as the line number.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from abmkpi.config import Settings
from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.connectors.base import Page
from abmkpi.sources.connectors.records import RecordError, canonical_values
from abmkpi.sources.fields import ParseContext
from abmkpi.store.schema import TABLES_BY_NAME

logger = logging.getLogger(__name__)


class JsonPagesConnector:
    """Reads pages of records from the JSON files of a directory."""

    def __init__(self, directory: Path, source_system: str, name: str | None = None):
        self.directory = directory
        self.source_system = source_system
        self.name = name or f"json-pages:{source_system}"

    def pages(self, cursor: str | None, settings: Settings) -> Iterator[Page]:
        """Yield each page whose file name sorts after ``cursor``."""
        if not self.directory.is_dir():
            raise InputError(
                InputProblem(self.directory, None, None, None, "folder not found")
            )
        context = ParseContext(
            settings.source(self.source_system).time_zone,
            settings.workspace.time_zone,
        )
        for path in sorted(self.directory.glob("*.json")):
            if cursor is not None and path.name <= cursor:
                continue
            yield Page(self._read_page(path, context), cursor=path.name)

    def _read_page(self, path: Path, context: ParseContext) -> ImportBatch:
        data = path.read_bytes()
        records = _records_of(path, data)
        batch = ImportBatch(self.source_system)
        report = FileReport(
            path=path,
            object="json page",
            table="",
            encoding="utf-8",
            checksum=hashlib.sha256(data).hexdigest(),
            rows_read=len(records),
        )
        batch.files.append(report)
        tables: list[str] = []
        for number, entry in enumerate(records, start=1):
            try:
                table, values = self._record(entry, context)
            except RecordError as error:
                value = None if error.value is None else str(error.value)
                report.rejects.append(
                    InputProblem(path, number, error.column, value, str(error))
                )
                continue
            batch.add(table, values, path, number, key_header="id")
            tables.append(table)
        distinct = list(dict.fromkeys(tables))
        report.table = distinct[0] if distinct else ""
        report.extra_row_tables = tuple(distinct[1:])
        logger.info(
            "%s: %d records, %d rejected", path.name, len(tables), len(report.rejects)
        )
        return batch

    def _record(self, entry: Any, context: ParseContext) -> tuple[str, dict[str, Any]]:
        if not isinstance(entry, dict):
            raise RecordError("record", entry, "a record must be a JSON object")
        table = TABLES_BY_NAME.get(entry.get("table", ""))
        if table is None:
            raise RecordError(
                "table",
                entry.get("table"),
                "unknown table; use a canonical table such as accounts or activities",
            )
        values = entry.get("values", {})
        if not isinstance(values, dict):
            raise RecordError("values", values, "values must be a JSON object")
        source_id = entry.get("id")
        source_id = None if source_id is None else str(source_id)
        record = canonical_values(table, self.source_system, source_id, values, context)
        return table.name, record


def _records_of(path: Path, data: bytes) -> list[Any]:
    """Return the records of a page; raise InputError if it is not a page."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputError(
            InputProblem(path, None, None, None, f"not UTF-8 text: {error}")
        ) from error
    except json.JSONDecodeError as error:
        raise InputError(
            InputProblem(
                path,
                error.lineno,
                f"character {error.colno}",
                None,
                f"invalid JSON: {error.msg}",
            )
        ) from error
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise InputError(
            InputProblem(
                path,
                1,
                "records",
                None,
                'a page is a JSON object with a "records" list',
            )
        )
    return records
