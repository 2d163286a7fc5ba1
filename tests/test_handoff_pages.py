"""Paging and the backfilled state of the handoff queue, on a real server.

Seven handoffs are stored directly: ids 1 to 5 open (their SLA is due
tomorrow), 6 and 7 backfilled. Each id is recorded a minute after the
previous one, so newest first is 7, 6, 5, 4, 3, 2, 1.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, chromium_path
from tests.handoff_support import OTHER, TARGET, salesforce_workspace, utc_now
from tests.web_support import serving

EVIDENCE = '{"top_activities": [], "engaged_people": []}'


@pytest.fixture
def workspace(make_workspace: Any, tmp_path: Path) -> Workspace:
    workspace = salesforce_workspace(make_workspace, tmp_path)
    now = utc_now()
    with workspace.open_store() as store:
        for handoff_id in range(1, 8):
            crossed = now - timedelta(hours=handoff_id)
            backfilled = handoff_id >= 6
            if backfilled:
                crossed -= timedelta(days=30)
            store.execute(
                "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
                "trigger, evidence, created_at, sla_due_at, backfilled) "
                "VALUES (?, ?, ?, 30, 25, 'import', ?, ?, ?, ?)",
                [
                    handoff_id,
                    TARGET if handoff_id % 2 else OTHER,
                    crossed,
                    EVIDENCE,
                    now - timedelta(hours=1) + timedelta(minutes=handoff_id),
                    now + timedelta(days=1) if not backfilled else crossed,
                    backfilled,
                ],
            )
    return workspace


def ids_of(document: dict[str, Any]) -> list[int]:
    return [row["id"] for row in document["handoffs"]]


def row_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-handoff-id="(\d+)"', html)]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_api_pages_handoffs(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as api:
        first = api.get("/api/v1/handoffs", params={"page_size": 3}).json()
        last = api.get("/api/v1/handoffs", params={"page_size": 3, "page": 3}).json()
        past = api.get("/api/v1/handoffs", params={"page_size": 3, "page": 4}).json()
        default = api.get("/api/v1/handoffs").json()
        open_page = api.get(
            "/api/v1/handoffs", params={"status": "open", "page": 2, "page_size": 2}
        ).json()
        too_big = api.get("/api/v1/handoffs", params={"page_size": 501})
        zero = api.get("/api/v1/handoffs", params={"page": 0})
    assert (first["total"], first["page"], first["pages"]) == (7, 1, 3)
    assert first["page_size"] == 3
    assert ids_of(first) == [7, 6, 5]
    assert ids_of(last) == [1]
    assert (past["total"], ids_of(past)) == (7, [])
    assert (default["page_size"], default["pages"]) == (50, 1)
    assert ids_of(default) == [7, 6, 5, 4, 3, 2, 1]
    assert (open_page["total"], open_page["pages"]) == (5, 3)
    assert ids_of(open_page) == [3, 2]
    assert too_big.status_code == 422
    assert zero.status_code == 422


def test_api_filters_backfilled(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as api:
        document = api.get("/api/v1/handoffs", params={"status": "backfilled"}).json()
        breached = api.get("/api/v1/handoffs", params={"status": "breached"}).json()
    assert document["total"] == 2
    assert ids_of(document) == [7, 6]
    assert [row["status"] for row in document["handoffs"]] == ["backfilled"] * 2
    assert [row["backfilled"] for row in document["handoffs"]] == [True, True]
    # Their stored SLA due time has passed, but no SLA applies to them.
    assert breached["total"] == 0


def test_page_pages_handoffs(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as browser:
        first = browser.get("/handoffs", params={"lang": "en", "page_size": 3}).text
        second = browser.get(
            "/handoffs", params={"lang": "ja", "page_size": 3, "page": 2}
        ).text
        past = browser.get(
            "/handoffs", params={"lang": "en", "page_size": 3, "page": 9}
        ).text
    assert row_ids(first) == [7, 6, 5]
    assert "1–3 of 7 handoffs" in first
    assert "Page 1 of 3" in first
    assert 'href="/handoffs?page_size=3&amp;page=2" rel="next"' in first
    assert row_ids(second) == [4, 3, 2]
    assert "7 件の引き渡しのうち 4–6 件目" in second
    assert "2 / 3 ページ" in second
    assert 'aria-label="引き渡し一覧のページ"' in second
    # A page past the end shows the last one.
    assert row_ids(past) == [1]
    assert "Page 3 of 3" in past


def test_page_shows_backfilled(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as browser:
        english = browser.get(
            "/handoffs", params={"status": "backfilled", "lang": "en"}
        ).text
        japanese = browser.get(
            "/handoffs", params={"status": "backfilled", "lang": "ja"}
        ).text
        everything = browser.get("/handoffs", params={"lang": "en"}).text
    assert row_ids(english) == [7, 6]
    assert english.count('data-status="backfilled"') == 2
    assert "No SLA (backfilled)" in english
    assert "None: counted in one backfill summary" in english
    assert "more than 3 days before they were detected" in english
    assert "SLA なし（過去分）" in japanese
    assert 'data-status-filter="backfilled"' in everything
    assert everything.count('data-status="open"') == 5


def test_ack_returns_to_page(workspace: Workspace) -> None:
    with (
        serving(workspace) as (server, _),
        server.client(follow_redirects=False) as browser,
    ):
        queue = browser.get("/handoffs", params={"page_size": 3, "page": 2}).text
        acked = browser.post(
            "/handoffs/4/ack?page=2&page_size=3",
            data={"csrf_token": csrf_of(queue)},
        )
        detail = browser.get("/api/v1/handoffs/4").json()
    assert 'action="/handoffs/4/ack?page=2&amp;page_size=3"' in queue
    assert acked.status_code == 303
    assert acked.headers["location"] == "/handoffs?page=2&page_size=3#handoff-4"
    assert detail["status"] == "acknowledged"


def test_paging_in_browser(workspace: Workspace) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    with (
        serving(workspace) as (server, _),
        playwright_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/handoffs?lang=en&page_size=3")
        first_ids = page.locator("tr[data-handoff-id]").evaluate_all(
            "rows => rows.map(row => row.dataset.handoffId)"
        )
        page.click("a[data-page=next]")
        page.wait_for_url("**page=2**")
        second_ids = page.locator("tr[data-handoff-id]").evaluate_all(
            "rows => rows.map(row => row.dataset.handoffId)"
        )
        page.click("tr[data-handoff-id='3'] .ack-form button")
        page.wait_for_url("**#handoff-3")
        url = page.url
        acknowledged = page.locator("tr[data-handoff-id='3'] td").last.inner_text()
        browser.close()
    assert first_ids == ["7", "6", "5"]
    assert second_ids == ["4", "3", "2"]
    assert "page=2" in url
    assert "dashboard (localhost)" in acknowledged
    assert errors == []
