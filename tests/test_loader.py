"""The loader: atomic, idempotent imports with reject limits and dry runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from abmkpi.errors import RejectLimitError
from abmkpi.sources.base import FileReport, ImportBatch, ImportOptions
from abmkpi.sources.loader import load_batch
from abmkpi.workspace import Workspace

FILE = Path("Opportunity.csv")


def _opportunity(number: int, amount: float, **extra: object) -> dict[str, object]:
    return {
        "id": f"salesforce:{number}",
        "source_system": "salesforce",
        "source_id": str(number),
        "amount": amount,
        "close_date": date(2024, 5, number),
        **extra,
    }


def _batch(*rows: dict[str, object]) -> ImportBatch:
    batch = ImportBatch("salesforce")
    batch.files.append(
        FileReport(FILE, "Opportunity", "opportunities", rows_read=len(rows))
    )
    for line, row in enumerate(rows, start=2):
        batch.add("opportunities", dict(row), FILE, line, "Id")
    return batch


def _count(workspace: Workspace, sql: str) -> int:
    with workspace.open_store() as store:
        return int(store.scalar(sql))


def test_import_counts_new_rows(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        summary = load_batch(
            workspace,
            store,
            _batch(_opportunity(1, 10), _opportunity(2, 20)),
            ImportOptions(),
        )
    assert summary.total("loaded") == 2
    assert summary.import_id == 1


def test_reimport_changes_nothing(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(2, 20))
    with workspace.open_store() as store:
        load_batch(workspace, store, batch, ImportOptions())
        before = store.fetch_all("SELECT * FROM opportunities ORDER BY id")
        again = load_batch(workspace, store, batch, ImportOptions())
        after = store.fetch_all("SELECT * FROM opportunities ORDER BY id")
    assert again.total("unchanged") == 2
    assert again.total("loaded") == 0
    assert before == after


def test_changed_row_counts_as_updated(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        load_batch(workspace, store, _batch(_opportunity(1, 10)), ImportOptions())
        summary = load_batch(
            workspace, store, _batch(_opportunity(1, 99)), ImportOptions()
        )
        amount = store.scalar("SELECT amount FROM opportunities")
    assert summary.total("updated") == 1
    assert amount == 99


def test_partial_columns_keep_other_fields(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        load_batch(
            workspace,
            store,
            _batch(_opportunity(1, 10, stage="Proposal")),
            ImportOptions(),
        )
        load_batch(workspace, store, _batch(_opportunity(1, 10)), ImportOptions())
        stage = store.scalar("SELECT stage FROM opportunities")
    assert stage == "Proposal"


def test_duplicate_id_rejected_with_line(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(1, 11))
    with workspace.open_store() as store, pytest.raises(RejectLimitError) as caught:
        load_batch(workspace, store, batch, ImportOptions())
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "Id", "1")
    assert _count(workspace, "SELECT count(*) FROM opportunities") == 0


def test_identical_duplicate_is_harmless(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(1, 10))
    with workspace.open_store() as store:
        summary = load_batch(workspace, store, batch, ImportOptions())
    assert summary.total("loaded") == 1


def test_max_rejects_loads_valid_rows(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(1, 11), _opportunity(2, 20))
    with workspace.open_store() as store:
        summary = load_batch(workspace, store, batch, ImportOptions(max_rejects=1))
    assert summary.total("loaded") == 2
    assert summary.total("rejected") == 1
    assert summary.reject_file is not None
    assert "duplicate id" in summary.reject_file.read_text(encoding="utf-8-sig")


def test_failed_import_writes_reject_file(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(1, 11))
    with workspace.open_store() as store, pytest.raises(RejectLimitError):
        load_batch(workspace, store, batch, ImportOptions())
    files = list(workspace.rejects_dir.glob("failed-*.csv"))
    assert len(files) == 1


def test_dry_run_stores_nothing(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        summary = load_batch(
            workspace, store, _batch(_opportunity(1, 10)), ImportOptions(dry_run=True)
        )
    assert summary.total("loaded") == 1
    assert _count(workspace, "SELECT count(*) FROM opportunities") == 0
    assert _count(workspace, "SELECT count(*) FROM imports") == 0


def test_deleted_rows_counted_apart(workspace: Workspace) -> None:
    batch = _batch(_opportunity(1, 10), _opportunity(2, 20, is_deleted=True))
    with workspace.open_store() as store:
        summary = load_batch(workspace, store, batch, ImportOptions())
    assert summary.total("loaded") == 1
    assert summary.total("deleted") == 1


def test_killed_import_leaves_store_unchanged(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        load_batch(workspace, store, _batch(_opportunity(1, 10)), ImportOptions())
    script = textwrap.dedent(
        f"""
        import os
        from datetime import date
        from pathlib import Path
        import abmkpi.derive
        from abmkpi.sources.base import FileReport, ImportBatch, ImportOptions
        from abmkpi.sources.loader import load_batch
        from abmkpi.workspace import Workspace

        def die(store, settings, root=None):
            os._exit(9)  # the process dies mid-transaction, as under kill -9

        abmkpi.derive.refresh = die
        workspace = Workspace.load(Path({str(workspace.root)!r}))
        batch = ImportBatch("salesforce")
        path = Path("Opportunity.csv")
        report = FileReport(path, "Opportunity", "opportunities", rows_read=30)
        batch.files.append(report)

        def row(number, amount):
            return {{
                "id": f"salesforce:{{number}}",
                "source_system": "salesforce",
                "source_id": str(number),
                "amount": amount,
                "close_date": date(2024, 5, 1),
            }}

        for number in range(2, 30):
            batch.add("opportunities", row(number, 1.0), path, number, "Id")
        batch.add("opportunities", row(1, 999.0), path, 31, "Id")
        with workspace.open_store() as store:
            load_batch(workspace, store, batch, ImportOptions())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == 9
    assert _count(workspace, "SELECT count(*) FROM opportunities") == 1
    assert _count(workspace, "SELECT amount FROM opportunities") == 10
    assert _count(workspace, "SELECT count(*) FROM imports") == 1
