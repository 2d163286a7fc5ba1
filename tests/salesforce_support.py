"""Helpers for the Salesforce importer tests: import into a workspace, query it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import FileSummary, ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.store.database import Store
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

NOT_IMPORTED = "not an object abmkpi imports"


def run_import(workspace: Workspace, *paths: Path, **options: Any) -> ImportSummary:
    import_options = ImportOptions(**options)
    importer = get_importer("salesforce")
    batch = importer.read(list(paths), workspace.settings, import_options)
    with Store.open(workspace.store_path) as store:
        return load_batch(workspace, store, batch, import_options)


def query(workspace: Workspace, sql: str, params: list[Any] | None = None) -> list:
    with Store.open(workspace.store_path, read_only=True) as store:
        return store.fetch_all(sql, params)


def scalar(workspace: Workspace, sql: str, params: list[Any] | None = None) -> Any:
    return query(workspace, sql, params)[0][0]


def by_file(summary: ImportSummary) -> dict[str, FileSummary]:
    return {item.path.name: item for item in summary.files}


def snapshot(workspace: Workspace) -> dict[str, list]:
    """Every canonical table and the import log, sorted, for before/after checks."""
    tables = [table.name for table in CANONICAL_TABLES] + ["imports"]
    return {
        name: sorted(query(workspace, f"SELECT * FROM {name}"), key=repr)
        for name in tables
    }


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"
