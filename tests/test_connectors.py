"""Connectors: the sync loop and cursor, on the local JSON-pages connector."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import InputError, RejectLimitError
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.connectors import read_cursor, sync
from abmkpi.sources.connectors.json_pages import JsonPagesConnector
from abmkpi.workspace import Workspace


def write_page(folder: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"records": records}), encoding="utf-8")
    return path


def query(workspace: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql)


def cursor_of(workspace: Workspace, name: str) -> str | None:
    with workspace.open_store(read_only=True) as store:
        return read_cursor(store, name)


ACCOUNT = {
    "table": "accounts",
    "id": "A-1",
    "values": {"name": "Acme", "website": "https://acme.example"},
}
PERSON = {
    "table": "people",
    "id": "P-1",
    "values": {
        "kind": "contact",
        "email": "Ann@Acme.example",
        "source_account_id": "A-1",
        "created_at": "2024-04-10T09:00:00+09:00",
    },
}


def visit(number: int, when: str) -> dict[str, Any]:
    return {
        "table": "activities",
        "id": f"E-{number}",
        "values": {"occurred_at": when, "type": "web_visit", "person_id": "P-1"},
    }


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    write_page(folder, "0001.json", [ACCOUNT, PERSON])
    write_page(
        folder,
        "0002.json",
        [visit(1, "2024-05-01T10:00:00Z"), visit(2, "2024-05-02 10:00:00")],
    )
    return folder


@pytest.fixture
def connector(pages: Path) -> JsonPagesConnector:
    return JsonPagesConnector(pages, "webapp")


def test_sync_loads_every_page(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    summary = sync(workspace, connector)
    assert len(summary.imports) == 2
    assert summary.cursor_before is None
    assert summary.cursor_after == "0002.json"
    assert summary.imports[0].total("loaded") == 2
    assert summary.imports[1].total("loaded") == 2


def test_sync_stores_records(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    sync(workspace, connector)
    assert query(workspace, "SELECT id, name FROM accounts") == [("webapp:A-1", "Acme")]
    assert query(workspace, "SELECT email, account_id FROM people") == [
        ("ann@acme.example", "webapp:A-1")
    ]
    rows = query(
        workspace, "SELECT id, occurred_at, account_id FROM activities ORDER BY id"
    )
    # A time without an offset is in the source's zone, UTC by default.
    assert rows == [
        ("webapp:E-1", datetime(2024, 5, 1, 10, 0), "webapp:A-1"),
        ("webapp:E-2", datetime(2024, 5, 2, 10, 0), "webapp:A-1"),
    ]


def test_sync_stores_cursor(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    sync(workspace, connector)
    assert cursor_of(workspace, "json-pages:webapp") == "0002.json"


def test_sync_again_loads_nothing(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    sync(workspace, connector)
    again = sync(workspace, connector)
    assert again.imports == []
    assert again.cursor_after == "0002.json"


def test_sync_loads_new_pages_only(
    workspace: Workspace, connector: JsonPagesConnector, pages: Path
) -> None:
    sync(workspace, connector)
    write_page(pages, "0003.json", [visit(3, "2024-05-03T10:00:00Z")])
    summary = sync(workspace, connector)
    assert [item.files[0].path.name for item in summary.imports] == ["0003.json"]
    assert query(workspace, "SELECT count(*) FROM activities") == [(3,)]


def test_sync_resumes_after_stop(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    first = sync(workspace, connector, max_pages=1)
    second = sync(workspace, connector)
    assert first.cursor_after == "0001.json"
    assert second.cursor_before == "0001.json"
    assert [item.files[0].path.name for item in second.imports] == ["0002.json"]


def test_sync_page_reloaded_unchanged(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    sync(workspace, connector)
    # A sync stopped after loading a page but before storing its cursor.
    with workspace.open_store() as store:
        store.execute(
            "DELETE FROM meta WHERE key = 'connector_cursor:json-pages:webapp'"
        )
    again = sync(workspace, connector)
    assert again.imports[0].total("unchanged") == 2
    assert again.imports[1].total("unchanged") == 2
    assert again.imports[1].total("loaded") == 0


def test_sync_dry_run_keeps_cursor(
    workspace: Workspace, connector: JsonPagesConnector
) -> None:
    summary = sync(workspace, connector, ImportOptions(dry_run=True))
    assert len(summary.imports) == 2
    assert cursor_of(workspace, "json-pages:webapp") is None
    assert query(workspace, "SELECT count(*) FROM accounts") == [(0,)]


@pytest.mark.parametrize(
    ("values", "column", "value", "reason"),
    [
        ({"score": 11, "responded_at": "2024-05-01"}, "score", "11", "0 to 10"),
        ({"score": "N/A", "responded_at": "2024-05-01"}, "score", "N/A", "not a"),
        ({"score": 9, "responded_at": "soon"}, "responded_at", "soon", "date"),
        ({"score": 9}, "responded_at", None, "required value is missing"),
        (
            {"score": 9, "responded_at": "2024-05-01", "mood": "ok"},
            "mood",
            "ok",
            "not a source column of nps_responses",
        ),
    ],
)
def test_bad_record_fails(
    workspace: Workspace,
    tmp_path: Path,
    values: dict[str, Any],
    column: str,
    value: str | None,
    reason: str,
) -> None:
    folder = tmp_path / "survey"
    folder.mkdir()
    page = write_page(
        folder,
        "0001.json",
        [
            {
                "table": "nps_responses",
                "id": "R-1",
                "values": {"score": 8, "responded_at": "2024-05-01"},
            },
            {"table": "nps_responses", "id": "R-2", "values": values},
        ],
    )
    connector = JsonPagesConnector(folder, "survey")
    with pytest.raises(RejectLimitError) as raised:
        sync(workspace, connector)
    message = str(raised.value)
    where = f"{page}, line 2, column {column!r}"
    assert where + (f", value {value!r}" if value is not None else "") in message
    assert reason in message
    assert cursor_of(workspace, "json-pages:survey") is None
    assert query(workspace, "SELECT count(*) FROM nps_responses") == [(0,)]


def test_unknown_table_fails(workspace: Workspace, tmp_path: Path) -> None:
    page = write_page(tmp_path, "0001.json", [{"table": "deals", "id": "D-1"}])
    with pytest.raises(RejectLimitError) as raised:
        sync(workspace, JsonPagesConnector(tmp_path, "crm"))
    assert f"{page}, line 1, column 'table', value 'deals'" in str(raised.value)


def test_invalid_json_fails(workspace: Workspace, tmp_path: Path) -> None:
    page = tmp_path / "0001.json"
    page.write_text('{"records": [\n  {"table": "accounts",}\n]}', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        sync(workspace, JsonPagesConnector(tmp_path, "crm"))
    assert f"{page}, line 2, column 'character 24'" in str(raised.value)
    assert "invalid JSON" in str(raised.value)


def test_page_without_records_fails(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "0001.json").write_text('{"items": []}', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        sync(workspace, JsonPagesConnector(tmp_path, "crm"))
    assert 'a page is a JSON object with a "records" list' in str(raised.value)


def test_missing_folder_fails(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        sync(workspace, JsonPagesConnector(tmp_path / "absent", "crm"))
    assert "folder not found" in str(raised.value)


def test_cursor_per_connector_name(workspace: Workspace, pages: Path) -> None:
    sync(workspace, JsonPagesConnector(pages, "webapp", name="eu"))
    assert cursor_of(workspace, "eu") == "0002.json"
    assert cursor_of(workspace, "json-pages:webapp") is None
