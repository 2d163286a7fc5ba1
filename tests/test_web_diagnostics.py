"""The diagnostics page in headless Chromium and GET /api/v1/diagnostics, on a
real uvicorn server over a small demo workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from abmkpi.diagnostics import CHECKS, run_diagnostics
from abmkpi.web.api_models import DiagnosticsModel
from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, SCREENSHOTS, chromium_path
from tests.diagnostics_support import build_demo
from tests.web_support import Server, serving

playwright_api = pytest.importorskip("playwright.sync_api")

# Items whose status depends on the data and config only, not on page views.
DATA_ITEMS = [
    item_id
    for item_id in CHECKS
    if item_id not in ("diagnosis.kpis_used", "implementation.dashboard")
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = build_demo(tmp_path_factory.mktemp("web-diagnostics"))
    with serving(Workspace.load(root)) as (served, _):
        yield served


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


def _page_views(server: Server, path: str) -> int:
    with server.state.reader() as store:
        return int(
            store.scalar(
                "SELECT count(*) FROM usage_events WHERE kind = 'page_viewed' "
                "AND json_extract_string(detail, '$.path') = ?",
                [path],
            )
        )


def test_api_lists_every_item(server: Server) -> None:
    with server.client() as client:
        response = client.get("/api/v1/diagnostics")
    document = response.json()
    DiagnosticsModel.model_validate(document)
    assert response.status_code == 200
    assert [item["id"] for item in document["items"]] == list(CHECKS)
    assert document["checked_at"].endswith("Z")
    assert sum(document["counts"].values()) == len(CHECKS)


def test_api_matches_run_diagnostics(server: Server) -> None:
    with server.client() as client:
        document = client.get("/api/v1/diagnostics").json()
    with server.state.reader() as store:
        report = run_diagnostics(store, server.state.workspace.settings)
    served = {item["id"]: item for item in document["items"]}
    for item_id in DATA_ITEMS:
        expected = report.find(item_id)
        assert served[item_id]["status"] == str(expected.status), item_id
        assert served[item_id]["summary"] == expected.summary.to_dict(), item_id


def test_page_views_throttled(server: Server) -> None:
    with server.client() as client:
        for _ in range(3):
            assert client.get("/marketing").status_code == 200
    assert _page_views(server, "/marketing") == 1


def test_page_in_japanese(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/diagnostics?lang=ja", wait_until="load")
    nav = page.locator('nav.mainnav a[aria-current="page"]')
    parts = page.locator("section.diagnostics-part").evaluate_all(
        "sections => sections.map(s => s.dataset.part)"
    )
    items = page.locator("article.check[data-item]").evaluate_all(
        "items => items.map(i => [i.dataset.item, i.dataset.status])"
    )
    kgi = page.locator('article.check[data-item="setting.kgi"]')
    assert nav.inner_text() == "診断"
    assert parts == ["diagnosis", "setting", "implementation", "operation"]
    assert [item_id for item_id, _ in items] == list(CHECKS)
    assert kgi.get_attribute("data-status") == "fail"
    assert kgi.locator('[data-role="status"]').inner_text() == "不合格"
    assert kgi.locator("h3").inner_text() == "KGI が定義されている"
    assert "diagnose.kgi_kpi" in kgi.locator('[data-role="fix"]').inner_text()
    assert errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "diagnostics.png", full_page=True)
    context.close()


def test_page_evidence_in_english(server: Server, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/diagnostics?lang=en", wait_until="load")
    item = page.locator('article.check[data-item="diagnosis.match_rate"]')
    item.locator("details summary").click()
    table = item.locator("table.evidence-table")
    row = table.locator("tbody tr").first
    assert page.locator("h1").inner_text() == "Diagnostics"
    assert item.get_attribute("data-status") == "pass"
    assert "source_system" in table.locator("thead").inner_text()
    assert row.locator("td").first.inner_text() == "demo"
    assert item.locator('[data-role="fix"]').count() == 0
    context.close()
