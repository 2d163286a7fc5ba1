"""Handoffs of old crossings (an import of history) are recorded as backfilled.

In one detection run the target account crossed the threshold 10 days ago
and the other account crossed it now. With ``handoff.backfill_days`` 3 only
the second gets a notice of its own; the first is counted in one summary
and has no SLA.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from abmkpi.handoff.records import get_handoff, list_handoffs
from abmkpi.handoff.run import run_handoffs
from abmkpi.notify import deliveries_of
from abmkpi.store.database import Store
from abmkpi.store.schema import MIGRATIONS, SCHEMA_VERSION
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json
from tests.handoff_support import (
    OTHER,
    TARGET,
    TARGET_NAME,
    WebhookReceiver,
    copy_workspace,
    form_fills,
    ingest,
    salesforce_template,
    utc_now,
    webhook_receiver,
)
from tests.salesforce_support import csv_text, run_import, write
from tests.web_support import free_port

OTHER_EMAIL = "ceo@other.example.com"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("backfill-template")
    return salesforce_template(root)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver(free_port()) as running:
        yield running


@pytest.fixture
def workspace(
    template: Workspace, tmp_path: Path, receiver: WebhookReceiver
) -> Workspace:
    return copy_workspace(
        template,
        tmp_path / "ws",
        workspace={"language": "en"},
        notify={"webhook": {"url": receiver.url}},
    )


def detect_old_and_new(workspace: Workspace) -> tuple[int, int]:
    """Ingest one batch of form fills and return the handoff ids (target, other).

    The target's third fill crossed the threshold 10 days ago. The other
    account gets three fills ending now."""
    crossed = utc_now() - timedelta(days=10)
    old = form_fills("old", crossed + timedelta(hours=1), 4)
    new = form_fills("new", utc_now(), 3, email=OTHER_EMAIL)
    with workspace.open_store() as store:
        result = ingest(workspace, store, old + new)
        by_account = {
            get_handoff(store, handoff_id).account_id: handoff_id
            for handoff_id in result.handoff_ids
        }
    assert sorted(by_account) == [TARGET, OTHER]
    return by_account[TARGET], by_account[OTHER]


def test_old_crossing_recorded_backfilled(workspace: Workspace) -> None:
    old_id, new_id = detect_old_and_new(workspace)
    with workspace.open_store(read_only=True) as store:
        old = get_handoff(store, old_id)
        new = get_handoff(store, new_id)
    assert old.backfilled is True
    assert new.backfilled is False
    assert old.breached_at is None
    assert old.status_at(utc_now()) == "backfilled"
    assert new.status_at(utc_now()) == "open"


def test_backfilled_gets_no_notice(workspace: Workspace) -> None:
    old_id, new_id = detect_old_and_new(workspace)
    with workspace.open_store(read_only=True) as store:
        old_notices = deliveries_of(store, "handoff", [str(old_id)])
        new_notices = deliveries_of(store, "handoff", [str(new_id)])
        summaries = deliveries_of(store, "handoff_backfill", [str(old_id)])
    assert old_notices == []
    assert [d.channel for d in new_notices] == ["csv", "webhook"]
    # The summary goes to the webhook only: the CSV queue is for Tasks per account.
    assert [d.channel for d in summaries] == ["webhook"]


def test_summary_counts_backfilled(
    workspace: Workspace, receiver: WebhookReceiver
) -> None:
    detect_old_and_new(workspace)
    with workspace.open_store() as store:
        run = run_handoffs(store, workspace.settings, workspace.root)
    assert run.deliveries is not None
    assert run.deliveries.delivered == 3
    titles = [body["blocks"][0]["text"]["text"] for body in receiver.bodies]
    assert sorted(titles) == [
        "Backfilled handoffs: 1 accounts crossed the MQA threshold",
        "MQA: Other Corp (score now 30.0)",
    ]
    (summary,) = [body for body in receiver.bodies if "Backfilled" in body["text"]]
    # Score now: 10 × (2^(-242/720) + 2^(-241/720) + 2^(-240/720) + 2^(-239/720)).
    assert f"{TARGET_NAME} (31.7)" in summary["text"]
    assert "more than 3 days before they were detected" in summary["text"]
    assert "abmkpi handoff list --status backfilled" in summary["text"]


def test_second_run_sends_no_summary(workspace: Workspace) -> None:
    detect_old_and_new(workspace)
    with workspace.open_store() as store:
        again = run_handoffs(store, workspace.settings, workspace.root, deliver=False)
        count = store.scalar(
            "SELECT count(*) FROM deliveries WHERE subject_kind = 'handoff_backfill'"
        )
    assert again.created == []
    assert count == 1


def test_backfilled_never_breached(workspace: Workspace) -> None:
    old_id, new_id = detect_old_and_new(workspace)
    later = utc_now() + timedelta(hours=49)
    with workspace.open_store() as store:
        run = run_handoffs(
            store, workspace.settings, workspace.root, later, deliver=False
        )
        breached = list_handoffs(store, "breached", later)
        backfilled = list_handoffs(store, "backfilled", later)
        breach_notices = deliveries_of(store, "handoff_breach", [str(old_id)])
    assert run.breached == [new_id]
    assert [item.id for item in breached] == [new_id]
    assert [item.id for item in backfilled] == [old_id]
    assert breach_notices == []


def test_backfilled_followed_up(workspace: Workspace, tmp_path: Path) -> None:
    called = (utc_now() - timedelta(days=9)).isoformat() + ".000Z"
    task = write(
        tmp_path / "Task.csv",
        csv_text(
            "Id,WhatId,Subject,Status,TaskSubtype,ActivityDate,CompletedDateTime",
            f"00T000000000009AAA,001000000000001AAA,Call,Completed,Call,"
            f"{called[:10]},{called}",
        ),
    )
    run_import(workspace, task)
    old_id, _ = detect_old_and_new(workspace)
    with workspace.open_store(read_only=True) as store:
        old = get_handoff(store, old_id)
    assert old.backfilled is True
    assert old.first_sales_activity_at is not None
    assert old.status_at(utc_now()) == "followed_up"


def test_window_setting_moves_cutoff(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(template, tmp_path / "ws", handoff={"backfill_days": 11})
    old_id, _ = detect_old_and_new(workspace)
    with workspace.open_store(read_only=True) as store:
        old = get_handoff(store, old_id)
        notices = deliveries_of(store, "handoff", [str(old_id)])
    assert old.backfilled is False
    assert old.evidence["detected_late"] is True
    assert [d.channel for d in notices] == ["csv"]


def test_cli_lists_backfilled(workspace: Workspace) -> None:
    old_id, _ = detect_old_and_new(workspace)
    document = run_json(
        "--workspace", workspace.root, "handoff", "list", "--status", "backfilled"
    )
    table = run_cli(
        "--workspace", workspace.root, "handoff", "list", "--status", "backfilled"
    ).stdout
    assert document["status"] == "backfilled"
    assert [row["id"] for row in document["handoffs"]] == [old_id]
    assert document["handoffs"][0]["backfilled"] is True
    assert document["handoffs"][0]["status"] == "backfilled"
    assert "1 handoffs (Backfilled)" in table
    assert "no SLA" in table
    assert "none: backfilled, counted in one summary" in table


def test_cli_run_reports_backfilled(template: Workspace, tmp_path: Path) -> None:
    # The events are stored with detection turned off, so 'handoff run' is
    # the first to see the 10-day-old crossing.
    workspace = copy_workspace(template, tmp_path / "ws")
    detection_off = copy_workspace(
        template, tmp_path / "off", handoff={"enabled": False}
    )
    crossed = utc_now() - timedelta(days=10)
    with workspace.open_store() as store:
        result = ingest(
            detection_off, store, form_fills("old", crossed + timedelta(hours=1), 4)
        )
    document = run_json("--workspace", workspace.root, "handoff", "run")
    assert result.handoff_ids == []
    assert len(document["created"]) == 1
    assert document["backfilled"] == document["created"]


def test_version5_store_migrates(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        for migration in MIGRATIONS[:5]:
            for statement in migration:
                store.execute(statement)
        store.execute("INSERT INTO meta VALUES ('schema_version', '5')")
        store.execute(
            "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
            "trigger, evidence, created_at, sla_due_at) VALUES "
            "(1, 'a', '2025-01-01', 30, 25, 'run', '{}', '2025-01-01', '2025-01-03')"
        )
    with Store.open(path) as store:
        version = store.schema_version()
        (handoff,) = list_handoffs(store)
    assert version == SCHEMA_VERSION
    # Handoffs recorded before were notified as new, so none is backfilled.
    assert handoff.backfilled is False
    assert handoff.status_at(utc_now()) == "breached"
