"""The JSON API on a real uvicorn server over a small demo workspace.

Numbers are compared with the functions the CLI prints: compute_kpis,
list_accounts, account_detail and the match report, run on the same store.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from abmkpi import derive
from abmkpi.demo import DemoSize, generate
from abmkpi.matching.report import build_match_report
from abmkpi.metrics.accounts import (
    JOURNEY_STAGES,
    SORT_KEYS,
    account_detail,
    list_accounts,
)
from abmkpi.metrics.compute import compute_kpis
from abmkpi.store.schema import SCHEMA_VERSION
from abmkpi.tokens import Role, create_token
from abmkpi.web.api import ROUTERS
from abmkpi.web.api_accounts import JourneyStage, SortKey
from abmkpi.web.api_models import AccountPage, Health, KpiReportModel, MatchReportModel
from abmkpi.workspace import Workspace
from tests.web_support import LogCapture, Server, error_of, serving

END = date(2025, 3, 31)
PERIOD = "FY2024-Q4"
SIZE = DemoSize(accounts=300, activities=20_000, target_accounts=12)
README = Path(__file__).resolve().parents[1] / "README.md"


class Context:
    """The served demo workspace, its tokens and the captured server log."""

    def __init__(self, server: Server, logs: LogCapture, tokens: dict[str, str]):
        self.server = server
        self.logs = logs
        self.tokens = tokens

    def client(self, role: str | None = "viewer") -> httpx.Client:
        return self.server.client(self.tokens[role] if role else None)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    root = tmp_path_factory.mktemp("api-demo") / "ws"
    workspace = Workspace.init(root)
    generate(workspace, SIZE, seed=5, end_date=END)
    workspace = Workspace.load(root)
    tokens = {}
    with workspace.open_store() as store:
        for role in Role:
            tokens[role.value] = create_token(store, f"test {role}", role)[1]
        store.execute(
            "INSERT INTO imports VALUES (90, 'marketo', '2025-03-01 01:00:00', "
            "'2025-03-01 01:00:05', 12, 10, 1, 0, 0, 1, 0, NULL, 'loaded 10 rows')"
        )
        store.execute(
            "INSERT INTO import_files VALUES (90, 'leads.csv', 'leads', 'abc', "
            "'utf-8', 12, 10, 1, 0, 0, 1, 0)"
        )
    with serving(workspace) as (server, logs):
        server.state.keep_alive = 0.5
        yield Context(server, logs, tokens)


def reference(api: Context, run: Any) -> Any:
    """Run a function on the served store, as the CLI would on the file."""
    with api.server.state.reader() as store:
        return run(store, api.server.state.workspace.settings)


def close(first: Any, second: Any, path: str = "") -> None:
    """Assert two documents are equal, floats to 1e-9 relative (DuckDB's
    parallel sums can differ in the last bits between runs)."""
    if isinstance(first, float) or isinstance(second, float):
        assert isinstance(first, int | float), path
        assert isinstance(second, int | float), path
        assert math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-9), path
    elif isinstance(first, dict):
        assert isinstance(second, dict), path
        assert first.keys() == second.keys(), path
        for key in first:
            close(first[key], second[key], f"{path}.{key}")
    elif isinstance(first, list):
        assert isinstance(second, list), path
        assert len(first) == len(second), path
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            close(a, b, f"{path}[{index}]")
    else:
        assert first == second, path


def cli_document(document: Any) -> Any:
    """Round-trip a document through JSON as `abmkpi kpi --format json` does."""
    return json.loads(json.dumps(document, default=str))


# Routes and documentation ----------------------------------------------------


def api_routes() -> set[tuple[str, str]]:
    """Every method and path of the API routers the app includes."""
    return {
        (method, route.path_format)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_openapi_lists_every_route(api: Context) -> None:
    schema = api.client(None).get("/api/openapi.json").json()
    routes = api_routes()
    # The routers of every feature are included (each lists its own routes).
    assert ("GET", "/api/v1/health") in routes
    assert ("POST", "/api/v1/activities") in routes
    assert ("GET", "/api/v1/journey") in routes
    assert ("GET", "/api/v1/pdca/patterns") in routes
    assert ("GET", "/api/v1/diagnostics") in routes
    assert ("POST", "/api/v1/handoffs/{handoff_id}/ack") in routes
    for method, path in routes:
        assert method.lower() in schema["paths"][path], f"{method} {path}"


def test_readme_documents_every_route() -> None:
    text = README.read_text(encoding="utf-8")
    for method, path in api_routes():
        assert f"{method} {path}" in text, f"README does not document {method} {path}"


def test_literal_types_match_metrics() -> None:
    assert set(SortKey.__args__) == set(SORT_KEYS)
    assert set(JourneyStage.__args__) == set(JOURNEY_STAGES)


# KPIs and funnel ---------------------------------------------------------------


def test_kpis_equal_compute_kpis(api: Context) -> None:
    response = api.client().get("/api/v1/kpis", params={"period": PERIOD})
    period = api.server.state.workspace.calendar.parse(PERIOD)
    expected = reference(api, lambda store, s: compute_kpis(store, s, period))
    assert response.status_code == 200
    KpiReportModel.model_validate(response.json())
    close(response.json(), cli_document(expected.to_dict()))


def test_kpis_of_segments_and_ids(api: Context) -> None:
    response = api.client().get(
        "/api/v1/kpis",
        params=[
            ("period", PERIOD),
            ("segment", "target"),
            ("segment", "tier:1"),
            ("kpi", "contact_rate"),
            ("kpi", "win_rate"),
        ],
    )
    period = api.server.state.workspace.calendar.parse(PERIOD)
    expected = reference(
        api, lambda store, s: compute_kpis(store, s, period, ["target", "tier:1"])
    )
    document = response.json()
    wanted = [
        r
        for r in cli_document(expected.to_dict())["results"]
        if r["id"] in ("contact_rate", "win_rate")
    ]
    assert document["segments"] == ["target", "tier:1"]
    assert [(r["id"], r["segment"]) for r in document["results"]] == [
        ("contact_rate", "target"),
        ("win_rate", "target"),
        ("contact_rate", "tier:1"),
        ("win_rate", "tier:1"),
    ]
    close(document["results"], wanted)


def test_kpis_customer_success(api: Context) -> None:
    response = api.client().get(
        "/api/v1/kpis",
        params=[
            ("period", PERIOD),
            ("segment", "all"),
            ("kpi", "renewal_rate"),
            ("kpi", "nps"),
        ],
    )
    period = api.server.state.workspace.calendar.parse(PERIOD)
    expected = reference(api, lambda store, s: compute_kpis(store, s, period, ["all"]))
    wanted = [
        r
        for r in cli_document(expected.to_dict())["results"]
        if r["id"] in ("renewal_rate", "nps")
    ]
    document = response.json()
    assert [r["id"] for r in document["results"]] == ["renewal_rate", "nps"]
    assert document["results"][0]["value"] is not None
    close(document["results"], wanted)


def test_kpis_of_one_account(api: Context) -> None:
    response = api.client().get(
        "/api/v1/kpis", params={"period": PERIOD, "segment": "account:demo:acc2"}
    )
    period = api.server.state.workspace.calendar.parse(PERIOD)
    expected = reference(
        api, lambda store, s: compute_kpis(store, s, period, ["account:demo:acc2"])
    )
    close(response.json(), cli_document(expected.to_dict()))


def test_funnel_counts_journey_stages(api: Context) -> None:
    document = api.client().get("/api/v1/funnel", params={"period": PERIOD}).json()
    period = api.server.state.workspace.calendar.parse(PERIOD)
    rows = reference(api, lambda store, s: list_accounts(store, s, period))
    everyone = Counter(row["journey_stage"] for row in rows)
    targets = Counter(row["journey_stage"] for row in rows if row["seg"] == "target")
    assert document["stages"] == list(reversed(JOURNEY_STAGES))
    assert document["all"] == {stage: everyone[stage] for stage in document["stages"]}
    assert document["target"] == {stage: targets[stage] for stage in document["stages"]}
    assert sum(document["all"].values()) == 300
    assert sum(document["target"].values()) == 12


# Accounts ------------------------------------------------------------------------


def accounts(api: Context, **params: Any) -> dict[str, Any]:
    response = api.client().get("/api/v1/accounts", params={"period": PERIOD, **params})
    assert response.status_code == 200, response.text
    AccountPage.model_validate(response.json())
    document: dict[str, Any] = response.json()
    return document


def listed(api: Context, sort: str = "score") -> list[dict[str, Any]]:
    period = api.server.state.workspace.calendar.parse(PERIOD)
    rows: list[dict[str, Any]] = reference(
        api, lambda store, s: list_accounts(store, s, period, sort)
    )
    return rows


@pytest.mark.parametrize("sort", ["score", "name", "tier", "stage", "won", "people"])
def test_accounts_sorted_as_cli(api: Context, sort: str) -> None:
    expected = [row["id"] for row in listed(api, sort)]
    first = accounts(api, sort=sort, page_size=40)
    second = accounts(api, sort=sort, page_size=40, page=2)
    assert first["total"] == 300
    assert first["pages"] == 8
    assert [r["id"] for r in first["accounts"] + second["accounts"]] == expected[:80]


def test_accounts_order_reverses(api: Context) -> None:
    document = accounts(api, sort="name", order="desc", page_size=500)
    names = [row["name"] for row in document["accounts"]]
    assert document["order"] == "desc"
    assert names == sorted(names, reverse=True)


def test_accounts_filters(api: Context) -> None:
    rows = listed(api)
    cases: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
        ({"tier": [1, 2]}, [r for r in rows if r["tier"] in (1, 2)]),
        (
            {"stage": ["customer"]},
            [r for r in rows if r["journey_stage"] == "customer"],
        ),
        ({"min_score": 20}, [r for r in rows if r["score"] >= 20]),
        ({"target": "true"}, [r for r in rows if r["seg"] == "target"]),
        ({"target": "false"}, [r for r in rows if r["seg"] == "non_target"]),
        (
            {"owner": rows[0]["owner"]},
            [r for r in rows if r["owner"] == rows[0]["owner"]],
        ),
        ({"q": "ACC1"}, [r for r in rows if "acc1" in r["id"]]),
    ]
    for params, expected in cases:
        document = accounts(api, page_size=500, **params)
        assert expected, params
        assert document["total"] == len(expected), params
        assert [r["id"] for r in document["accounts"]] == [r["id"] for r in expected]


def test_accounts_search_folds_width(api: Context) -> None:
    rows = listed(api)
    name = next(r["name"] for r in rows if r["name"] and r["name"].isascii())
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    document = accounts(api, q=fullwidth[:6], page_size=500)
    assert name in [row["name"] for row in document["accounts"]]


def test_accounts_page_past_end_is_empty(api: Context) -> None:
    document = accounts(api, page=99, page_size=50)
    assert document["total"] == 300
    assert document["accounts"] == []


def test_account_detail_equals_cli(api: Context) -> None:
    response = api.client().get("/api/v1/accounts/demo:acc3", params={"period": PERIOD})
    period = api.server.state.workspace.calendar.parse(PERIOD)
    detail = reference(
        api, lambda store, s: account_detail(store, s, "demo:acc3", period)
    )
    expected = detail.to_dict()
    document = response.json()
    assert response.status_code == 200
    assert document["account"]["id"] == "demo:acc3"
    assert math.isclose(document["score"], expected["score"], rel_tol=1e-9)
    assert [r["id"] for r in document["top_activities"]] == [
        r["id"] for r in expected["top_activities"]
    ]
    assert len(document["timeline"]) == len(expected["timeline"])
    assert [p["id"] for p in document["people"]] == [
        p["id"] for p in expected["people"]
    ]


def test_unknown_account_is_404(api: Context) -> None:
    response = api.client().get("/api/v1/accounts/demo:nope", params={"period": PERIOD})
    error = error_of(response)
    assert response.status_code == 404
    assert "demo:nope" in error["message"]


# Data status ---------------------------------------------------------------------


def test_imports_list_files(api: Context) -> None:
    document = api.client().get("/api/v1/imports").json()
    assert document["total"] == 1
    entry = document["imports"][0]
    assert (entry["id"], entry["source_system"], entry["rows_loaded"]) == (
        90,
        "marketo",
        10,
    )
    assert entry["finished_at"] == "2025-03-01T01:00:05Z"
    assert entry["files"] == [
        {
            "path": "leads.csv",
            "object": "leads",
            "encoding": "utf-8",
            "rows_read": 12,
            "rows_loaded": 10,
            "rows_updated": 1,
            "rows_unchanged": 0,
            "rows_deleted": 0,
            "rows_skipped": 1,
            "rows_rejected": 0,
        }
    ]


def test_health_reports_freshness(api: Context) -> None:
    document = api.client().get("/api/v1/health").json()
    count, latest = reference(
        api,
        lambda store, s: store.fetch_one(
            "SELECT count(*), max(occurred_at) FROM activities WHERE NOT is_deleted"
        ),
    )
    Health.model_validate(document)
    assert document["activities"] == count
    assert document["latest_activity_at"] == latest.isoformat(timespec="seconds") + "Z"
    assert document["latest_import_id"] == 90
    assert document["schema_version"] == SCHEMA_VERSION


def test_match_report_equals_cli(api: Context) -> None:
    document = api.client().get("/api/v1/match-report", params={"max_items": 5}).json()
    expected = reference(api, lambda store, s: build_match_report(store, 5))
    MatchReportModel.model_validate(document)
    close(document, cli_document(expected.to_dict()))


# Errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/kpis", {"period": "FY24"}, "query.period"),
        ("/api/v1/kpis", {"period": "FY2024-Q7"}, "query.period"),
        ("/api/v1/kpis", {"segment": "tier:x"}, "query.segment"),
        ("/api/v1/kpis", {"kpi": "revenue"}, "query.kpi"),
        ("/api/v1/funnel", {"period": "2024-13"}, "query.period"),
        ("/api/v1/accounts", {"sort": "size"}, "query.sort"),
        ("/api/v1/accounts", {"order": "up"}, "query.order"),
        ("/api/v1/accounts", {"page": 0}, "query.page"),
        ("/api/v1/accounts", {"page_size": 501}, "query.page_size"),
        ("/api/v1/accounts", {"tier": "gold"}, "query.tier.0"),
        ("/api/v1/accounts", {"stage": "lead"}, "query.stage.0"),
        ("/api/v1/accounts", {"min_score": -1}, "query.min_score"),
        ("/api/v1/accounts", {"target": "maybe"}, "query.target"),
        ("/api/v1/accounts/demo:acc1", {"top": 0}, "query.top"),
        ("/api/v1/imports", {"limit": 0}, "query.limit"),
        ("/api/v1/match-report", {"max_items": -1}, "query.max_items"),
    ],
)
def test_invalid_parameter_named(
    api: Context, path: str, params: dict[str, Any], field: str
) -> None:
    response = api.client().get(path, params=params)
    error = error_of(response)
    assert response.status_code == 422
    assert error["code"] == "invalid_request"
    assert [d["field"] for d in error["details"]] == [field]


def test_unknown_route_and_method_use_envelope(api: Context) -> None:
    missing = api.client().get("/api/v1/nothing")
    wrong = api.client("editor").delete("/api/v1/kpis")
    assert error_of(missing)["code"] == "not_found"
    assert error_of(wrong)["code"] == "method_not_allowed"


# Live ingest ---------------------------------------------------------------------


def events(prefix: str, count: int, **fields: Any) -> dict[str, Any]:
    base = {"occurred_at": "2025-02-10T09:00:00+09:00", "type": "event_attended"}
    return {
        "events": [
            {"event_id": f"{prefix}-{i}", **base, **fields} for i in range(count)
        ]
    }


def test_ingest_needs_editor(api: Context) -> None:
    body = events("auth", 1, account_id="demo:acc1")
    anonymous = api.client(None).post("/api/v1/activities", json=body)
    viewer = api.client("viewer").post("/api/v1/activities", json=body)
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthorized"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert viewer.status_code == 403
    assert error_of(viewer)["code"] == "forbidden"


def test_ingest_lists_each_bad_field(api: Context) -> None:
    body = events("bad", 5, account_id="demo:acc1")
    body["events"][0]["occurred_at"] = "2025-02-10T09:00:00"
    body["events"][1]["type"] = "webinar"
    body["events"][2]["email"] = "not-an-address"
    del body["events"][3]["account_id"]
    body["events"][4]["occurred_at"] = "2999-01-01T00:00:00Z"
    body["events"][4]["colour"] = "blue"
    response = api.client("editor").post("/api/v1/activities", json=body)
    error = error_of(response)
    fields = [detail["field"] for detail in error["details"]]
    assert response.status_code == 422
    assert fields == [
        "body.events.0.occurred_at",
        "body.events.1.type",
        "body.events.2.email",
        "body.events.3",
        "body.events.4.occurred_at",
        "body.events.4.colour",
    ]
    assert "offset" in error["details"][0]["problem"]
    assert "future" in error["details"][4]["problem"]


def test_replayed_batch_adds_nothing(api: Context) -> None:
    body = events("replay", 3, email="replay.person@replay.example")
    client = api.client("editor")
    first = client.post("/api/v1/activities", json=body).json()
    second = client.post("/api/v1/activities", json=body).json()
    assert (first["received"], first["inserted"], first["duplicates"]) == (3, 3, 0)
    assert first["people_created"] == 1
    assert first["unmatched"] == 3
    assert (second["received"], second["inserted"], second["duplicates"]) == (3, 0, 3)
    assert second["people_created"] == 0


def wait_for_event(stream: Iterator[str], deadline: float) -> dict[str, Any]:
    """Read the stream up to the first ``activities`` event and return its data."""
    name = None
    for line in stream:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name == "activities":
            data: dict[str, Any] = json.loads(line.split(":", 1)[1])
            return data
        if time.monotonic() > deadline:
            break
    raise AssertionError("no activities event arrived")


def test_ingest_updates_cached_kpis_and_streams(api: Context) -> None:
    viewer = api.client()
    before = viewer.get("/api/v1/kpis", params={"period": PERIOD}).json()
    body = events("live", 4, account_id="demo:acc6")
    body["events"][3].update(
        account_id=None, email="buyer@acc8-new.example", company=None
    )
    del body["events"][3]["account_id"]
    timeout = httpx.Timeout(60, read=60)
    with (
        api.client().stream("GET", "/api/v1/events", timeout=timeout) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        posted = api.client("editor").post("/api/v1/activities", json=body).json()
        event = wait_for_event(lines, time.monotonic() + 60)
    after = viewer.get("/api/v1/kpis", params={"period": PERIOD}).json()
    period = api.server.state.workspace.calendar.parse(PERIOD)
    cold = reference(api, lambda store, s: compute_kpis(store, s, period))
    assert posted["inserted"] == 4
    assert event["data_version"] == posted["data_version"]
    assert "demo:acc6" in event["accounts"]
    assert event["inserted"] == 4
    assert after != before
    close(after, cli_document(cold.to_dict()))
    assert re.search(
        rf"brought the facts of {PERIOD} to version \d+ \(\d+ accounts\)",
        api.logs.text,
    )


def test_stream_sends_keep_alive(api: Context) -> None:
    with api.client().stream("GET", "/api/v1/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        comments = [line for line in (next(lines), next(lines)) if line]
    assert comments == [": keep-alive"]


def test_ingest_then_full_refresh_changes_nothing(api: Context) -> None:
    body = events("refresh", 3, email="someone@gmail.com")
    body["events"][1]["email"] = "new.contact@acc-refresh.example"
    body["events"][2].pop("email")
    body["events"][2]["domain"] = "www.acc-refresh.example"
    api.client("editor").post("/api/v1/activities", json=body).raise_for_status()
    tables = ("people", "activities", "accounts", "account_domains", "match_issues")
    state = api.server.state
    with state.writer() as store:
        before = {t: store.fetch_all(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
        derive.refresh(store, state.workspace.settings, state.workspace.root)
        after = {t: store.fetch_all(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    for table in tables:
        assert after[table] == before[table], table


def test_logs_hold_no_token_or_address(api: Context) -> None:
    address = "secret.person@private-mail.example"
    editor = api.client("editor")
    editor.post("/api/v1/activities", json=events("privacy", 2, email=address))
    api.client(None).get(f"/api/v1/accounts/{address}", params={"period": PERIOD})
    api.server.client("abmkpi_1_forged-secret").get("/api/v1/health")
    text = api.logs.text
    assert "POST /api/v1/activities 200" in text
    assert address not in text
    assert "@" not in text
    for token in api.tokens.values():
        assert token not in text
        assert token.split("_", 2)[2] not in text
    assert "forged-secret" not in text
