"""The journey route on a real server and the overview's journey panel in
headless Chromium, on the hand-worked workspace of tests.journey_support."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from abmkpi.tokens import Role, create_token
from abmkpi.web.api_models import JourneyModel
from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, chromium_path
from tests.journey_support import make_journey_workspace, workspace_maker
from tests.web_support import Server, error_of, serving

# The overview of this range compares 2024-05-01 with 2024-08-15.
PERIOD = "2024-05-01..2024-08-15"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    root = tmp_path_factory.mktemp("journey")
    workspace = make_journey_workspace(workspace_maker(root))
    with workspace.open_store() as store:
        token = create_token(store, "journey test", Role.VIEWER)[1]
    with serving(Workspace.load(workspace.root)) as (server, _):
        yield server, token


def _get(served: tuple[Server, str], **params: str) -> Any:
    server, token = served
    with server.client(token) as client:
        return client.get("/api/v1/journey", params=params)


def test_api_journey_counts(served: tuple[Server, str]) -> None:
    response = _get(served, **{"from": "2024-05-01", "to": "2024-08-15"})
    assert response.status_code == 200
    document = JourneyModel.model_validate(response.json())
    assert document.segment == "target"
    assert document.counts_from["engaged"] == 3
    assert document.counts_to["customer"] == 2
    assert document.moved_up == 3
    assert document.moved_down == 1
    assert document.stayed == 1
    gamma = [m for m in document.movers if m.name == "Gamma Inc"]
    assert [(m.from_stage, m.to_stage, m.direction) for m in gamma] == [
        ("engaged", "aware", "down")
    ]


def test_api_journey_all_segment(served: tuple[Server, str]) -> None:
    params = {"from": "2024-05-01", "to": "2024-08-15", "segment": "all"}
    document = _get(served, **params).json()
    assert document["accounts"] == 6
    assert document["moved_up"] == 4


def test_api_journey_rejects_bad_date(served: tuple[Server, str]) -> None:
    response = _get(served, **{"from": "2024-13-01"})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "query.from"


@pytest.mark.parametrize(
    ("field", "day"), [("from", "0001-01-01"), ("to", "9999-12-31")]
)
def test_api_journey_rejects_far_dates(
    served: tuple[Server, str], field: str, day: str
) -> None:
    response = _get(served, **{field: day})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == f"query.{field}"


def test_api_journey_rejects_reversed(served: tuple[Server, str]) -> None:
    response = _get(served, **{"from": "2024-08-15", "to": "2024-05-01"})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "query.to"


def test_overview_shows_journey_progress(served: tuple[Server, str]) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    server, _ = served
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{server.url}/?period={PERIOD}&lang=en", wait_until="load")
        panel = page.locator("#journey-progress")
        counts = panel.locator("tr[data-stage]").evaluate_all(
            """rows => Object.fromEntries(rows.map(row => [row.dataset.stage, [
                row.querySelector('[data-role=from-count]').textContent.trim(),
                row.querySelector('[data-role=to-count]').textContent.trim()]]))"""
        )
        up = panel.locator("[data-role=moved-up]").inner_text()
        down = panel.locator("[data-role=moved-down]").inner_text()
        directions = panel.locator(".movers-table tr[data-direction]").evaluate_all(
            "rows => rows.map(row => row.dataset.direction)"
        )
        browser.close()
    assert counts["engaged"] == ["3", "0"]
    assert counts["customer"] == ["0", "2"]
    assert counts["aware"] == ["0", "1"]
    assert up == "Moved up: 3"
    assert down == "Moved down: 1"
    assert directions == ["up", "up", "up", "down"]
