"""Data status routes of the JSON API: import log, freshness, match report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from abmkpi.matching.report import build_match_report
from abmkpi.store.database import Store
from abmkpi.tokens import Role
from abmkpi.web.api_models import ERROR_RESPONSES, Health, ImportLog, MatchReportModel
from abmkpi.web.auth import require_role
from abmkpi.web.params import DocumentResponse, web_state

router = APIRouter(
    prefix="/api/v1",
    tags=["data status"],
    dependencies=[Depends(require_role(Role.VIEWER))],
    responses=ERROR_RESPONSES,
)

_IMPORT_COLUMNS = (
    "id, source_system, started_at, finished_at, rows_read, rows_loaded, "
    "rows_updated, rows_unchanged, rows_deleted, rows_skipped, rows_rejected, "
    "reject_file, message"
)
_FILE_COLUMNS = (
    "import_id, path, object, encoding, rows_read, rows_loaded, rows_updated, "
    "rows_unchanged, rows_deleted, rows_skipped, rows_rejected"
)


@router.get("/imports", response_model=ImportLog)
def get_imports(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentResponse:
    """List the import log, newest first, with the counts of every file."""
    with web_state(request).reader() as store:
        imports = store.fetch_dicts(
            f"SELECT {_IMPORT_COLUMNS} FROM imports ORDER BY id DESC LIMIT ? OFFSET ?",
            [limit, offset],
        )
        total = int(store.scalar("SELECT count(*) FROM imports"))
        files = _files_of(store, [row["id"] for row in imports])
    for row in imports:
        row["files"] = files.get(row["id"], [])
    return DocumentResponse({"imports": imports, "total": total})


def _files_of(store: Store, import_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not import_ids:
        return {}
    rows = store.fetch_dicts(
        f"""
        SELECT {_FILE_COLUMNS} FROM import_files
        WHERE import_id IN (SELECT unnest(?::BIGINT[]))
        ORDER BY import_id, path, object
        """,
        [import_ids],
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        files.setdefault(row.pop("import_id"), []).append(row)
    return files


@router.get("/health", response_model=Health)
def get_health(request: Request) -> DocumentResponse:
    """Return the data freshness: the latest activity, import and live ingest."""
    state = web_state(request)
    with state.reader() as store:
        activities, latest_activity = store.fetch_one(
            "SELECT count(*), max(occurred_at) FROM activities WHERE NOT is_deleted"
        ) or (0, None)
        latest_import = store.fetch_one(
            "SELECT id, finished_at FROM imports ORDER BY id DESC LIMIT 1"
        ) or (None, None)
        schema_version = store.schema_version()
    return DocumentResponse(
        {
            "status": "ok",
            "workspace": state.workspace.settings.workspace.name,
            "schema_version": schema_version,
            "data_version": state.data_version,
            "activities": activities,
            "latest_activity_at": latest_activity,
            "latest_import_id": latest_import[0],
            "latest_import_at": latest_import[1],
            "latest_ingest_at": state.latest_ingest_at,
            "server_time": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        }
    )


@router.get("/match-report", response_model=MatchReportModel)
def get_match_report(
    request: Request,
    max_items: Annotated[int, Query(ge=0, le=1000)] = 50,
) -> DocumentResponse:
    """Return how each source's people and activities matched to accounts,
    and the records that need attention (as `abmkpi match --report`)."""
    with web_state(request).reader() as store:
        report = build_match_report(store, max_items)
    return DocumentResponse(report.to_dict())
