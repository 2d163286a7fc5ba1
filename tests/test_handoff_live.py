"""The handoff end to end on a real uvicorn server.

Live events push a target account from engaged to MQA. One handoff is
recorded, the server's notifier sends its webhook, and an imported sales
call closes the SLA."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from abmkpi.handoff.records import list_handoffs
from abmkpi.handoff.run import run_handoffs
from abmkpi.periods import business_date
from abmkpi.tokens import Role, create_token
from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, chromium_path
from tests.cli_support import run_cli
from tests.handoff_support import (
    TARGET,
    TARGET_ID,
    TARGET_NAME,
    event_json,
    form_fills,
    ingest,
    salesforce_workspace,
    utc_now,
    webhook_receiver,
)
from tests.salesforce_support import csv_text, write
from tests.web_support import free_port, serving

# Seconds to wait for the notifier thread to send the webhook, and for the
# cached facts to catch up with an ingest.
DELIVERY_WAIT_SECONDS = 20


def stage_of(client: httpx.Client, period: str, expected: str) -> str:
    """Return the account's journey stage once it is ``expected``, or the
    stage it still has after the wait (cached facts catch up in the
    background after an ingest)."""
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while True:
        response = client.get(
            "/api/v1/accounts", params={"period": period, "q": TARGET_NAME}
        )
        (row,) = response.json()["accounts"]
        if row["journey_stage"] == expected or time.monotonic() > deadline:
            return str(row["journey_stage"])
        time.sleep(0.2)


def post_events(client: httpx.Client, events: list[Any]) -> None:
    response = client.post(
        "/api/v1/activities", json={"events": [event_json(e) for e in events]}
    )
    assert response.status_code == 200, response.text


def wait_for(bodies: list[Any], count: int) -> None:
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while len(bodies) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def workspace(make_workspace: Any, tmp_path: Path) -> tuple[Workspace, int]:
    port = free_port()
    workspace = salesforce_workspace(
        make_workspace,
        tmp_path,
        notify={"webhook": {"url": f"http://127.0.0.1:{port}/hook"}},
    )
    return workspace, port


def test_live_events_hand_off_once(
    workspace: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, port = workspace
    with ws.open_store() as store:
        tokens = {
            role: create_token(store, f"test {role.value}", role)[1] for role in Role
        }
    today = business_date(utc_now(), ws.settings.workspace.time_zone)
    period = f"{today - timedelta(days=7)}..{today}"
    now = utc_now() - timedelta(minutes=1)
    fills = form_fills("live", now - timedelta(hours=2), 5)

    with (
        webhook_receiver(port) as receiver,
        serving(ws) as (server, _),
        server.client(tokens[Role.EDITOR]) as editor,
        server.client(tokens[Role.VIEWER]) as viewer,
    ):
        post_events(editor, fills[:2])
        engaged = stage_of(viewer, period, "engaged")
        before = viewer.get("/api/v1/handoffs").json()["total"]
        post_events(editor, fills[2:3])
        crossed = stage_of(viewer, period, "mqa")
        post_events(editor, fills[3:])
        listed = viewer.get("/api/v1/handoffs").json()
        wait_for(receiver.bodies, 1)
        time.sleep(0.5)  # a second, wrong notification would arrive by now
        denied = viewer.post(f"/api/v1/handoffs/{listed['handoffs'][0]['id']}/ack")

    assert engaged == "engaged"
    assert before == 0
    assert crossed == "mqa"
    assert listed["total"] == 1
    handoff = listed["handoffs"][0]
    assert handoff["account_id"] == TARGET
    assert handoff["trigger"] == "ingest"
    assert handoff["crossed_at"] == fills[2].occurred_at.isoformat() + "Z"
    assert denied.status_code == 403
    assert len(receiver.bodies) == 1
    text = receiver.bodies[0]["text"]
    assert TARGET_NAME in text
    assert f"{handoff['score']:.1f}" in text

    # Once the server is stopped: 'handoff run' adds nothing, and an imported
    # sales call closes the SLA, so the handoff is never breached.
    run_cli("--workspace", ws.root, "handoff", "run")
    called = (utc_now() - timedelta(seconds=30)).isoformat() + ".000Z"
    task = write(
        tmp_path / "Task.csv",
        csv_text(
            "Id,WhatId,Subject,Status,TaskSubtype,ActivityDate,CompletedDateTime",
            f"00T000000000009AAA,{TARGET_ID},Call,Completed,Call,{called[:10]},"
            f"{called}",
        ),
    )
    run_cli("--workspace", ws.root, "import", "salesforce", task)
    with ws.open_store() as store:
        (stored,) = list_handoffs(store)
        late = stored.sla_due_at + timedelta(hours=1)
        run = run_handoffs(store, ws.settings, ws.root, late)
        breached = list_handoffs(store, "breached", late)
    assert stored.first_sales_activity_at is not None
    assert stored.first_sales_activity_at.isoformat() == called[:19]
    assert run.created == []
    assert run.breached == []
    assert breached == []
    assert len(receiver.bodies) == 1


def test_page_lists_and_acknowledges(
    workspace: tuple[Workspace, int],
) -> None:
    ws, _ = workspace
    with ws.open_store() as store:
        _, editor_token = create_token(store, "Sales desk", Role.EDITOR)
    fills = form_fills("page", utc_now() - timedelta(minutes=1), 3)

    with serving(ws) as (server, _), server.client(editor_token) as api:
        post_events(api, fills)
        handoff_id = api.get("/api/v1/handoffs").json()["handoffs"][0]["id"]
        with server.client(follow_redirects=False) as browser:
            anonymous = browser.get("/handoffs?lang=en").text
            login_page = browser.get("/login").text
            browser.post(
                "/login",
                data={"token": editor_token, "csrf_token": csrf_of(login_page)},
            )
            queue = browser.get("/handoffs?lang=en").text
            forged = browser.post(f"/handoffs/{handoff_id}/ack", data={})
            acked = browser.post(
                f"/handoffs/{handoff_id}/ack", data={"csrf_token": csrf_of(queue)}
            )
            after = browser.get("/handoffs?lang=ja").text
        detail = api.get(f"/api/v1/handoffs/{handoff_id}").json()

    assert TARGET_NAME in anonymous
    # On localhost without a required login, any viewer may acknowledge.
    assert "Log in with an editor token to acknowledge" not in anonymous
    assert f'action="/handoffs/{handoff_id}/ack"' in anonymous
    assert f'action="/handoffs/{handoff_id}/ack"' in queue
    assert 'href="/handoffs"' in queue
    assert forged.status_code == 403
    assert acked.status_code == 303
    assert detail["acknowledged_by"] == "Sales desk"
    assert detail["status"] == "acknowledged"
    assert "営業連携キュー" in after
    assert f'action="/handoffs/{handoff_id}/ack"' not in after


def test_api_ack_takes_name(workspace: tuple[Workspace, int]) -> None:
    ws, _ = workspace
    with ws.open_store() as store:
        _, editor_token = create_token(store, "Sales desk", Role.EDITOR)
    fills = form_fills("api", utc_now() - timedelta(minutes=1), 3)
    with serving(ws) as (server, _), server.client(editor_token) as api:
        post_events(api, fills)
        handoff_id = api.get("/api/v1/handoffs").json()["handoffs"][0]["id"]
        first = api.post(f"/api/v1/handoffs/{handoff_id}/ack", json={"by": "鈴木"})
        again = api.post(f"/api/v1/handoffs/{handoff_id}/ack", json={"by": "佐藤"})
        missing = api.post("/api/v1/handoffs/999/ack")
        open_list = api.get("/api/v1/handoffs", params={"status": "open"}).json()
    assert first.status_code == 200
    assert first.json()["acknowledged_by"] == "鈴木"
    assert first.json()["already_acknowledged"] is False
    assert again.status_code == 200
    assert again.json()["acknowledged_by"] == "鈴木"
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert again.json()["already_acknowledged"] is True
    assert missing.status_code == 404
    assert open_list["total"] == 0


def test_queue_in_browser(workspace: tuple[Workspace, int]) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    ws, _ = workspace
    with ws.open_store() as store:
        _, editor_token = create_token(store, "Sales desk", Role.EDITOR)
    fills = form_fills("browser", utc_now() - timedelta(minutes=1), 3)

    with (
        serving(ws) as (server, _),
        server.client(editor_token) as api,
        playwright_api.sync_playwright() as playwright,
    ):
        post_events(api, fills)
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/login?next=/handoffs%3Flang%3Den")
        page.fill("input[name=token]", editor_token)
        page.click("button[type=submit]")
        row = page.locator("tr[data-handoff-id]")
        account = row.locator("td").first.locator("a").inner_text()
        status_before = row.get_attribute("data-status")
        page.click(".ack-form button")
        acknowledged = row.locator("td").last.inner_text()
        browser.close()

    assert account == TARGET_NAME
    assert status_before == "open"
    assert "Sales desk" in acknowledged
    assert errors == []


@pytest.mark.parametrize(
    ("by", "problem"),
    [
        (
            "Sato\x07",
            "the acknowledged-by name 'Sato\\x07' contains the control character "
            "U+0007; remove it",
        ),
        ("x" * 201, "String should have at most 200 characters"),
    ],
)
def test_api_ack_rejects_by(
    workspace: tuple[Workspace, int], by: str, problem: str
) -> None:
    ws, _ = workspace
    with ws.open_store() as store:
        handoff_id = ingest(ws, store, form_fills("a", utc_now(), 3)).handoff_ids[0]
        _, editor = create_token(store, "test editor", Role.EDITOR)
    with serving(ws) as (server, _), server.client(editor) as client:
        response = client.post(f"/api/v1/handoffs/{handoff_id}/ack", json={"by": by})
        listed = client.get("/api/v1/handoffs?status=acknowledged").json()
    detail = response.json()["error"]["details"][0]
    assert response.status_code == 422
    assert detail == {"field": "body.by", "problem": problem}
    assert listed["total"] == 0
