"""Page security: escaping, JSON in script elements, CSRF, login and headers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from abmkpi.tokens import Role, create_token, revoke_token
from abmkpi.web.app import create_app
from abmkpi.web.pages.security import safe_next
from abmkpi.workspace import Workspace
from tests.salesforce_support import csv_text, run_import, write

# What a browser sends when it loads a page.
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
STAGE = "</script><script>alert(3)</script>"
NAME = "<b>Bold & Co</b>"

_ACCOUNTS = csv_text(
    "Id,Name,Website",
    f'001S00000000001AAA,"{NAME}",bold.example',
)
_OPPORTUNITIES = csv_text(
    "Id,AccountId,Name,Type,StageName,Amount,CreatedDate,CloseDate,IsClosed,"
    "IsWon,IsDeleted",
    f'006S00000000001AAA,001S00000000001AAA,Deal,New Business,"{STAGE}",'
    "1000000,2024-05-01T01:00:00.000+0000,2024-08-30,false,false,false",
)


@pytest.fixture
def client(workspace: Workspace, tmp_path: Path) -> Iterator[TestClient]:
    run_import(
        workspace,
        write(tmp_path / "Account.csv", _ACCOUNTS),
        write(tmp_path / "Opportunity.csv", _OPPORTUNITIES),
    )
    app = create_app(workspace)
    with TestClient(app, follow_redirects=False, headers=BROWSER) as test_client:
        yield test_client


def _csrf(client: TestClient) -> str:
    page = client.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_stage_name_kept_inside_json(client: TestClient) -> None:
    page = client.get("/sales?period=FY2024-Q1&segment=all").text
    found = re.search(
        r'<script type="application/json" id="pipeline-figure">(.*?)</script>', page
    )
    assert found is not None
    figure = json.loads(found[1])
    assert STAGE not in page
    # Plotly reads HTML entities in labels, so the label shows the name as text.
    assert figure["data"][0]["y"] == [html.escape(STAGE, quote=False)]


def test_stage_name_escaped_in_table(client: TestClient) -> None:
    page = client.get("/sales?period=FY2024-Q1&segment=all").text
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page


def test_account_name_escaped(client: TestClient) -> None:
    page = client.get("/accounts?period=FY2024-Q1").text
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in page
    assert NAME not in page


def test_pages_send_security_headers(client: TestClient) -> None:
    response = client.get("/accounts?period=FY2024-Q1")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_plotly_served_locally(client: TestClient) -> None:
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000


def test_logout_without_csrf_rejected(client: TestClient) -> None:
    response = client.post("/logout", data={})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


def test_logout_with_wrong_csrf_rejected(client: TestClient) -> None:
    _csrf(client)
    response = client.post("/logout", data={"csrf_token": "guess"})
    assert response.status_code == 403


def test_logout_with_csrf(client: TestClient) -> None:
    response = client.post("/logout", data={"csrf_token": _csrf(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_login_without_csrf_rejected(client: TestClient) -> None:
    response = client.post("/login", data={"token": "abmkpi_1_secret"})
    assert response.status_code == 403


def test_login_with_unknown_token(client: TestClient) -> None:
    data = {"token": "abmkpi_999_nope", "csrf_token": _csrf(client), "next": "/"}
    response = client.post("/login?lang=en", data=data)
    assert response.status_code == 401
    assert "The token is unknown or has been revoked." in response.text


def test_login_opens_pages(
    served: Callable[..., TestClient], workspace: Workspace
) -> None:
    with workspace.open_store() as store:
        _, token = create_token(store, "viewer", Role.VIEWER)
    remote = served("0.0.0.0")
    data = {"token": token, "csrf_token": _csrf(remote), "next": "/health"}
    response = remote.post("/login", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == "/health"
    assert remote.get("/health").status_code == 200


def test_revoked_token_ends_page_session(
    served: Callable[..., TestClient], workspace: Workspace
) -> None:
    with workspace.open_store() as store:
        info, token = create_token(store, "viewer", Role.VIEWER)
    remote = served("0.0.0.0")
    data = {"token": token, "csrf_token": _csrf(remote), "next": "/health"}
    assert remote.post("/login", data=data).status_code == 303
    assert remote.get("/health").status_code == 200
    with workspace.open_store() as store:
        revoke_token(store, info.id)
    response = remote.get("/health")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/health"


def test_open_on_localhost(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


@pytest.fixture
def served(workspace: Workspace) -> Callable[..., TestClient]:
    def make(host: str = "127.0.0.1", settings: Workspace | None = None) -> TestClient:
        app = create_app(settings or workspace, bind_host=host)
        return TestClient(app, follow_redirects=False, headers=BROWSER)

    return make


def test_login_asked_off_localhost(served: Callable[..., TestClient]) -> None:
    response = served("0.0.0.0").get("/accounts?tier=target")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/accounts%3Ftier%3Dtarget"


def test_login_asked_when_configured(
    served: Callable[..., TestClient], make_workspace: Callable[..., Workspace]
) -> None:
    locked = make_workspace(web={"require_login": True})
    response = served(settings=locked).get("/health")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/health"


def test_login_page_open_off_localhost(served: Callable[..., TestClient]) -> None:
    assert served("0.0.0.0").get("/login").status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/accounts?page=2", "/accounts?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_bad_period_is_html_page(client: TestClient) -> None:
    response = client.get("/?period=FY24")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid period &#39;FY24&#39;" in response.text


def test_page_error_json_for_programs(client: TestClient) -> None:
    response = client.get("/?period=FY24", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_api_errors_stay_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
