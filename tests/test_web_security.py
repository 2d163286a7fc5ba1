"""Authentication, roles, body size and rate limits on real uvicorn servers.

The servers run over small workspaces with tight limits. Every error is
checked to come in the one JSON envelope.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import pytest
from fastapi import Body, FastAPI, Request

from abmkpi.tokens import Role, create_token, get_token, revoke_token
from abmkpi.web.auth import authenticate, log_in, login_required
from abmkpi.web.limits import AUTH_FAILURES_PER_MINUTE, RateLimiter
from abmkpi.web.redaction import loggable_path, without_emails
from abmkpi.workspace import Workspace
from tests.web_support import Server, error_of, serving

EVENT = {
    "event_id": "e-1",
    "occurred_at": "2025-02-10T09:00:00+09:00",
    "type": "web_visit",
    "account_id": "demo:acc1",
}


def tokens_for(workspace: Workspace) -> dict[str, str]:
    with workspace.open_store() as store:
        return {role.value: create_token(store, role.value, role)[1] for role in Role}


def add_login_route(app: FastAPI) -> None:
    """A stand-in for the dashboard's login form, which sets the cookie."""

    @app.post("/test-login")
    def login(request: Request, token: str = Body(embed=True)) -> dict[str, bool]:
        with request.app.state.web.reader() as store:
            info = authenticate(store, token)
        if info is not None:
            log_in(request, info)
        return {"ok": info is not None}


@pytest.fixture(scope="module")
def strict(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, dict[str, str]]]:
    root = tmp_path_factory.mktemp("strict") / "ws"
    workspace = Workspace.init(root)
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        text.replace("require_login = false", "require_login = true")
        .replace("max_body_bytes = 1048576", "max_body_bytes = 2048")
        .replace("max_batch_events = 5000", "max_batch_events = 3"),
        encoding="utf-8",
    )
    workspace = Workspace.load(root)
    assert workspace.settings.web.max_body_bytes == 2048
    assert workspace.settings.web.require_login
    tokens = tokens_for(workspace)
    with serving(workspace, prepare=add_login_route) as (server, _):
        yield server, tokens


def test_read_needs_login(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    anonymous = server.client().get("/api/v1/health")
    viewer = server.client(tokens["viewer"]).get("/api/v1/health")
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthorized"
    assert viewer.status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer abmkpi_1_wrong", "Token abc"],
)
def test_bad_credentials_are_401(
    strict: tuple[Server, dict[str, str]], header: str
) -> None:
    server, _ = strict
    response = server.client().get("/api/v1/health", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_session_cookie_logs_in(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    with server.client() as browser:
        refused = browser.post("/test-login", json={"token": "abmkpi_9_nothing"})
        assert refused.json() == {"ok": False}
        assert browser.get("/api/v1/health").status_code == 401
        accepted = browser.post("/test-login", json={"token": tokens["editor"]})
        assert accepted.json() == {"ok": True}
        cookie = browser.cookies.get("abmkpi_session")
        assert cookie is not None
        assert tokens["editor"] not in cookie
        health = browser.get("/api/v1/health")
        posted = browser.post("/api/v1/activities", json={"events": [EVENT]})
    assert health.status_code == 200
    assert posted.status_code == 200


def test_viewer_session_cannot_ingest(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    with server.client() as browser:
        browser.post("/test-login", json={"token": tokens["viewer"]})
        response = browser.post("/api/v1/activities", json={"events": [EVENT]})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_forged_cookie_is_ignored(strict: tuple[Server, dict[str, str]]) -> None:
    server, _ = strict
    client = server.client(cookies={"abmkpi_session": "eyJ0b2tlbl9pZCI6IDF9.x.y"})
    response = client.get("/api/v1/health")
    assert response.status_code == 401


def test_admin_manages_tokens(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    admin = server.client(tokens["admin"])
    created = admin.post("/api/v1/tokens", json={"name": "dashboard", "role": "viewer"})
    token = created.json()["token"]
    assert created.status_code == 201
    assert server.client(token).get("/api/v1/health").status_code == 200
    listed = admin.get("/api/v1/tokens").json()["tokens"]
    assert "dashboard" in [entry["name"] for entry in listed]
    assert token not in json.dumps(listed)
    revoked = admin.delete(f"/api/v1/tokens/{created.json()['id']}")
    assert revoked.json()["revoked_at"] is not None
    after = server.client(token).get("/api/v1/health")
    assert after.status_code == 401
    assert error_of(after)["message"] == "invalid or revoked API token"


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_token_routes_need_admin(
    strict: tuple[Server, dict[str, str]], role: str
) -> None:
    server, tokens = strict
    response = server.client(tokens[role]).get("/api/v1/tokens")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_unknown_token_revocation_is_404(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    response = server.client(tokens["admin"]).delete("/api/v1/tokens/999")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_token_request_validated(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    response = server.client(tokens["admin"]).post(
        "/api/v1/tokens", json={"name": "", "role": "root"}
    )
    fields = [detail["field"] for detail in error_of(response)["details"]]
    assert response.status_code == 422
    assert fields == ["body.name", "body.role"]


def test_declared_large_body_is_413(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    body = {"events": [{**EVENT, "asset": "x" * 3000}]}
    response = server.client(tokens["editor"]).post("/api/v1/activities", json=body)
    error = error_of(response)
    assert response.status_code == 413
    assert error["code"] == "body_too_large"
    assert "2,048 bytes" in error["message"]


def test_chunked_large_body_is_413(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    payload = json.dumps({"events": [{**EVENT, "asset": "x" * 3000}]}).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 500):
            yield payload[start : start + 500]

    response = server.client(tokens["editor"]).post(
        "/api/v1/activities",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


def test_large_body_rejected_before_reading(
    strict: tuple[Server, dict[str, str]],
) -> None:
    """The 413 comes from the Content-Length alone: the body is never sent."""
    server, tokens = strict
    request = (
        "POST /api/v1/activities HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {tokens['editor']}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 100000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as conn:
        conn.sendall(request.encode("ascii"))
        received = b""
        # The server closes after a 413; a close with the body still unread
        # may reach the client as a reset once the reply is in.
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.recv(65536):
                received += chunk
    reply = received.decode("utf-8", "replace")
    status_line, _, rest = reply.partition("\r\n")
    assert status_line == "HTTP/1.1 413 Request Entity Too Large"
    document = json.loads(rest.split("\r\n\r\n", 1)[1])
    assert document["error"]["code"] == "body_too_large"


def test_batch_over_limit_is_422(strict: tuple[Server, dict[str, str]]) -> None:
    server, tokens = strict
    events = [{**EVENT, "event_id": f"e-{i}"} for i in range(4)]
    response = server.client(tokens["editor"]).post(
        "/api/v1/activities", json={"events": events}
    )
    error = error_of(response)
    assert response.status_code == 422
    assert error["details"] == [
        {"field": "body.events", "problem": "4 events; send at most 3"}
    ]


def test_empty_and_malformed_bodies_are_422(
    strict: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = strict
    client = server.client(tokens["editor"])
    empty = client.post("/api/v1/activities", json={"events": []})
    broken = client.post(
        "/api/v1/activities",
        content=b'{"events": [',
        headers={"Content-Type": "application/json"},
    )
    assert empty.status_code == 422
    assert error_of(empty)["details"][0]["field"] == "body.events"
    assert broken.status_code == 422
    assert error_of(broken)["code"] == "invalid_request"


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, dict[str, str]]]:
    root = tmp_path_factory.mktemp("limited") / "ws"
    workspace = Workspace.init(root)
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        text.replace("rate_limit_per_minute = 600", "rate_limit_per_minute = 5"),
        encoding="utf-8",
    )
    workspace = Workspace.load(root)
    assert workspace.settings.web.rate_limit_per_minute == 5
    tokens = tokens_for(workspace)
    with serving(workspace) as (server, _):
        yield server, tokens


def test_rate_limit_per_token(limited: tuple[Server, dict[str, str]]) -> None:
    server, tokens = limited
    viewer = server.client(tokens["viewer"])
    statuses = [viewer.get("/api/v1/health").status_code for _ in range(6)]
    refused = viewer.get("/api/v1/health")
    other = server.client(tokens["editor"]).get("/api/v1/health")
    assert statuses == [200] * 5 + [429]
    assert error_of(refused)["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 12
    assert other.status_code == 200


def test_rate_limit_per_client_address(
    limited: tuple[Server, dict[str, str]],
) -> None:
    server, _ = limited
    anonymous = server.client()
    statuses = [anonymous.get("/api/v1/health").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_failed_logins_are_limited(limited: tuple[Server, dict[str, str]]) -> None:
    server, tokens = limited
    valid = server.client(tokens["admin"])
    assert valid.get("/api/v1/tokens").status_code == 200
    # Unknown ids fail fast; a few extra attempts absorb the bucket's refill
    # (one attempt every 3 s) on a slow machine.
    statuses = [
        server.client(f"abmkpi_{1000 + i}_guess").get("/api/v1/health").status_code
        for i in range(AUTH_FAILURES_PER_MINUTE + 5)
    ]
    assert statuses[:AUTH_FAILURES_PER_MINUTE] == [401] * AUTH_FAILURES_PER_MINUTE
    assert 429 in statuses[AUTH_FAILURES_PER_MINUTE:]
    assert valid.get("/api/v1/tokens").status_code == 200


@pytest.fixture(scope="module")
def remote(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, dict[str, str]]]:
    """An app configured as bound to all addresses (it listens on 127.0.0.1)."""
    workspace = Workspace.init(tmp_path_factory.mktemp("remote") / "ws")
    tokens = tokens_for(workspace)
    with serving(workspace, bind_host="0.0.0.0") as (server, _):
        yield server, tokens


def test_remote_binding_needs_login(remote: tuple[Server, dict[str, str]]) -> None:
    server, tokens = remote
    assert login_required(server.state)
    assert server.client().get("/api/v1/kpis").status_code == 401
    assert server.client(tokens["viewer"]).get("/api/v1/kpis").status_code == 200


def test_local_binding_reads_openly(workspace: Workspace) -> None:
    with serving(workspace) as (server, _):
        assert not login_required(server.state)
        assert server.client().get("/api/v1/health").status_code == 200
        assert server.client().get("/api/v1/tokens").status_code == 401


def test_rate_limiter_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert limiter.hit("a") is None
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 30
    now[0] = 30.0
    assert limiter.hit("a") is None
    assert limiter.hit("b") is None


def test_loggable_path_masks_addresses() -> None:
    assert loggable_path("/api/v1/accounts/a.b@example.jp") == (
        "/api/v1/accounts/[redacted]"
    )
    assert loggable_path("/api/v1/accounts/demo:acc1") == "/api/v1/accounts/demo:acc1"


def test_authenticate_checks_secret_and_revocation(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        info, token = create_token(store, "one", Role.ADMIN)
        _, other = create_token(store, "two", Role.ADMIN)
        forged = f"abmkpi_{info.id}_{other.split('_', 2)[2]}"
        assert authenticate(store, token) == info
        assert authenticate(store, forged) is None
        assert authenticate(store, "abmkpi_999_whatever") is None
        revoke_token(store, info.id)
        assert authenticate(store, token) is None


def test_authenticate_records_last_use(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        info, token = create_token(store, "one", Role.VIEWER)
        authenticate(store, token)
        used = get_token(store, info.id)
    assert used is not None
    assert used.last_used_at is not None


def test_email_masked_in_messages() -> None:
    text = 'Duplicate key "email: taro.yamada@example.co.jp" in people'
    assert without_emails(text) == 'Duplicate key "email: [redacted]" in people'
