"""The PDCA API on a real server, and the PDCA page in headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from abmkpi.pdca.checks import low_performers
from abmkpi.pdca.patterns import PatternScope, pattern_report
from abmkpi.tokens import Role, create_token
from abmkpi.usage import UsageKind, last_usage
from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, SCREENSHOTS, chromium_path
from tests.pdca_support import build, key
from tests.test_pdca_checks import PERIOD, _rows
from tests.web_support import Server, error_of, serving


class Served:
    def __init__(self, server: Server, tokens: dict[str, str]):
        self.server = server
        self.tokens = tokens

    def get(self, path: str, role: str | None = "viewer") -> Any:
        token = self.tokens[role] if role else None
        with self.server.client(token) as client:
            return client.get(path)

    def post(self, path: str, body: Any, role: str | None = "editor") -> Any:
        token = self.tokens[role] if role else None
        with self.server.client(token) as client:
            return client.post(path, json=body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workspace = Workspace.init(tmp_path_factory.mktemp("pdca-web") / "ws")
    build(workspace, _rows())
    tokens = {}
    with workspace.open_store() as store:
        for role in Role:
            tokens[role.value] = create_token(store, f"test {role}", role)[1]
    with serving(workspace) as (server, _):
        yield Served(server, tokens)


def _reference(served: Served, run: Any) -> Any:
    state = served.server.state
    period = state.workspace.calendar.parse(PERIOD)
    with state.reader() as store:
        return run(store, state.workspace.settings, period)


def test_low_performers_match_function(served: Served) -> None:
    response = served.get(f"/api/v1/pdca/low-performers?period={PERIOD}")
    assert response.status_code == 200
    expected = _reference(
        served, lambda s, c, p: [e.to_dict() for e in low_performers(s, c, p)]
    )
    assert response.json()["low_performers"] == expected


def test_patterns_match_function(served: Served) -> None:
    response = served.get(f"/api/v1/pdca/patterns?period={PERIOD}&scope=all")
    assert response.status_code == 200
    expected = _reference(
        served, lambda s, c, p: pattern_report(s, c, p, None, PatternScope.ALL)
    )
    document = response.json()
    # Of six targets and one other account, only 'deals' opened a deal.
    assert (document["accounts"], document["reached"]) == (7, 1)
    assert document == json.loads(json.dumps(expected.to_dict()))


def test_patterns_reject_bad_scope(served: Served) -> None:
    response = served.get(f"/api/v1/pdca/patterns?period={PERIOD}&scope=some")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "query.scope"


def test_add_action_needs_token(served: Served) -> None:
    response = served.post("/api/v1/pdca/actions", {"account": "x"}, role=None)
    assert response.status_code == 401


def test_add_action_needs_editor(served: Served) -> None:
    body = {"account": key("hot"), "title": "Call"}
    response = served.post("/api/v1/pdca/actions", body, role="viewer")
    assert response.status_code == 403


def test_add_action_unknown_account(served: Served) -> None:
    body = {"account": "nobody", "title": "Call"}
    response = served.post("/api/v1/pdca/actions", body)
    assert response.status_code == 404


def test_add_action_bad_rule(served: Served) -> None:
    body = {"account": key("hot"), "title": "Call", "rule": "bad"}
    response = served.post("/api/v1/pdca/actions", body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "body.rule"


def test_action_add_done_review(served: Served) -> None:
    body = {
        "account": key("hot"),
        "title": "営業から電話",
        "owner": "佐藤",
        "due_date": "2025-04-10",
        "rule": "mqa_without_follow_up",
    }
    added = served.post("/api/v1/pdca/actions", body)
    assert added.status_code == 201
    action = added.json()
    assert (action["status"], action["owner"], action["due_date"]) == (
        "open",
        "佐藤",
        "2025-04-10",
    )
    done = served.post(f"/api/v1/pdca/actions/{action['id']}/done", {"note": "済"})
    assert done.json()["status"] == "done"
    again = served.post(f"/api/v1/pdca/actions/{action['id']}/done", {})
    assert again.status_code == 422
    listed = served.get("/api/v1/pdca/actions?status=done").json()["actions"]
    assert [(item["id"], item["note"]) for item in listed] == [(action["id"], "済")]
    review = served.post("/api/v1/pdca/review", None)
    assert review.status_code == 200
    with served.server.state.reader() as store:
        assert last_usage(store, UsageKind.PDCA_REVIEWED) is not None


# The page ---------------------------------------------------------------------

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def test_page_logs_and_closes_action(served: Served, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.server.url}/pdca?period={PERIOD}&lang=ja")

    row = page.locator('tr[data-account="csv:hot"][data-rule="mqa_without_follow_up"]')
    assert "MQA未フォロー" in row.inner_text()
    assert "SLA（48時間）以内に営業から電話でフォローしましょう。" in row.inner_text()
    weak = page.locator('.pattern-table tr[data-weak="true"]')
    assert weak.count() == page.locator(".pattern-table tbody tr").count()
    assert "根拠が弱い" in weak.first.inner_text()

    row.get_by_role("button").click()
    page.wait_for_load_state()
    logged = page.locator('.action-table tr[data-status="open"]').last
    assert "SLA（48時間）以内" in logged.inner_text()
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / "pdca.png"), full_page=True)

    action_id = logged.get_attribute("data-action")
    logged.locator('[data-role="done"]').click()
    page.wait_for_load_state()
    closed = page.locator(f'.action-table tr[data-action="{action_id}"]')
    assert closed.get_attribute("data-status") == "done"
    assert errors == []
    context.close()


def test_page_form_needs_csrf(served: Served) -> None:
    with served.server.client(None) as client:
        response = client.post(
            "/pdca/actions", data={"account": key("hot"), "title": "Call"}
        )
    assert response.status_code == 403


def test_page_shows_holm_and_raw_p(served: Served) -> None:
    response = served.get(f"/pdca?period={PERIOD}&scope=all&lang=ja")
    assert response.status_code == 200
    html = response.text
    assert "p値（Holm 補正）" in html
    assert "p値（補正前）" in html
    report = _reference(
        served, lambda s, c, p: pattern_report(s, c, p, None, PatternScope.ALL)
    )
    assert report.patterns
    for pattern in report.patterns:
        start = html.index(f'data-key="{pattern.key}"')
        row = html[start : html.index("</tr>", start)]
        adjusted = f'data-role="p-adjusted">{pattern.p_adjusted:.2g}</td>'
        raw = f'data-role="p-raw">{pattern.p_value:.2g}</td>'
        assert adjusted in row
        assert raw in row
