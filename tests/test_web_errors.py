"""The API's one JSON error envelope, pinned for every kind of error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from abmkpi.errors import AbmkpiError, NotFoundError, PeriodError, StoreError
from abmkpi.web.app import create_app
from abmkpi.web.errors import ApiError
from abmkpi.workspace import Workspace


class Body(BaseModel):
    count: int


def _app(workspace: Workspace) -> FastAPI:
    app = create_app(workspace)

    @app.get("/raise/{kind}")
    def raise_error(kind: str) -> None:
        errors: dict[str, Exception] = {
            "api": ApiError(409, "already there", details=[{"field": "id"}]),
            "missing": NotFoundError("account 'x' not found"),
            "period": PeriodError("invalid period 'FY24'"),
            "abmkpi": AbmkpiError("bad input"),
            "crash": RuntimeError("secret internals"),
            "leak": RuntimeError("no row for taro.yamada@example.co.jp"),
            "store": StoreError("constraint failed", "people", "INSERT …"),
        }
        raise errors[kind]

    @app.post("/body")
    def take_body(body: Body) -> dict[str, int]:
        return {"count": body.count}

    return app


@pytest.fixture
def client(workspace: Workspace) -> TestClient:
    return TestClient(_app(workspace), raise_server_exceptions=False)


def _error(response: Any) -> dict[str, Any]:
    document = response.json()
    assert set(document) == {"error"}
    assert set(document["error"]) == {"status", "code", "message", "details"}
    assert document["error"]["status"] == response.status_code
    return document["error"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("api", 409, "conflict"),
        ("missing", 404, "not_found"),
        ("period", 422, "invalid_request"),
        ("abmkpi", 400, "bad_request"),
        ("crash", 500, "internal_error"),
    ],
)
def test_raised_errors_use_envelope(
    client: TestClient, kind: str, status: int, code: str
) -> None:
    response = client.get(f"/raise/{kind}")
    error = _error(response)
    assert response.status_code == status
    assert error["code"] == code


def test_error_log_masks_addresses(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="abmkpi.web.errors"):
        response = client.get("/raise/leak")
    assert response.status_code == 500
    assert "taro.yamada@example.co.jp" not in caplog.text
    assert "no row for [redacted]" in caplog.text


def test_store_error_is_500(client: TestClient) -> None:
    response = client.get("/raise/store")
    error = _error(response)
    assert response.status_code == 500
    assert "INSERT" not in error["message"]


def test_unexpected_error_hides_internals(client: TestClient) -> None:
    error = _error(client.get("/raise/crash"))
    assert "secret" not in error["message"]


def test_unknown_route_uses_envelope(client: TestClient) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_validation_error_lists_fields(client: TestClient) -> None:
    response = client.post("/body", json={"count": "many"})
    error = _error(response)
    assert response.status_code == 422
    assert error["details"][0]["field"] == "body.count"


def test_wrong_method_uses_envelope(client: TestClient) -> None:
    response = client.delete("/body")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
